#include "oneshot.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config.h"
#include "convo.h"
#include "explain.h"
#include "session.h"
#include "sigwake.h"
#include "width.h"
#include "worker.h"

typedef struct runner {
    const oneshot_opts *o;
    explain_ctx cx;
    worker *w;
    session s;
    bool err_tty;        /* stderr is a terminal: the countdown updates in place */
    bool err_dim;        /* --show-reasoning on a terminal without NO_COLOR: dimmed */
    bool reasoning_open; /* reasoning was written to stderr; the answer has not begun */
    bool reasoning_nl;   /* the last byte of it was a newline */
    bool countdown_shown;
    bool out_ends_nl;    /* the last byte written to stdout was a newline */
    bool out_any;
    bool out_failed;     /* stdout went away (a closed pipe) */
    int exit_code;
} runner;

static uint64_t tr_submit(void *ud, const worker_job *job)
{
    return worker_submit(ud, job);
}

static void tr_cancel(void *ud, uint64_t job)
{
    worker_cancel(ud, job);
}

static void write_out(runner *r, const char *text, size_t len)
{
    if (!len || r->out_failed)
        return;
    if (fwrite(text, 1, len, stdout) != len)
        r->out_failed = true;
    r->out_any = true;
    r->out_ends_nl = text[len - 1] == '\n';
}

/* --show-reasoning: the reasoning to stderr, as it comes; stdout keeps the answer alone. */
static void on_reasoning(void *ud, const char *text, size_t len)
{
    runner *r = ud;
    if (!r->o->show_reasoning || !len)
        return;
    if (!r->reasoning_open && r->err_dim)
        fputs("\033[2m", stderr);
    r->reasoning_open = true;
    fwrite(text, 1, len, stderr);
    r->reasoning_nl = text[len - 1] == '\n';
}

/* The reasoning's end: its own line, and the terminal's attributes as they were. */
static void end_reasoning(runner *r)
{
    if (!r->reasoning_open)
        return;
    r->reasoning_open = false;
    if (r->err_dim)
        fputs("\033[0m", stderr);
    if (!r->reasoning_nl)
        fputc('\n', stderr);
    fflush(stderr);
}

static void on_content(void *ud, const char *text, size_t len)
{
    end_reasoning(ud);
    write_out(ud, text, len);
}

static void clear_countdown(runner *r)
{
    if (r->countdown_shown) {
        fputs("\r\033[K", stderr);
        r->countdown_shown = false;
    }
}

/* Ends the reply's line so that what stderr says next starts on its own line. */
static void end_reply_line(runner *r)
{
    if (r->out_any && !r->out_ends_nl) {
        write_out(r, "\n", 1);
    }
    fflush(stdout);
}

static void print_countdown(runner *r, int64_t now)
{
    const session *s = &r->s;
    buf line;
    buf_init(&line);
    explain_retrying(&line, &r->cx, session_next_timeout(s, now), NULL,
                     session_attempt_number(s) + 1, session_attempts_max(s), &s->last_decision);
    if (r->err_tty) {
        /* Redrawn in place: a line wider than the terminal would wrap, and every redraw
         * would then leave a line behind. The width is asked each time (a resize). */
        struct winsize ws;
        size_t len = line.len;
        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 3)
            len = width_fit(buf_str(&line), line.len, ws.ws_col - 3); /* 2 indent, 1 spare */
        fprintf(stderr, "\r\033[K  %.*s", (int)len, buf_str(&line));
        r->countdown_shown = true;
    } else {
        fprintf(stderr, "tchat: %s\n", buf_str(&line));
    }
    fflush(stderr);
    buf_free(&line);
}

