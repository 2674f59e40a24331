#include "sigwake.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

enum { MAX_SIGNAL = 65 };

static int fds[2] = {-1, -1};
static volatile sig_atomic_t seen[MAX_SIGNAL];

static void on_signal(int sig)
{
    int saved = errno;
    if (sig > 0 && sig < MAX_SIGNAL)
        seen[sig] = 1;
    char c = 0;
    if (write(fds[1], &c, 1) < 0) {
        /* The flag is set; a full pipe already wakes the loop. */
    }
    errno = saved;
}

int sigwake_install(const int *signals, size_t n)
{
    if (fds[0] < 0) {
        if (pipe(fds) != 0)
            return -1;
        for (int i = 0; i < 2; i++) {
            fcntl(fds[i], F_SETFL, O_NONBLOCK);
            fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < n; i++)
        sigaction(signals[i], &sa, NULL);
    return fds[0];
}

void sigwake_drain(void)
{
    char tmp[64];
    while (fds[0] >= 0 && read(fds[0], tmp, sizeof tmp) > 0) {
    }
}

bool sigwake_take(int sig)
{
    if (sig <= 0 || sig >= MAX_SIGNAL || !seen[sig])
        return false;
    seen[sig] = 0;
    return true;
}

bool sigwake_take_any(const int *signals, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any = sigwake_take(signals[i]) || any;
    return any;
}

void sigwake_close(void)
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}
