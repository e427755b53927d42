/* throttle.c: failures counted per key within a time window, exactly, in bounded memory. */
#include "lib/throttle.h"

#include <limits.h>
#include <string.h>

#include "lib/banned.h"

static uint32_t key_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

static int entry_live(const struct throttle *t, const struct throttle_entry *e, int64_t now)
{
    return e->failures > 0 && now - e->since < t->window_ms;
}

static int overflow_live(const struct throttle *t, int64_t now)
{
    return t->overflow > 0 && now - t->overflow_last < t->window_ms;
}

static void add_one(int *n)
{
    if (*n < INT_MAX)
        ++*n;
}

/* key's entry, or NULL. With ret_free, also the first entry that a new key may take (free, or
 * its window over), or NULL when every one is in use. A whole scan: the table is a few
 * thousand words, and each sign-in spends tens of milliseconds hashing its password anyway. */
static struct throttle_entry *find(struct throttle *t, const char *key, uint32_t h, int64_t now,
                                   struct throttle_entry **ret_free)
{
    struct throttle_entry *free_entry = NULL;
    for (size_t i = 0; i < t->nentries; i++) {
        struct throttle_entry *e = &t->entries[i];
        if (e->failures && e->hash == h && !strcmp(e->key, key))
            return e;
        if (!free_entry && !entry_live(t, e, now))
            free_entry = e;
    }
    if (ret_free)
        *ret_free = free_entry;
    return NULL;
}

int throttle_count(struct throttle *t, const char *key, int64_t now, int64_t *ret_retry_ms)
{
    int n = 0;
    int64_t until = now;
    pthread_mutex_lock(&t->mu);
    struct throttle_entry *e =
        strlen(key) <= THROTTLE_KEY_MAX ? find(t, key, key_hash(key), now, NULL) : NULL;
    if (e) {
        if (entry_live(t, e, now))
            n = e->failures, until = e->since + t->window_ms;
    } else if (overflow_live(t, now)) {
        /* key may have failed while it had no entry */
        n = t->overflow, until = t->overflow_last + t->window_ms;
    }
    pthread_mutex_unlock(&t->mu);
    if (ret_retry_ms)
        *ret_retry_ms = until - now;
    return n;
}

int throttle_fail(struct throttle *t, const char *key, int64_t now)
{
    int n;
    pthread_mutex_lock(&t->mu);
    struct throttle_entry *e = NULL, *free_entry = NULL;
    if (strlen(key) <= THROTTLE_KEY_MAX) {
        uint32_t h = key_hash(key);
        e = find(t, key, h, now, &free_entry);
        if (e && !entry_live(t, e, now)) {
            e->failures = 0;
            e->since = now;
        } else if (!e && free_entry) {
            /* failures key had while it had no entry are in the overflow: take them along, so
             * that moving into the table never lowers its count */
            e = free_entry;
            e->hash = h;
            memcpy(e->key, key, strlen(key) + 1);
            e->failures = overflow_live(t, now) ? t->overflow : 0;
            e->since = now;
        }
    }
    if (e) {
        add_one(&e->failures);
        n = e->failures;
    } else {
        if (!overflow_live(t, now))
            t->overflow = 0;
        add_one(&t->overflow);
        t->overflow_last = now;
        n = t->overflow;
    }
    pthread_mutex_unlock(&t->mu);
    return n;
}

void throttle_reset(struct throttle *t, const char *key)
{
    if (strlen(key) > THROTTLE_KEY_MAX)
        return;
    pthread_mutex_lock(&t->mu);
    struct throttle_entry *e = find(t, key, key_hash(key), 0, NULL);
    if (e)
        e->failures = 0;
    pthread_mutex_unlock(&t->mu);
}
