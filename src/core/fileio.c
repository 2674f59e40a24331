#define _GNU_SOURCE /* mkostemp */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Sets "path: why" with why's errno, then errno itself; returns -1. */
static int fail_errno(char *err, size_t errlen, int e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail_errno(char *err, size_t errlen, int e, const char *path, const char *fmt, ...)
{
    char why[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    err_set(err, errlen, "%s: %s", path, why);
    errno = e;
    return -1;
}

/* ---------------------------------------------------------------- reading */

int fileio_read(const char *path, const fileio_read_opts *o, char **text, size_t *len,
                struct stat *stp, char *err, size_t errlen)
{
    *text = NULL;
    *len = 0;
    struct stat st_local, *st = stp ? stp : &st_local;
    /* O_NONBLOCK: opening a FIFO that has no writer must not wait for one. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fail_errno(err, errlen, errno, path, "%s", strerror(errno));
    int e = 0;
    if (fstat(fd, st) != 0) {
        e = errno;
        close(fd);
        return fail_errno(err, errlen, e, path, "%s", strerror(e));
    }
    bool stream = o->stream_ms > 0 && (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode));
    const char *problem = NULL;
    if (S_ISDIR(st->st_mode)) {
        e = EISDIR;
        problem = "is a directory, not a file";
    } else if (!S_ISREG(st->st_mode) && !stream) {
        e = EINVAL;
        problem = "not a regular file";
    } else if (S_ISREG(st->st_mode) && (uintmax_t)st->st_size > o->max) {
        e = EFBIG;
        problem = o->too_large;
    }
    if (problem) {
        close(fd);
        return fail_errno(err, errlen, e, path, "%s", problem);
    }

    /* A regular file is read into a buffer of its size, in one go (the last read, which
     * finds the end, needs a byte); a stream into one that grows. */
    buf b;
    buf_init(&b);
    if (S_ISREG(st->st_mode)) {
        b.cap = (size_t)st->st_size + 1;
        b.data = xmalloc(b.cap);
    } else {
        buf_reserve(&b, 65536);
    }
    int64_t deadline = clock_mono_ms() + o->stream_ms;
    for (;;) {
        if (stream) {
            /* Poll before reading: a FIFO without a writer reads as an empty file, but
             * polls as nothing yet, until a writer comes and goes. */
            int64_t left = deadline - clock_mono_ms();
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            int pr = left > 0 ? poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left) : 0;
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr < 0) {
                e = errno;
                problem = strerror(e);
                break;
            }
            if (pr == 0) {
                e = ETIMEDOUT;
                break;
            }
        }
        if (b.cap - b.len < 2)
            buf_reserve(&b, 65536);
        ssize_t n = read(fd, b.data + b.len, b.cap - b.len - 1);
        if (n > 0) {
            b.len += (size_t)n;
            if (b.len > o->max) {
                e = EFBIG;
                problem = o->too_large;
                break;
            }
            continue;
        }
        if (n == 0)
            break;
        if (errno == EINTR || (stream && (errno == EAGAIN || errno == EWOULDBLOCK)))
            continue;
        e = errno;
        problem = strerror(e);
        break;
    }
    close(fd);
    if (e) {
        buf_free(&b);
        if (e == ETIMEDOUT)
            return fail_errno(err, errlen, e, path,
                              "no end of input after %.3g s (is anything writing to it?)",
                              o->stream_ms / 1000.0);
        return fail_errno(err, errlen, e, path, "%s", problem);
    }
    b.data[b.len] = '\0';
    *len = b.len;
    *text = buf_steal(&b);
    return 0;
}

/* ---------------------------------------------------------------- writing */

char *fileio_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

char *fileio_resolve(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    if (errno != ENOENT)
        return NULL;
    /* Missing, or a symlink to something missing: follow the links by hand. */
    char *cur = xstrdup(path);
    for (int hops = 0; hops < 40; hops++) {
        char link[PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link);
        if (n < 0) {
            if (errno == EINVAL || errno == ENOENT)
                return cur; /* not a link, or missing: this is the file to create */
            free(cur);
            return NULL;
        }
        if ((size_t)n >= sizeof link) {
            free(cur);
            errno = ENAMETOOLONG;
            return NULL;
        }
        link[n] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (link[0] == '/' || !slash)
            next = xstrdup(link);
        else
            next = xasprintf("%.*s/%s", (int)(slash - cur), cur, link);
        free(cur);
        cur = next;
    }
    free(cur);
    errno = ELOOP;
    return NULL;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int fileio_write_atomic(const char *path, const void *data, size_t len,
                        const fileio_write_opts *o, char *err, size_t errlen)
{
    char *target = o->follow ? fileio_resolve(path) : xstrdup(path);
    if (!target)
        return fail_errno(err, errlen, errno, path, "%s", strerror(errno));
    struct stat st;
    if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        free(target);
        if (S_ISDIR(st.st_mode))
            return fail_errno(err, errlen, EISDIR, path, "cannot replace it: %s", strerror(EISDIR));
        return fail_errno(err, errlen, EINVAL, path,
                          "cannot replace it: not a regular file (a pipe, a device or a socket)");
    }
    char *dir = fileio_dir_of(target);
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    /* Same directory, so that rename() replaces the file in one step. */
    char *tmp = xasprintf("%s%s.%s.tmp-XXXXXX", dir, str_ends_with(dir, "/") ? "" : "/", base);
    int rc = -1, e = 0;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        fail_errno(err, errlen, e, path, "cannot create a temporary file in %s: %s", dir,
                   strerror(e));
        goto out;
    }
    const char *step = NULL;
    if (fchmod(fd, o->mode) != 0)
        step = "cannot set the mode of";
    else if (write_all(fd, data, len) != 0)
        step = "cannot write";
    else if (fsync(fd) != 0)
        step = "cannot sync";
    if (step) {
        e = errno;
        close(fd);
    } else if (close(fd) != 0) {
        e = errno;
        step = "cannot close";
    }
    if (step) {
        fail_errno(err, errlen, e, path, "%s %s: %s", step, tmp, strerror(e));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, target) != 0) {
        e = errno;
        fail_errno(err, errlen, e, path, "cannot replace it: %s", strerror(e));
        unlink(tmp);
        goto out;
    }
    /* The rename is durable once the directory is: best effort (some file systems refuse
     * to sync a directory), the file is in place. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    free(tmp);
    free(dir);
    free(target);
    if (rc != 0)
        errno = e;
    return rc;
}
