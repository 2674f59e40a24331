#include "coredump.h"

#include <errno.h>
#include <sys/resource.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

int coredump_disable(void)
{
    int rc = 0, saved = 0;
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0) {
        rc = -1;
        saved = errno;
    }
#ifdef __linux__
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        rc = -1;
        saved = errno;
    }
#endif
    if (rc)
        errno = saved;
    return rc;
}
