/* config.h: settings from defaults, kefu.conf, KEFU_* environment variables and flags. */
#ifndef KEFU_CONFIG_H
#define KEFU_CONFIG_H

#include <stdint.h>

struct kf_error;

struct config {
    char listen[128];   /* host:port */
    char data_dir[512]; /* holds kefu.db */
    char web_dir[512];  /* the built web app */
    char time_zone[64];
    int threads;                  /* HTTP worker threads; 0: one per core */
    int64_t max_attachment_bytes; /* per file */
    int session_hours;
    int cookie_secure; /* send the session cookie only over HTTPS */
    int test_clock;    /* KEFU_TEST_CLOCK=1: POST /api/v1/test/clock exists */
    /* requests from one client address to each public portal action (form, code, sign-in)
     * within 15 minutes */
    int portal_ip_limit;
    int hook_rate_limit;    /* requests to one inbound hook channel within a minute */
    char mail_ca_file[512]; /* CA certificates (PEM) for mail servers instead of the system's */
    char public_url[256];   /* where customers reach the server (survey links); "": http://listen */
    char config_path[512];
};

/* Fills cfg with the defaults, then the INI file at path (NULL: $KEFU_CONFIG, else ./kefu.conf
 * when it exists), then the environment. Returns 0, or KF_EINVAL with the key at fault. */
int config_load(struct config *cfg, const char *path, struct kf_error *e);
/* Sets one key as the file would (section-less name, e.g. "listen"). */
int config_set(struct config *cfg, const char *key, const char *value, struct kf_error *e);
/* The database file: <data_dir>/kefu.db, into out. */
void config_db_path(const struct config *cfg, char *out, unsigned outsz);

#endif
