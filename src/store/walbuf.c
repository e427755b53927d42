/* walbuf.c: the "kefu-group" VFS; see walbuf.h. */
#include "store/walbuf.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lib/banned.h"

/* The unix VFS writes at most 128 KiB - 1 bytes a call (it masks the length with 0x1ffff), so
 * the gathered bytes go out in pieces of 64 KiB. */
enum { WALBUF_CAP = 1024 * 1024, WALBUF_PIECE = 64 * 1024 };

struct wb_file {
    sqlite3_file base;
    sqlite3_file *real; /* the default VFS's file, allocated right after this one */
    int wal;
    unsigned char *buf; /* gathered writes, for the bytes [off, off + len) of the file */
    size_t len;
    sqlite3_int64 off;
};

static sqlite3_vfs wb_vfs;
static _Thread_local int defer_syncs;

void walbuf_defer_syncs(int on)
{
    defer_syncs = on;
}

static int flush(struct wb_file *f)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < f->len && rc == SQLITE_OK; done += WALBUF_PIECE) {
        size_t n = f->len - done < WALBUF_PIECE ? f->len - done : WALBUF_PIECE;
        rc =
            f->real->pMethods->xWrite(f->real, f->buf + done, (int)n, f->off + (sqlite3_int64)done);
    }
    f->len = 0;
    return rc;
}

static int wb_close(sqlite3_file *file)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, data, amt, off);
}

static int wb_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
    struct wb_file *f = (struct wb_file *)file;
    if (!f->wal)
        return f->real->pMethods->xWrite(f->real, data, amt, off);
    size_t n = (size_t)amt;
    if (f->len && off == f->off + (sqlite3_int64)f->len && f->len + n <= WALBUF_CAP) {
        memcpy(f->buf + f->len, data, n);
        f->len += n;
        return SQLITE_OK;
    }
    int rc = flush(f);
    if (rc != SQLITE_OK || n > WALBUF_PIECE)
        return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, amt, off);
    if (!f->buf && !(f->buf = malloc(WALBUF_CAP)))
        return f->real->pMethods->xWrite(f->real, data, amt, off);
    memcpy(f->buf, data, n);
    f->len = n;
    f->off = off;
    return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = flush(f);
    if (rc != SQLITE_OK || (f->wal && defer_syncs))
        return rc;
    return f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *file, int level)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int wb_unlock(sqlite3_file *file, int level)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = flush(f);
    if (rc != SQLITE_OK)
        return rc;
    rc = f->real->pMethods->xFileControl(f->real, op, arg);
    if (op == SQLITE_FCNTL_VFSNAME && rc == SQLITE_OK)
        *(char **)arg = sqlite3_mprintf("%s/%z", WALBUF_VFS, *(char **)arg);
    return rc;
}

static int wb_sector_size(sqlite3_file *file)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device_characteristics(sqlite3_file *file)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int wb_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void wb_shm_barrier(sqlite3_file *file)
{
    struct wb_file *f = (struct wb_file *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int wb_shm_unmap(sqlite3_file *file, int delete_flag)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int wb_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    struct wb_file *f = (struct wb_file *)file;
    return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods wb_methods = {
    .iVersion = 3,
    .xClose = wb_close,
    .xRead = wb_read,
    .xWrite = wb_write,
    .xTruncate = wb_truncate,
    .xSync = wb_sync,
    .xFileSize = wb_file_size,
    .xLock = wb_lock,
    .xUnlock = wb_unlock,
    .xCheckReservedLock = wb_check_reserved,
    .xFileControl = wb_file_control,
    .xSectorSize = wb_sector_size,
    .xDeviceCharacteristics = wb_device_characteristics,
    .xShmMap = wb_shm_map,
    .xShmLock = wb_shm_lock,
    .xShmBarrier = wb_shm_barrier,
    .xShmUnmap = wb_shm_unmap,
    .xFetch = wb_fetch,
    .xUnfetch = wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    sqlite3_vfs *parent = vfs->pAppData;
    struct wb_file *f = (struct wb_file *)file;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)(f + 1);
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    int rc = parent->xOpen(parent, name, f->real, flags, out_flags);
    /* SQLite closes a file whose xOpen failed only when pMethods is set */
    f->base.pMethods = f->real->pMethods ? &wb_methods : NULL;
    if (f->real->pMethods && f->real->pMethods->iVersion < wb_methods.iVersion) {
        f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    return rc;
}

int walbuf_register(void)
{
    if (wb_vfs.zName)
        return SQLITE_OK;
    sqlite3_vfs *parent = sqlite3_vfs_find(NULL);
    if (!parent)
        return SQLITE_ERROR;
    /* Everything but opening goes straight to the default VFS, which on Unix reads nothing
     * from the sqlite3_vfs it is given beyond what this copy holds. */
    wb_vfs = *parent;
    wb_vfs.zName = WALBUF_VFS;
    wb_vfs.szOsFile = (int)sizeof(struct wb_file) + parent->szOsFile;
    wb_vfs.pNext = NULL;
    wb_vfs.pAppData = parent;
    wb_vfs.xOpen = wb_open;
    return sqlite3_vfs_register(&wb_vfs, 0);
}
