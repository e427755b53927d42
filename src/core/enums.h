/* enums.h: the words of the ticket vocabulary, and checks that a word belongs to it. */
#ifndef KEFU_ENUMS_H
#define KEFU_ENUMS_H

/* NULL-terminated lists of the accepted words. */
extern const char *const ticket_types[];
extern const char *const urgencies[];
extern const char *const priorities[];
extern const char *const statuses[];
extern const char *const results[];
extern const char *const moods[];
extern const char *const tiers[];
extern const char *const message_kinds[];

/* 1 when s is one of the words in list. */
int enum_has(const char *const *list, const char *s);
/* The rank of a priority (low 1 ... urgent 4), 0 when unknown. */
int priority_rank(const char *p);

#endif
