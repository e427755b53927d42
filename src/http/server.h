/* server.h: the HTTP server: libmicrohttpd, the route table, the group-commit writer. */
#ifndef KEFU_SERVER_H
#define KEFU_SERVER_H

struct config;

/* Serves until SIGTERM or SIGINT, then drains and returns 0; non-zero when it cannot start
 * (a message is on stderr). The database must be migrated. */
int server_run(const struct config *cfg);

#endif
