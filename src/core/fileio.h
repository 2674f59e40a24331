/* Files read and written whole, the one way tchat does both.
 *
 * Reading has a size cap, says clearly what cannot be read, and never hangs on a pipe:
 * opening does not block, and a FIFO or a character device is read only where the caller
 * allows it, and then against a deadline.
 *
 * Writing is atomic. The text goes to a temporary file in the same directory (hidden,
 * ".NAME.tmp-XXXXXX", so that a listing never takes it for a file of its own), which gets
 * its mode, is written and fsynced, and is renamed over the file; then the directory is
 * fsynced so that the rename survives a crash too. At every moment the file holds the old
 * or the new complete text, and a failure leaves no temporary file behind.
 *
 * Both return 0, or -1 with "PATH: why" in the caller's err and errno set by the step that
 * failed, for callers that must tell one failure from another (ENOENT: no such file). */
#ifndef TCHAT_FILEIO_H
#define TCHAT_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct fileio_read_opts {
    size_t max;            /* more bytes than this are refused... */
    const char *too_large; /* ...with this reason, e.g. "too large for a theme" */
    int stream_ms;         /* 0: regular files only. > 0: a FIFO or a character device is
                              read too, to its end, for at most this many milliseconds */
} fileio_read_opts;

/* Reads the file at path whole into *text (malloc'd, NUL-terminated; the caller frees it)
 * and *len; st (may be NULL) receives its fstat. The reasons after "PATH: " are strerror's
 * for what open or read refuse ("No such file or directory", errno ENOENT), "is a
 * directory, not a file" (EISDIR), "not a regular file" (EINVAL: a FIFO, a device or a
 * socket where only regular files are allowed), too_large (EFBIG), and for a stream that
 * does not end in time "no end of input after 3 s (is anything writing to it?)"
 * (ETIMEDOUT). */
int fileio_read(const char *path, const fileio_read_opts *o, char **text, size_t *len,
                struct stat *st, char *err, size_t errlen);

typedef struct fileio_write_opts {
    mode_t mode; /* of the new file, whatever the umask */
    bool follow; /* a symlink at path stays a symlink: its target is replaced (a dangling
                    one's target is created); false replaces whatever path names */
} fileio_write_opts;

/* Replaces the file at path with data[0..len) atomically (see above). What is there and
 * is not a regular file is never replaced: a directory fails as the rename would (EISDIR),
 * a FIFO, a device or a socket with EINVAL. The reasons after "PATH: " name the step:
 * "cannot create a temporary file in DIR: why", "cannot write TMP: why", "cannot sync TMP:
 * why", "cannot replace it: why". A missing directory is not created (errno ENOENT). */
int fileio_write_atomic(const char *path, const void *data, size_t len,
                        const fileio_write_opts *o, char *err, size_t errlen);

/* Where a write to path lands: path with its symlinks followed, a dangling one too (its
 * target is where the file would be created). malloc'd, or NULL with errno set. */
char *fileio_resolve(const char *path);

/* The directory part of path: "." when there is none, "/" for a file at the root.
 * malloc'd. */
char *fileio_dir_of(const char *path);

#endif