static void on_failed(void *ud, const failure *f, const retry_decision *d, int attempt,
                      int attempts_max)
{
    runner *r = ud;
    end_reasoning(r);
    end_reply_line(r);
    clear_countdown(r);
    int code = explain_exit_code(f);
    if (d->verdict != RETRY_YES)
        r->exit_code = code;
    if (r->o->json_errors) {
        buf j;
        buf_init(&j);
        explain_json(&j, &r->cx, f, d, attempt, attempts_max, code);
        fprintf(stderr, "%s\n", buf_str(&j));
        buf_free(&j);
        return;
    }
    buf t;
    buf_init(&t);
    if (d->verdict == RETRY_YES) {
        explain_title(&t, &r->cx, f);
        if (f->err_message && *f->err_message) {
            buf_puts(&t, ": ");
            explain_put_text(&t, f->err_message, "  ");
        }
        fprintf(stderr, "tchat: %s\n", buf_str(&t));
        buf_free(&t);
        print_countdown(r, clock_mono_ms());
        return;
    }
    if (f->entry == GUIDE_CANCELLED) {
        /* A reader that stopped reading (| head) is no interruption worth a word. */
        if (!r->out_failed)
            fprintf(stderr, "tchat: %s\n", guide_str(r->cx.lang, "interrupted"));
        buf_free(&t);
        return;
    }
    explain_text(&t, &r->cx, f, d);
    if (f->entry == GUIDE_NO_KEY) {
        /* Where this profile's key may come from: its variable, if it has one. */
        buf_puts(&t, "  ");
        char *path = config_default_path(NULL);
        const char *var = r->cx.key_env;
        if (var && !strcmp(var, "OPENAI_API_KEY"))
            buf_fill(&t, guide_str(r->cx.lang, "no_key_how"), 1, path);
        else if (var)
            buf_fill(&t, guide_str(r->cx.lang, "no_key_how_var"), 2, var, path);
        else
            buf_fill(&t, guide_str(r->cx.lang, "no_key_how_novar"), 1, path);
        free(path);
        buf_putc(&t, '\n');
    }
    if (r->out_any) /* reasoning alone is no reply printed above */
        buf_printf(&t, "  %s\n", guide_str(r->cx.lang, "partial_kept"));
    fprintf(stderr, "tchat: %s", buf_str(&t));
    buf_free(&t);
}

/* allow_insecure_http let the key go over plain http://: said once, before the request. */
static void on_key_in_clear(void *ud, const char *host)
{
    runner *r = ud;
    buf t;
    buf_init(&t);
    buf_fill(&t, guide_str(r->cx.lang, "key_in_clear"), 1, host);
    if (r->o->json_errors) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "warning", "key-in-clear");
        cJSON_AddStringToObject(o, "message", buf_str(&t));
        char *j = cJSON_PrintUnformatted(o);
        fprintf(stderr, "%s\n", j);
        cJSON_free(j);
        cJSON_Delete(o);
    } else {
        fprintf(stderr, "tchat: %s\n", buf_str(&t));
    }
    buf_free(&t);
}

static void report_finish(runner *r)
{
    const session *s = &r->s;
    if (!s->nmsgs || s->msgs[s->nmsgs - 1].role != API_ROLE_ASSISTANT)
        return;
    const char *fin = s->msgs[s->nmsgs - 1].finish_reason;
    if (!fin)
        return;
    const char *key = strcmp(fin, "length") == 0           ? "cut_by_length"
                      : strcmp(fin, "content_filter") == 0 ? "content_filter"
                                                           : NULL;
    if (key && !r->o->json_errors)
        fprintf(stderr, "tchat: %s\n", guide_str(r->cx.lang, key));
}

/* -c or --resume: the conversation the turn joins (a new one when none was found). A
 * conversation open in another window is continued in a copy, and stderr says so. */
static int open_conversation(const oneshot_opts *o, const config *c, session *s, convo **cv)
{
    if (!o->convo_path) {
        *cv = convo_new(o->convo_dir, cfg_profile_name(c), cfg_str(c, OPT_MODEL));
        return 0;
    }
    char err[1024], *from = NULL;
    *cv = convo_open(o->convo_path, s, &from, err, sizeof err);
    if (!*cv) {
        fprintf(stderr, "tchat: %s\n", err);
        return -1;
    }
    if (from) {
        fprintf(stderr, "tchat: conversation %s is open in another tchat window; this turn "
                        "continues in a copy, %s\n",
                from, convo_id(*cv));
        free(from);
    }
    return 0;
}

