#include "clipboard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "term.h"

clip_mux clip_mux_detect(const char *tmux, const char *sty)
{
    if (tmux && *tmux)
        return CLIP_TMUX;
    if (sty && *sty)
        return CLIP_SCREEN;
    return CLIP_DIRECT;
}

void clip_base64(buf *out, const void *p, size_t n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = p;
    buf_reserve(out, (n + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned long v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8 | s[i + 2];
        char q[4] = {digits[v >> 18 & 63], digits[v >> 12 & 63], digits[v >> 6 & 63],
                     digits[v & 63]};
        buf_append(out, q, 4);
    }
    if (i < n) {
        unsigned long v = (unsigned long)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)s[i + 1] << 8;
        char q[4] = {digits[v >> 18 & 63], digits[v >> 12 & 63],
                     i + 1 < n ? digits[v >> 6 & 63] : '=', '='};
        buf_append(out, q, 4);
    }
}

void clip_osc52(buf *out, const char *text, size_t len, clip_mux mux)
{
    buf seq;
    buf_init(&seq);
    /* "c": the clipboard (not the primary selection); BEL ends it, which every
     * terminal that knows OSC 52 accepts. */
    buf_puts(&seq, "\033]52;c;");
    clip_base64(&seq, text, len);
    buf_putc(&seq, '\a');
    if (mux != CLIP_SCREEN) {
        buf_append(out, seq.data, seq.len);
    } else {
        /* screen passes each DCS string's content to the terminal as it is: the
         * pieces arrive there as one OSC 52. */
        for (size_t i = 0; i < seq.len; i += CLIP_SCREEN_CHUNK) {
            size_t n = seq.len - i < CLIP_SCREEN_CHUNK ? seq.len - i : CLIP_SCREEN_CHUNK;
            buf_puts(out, "\033P");
            buf_append(out, seq.data + i, n);
            buf_puts(out, "\033\\");
        }
    }
    buf_free(&seq);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int clip_tmux_load(const char *text, size_t len, bool to_clipboard, int timeout_ms, int *status,
                   char *err, size_t errlen)
{
    *status = 0;
    int in[2];
    if (pipe(in) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    /* Our end must not leak into tmux (it would never see the end of the text). */
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    /* tchat ignores SIGPIPE: tmux gets the usual dispositions and no blocked signals. */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *argv_w[] = {"tmux", "load-buffer", "-w", "-", NULL};
    char *argv_plain[] = {"tmux", "load-buffer", "-", NULL};
    char **env = env_for_child(); /* no key in tmux's environment */
    pid_t pid;
    int sr = posix_spawnp(&pid, "tmux", &fa, &attr, to_clipboard ? argv_w : argv_plain, env);
    free(env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    if (sr != 0) {
        close(in[1]);
        snprintf(err, errlen, "cannot run tmux: %s", strerror(sr));
        return -1;
    }
    int64_t deadline = clock_mono_ms() + timeout_ms;
    /* A short write (EPIPE: tmux stopped reading) shows in tmux's exit status. */
    fd_write_all(in[1], text, len, deadline);
    close(in[1]);
    /* tmux answers in milliseconds; poll for its exit rather than wait on a signal. */
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            snprintf(err, errlen, "tmux: %s", strerror(errno));
            return -1;
        }
        if (clock_mono_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            snprintf(err, errlen, "tmux did not answer within %d ms", timeout_ms);
            return -1;
        }
        sleep_ms(2);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    snprintf(err, errlen, "tmux load-buffer: exit status %d", *status);
    return 1;
}

void clip_copy(const char *text, size_t len, clip_result *r)
{
    memset(r, 0, sizeof *r);
    clip_mux mux = clip_mux_detect(getenv("TMUX"), getenv("STY"));
    bool osc = true;
    if (mux == CLIP_TMUX) {
        int status;
        int rc = clip_tmux_load(text, len, true, CLIP_TMUX_TIMEOUT_MS, &status, r->err,
                                sizeof r->err);
        if (rc == 1) /* perhaps a tmux before 3.2, without -w: the buffer, and OSC 52 */
            rc = clip_tmux_load(text, len, false, CLIP_TMUX_TIMEOUT_MS, &status, r->err,
                                sizeof r->err);
        else
            osc = rc != 0;
        r->tmux = rc == 0;
        if (r->tmux)
            r->err[0] = '\0';
    }
    if (!osc)
        return;
    if (len > CLIP_TEXT_MAX) {
        r->too_long = true;
        return;
    }
    buf seq;
    buf_init(&seq);
    clip_osc52(&seq, text, len, mux);
    r->osc52 = term_write(seq.data, seq.len) == 0;
    if (!r->osc52 && !r->tmux && !r->err[0])
        snprintf(r->err, sizeof r->err, "cannot write to the terminal");
    buf_free(&seq);
}
