/* The key command (api_key_cmd): runs a program without a shell, with a clean environment
 * and default signal handling, and takes the first line it prints as the API key; it gives
 * up after a timeout, and what it printed is wiped from memory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config_internal.h"
#include "util.h"

/* ---------------------------------------------------------------- the key command */

static int pipe_cloexec(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    return 0;
}

/* Reads what is available from fd into b (keeping at most cap bytes). Returns
 * false at end of file or on error. */
static bool drain_fd(int fd, buf *b, size_t cap)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n > 0) {
            if (b->len < cap)
                buf_append(b, chunk, (size_t)n < cap - b->len ? (size_t)n : cap - b->len);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        return false;
    }
}

static void wait_child(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
}

/* The first non-empty line of the program's stderr, made printable. */
static void first_line(const buf *b, char *out, size_t outlen)
{
    const char *s = buf_str(b);
    while (*s == '\n' || *s == '\r' || *s == ' ')
        s++;
    size_t n = strcspn(s, "\r\n");
    str_clip(s, n, 200, out, outlen);
}

int config_run_key_cmd(const char *cmd, int timeout_ms, char **key, char *err, size_t errlen)
{
    char shown[128];
    const char *why = NULL;
    size_t argc = 0;
    *key = NULL;
    str_clip(cmd ? cmd : "", cmd ? strlen(cmd) : 0, 80, shown, sizeof shown);
    char **argv = str_split_words(cmd ? cmd : "", &argc, &why);
    if (!argv) {
        err_set(err, errlen, "api_key_cmd \"%s\": %s", shown, why);
        return -1;
    }
    if (timeout_ms < 1)
        timeout_ms = 1;

    int out[2] = {-1, -1}, errp[2] = {-1, -1};
    if (pipe_cloexec(out) != 0 || pipe_cloexec(errp) != 0) {
        err_set(err, errlen, "api_key_cmd \"%s\": %s", shown, strerror(errno));
        for (int i = 0; i < 2; i++)
            if (out[i] >= 0)
                close(out[i]);
        str_free_words(argv);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawnattr_init(&attr);
    /* tchat ignores SIGPIPE and its threads block signals; the command should not inherit that. */
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    static const int reset[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof reset / sizeof *reset; i++)
        sigaddset(&dfl, reset[i]);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    /* A key in tchat's environment is no business of the command's. */
    char **child_env = env_for_child();
    int sr = posix_spawnp(&pid, argv[0], &fa, &attr, argv, child_env);
    free(child_env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out[1]);
    close(errp[1]);
    if (sr != 0) {
        if (sr == ENOENT)
            err_set(err, errlen, "api_key_cmd \"%s\": command not found: %s", shown, argv[0]);
        else
            err_set(err, errlen, "api_key_cmd \"%s\": cannot run %s: %s", shown, argv[0],
                    strerror(sr));
        close(out[0]);
        close(errp[0]);
        str_free_words(argv);
        return -1;
    }

    buf ob, eb;
    buf_init(&ob);
    buf_init(&eb);
    bool out_open = true, err_open = true, exited = false, timed_out = false;
    int status = 0;
    int64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        if (!exited) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            exited = w == pid;
        }
        if (exited) {
            /* Whatever it wrote before exiting is in the pipes; a background
             * child still holding them open must not keep us waiting. */
            if (out_open)
                drain_fd(out[0], &ob, 65536);
            if (err_open)
                drain_fd(errp[0], &eb, 4096);
            break;
        }
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            wait_child(pid, &status);
            timed_out = true;
            break;
        }
        /* Short slices: the exit is noticed by waitpid, not by a signal. */
        int slice = left < 20 ? (int)left : 20;
        struct pollfd pf[2];
        nfds_t np = 0;
        if (out_open)
            pf[np++] = (struct pollfd){.fd = out[0], .events = POLLIN};
        if (err_open)
            pf[np++] = (struct pollfd){.fd = errp[0], .events = POLLIN};
        if (np == 0) {
            struct timespec ts = {0, (long)slice * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (poll(pf, np, slice) <= 0)
            continue;
        for (nfds_t i = 0; i < np; i++) {
            if (!pf[i].revents)
                continue;
            if (pf[i].fd == out[0])
                out_open = drain_fd(out[0], &ob, 65536);
            else
                err_open = drain_fd(errp[0], &eb, 4096);
        }
    }
    close(out[0]);
    close(errp[0]);

    char line[256];
    first_line(&eb, line, sizeof line);
    int rc = -1;
    if (timed_out) {
        char secs[32];
        config_fmt_num(timeout_ms / 1000.0, secs, sizeof secs);
        err_set(err, errlen, "api_key_cmd \"%s\": timed out after %s s", shown, secs);
    } else if (WIFSIGNALED(status)) {
        err_set(err, errlen, "api_key_cmd \"%s\": killed by signal %d%s%s", shown, WTERMSIG(status),
                *line ? ": " : "", line);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !*line) {
        err_set(err, errlen, "api_key_cmd \"%s\": command not found: %s", shown, argv[0]);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        err_set(err, errlen, "api_key_cmd \"%s\": exited with status %d%s%s", shown,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1, *line ? ": " : "", line);
    } else {
        size_t n = strcspn(buf_str(&ob), "\n");
        char *k = xstrndup(buf_str(&ob), n);
        str_trim(k);
        if (memchr(buf_str(&ob), '\0', n < ob.len ? n : ob.len)) {
            err_set(err, errlen, "api_key_cmd \"%s\": printed binary data, not a key", shown);
            explicit_bzero(k, strlen(k));
            free(k);
        } else if (!*k) {
            err_set(err, errlen, "api_key_cmd \"%s\": printed no key", shown);
            free(k);
        } else {
            *key = k;
            rc = 0;
        }
    }
    if (ob.data)
        explicit_bzero(ob.data, ob.cap);
    buf_free(&ob);
    buf_free(&eb);
    str_free_words(argv);
    return rc;
}

