/* stream.h: GET /api/v1/stream, the outbox as Server-Sent Events, and the hub that feeds it.
 *
 * One hub thread reads each new events row once, after the writer says a commit is durable,
 * and hands it to every open stream whose caller may see it. A stream with nothing to send is
 * a suspended connection: it costs no thread and no polling until the hub resumes it. */
#ifndef KEFU_STREAM_H
#define KEFU_STREAM_H

struct MHD_Connection;
struct MHD_Response;
struct writer;
struct sse;

enum {
    STREAM_MAX = 2000,        /* open streams in all */
    STREAM_PER_USER_MAX = 10, /* open streams of one user (tabs, a wall screen) */
    STREAM_HEARTBEAT_MS = 15000,
    STREAM_RETRY_MS = 3000, /* the reconnection delay the browser is told */
};

/* Starts the hub on its own connection to the database at path, woken by w after each durable
 * commit. 0, or a negative code (a message is on stderr). */
int stream_hub_start(const char *path, struct writer *w);
/* Closes every stream (each ends its response) and stops the hub's thread; waits a little for
 * the connections to end. New streams are refused (503) from here on. Safe without a start. */
void stream_hub_stop(void);
/* Releases the hub; after the HTTP daemon has stopped (it calls back for each stream). */
void stream_hub_free(void);

/* The response for an opened stream (a handler set resp->stream), bound to conn. NULL when it
 * cannot be made; the stream is then released. */
struct MHD_Response *stream_response(struct sse *s, struct MHD_Connection *conn);

#endif
