/* throttle.h: failures counted per key within a time window, exactly, in bounded memory.
 *
 * Each entry of a fixed table holds one key verbatim, so a key's count is never shared with,
 * reset by or lost to another key. A key gets an entry at its first failure, taking a free one
 * or one whose window is over. When every entry is held by a key whose window is still open,
 * or the key is longer than THROTTLE_KEY_MAX, its failures go to one overflow counter that all
 * such keys share: the count may then be too high, never too low. */
#ifndef KEFU_THROTTLE_H
#define KEFU_THROTTLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum { THROTTLE_KEY_MAX = 64 }; /* bytes; a username has at most 64, an IPv6 address 45 */

struct throttle_entry {
    uint32_t hash; /* of key, to skip most comparisons */
    int failures;  /* 0: the entry is free */
    int64_t since; /* the first failure of the window, in the caller's milliseconds */
    char key[THROTTLE_KEY_MAX + 1];
};

struct throttle {
    pthread_mutex_t mu;
    struct throttle_entry *entries;
    size_t nentries;
    int64_t window_ms;
    /* failures of keys without an entry; forgotten only after a whole window without one */
    int overflow;
    int64_t overflow_last;
};

/* A throttle over the array `entries` (zeroed, e.g. static), forgetting after window_ms. */
#define THROTTLE_INIT(entries, window_ms)                                                          \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, (entries), sizeof(entries) / sizeof((entries)[0]), (window_ms), \
            0, 0                                                                                   \
    }

/* The failures counted for key within the window at `now` (milliseconds of one clock, the same
 * for every call): at least as many as key really had, more when it shares the overflow. When
 * there are any, *ret_retry_ms (may be NULL) is how long until they are forgotten, else 0.
 * Changes nothing. */
int throttle_count(struct throttle *t, const char *key, int64_t now, int64_t *ret_retry_ms);

/* Counts one failure of key at now and returns its count, this one included, as
 * throttle_count would. Never fails: without an entry for key the failure goes to the
 * overflow. */
int throttle_fail(struct throttle *t, const char *key, int64_t now);

/* Forgets key's own failures (it succeeded). Failures in the overflow stay: they may be
 * another key's. */
void throttle_reset(struct throttle *t, const char *key);

#endif