static void drain(runner *r)
{
    worker_event *ev = worker_drain(r->w);
    while (ev) {
        worker_event *next = ev->next;
        session_handle(&r->s, ev, clock_mono_ms());
        worker_event_free(ev);
        ev = next;
    }
    if (!r->out_failed && fflush(stdout) != 0)
        r->out_failed = true;
}

int oneshot_run(const oneshot_opts *o, const config *c)
{
    runner r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.exit_code = 0;
    r.err_tty = isatty(STDERR_FILENO) && !o->json_errors;
    r.err_dim = r.err_tty && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
    r.cx.lang = o->lang;
    explain_ctx_from_config(&r.cx, c);
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    int sigfd = sigwake_install(sigs, sizeof sigs / sizeof sigs[0]);
    if (sigfd < 0) {
        perror("tchat: pipe");
        return 1;
    }
    char err[256];
    r.w = worker_new(err, sizeof err);
    if (!r.w) {
        fprintf(stderr, "tchat: %s\n", err);
        return 1;
    }
    session_transport tr = {tr_submit, tr_cancel, r.w};
    session_observer obs = {
        .content = on_content,
        .refusal = on_content,
        .reasoning = on_reasoning,
        .failed = on_failed,
        .key_in_clear = on_key_in_clear,
        .ud = &r,
    };
    session_init(&r.s, &tr, &obs);
    session_configure(&r.s, c);
    convo *cv = NULL;
    if (o->convo_dir && open_conversation(o, c, &r.s, &cv) != 0) {
        session_done(&r.s);
        worker_free(r.w);
        explain_ctx_done(&r.cx);
        sigwake_close();
        return 2;
    }
    /* Without a conversation to save, the reply is not kept: memory stays flat. */
    r.s.stream_only = !cv;
    session_submit(&r.s, o->prompt, clock_mono_ms());
    if (cv) {
        /* The prompt is on disk before the reply begins. */
        convo_save(cv, &r.s);
        convo_flush(cv);
    }

    bool interrupted = false;
    while (session_busy(&r.s)) {
        int64_t now = clock_mono_ms();
        int64_t timeout = session_next_timeout(&r.s, now);
        /* The countdown ticks ten times a second, on a terminal only. */
        if (r.s.state == SESSION_WAITING && r.err_tty && (timeout < 0 || timeout > 100))
            timeout = 100;
        struct pollfd fds[2] = {
            {.fd = worker_wake_fd(r.w), .events = POLLIN},
            {.fd = sigfd, .events = POLLIN},
        };
        int n = poll(fds, 2, timeout < 0 ? -1 : (int)timeout);
        if (n < 0 && errno != EINTR)
            break;
        sigwake_drain();
        if (sigwake_take_any(sigs, sizeof sigs / sizeof sigs[0])) {
            interrupted = true;
            session_cancel(&r.s, clock_mono_ms());
            break;
        }
        drain(&r);
        if (r.out_failed) {
            session_cancel(&r.s, clock_mono_ms());
            break;
        }
        now = clock_mono_ms();
        session_tick(&r.s, now);
        if (r.s.state == SESSION_WAITING && r.err_tty)
            print_countdown(&r, now);
    }
    clear_countdown(&r);
    end_reasoning(&r);

    int code = r.exit_code;
    if (interrupted)
        code = 130;
    else if (r.out_failed)
        code = 1;
    else if (r.s.state == SESSION_IDLE) {
        end_reply_line(&r);
        report_finish(&r);
        code = 0;
    }
    fflush(stdout);
    if (cv) {
        convo_save(cv, &r.s);
        char cerr[600];
        if (convo_close(cv, cerr, sizeof cerr) != 0) {
            fprintf(stderr, "tchat: %s: this turn is not on disk\n", cerr);
            if (code == 0)
                code = 1;
        }
    }
    session_done(&r.s);
    worker_free(r.w);
    explain_ctx_done(&r.cx);
    sigwake_close();
    return code;
}
