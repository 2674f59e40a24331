#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#ifndef TCHAT_LIBEXECDIR
#define TCHAT_LIBEXECDIR "/usr/local/libexec"
#endif

char *demo_find_mock(char *err, size_t errlen)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *beside = NULL;
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            beside = xasprintf("%s/tchat-mock", self);
            if (access(beside, X_OK) == 0)
                return beside;
        }
    }
    char *installed = xasprintf("%s/tchat/tchat-mock", TCHAT_LIBEXECDIR);
    if (access(installed, X_OK) == 0) {
        free(beside);
        return installed;
    }
    snprintf(err, errlen, "tchat --demo needs tchat-mock, found neither at %s nor at %s",
             beside ? beside : "(next to tchat)", installed);
    free(beside);
    free(installed);
    return NULL;
}

/* Reads the mock's first line ("tchat-mock listening on URL") within a few seconds. */
static char *read_url(int fd, char *err, size_t errlen)
{
    buf line;
    buf_init(&line);
    int64_t deadline = clock_mono_ms() + 5000;
    while (!memchr(buf_str(&line), '\n', line.len)) {
        int64_t left = deadline - clock_mono_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            snprintf(err, errlen, "tchat-mock did not start within 5 s");
            buf_free(&line);
            return NULL;
        }
        char chunk[256];
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r <= 0) {
            snprintf(err, errlen, "tchat-mock exited before it was ready");
            buf_free(&line);
            return NULL;
        }
        buf_append(&line, chunk, (size_t)r);
    }
    const char *at = strstr(buf_str(&line), "listening on ");
    char *url = NULL;
    if (at) {
        at += strlen("listening on ");
        url = xstrndup(at, strcspn(at, " \r\n"));
    } else {
        snprintf(err, errlen, "tchat-mock said something unexpected: %.80s", buf_str(&line));
    }
    buf_free(&line);
    return url;
}

static int write_config(const demo *d, char *err, size_t errlen)
{
    /* The demo profile: no key, the mock's status page, a short idle timeout so
     * that the timeout scenario takes seconds, not minutes, and a first backoff long
     * enough (3 to 4 s with its jitter) to read the panel before the retry. */
    size_t root = strlen(d->url) - strlen("/v1");
    char *text = xasprintf("{\n  \"profile\": \"demo\",\n  \"profiles\": {\n    \"demo\": {\n"
                           "      \"base_url\": \"%s\",\n      \"needs_key\": false,\n"
                           "      \"model\": \"demo\",\n      \"status_url\": \"%.*s/\",\n"
                           "      \"help_url\": \"https://help.openai.com/en/\",\n"
                           "      \"idle_timeout\": 4,\n      \"backoff_initial\": 4\n    }\n  }\n}\n",
                           d->url, (int)root, d->url);
    int fd = open(d->config_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd >= 0) {
        size_t len = strlen(text);
        rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
        close(fd);
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot write %s: %s", d->config_path, strerror(errno));
    free(text);
    return rc;
}

int demo_start(demo *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->mock_pid = -1;
    d->mock_stdin = -1;
    char *mock = demo_find_mock(err, errlen);
    if (!mock)
        return -1;
    const char *tmp = getenv("TMPDIR");
    char *templ = xasprintf("%s/tchat-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(templ)) {
        snprintf(err, errlen, "cannot create a temporary directory: %s", strerror(errno));
        free(templ);
        free(mock);
        return -1;
    }
    d->dir = templ;
    d->config_path = xasprintf("%s/config.json", d->dir);
    d->convo_dir = xasprintf("%s/conversations", d->dir);

    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        free(mock);
        demo_stop(d);
        return -1;
    }
    /* Our ends must not leak into the mock (or it would never see end of file). */
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {mock, "--port", "0", "--default", "demo", "--exit-on-eof", NULL};
    char **env = env_for_child();
    int sr = posix_spawn(&d->mock_pid, mock, &fa, NULL, argv, env);
    free(env);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    d->mock_stdin = in[1];
    if (sr != 0) {
        snprintf(err, errlen, "cannot start %s: %s", mock, strerror(sr));
        d->mock_pid = -1;
        close(out[0]);
        free(mock);
        demo_stop(d);
        return -1;
    }
    free(mock);
    d->url = read_url(out[0], err, errlen);
    close(out[0]);
    if (!d->url || write_config(d, err, errlen) != 0) {
        demo_stop(d);
        return -1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void demo_stop(demo *d)
{
    if (d->mock_stdin >= 0)
        close(d->mock_stdin);
    if (d->mock_pid > 0) {
        kill(d->mock_pid, SIGTERM);
        waitpid(d->mock_pid, NULL, 0);
    }
    if (d->dir)
        nftw(d->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d->url);
    free(d->dir);
    free(d->config_path);
    free(d->convo_dir);
    memset(d, 0, sizeof *d);
    d->mock_pid = -1;
    d->mock_stdin = -1;
}
