/* channel.h: channels as an admin connects them: a kind, settings checked per kind (secrets
 * kept, never shown again) and the health of what the channel takes in. */
#ifndef KEFU_CHANNEL_H
#define KEFU_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum { CHANNEL_SETTINGS_MAX = 24 };

/* How a setting's value is written (as text in the database) and read back. */
enum setting_type {
    SETTING_NONE = 0, /* on input: a JSON value of no accepted type; on output: unknown key */
    SETTING_STRING,
    SETTING_INT,
    SETTING_BOOL,   /* "true" / "false" */
    SETTING_REMOVE, /* on input only: null, the setting is removed */
};

struct channel_setting {
    const char *key, *value; /* value: the text form (decimal, "true"/"false") */
    enum setting_type type;
};

struct channel_config {
    const char *code, *name, *name_en, *kind;
    int enabled;
    struct channel_setting settings[CHANNEL_SETTINGS_MAX];
    size_t nsettings;
    int64_t last_success_at, last_error_at; /* UTC ms, 0: never */
    const char *last_error;
};

struct channel_input {
    const char *code, *name, *kind; /* NULL: unchanged (on update) */
    int has_settings;
    struct channel_setting settings[CHANNEL_SETTINGS_MAX];
    size_t nsettings;
};

/* The kinds, NULL-terminated: mail, webhook, wechat, chat, phone, web, manual. */
extern const char *const channel_kinds[];

/* The type of setting key for kind, and whether it is a secret (shown as "set"). SETTING_NONE
 * for a key the kind does not have. */
enum setting_type channel_setting_type(const char *kind, const char *key, int *ret_secret);

int channel_get(struct db *db, const char *code, struct arena *arena, struct channel_config *ret);
/* Creates a channel; KF_ECONFLICT when the code exists, KF_EINVAL naming the field
 * ("settings.imap_url") for a bad value. */
int channel_create(struct db *db, const struct actor *actor, const struct channel_input *in,
                   struct arena *arena, struct channel_config *ret, struct kf_error *e);
/* Changes name, kind and settings: the settings given replace those of the same key, a null
 * removes one, and the rest (secrets in particular) are kept; a new kind drops the settings
 * it does not have. */
int channel_update(struct db *db, const struct actor *actor, const char *code,
                   const struct channel_input *in, struct arena *arena, struct channel_config *ret,
                   struct kf_error *e);
/* The codes of the enabled mail channels that name a mailbox (imap_url), in *ret (an array of
 * *ret_n strings in arena). 0 or the store's error. */
int channel_list_polled(struct db *db, struct arena *arena, const char ***ret, size_t *ret_n);
/* The value of setting key, or NULL. */
const char *channel_setting(const struct channel_config *c, const char *key);

/* Records the outcome of taking something in: error NULL for a success. In the caller's
 * transaction. */
int channel_record(struct db *db, const char *code, const char *error);

#endif
