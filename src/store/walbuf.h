/* walbuf.h: the "kefu-group" VFS, for the connection that commits without syncing.
 *
 * It wraps the default VFS. Writes to a write-ahead log are gathered and reach the file in one
 * call when SQLite syncs or reads it, so a commit of forty frames costs one system call instead
 * of eighty. A sync of the log made while walbuf_defer_syncs is set (around COMMIT) only
 * writes: the caller makes the commit durable later with one fdatasync for many (db_sync). Any
 * other sync (a checkpoint's, a close's) is a real one. Every other file passes through. */
#ifndef KEFU_WALBUF_H
#define KEFU_WALBUF_H

#define WALBUF_VFS "kefu-group"

/* Registers the VFS once; later calls do nothing. Returns SQLITE_OK or an SQLite error code. */
int walbuf_register(void);

/* While on (for the calling thread), a sync of a write-ahead log only writes. */
void walbuf_defer_syncs(int on);

#endif
