/* A test shim, preloaded (LD_PRELOAD) into tchat by the disk-full tests: while the file
 * named by $TCHAT_TEST_ENOSPC exists, write() to a regular file under a directory named
 * "conversations" fails with ENOSPC, as on a full disk. The test creates and removes that
 * file to fill and free the "disk" while tchat runs. Nothing else is touched. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int full_for(int fd)
{
    const char *flag = getenv("TCHAT_TEST_ENOSPC");
    struct stat st;
    if (!flag || stat(flag, &st) != 0)
        return 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return strstr(path, "/conversations/") != NULL;
}

ssize_t write(int fd, const void *p, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (n && full_for(fd)) {
        errno = ENOSPC;
        return -1;
    }
    return real(fd, p, n);
}
