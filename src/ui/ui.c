/* The UI loop: one poll() on the terminal, the worker's wake fd and a signal
 * pipe, with the timeout set to the next timer (none when idle). Key handlers
 * change state and mark what is dirty; the loop redraws once per turn. */
#include "ui.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "api.h"
#include "app.h"
#include "config.h"
#include "convo.h"
#include "report.h"
#include "settings.h"
#include "sigpipe.h"

enum {
    FRAME_MS = 16,                 /* ~60 frames a second while streaming */
    STATUS_PAGE_INTERVAL_MS = 60000,
    KEY_PASTE_BEGIN = KEY_MAX + 1, /* bracketed paste, via define_key */
    KEY_PASTE_END = KEY_MAX + 2,
};

/* ---- text helpers ---- */

int put_text(WINDOW *w, int y, int x, const char *s, size_t len, int maxcols, unsigned long attr)
{
    if (maxcols <= 0 || y < 0 || y >= getmaxy(w) || x >= getmaxx(w))
        return 0;
    size_t n = 0;
    int cols = 0;
    while (n < len) {
        int c;
        size_t used = render_char(s + n, len - n, &c);
        if (cols + c > maxcols || s[n] == '\n')
            break;
        cols += c;
        n += used;
    }
    wattrset(w, (attr_t)attr);
    mvwaddnstr(w, y, x, s, (int)n);
    wattrset(w, A_NORMAL);
    return cols;
}

void app_notice(app *a, bool error, const char *fmt, ...)
{
    free(a->notice);
    va_list ap;
    va_start(ap, fmt);
    a->notice = xvasprintf(fmt, ap);
    va_end(ap);
    a->notice_is_error = error;
    a->dirty |= DIRTY_PANEL | DIRTY_LAYOUT;
}

static void clear_notice(app *a)
{
    if (a->notice) {
        free(a->notice);
        a->notice = NULL;
        a->dirty |= DIRTY_PANEL | DIRTY_LAYOUT;
    }
}

static const char *S(const app *a, const char *key)
{
    return guide_str(a->cx.lang, key);
}

/* ---- the worker and the session ---- */

static uint64_t tr_submit(void *ud, const worker_job *job)
{
    return worker_submit(ud, job);
}

static void tr_cancel(void *ud, uint64_t job)
{
    worker_cancel(ud, job);
}

static bool wants_status_page(guide_entry e)
{
    switch (e) {
    case GUIDE_SERVER_ERROR:
    case GUIDE_OVERLOADED:
    case GUIDE_GATEWAY:
    case GUIDE_TIMEOUT:
    case GUIDE_DNS:
    case GUIDE_CONNECT_REFUSED:
    case GUIDE_CONNECTION:
    case GUIDE_STREAM_INTERRUPTED:
        return true;
    default:
        return false;
    }
}

/* Fetches {status_url}/api/v2/status.json in the background, at most once a minute. */
static void fetch_status_page(app *a, bool force)
{
    const char *base = cfg_str(a->cfg, OPT_STATUS_URL);
    if (!base || !*base || a->status_job || !cfg_bool(a->cfg, OPT_STATUS_POLL))
        return;
    int64_t now = clock_mono_ms();
    if (!force && a->status_fetched_ms && now - a->status_fetched_ms < STATUS_PAGE_INTERVAL_MS)
        return;
    size_t len = strlen(base);
    char *url = xasprintf("%s%sapi/v2/status.json", base, len && base[len - 1] == '/' ? "" : "/");
    worker_job job = {
        .kind = JOB_STATUS,
        .url = url,
        .ca_bundle = cfg_str(a->cfg, OPT_CA_BUNDLE),
        .connect_timeout_s = cfg_double(a->cfg, OPT_CONNECT_TIMEOUT),
        .idle_timeout_s = 10,
    };
    a->status_fetched_ms = now;
    a->status_job = worker_submit(a->w, &job);
    free(url);
}

static void on_status_page(app *a, const worker_event *ev)
{
    a->status_job = 0;
    free(a->status_text);
    a->status_text = NULL;
    a->status_unknown = true;
    char *indicator = NULL, *desc = NULL;
    if (ev->kind == WEV_DONE &&
        api_parse_status_page(buf_str(&ev->body), ev->body.len, &indicator, &desc) == 0) {
        /* "status.openai.com: Partial System Outage" */
        const char *host = strstr(a->cx.status_url, "://");
        host = host ? host + 3 : a->cx.status_url;
        size_t hl = strcspn(host, "/");
        a->status_text = xasprintf("%.*s: %s", (int)hl, host, desc && *desc ? desc : indicator);
        a->status_unknown = false;
    }
    free(indicator);
    free(desc);
    a->dirty |= DIRTY_PANEL | DIRTY_LAYOUT;
}

static void on_failed(void *ud, const failure *f, const retry_decision *d, int attempt,
                      int attempts_max)
{
    app *a = ud;
    (void)attempt;
    (void)attempts_max;
    if (f->entry != GUIDE_CANCELLED) {
        if (a->nerrors == a->caperrors) {
            a->caperrors = a->caperrors ? a->caperrors * 2 : 16;
            a->errors = xrealloc_array(a->errors, a->caperrors, sizeof *a->errors);
        }
        error_record *e = &a->errors[a->nerrors++];
        buf t;
        buf_init(&t);
        explain_title(&t, &a->cx, f);
        e->wall_ms = a->s.wall_clock();
        e->entry = f->entry;
        e->status = f->status;
        e->title = buf_steal(&t);
        e->message = xstrdup(f->err_message ? f->err_message : f->html_title);
        e->request_id = xstrdup(f->request_id);
        e->retried = d->verdict == RETRY_YES;
    }
    if (wants_status_page(f->entry))
        fetch_status_page(a, false);
    a->dirty |= DIRTY_ALL;
}

/* Every change worth keeping goes to disk at once (by the saver thread). */
static void save_conversation(app *a)
{
    if (!a->cv)
        return;
    convo_save(a->cv, &a->s);
    char err[512];
    if (convo_last_error(a->cv, err, sizeof err))
        app_notice(a, true, "%s", err);
}

static void on_state(void *ud, session_state from, session_state to)
{
    app *a = ud;
    (void)from;
    /* A demo scenario lasts one request (with its retries); F5 then asks normally. */
    if (a->demo_active && (to == SESSION_IDLE || to == SESSION_FAILED)) {
        a->demo_active = false;
        session_configure(&a->s, a->cfg);
    }
    save_conversation(a);
    a->dirty |= DIRTY_ALL;
}

static void drain_events(app *a)
{
    worker_event *ev = worker_drain(a->w);
    while (ev) {
        worker_event *next = ev->next;
        if (ev->job == a->status_job && ev->job_kind == JOB_STATUS) {
            if (ev->kind == WEV_DONE || ev->kind == WEV_FAILED)
                on_status_page(a, ev);
        } else if (settings_owns_job(a, ev->job)) {
            settings_on_event(a, ev);
        } else {
            session_handle(&a->s, ev, clock_mono_ms());
            if (ev->kind == WEV_CONTENT || ev->kind == WEV_REFUSAL) {
                a->frame_pending = true;
                a->dirty |= DIRTY_CONV;
            } else {
                a->dirty |= DIRTY_ALL;
            }
        }
        worker_event_free(ev);
        ev = next;
    }
}

/* ---- commands ---- */

typedef struct command {
    const char *name;
    void (*run)(app *a, const char *arg);
} command;

static void cmd_help(app *a, const char *arg)
{
    (void)arg;
    a->overlay = OVERLAY_HELP;
    a->overlay_scroll = 0;
    a->dirty |= DIRTY_CONV;
}

static void cmd_settings(app *a, const char *arg)
{
    (void)arg;
    if (session_busy(&a->s)) {
        app_notice(a, true, "%s", S(a, "ui.busy"));
        return;
    }
    settings_open(a, false);
}

static void cmd_retry(app *a, const char *arg)
{
    (void)arg;
    if (session_retry_now(&a->s, clock_mono_ms()) != 0)
        app_notice(a, true, "%s", S(a, "ui.nothing_to_retry"));
    a->scroll = 0;
}

static void cmd_cancel(app *a, const char *arg)
{
    (void)arg;
    if (!session_busy(&a->s))
        app_notice(a, false, "%s", S(a, "ui.nothing_to_cancel"));
    session_cancel(&a->s, clock_mono_ms());
}

static void cmd_new(app *a, const char *arg)
{
    (void)arg;
    if (session_busy(&a->s)) {
        app_notice(a, true, "%s", S(a, "ui.busy"));
        return;
    }
    session_clear(&a->s);
    if (a->cv) {
        convo_free(a->cv);
        a->cv = convo_new(a->convo_dir, cfg_profile_name(a->cfg), a->s.p.model);
    }
    a->scroll = 0;
    a->dirty |= DIRTY_ALL;
}

static void set_option(app *a, opt_id id, const char *arg, const char *usage)
{
    if (!arg || !*arg) {
        app_notice(a, true, "%s", usage);
        return;
    }
    char err[256];
    if (config_set(a->cfg, id, arg, SRC_FLAG, err, sizeof err) != 0) {
        app_notice(a, true, "%s", err);
        return;
    }
    session_configure(&a->s, a->cfg);
    app_notice(a, false, "%s = %s", opt_get_def(id)->key, arg);
    a->dirty |= DIRTY_ALL;
}

static void cmd_model(app *a, const char *arg)
{
    set_option(a, OPT_MODEL, arg, "/model NAME");
    if (a->cv)
        convo_set_model(a->cv, cfg_profile_name(a->cfg), a->s.p.model);
}

static void cmd_system(app *a, const char *arg)
{
    set_option(a, OPT_SYSTEM, arg ? arg : "", "/system TEXT");
}

static void apply_theme(app *a);

void app_config_changed(app *a)
{
    session_configure(&a->s, a->cfg);
    explain_ctx_from_config(&a->cx, a->cfg);
    const char *lang = cfg_str(a->cfg, OPT_LANG);
    guide_lang l;
    if (lang && *lang && guide_lang_parse(lang, &l))
        a->cx.lang = l;
    apply_theme(a);
    a->code_wrap = cfg_bool(a->cfg, OPT_CODE_WRAP);
    free(a->status_text);
    a->status_text = NULL;
    a->status_unknown = false;
    a->status_fetched_ms = 0;
    a->dirty |= DIRTY_ALL;
}

void app_reload_config(app *a)
{
    if (!a->load_args)
        return;
    config fresh;
    char err[1024];
    if (config_load(&fresh, a->load_args, err, sizeof err) != 0) {
        app_notice(a, true, "%s", err);
        return;
    }
    config_free(a->cfg);
    *a->cfg = fresh;
    app_config_changed(a);
}

static void cmd_profile(app *a, const char *arg)
{
    if (!arg || !*arg) {
        buf b;
        buf_init(&b);
        for (size_t i = 0; i < a->cfg->nprofiles; i++)
            buf_printf(&b, "%s%s%s", i ? ", " : "", a->cfg->profiles[i].name,
                       i == a->cfg->current ? " *" : "");
        app_notice(a, false, "/profile NAME · %s", buf_str(&b));
        buf_free(&b);
        return;
    }
    if (session_busy(&a->s)) {
        app_notice(a, true, "%s", S(a, "ui.busy"));
        return;
    }
    for (size_t i = 0; i < a->cfg->nprofiles; i++) {
        if (strcmp(a->cfg->profiles[i].name, arg) == 0) {
            char err[512];
            if (config_profile_select(a->cfg, i, err, sizeof err) != 0) {
                app_notice(a, true, "%s", err);
                return;
            }
            app_config_changed(a);
            app_notice(a, false, "profile %s · %s", arg, cfg_str(a->cfg, OPT_BASE_URL));
            return;
        }
    }
    app_notice(a, true, "no profile \"%s\"", arg);
}

static void cmd_theme(app *a, const char *arg)
{
    if (!arg || !*arg) {
        char **names;
        size_t n = theme_list(&names);
        buf b;
        buf_init(&b);
        for (size_t i = 0; i < n; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
        theme_free_names(names, n);
        app_notice(a, false, "/theme NAME · %s", buf_str(&b));
        buf_free(&b);
        return;
    }
    char err[512];
    theme t;
    if (theme_load(arg, &t, err, sizeof err) != 0) {
        app_notice(a, true, "%s", err);
        return;
    }
    a->th = t;
    theme_apply(&a->th, a->no_color);
    app_notice(a, false, "theme %s", arg);
    a->dirty |= DIRTY_ALL;
}

/* The theme the configuration names, if it differs from the one in use. */
static void apply_theme(app *a)
{
    const char *name = cfg_str(a->cfg, OPT_THEME);
    if (!name || !*name || strcmp(name, a->th.name) == 0)
        return;
    char err[512];
    theme t;
    if (theme_load(name, &t, err, sizeof err) != 0)
        app_notice(a, true, "%s", err);
    a->th = t;
    if (a->title) /* curses is up */
        theme_apply(&a->th, a->no_color);
}

static void cmd_lang(app *a, const char *arg)
{
    guide_lang l;
    if (!arg || !guide_lang_parse(arg, &l)) {
        app_notice(a, true, "/lang en|zh_CN");
        return;
    }
    a->cx.lang = l;
    app_notice(a, false, "lang %s", guide_lang_code(l));
    a->dirty |= DIRTY_ALL;
}

static void write_report(app *a)
{
    if (!a->s.has_failure && !a->s.nattempts) {
        app_notice(a, true, "%s", S(a, "ui.no_report"));
        return;
    }
    char err[512], *path = NULL;
    if (report_write(&a->s, &a->cx, cfg_profile_name(a->cfg), NULL, &path, err, sizeof err) != 0) {
        app_notice(a, true, "%s", err);
        return;
    }
    free(a->last_report);
    a->last_report = path;
    app_notice(a, false, "%s: %s", S(a, "ui.report_written"), path);
}

static void cmd_report(app *a, const char *arg)
{
    (void)arg;
    write_report(a);
}

static void cmd_status(app *a, const char *arg)
{
    (void)arg;
    const char *url = cfg_str(a->cfg, OPT_STATUS_URL);
    if (!url || !*url) {
        app_notice(a, true, "%s", S(a, "ui.no_status_url"));
        return;
    }
    fetch_status_page(a, true);
    app_notice(a, false, "%s %s%s%s", S(a, "status_page"), url, a->status_text ? " · " : "",
               a->status_text ? a->status_text : "");
}

static void cmd_errors(app *a, const char *arg)
{
    (void)arg;
    a->overlay = OVERLAY_ERRORS;
    a->overlay_scroll = 0;
    a->dirty |= DIRTY_CONV;
}

static void cmd_export(app *a, const char *arg)
{
    if (!arg || !*arg) {
        app_notice(a, true, "/export FILE");
        return;
    }
    if (!a->s.nmsgs) {
        app_notice(a, true, "%s", S(a, "ui.export_empty"));
        return;
    }
    /* ~/ is the user's home, as in a shell. */
    char *path = arg[0] == '~' && arg[1] == '/' && getenv("HOME")
                     ? xasprintf("%s%s", getenv("HOME"), arg + 1)
                     : xstrdup(arg);
    char err[512];
    if (convo_export_markdown(&a->s, a->cv ? convo_title(a->cv) : NULL, path, err, sizeof err) != 0)
        app_notice(a, true, "%s", err);
    else
        app_notice(a, false, "%s %s", S(a, "ui.exported"), path);
    free(path);
}

static const char *const demo_names[] = {
    "401", "401-key", "401-org", "429", "429-quota", "429-overloaded",
    "503", "500", "502", "drop", "timeout", "400-context",
};

static void cmd_demo(app *a, const char *arg)
{
    if (!a->demo) {
        app_notice(a, true, "%s", S(a, "ui.demo_only"));
        return;
    }
    buf names;
    buf_init(&names);
    for (size_t i = 0; i < sizeof demo_names / sizeof demo_names[0]; i++) {
        if (arg && strcmp(arg, demo_names[i]) == 0) {
            free(a->demo_model);
            /* Each /demo gets its own step counter in the mock (the #N), so that a
             * sequence such as "429, then a reply" starts again from its first step. */
            a->demo_model = xasprintf("mock-demo-%s#%u", arg, ++a->demo_count);
            app_notice(a, false, "%s /demo %s", S(a, "ui.demo_next"), arg);
            buf_free(&names);
            return;
        }
        buf_printf(&names, "%s%s", i ? " " : "", demo_names[i]);
    }
    app_notice(a, !!arg, "/demo %s", buf_str(&names));
    buf_free(&names);
}

static void cmd_quit(app *a, const char *arg)
{
    (void)arg;
    a->quit = true;
}

static const command commands[] = {
    {"/help", cmd_help},       {"/settings", cmd_settings}, {"/retry", cmd_retry},
    {"/cancel", cmd_cancel},   {"/new", cmd_new},           {"/model", cmd_model},
    {"/profile", cmd_profile}, {"/system", cmd_system},     {"/theme", cmd_theme},
    {"/lang", cmd_lang},       {"/export", cmd_export},     {"/report", cmd_report},
    {"/status", cmd_status},   {"/errors", cmd_errors},     {"/quit", cmd_quit},
    {"/demo", cmd_demo},
};

static void run_command(app *a, char *line)
{
    size_t n = strcspn(line, " \t");
    char *arg = line + n;
    while (*arg == ' ' || *arg == '\t')
        arg++;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strlen(commands[i].name) == n && strncmp(commands[i].name, line, n) == 0) {
            commands[i].run(a, *arg ? arg : NULL);
            return;
        }
    }
    app_notice(a, true, "%s: %.*s · /help", S(a, "ui.unknown_command"), (int)n, line);
}

static char *restore_line; /* put back into the input after readline resets it */

void app_submit_line(app *a, char *line)
{
    clear_notice(a);
    char *text = line;
    while (*text == ' ' || *text == '\t' || *text == '\n')
        text++;
    if (!*text) {
        free(line);
        return;
    }
    add_history(line);
    if (text[0] == '/' && text[1] != '/') {
        run_command(a, text);
        free(line);
        return;
    }
    if (text[0] == '/')
        text++; /* "//x" sends "/x" */
    if (session_busy(&a->s)) {
        app_notice(a, true, "%s", S(a, "ui.busy"));
        free(restore_line);
        restore_line = xstrdup(line);
        free(line);
        return;
    }
    if (a->demo_model) {
        free(a->s.p.model);
        a->s.p.model = a->demo_model;
        a->demo_model = NULL;
        a->demo_active = true;
    }
    session_submit(&a->s, text, clock_mono_ms());
    /* The prompt is on disk before it is shown: whatever happens next (kill -9, a crash,
     * the power), a prompt seen in the conversation is not lost. */
    char err[512];
    if (a->cv && convo_flush(a->cv) != 0 && convo_last_error(a->cv, err, sizeof err))
        app_notice(a, true, "%s", err);
    a->scroll = 0;
    a->overlay = OVERLAY_NONE;
    a->dirty |= DIRTY_ALL;
    free(line);
}

/* Tab completes commands. */
static char *command_generator(const char *text, int state)
{
    static size_t i, len;
    if (!state) {
        i = 0;
        len = strlen(text);
    }
    while (i < sizeof commands / sizeof commands[0]) {
        const char *name = commands[i++].name;
        if (strncmp(name, text, len) == 0)
            return strdup(name);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    if (start != 0 || text[0] != '/')
        return NULL;
    return rl_completion_matches(text, command_generator);
}

static app *g_app_for_matches;

static void show_matches(char **matches, int n, int longest)
{
    (void)longest;
    buf b;
    buf_init(&b);
    for (int i = 1; i <= n; i++)
        buf_printf(&b, "%s%s", i > 1 ? "  " : "", matches[i]);
    app_notice(g_app_for_matches, false, "%s", buf_str(&b));
    buf_free(&b);
}

/* ---- keys ---- */

static void feed_seq(const char *seq)
{
    for (const char *p = seq; *p; p++)
        rl_bridge_feed((unsigned char)*p);
}

static void toggle_overlay(app *a, overlay_kind k)
{
    a->overlay = a->overlay == k ? OVERLAY_NONE : k;
    a->overlay_scroll = 0;
    a->dirty |= DIRTY_CONV;
}

static void handle_paste(app *a)
{
    /* Everything up to the end marker is text, newlines included. */
    buf b;
    buf_init(&b);
    int ch;
    int64_t deadline = clock_mono_ms() + 2000;
    for (;;) {
        ch = wgetch(a->input);
        if (ch == KEY_PASTE_END)
            break;
        if (ch == ERR) {
            if (clock_mono_ms() > deadline)
                break;
            struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
            poll(&pfd, 1, 50);
            continue;
        }
        if (ch == '\r')
            ch = '\n';
        if (ch >= 0 && ch < 256 && (ch >= 32 || ch == '\n' || ch == '\t'))
            buf_putc(&b, (char)ch);
    }
    if (b.len)
        rl_bridge_insert(buf_str(&b));
    buf_free(&b);
}

static void handle_key(app *a, int ch)
{
    int64_t now = clock_mono_ms();
    if (a->settings_open) {
        if (ch == 27) {
            /* The form has no use for Alt: Esc is Esc, and a key typed right
             * after it is a key of its own. */
            nodelay(a->input, TRUE);
            int next = wgetch(a->input);
            if (next != ERR)
                ungetch(next);
        }
        settings_key(a, ch);
        if (!a->settings_open)
            a->dirty |= DIRTY_ALL | DIRTY_LAYOUT;
        return;
    }
    if (a->overlay != OVERLAY_NONE) {
        switch (ch) {
        case KEY_PPAGE: a->overlay_scroll -= view_page(a); if (a->overlay_scroll < 0) a->overlay_scroll = 0; a->dirty |= DIRTY_CONV; return;
        case KEY_NPAGE: a->overlay_scroll += view_page(a); a->dirty |= DIRTY_CONV; return;
        case KEY_UP: if (a->overlay_scroll > 0) a->overlay_scroll--; a->dirty |= DIRTY_CONV; return;
        case KEY_DOWN: a->overlay_scroll++; a->dirty |= DIRTY_CONV; return;
        case 27:
        case 'q':
            a->overlay = OVERLAY_NONE;
            a->dirty |= DIRTY_CONV;
            return;
        default:
            break;
        }
    }
    switch (ch) {
    case KEY_F(1): toggle_overlay(a, OVERLAY_HELP); return;
    case KEY_F(2): cmd_settings(a, NULL); return;
    case KEY_F(5): clear_notice(a); cmd_retry(a, NULL); return;
    case KEY_F(6): a->panel_detail = !a->panel_detail; a->dirty |= DIRTY_ALL; return;
    case KEY_F(7): write_report(a); return;
    case KEY_F(8): toggle_overlay(a, OVERLAY_ERRORS); return;
    case KEY_PPAGE: view_scroll(a, view_page(a)); return;
    case KEY_NPAGE: view_scroll(a, -view_page(a)); return;
    case KEY_RESIZE: a->dirty |= DIRTY_ALL; return;
    case KEY_PASTE_BEGIN: handle_paste(a); return;
    case KEY_MOUSE: {
        MEVENT me;
        if (getmouse(&me) == OK) {
            if (me.bstate & BUTTON4_PRESSED)
                view_scroll(a, 3);
#ifdef BUTTON5_PRESSED
            else if (me.bstate & BUTTON5_PRESSED)
                view_scroll(a, -3);
#endif
        }
        return;
    }
    case KEY_UP: feed_seq("\033[A"); return;
    case KEY_DOWN: feed_seq("\033[B"); return;
    case KEY_RIGHT: feed_seq("\033[C"); return;
    case KEY_LEFT: feed_seq("\033[D"); return;
    case KEY_HOME: feed_seq("\033[H"); return;
    case KEY_END:
        if (a->scroll) {
            a->scroll = 0;
            a->dirty |= DIRTY_CONV;
        } else {
            feed_seq("\033[F");
        }
        return;
    case KEY_DC: feed_seq("\033[3~"); return;
    case KEY_BACKSPACE: rl_bridge_feed(127); return;
    case KEY_ENTER: ch = '\r'; break; /* the keypad's Enter sends, as Enter does */
    case 3: /* Ctrl-C */
        if (session_busy(&a->s))
            session_cancel(&a->s, now);
        else
            a->quit = true;
        return;
    case 27: {
        /* A lone Esc cancels; Esc followed at once by a key is Alt-key (readline's). */
        nodelay(a->input, TRUE);
        int next = wgetch(a->input);
        if (next == ERR) {
            if (session_busy(&a->s)) {
                session_cancel(&a->s, now);
                return;
            }
            if (a->notice) {
                clear_notice(a);
                return;
            }
            rl_bridge_feed(27);
            return;
        }
        rl_bridge_feed(27);
        if (next >= 0 && next < 256)
            rl_bridge_feed(next);
        return;
    }
    default:
        break;
    }
    if (ch >= 0 && ch < 256) {
        rl_bridge_feed(ch);
        if (restore_line) {
            rl_bridge_set_line(restore_line);
            free(restore_line);
            restore_line = NULL;
        }
        a->dirty |= DIRTY_INPUT;
    }
}

/* ---- layout and drawing ---- */

static void layout(app *a, int64_t now)
{
    getmaxyx(stdscr, a->rows, a->cols);
    int input_h = rl_bridge_lines(a, a->cols);
    int max_input = a->rows / 4 > 1 ? a->rows / 4 : 1;
    if (input_h > max_input)
        input_h = max_input;
    if (input_h < 1)
        input_h = 1;
    /* The panel is built only when it changed: a keystroke resizes the input alone. */
    int panel_h = a->panel_h && !(a->dirty & (DIRTY_PANEL | DIRTY_LAYOUT)) ? a->panel_h
                                                                          : panel_prepare(a, now);
    int conv_h = a->rows - 1 - panel_h - input_h;
    if (conv_h < 1) {
        panel_h -= 1 - conv_h;
        if (panel_h < 1)
            panel_h = 1;
        conv_h = a->rows - 1 - panel_h - input_h;
        if (conv_h < 0)
            conv_h = 0;
    }
    struct {
        WINDOW **w;
        int h, y;
    } spec[] = {
        {&a->title, 1, 0},
        {&a->conv, conv_h > 0 ? conv_h : 1, 1},
        {&a->panel, panel_h, 1 + conv_h},
        {&a->input, input_h, 1 + conv_h + panel_h},
    };
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        if (!*spec[i].w) {
            *spec[i].w = newwin(spec[i].h, a->cols, spec[i].y, 0);
        } else {
            wresize(*spec[i].w, spec[i].h, a->cols);
            mvwin(*spec[i].w, spec[i].y, 0);
        }
    }
    keypad(a->input, TRUE);
    nodelay(a->input, TRUE);
    a->panel_h = panel_h;
    a->input_h = input_h;
}

static void draw_settings(app *a)
{
    if (!a->form)
        a->form = newwin(a->rows - 1, a->cols, 1, 0);
    else if (getmaxy(a->form) != a->rows - 1 || getmaxx(a->form) != a->cols) {
        wresize(a->form, a->rows - 1, a->cols);
        mvwin(a->form, 1, 0);
    }
    title_draw(a);
    settings_draw(a);
}

static void draw(app *a, int64_t now)
{
    if (a->settings_open) {
        getmaxyx(stdscr, a->rows, a->cols);
        draw_settings(a);
        doupdate();
        a->dirty = 0;
        a->last_frame_ms = now;
        a->frame_pending = false;
        a->was_settings = true;
        return;
    }
    if (a->was_settings) {
        /* The form covered every window: paint them all again. */
        a->was_settings = false;
        curs_set(1);
        touchwin(a->title);
        touchwin(a->conv);
        touchwin(a->panel);
        touchwin(a->input);
        a->dirty |= DIRTY_ALL;
    }
    if (a->dirty & (DIRTY_LAYOUT | DIRTY_PANEL | DIRTY_INPUT)) {
        int old_panel = a->panel_h, old_input = a->input_h;
        layout(a, now);
        if (a->panel_h != old_panel || a->input_h != old_input || (a->dirty & DIRTY_LAYOUT))
            a->dirty |= DIRTY_ALL;
    }
    if (a->dirty & DIRTY_TITLE)
        title_draw(a);
    if (a->dirty & DIRTY_CONV) {
        if (a->overlay != OVERLAY_NONE)
            overlay_draw(a);
        else
            view_draw(a);
    }
    if (a->dirty & DIRTY_PANEL)
        panel_draw(a, now);
    /* The input is drawn last so the cursor ends up there. */
    rl_bridge_draw(a);
    doupdate();
    a->dirty = 0;
    a->last_frame_ms = now;
    a->frame_pending = false;
}

static void handle_resize(app *a)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    clearok(curscr, TRUE);
    a->dirty |= DIRTY_ALL;
}

/* ---- start and end ---- */

static int stderr_saved = -1;
static FILE *stderr_capture;

/* While curses runs, stderr goes to a file; it is printed after endwin. */
static void capture_stderr(void)
{
    stderr_capture = tmpfile();
    if (!stderr_capture)
        return;
    fflush(stderr);
    stderr_saved = dup(STDERR_FILENO);
    dup2(fileno(stderr_capture), STDERR_FILENO);
}

static void release_stderr(void)
{
    if (stderr_saved < 0)
        return;
    fflush(stderr);
    dup2(stderr_saved, STDERR_FILENO);
    close(stderr_saved);
    stderr_saved = -1;
    rewind(stderr_capture);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stderr_capture)) > 0)
        fwrite(chunk, 1, n, stderr);
    fclose(stderr_capture);
    stderr_capture = NULL;
}

static bool curses_up;

/* A crash must not leave the terminal in raw mode on the alternate screen.
 * Only async-signal-safe calls here; then the previous handler (the default,
 * or a sanitizer's) runs as if we had not been there. */
static struct termios saved_termios;
static bool have_saved_termios;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static struct sigaction previous_fatal[sizeof fatal_signals / sizeof fatal_signals[0]];

static void on_fatal(int sig)
{
    static const char reset[] = "\033[?2004l\033[0m\033[?25h\033[?1049l\r\n";
    if (have_saved_termios)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    if (write(STDOUT_FILENO, reset, sizeof reset - 1) < 0) {
        /* Nothing more can be done for the terminal. */
    }
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous_fatal[i], NULL);
    raise(sig);
}

static void install_fatal_handlers(void)
{
    have_saved_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        sigaction(fatal_signals[i], &sa, &previous_fatal[i]);
}

static void restore_terminal(void)
{
    if (curses_up) {
        /* Bracketed paste off, then give the terminal back. */
        fputs("\033[?2004l", stdout);
        fflush(stdout);
        endwin();
        curses_up = false;
    }
    release_stderr();
}

static void free_app(app *a)
{
    view_free(a);
    settings_free(a);
    for (size_t i = 0; i < a->nerrors; i++) {
        free(a->errors[i].title);
        free(a->errors[i].message);
        free(a->errors[i].request_id);
    }
    free(a->errors);
    free(a->notice);
    free(a->status_text);
    free(a->last_report);
    free(a->demo_model);
    free(a->history_path);
    free(restore_line);
    restore_line = NULL;
}

/* The input history persists in $XDG_STATE_HOME/tchat/history (0600), capped. */
enum { HISTORY_MAX = 1000 };

static char *history_file(void)
{
    char *dir = xdg_path("XDG_STATE_HOME", ".local/state", "tchat");
    char err[256];
    if (!dir || dir_create(dir, err, sizeof err) != 0) {
        free(dir);
        return NULL;
    }
    char *path = xasprintf("%s/history", dir);
    free(dir);
    return path;
}

static void history_load(app *a)
{
    a->history_path = history_file();
    stifle_history(HISTORY_MAX);
    if (a->history_path)
        read_history(a->history_path);
    /* Up starts from the newest entry read. */
    using_history();
}

static void history_save(app *a)
{
    if (!a->history_path)
        return;
    /* Prompts are private: the file is created 0600. */
    int fd = open(a->history_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    if (write_history(a->history_path) == 0)
        history_truncate_file(a->history_path, HISTORY_MAX);
}

/* Reopens a conversation, or starts a new one; a file that does not load is
 * reported and left alone (a new conversation is started instead). */
static void open_conversation(app *a, const char *resume_path)
{
    if (!a->convo_dir)
        return;
    if (resume_path) {
        char err[1024];
        a->cv = convo_open(resume_path, &a->s, err, sizeof err);
        if (a->cv) {
            a->scroll = 0;
            return;
        }
        app_notice(a, true, "%s", err);
    }
    a->cv = convo_new(a->convo_dir, cfg_profile_name(a->cfg), a->s.p.model);
}

int ui_run(const ui_opts *o)
{
    app a;
    memset(&a, 0, sizeof a);
    a.cfg = o->cfg;
    a.load_args = o->load_args;
    a.code_wrap = cfg_bool(a.cfg, OPT_CODE_WRAP);
    a.cx.lang = o->lang;
    explain_ctx_from_config(&a.cx, a.cfg);
    a.exit_code = 0;
    a.no_color = getenv("NO_COLOR") && *getenv("NO_COLOR");

    char err[512];
    const char *theme_name = o->theme ? o->theme : cfg_str(a.cfg, OPT_THEME);
    bool theme_failed = theme_load(theme_name && *theme_name ? theme_name : "default", &a.th, err,
                                   sizeof err) != 0;

    static const int sigs[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT};
    int sigfd = sigpipe_install(sigs, sizeof sigs / sizeof sigs[0]);
    if (sigfd < 0) {
        perror("tchat: pipe");
        return 1;
    }
    a.w = worker_new(err, sizeof err);
    if (!a.w) {
        fprintf(stderr, "tchat: %s\n", err);
        return 1;
    }
    session_transport tr = {tr_submit, tr_cancel, a.w};
    session_observer obs = {.failed = on_failed, .state = on_state, .ud = &a};
    session_init(&a.s, &tr, &obs);
    session_configure(&a.s, a.cfg);

    install_fatal_handlers();
    capture_stderr();
    ESCDELAY = 25;
    if (!initscr()) {
        release_stderr();
        fprintf(stderr, "tchat: cannot initialise the terminal (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "");
        session_done(&a.s);
        worker_free(a.w);
        return 1;
    }
    curses_up = true;
    atexit(restore_terminal);
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(1);
    theme_apply(&a.th, a.no_color);
    mousemask(BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                  | BUTTON5_PRESSED
#endif
              ,
              NULL);
    mouseinterval(0);
    define_key("\033[200~", KEY_PASTE_BEGIN);
    define_key("\033[201~", KEY_PASTE_END);
    fputs("\033[?2004h", stdout);
    fflush(stdout);

    rl_bridge_init(&a);
    history_load(&a);
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    g_app_for_matches = &a;

    if (theme_failed)
        app_notice(&a, true, "%s", err);
    else if (a.cfg->warning)
        app_notice(&a, true, "%s", a.cfg->warning);
    a.convo_dir = o->convo_dir;
    a.demo = o->demo;
    open_conversation(&a, o->resume_path);
    /* First run: no key from any source and the endpoint needs one. */
    if (a.s.p.key_required && !*cfg_str(a.cfg, OPT_API_KEY))
        settings_open(&a, true);
    a.dirty = DIRTY_ALL;
    layout(&a, clock_mono_ms());

    while (!a.quit) {
        int64_t now = clock_mono_ms();
        if (a.dirty && !(a.frame_pending && !(a.dirty & ~DIRTY_CONV) &&
                         now - a.last_frame_ms < FRAME_MS))
            draw(&a, now);

        /* The timeout is the next timer: a frame, a retry, the countdown; none when idle. */
        int64_t timeout = -1;
        int64_t t = session_next_timeout(&a.s, now);
        if (t >= 0)
            timeout = t;
        t = panel_next_tick(&a, now);
        if (t >= 0 && (timeout < 0 || t < timeout))
            timeout = t;
        if (a.dirty) {
            t = FRAME_MS - (now - a.last_frame_ms);
            if (t < 0)
                t = 0;
            if (timeout < 0 || t < timeout)
                timeout = t;
        }
        struct pollfd fds[3] = {
            {.fd = STDIN_FILENO, .events = POLLIN},
            {.fd = worker_wake_fd(a.w), .events = POLLIN},
            {.fd = sigfd, .events = POLLIN},
        };
        int n = poll(fds, 3, timeout < 0 ? -1 : (int)(timeout > 60000 ? 60000 : timeout));
        if (n < 0 && errno != EINTR)
            break;
        if (fds[2].revents & POLLIN)
            sigpipe_drain();
        static const int ending[] = {SIGTERM, SIGHUP, SIGINT};
        if (sigpipe_take_any(ending, sizeof ending / sizeof ending[0])) {
            a.quit = true;
            break;
        }
        if (sigpipe_take(SIGWINCH))
            handle_resize(&a);
        if (fds[0].revents & (POLLHUP | POLLERR)) {
            a.quit = true;
            break;
        }
        if (fds[0].revents & POLLIN) {
            int ch;
            while (!a.quit && (ch = wgetch(a.input)) != ERR)
                handle_key(&a, ch);
        }
        if (fds[1].revents & POLLIN)
            drain_events(&a);
        now = clock_mono_ms();
        session_tick(&a.s, now);
        if (panel_next_tick(&a, now) >= 0 || a.s.state == SESSION_WAITING)
            a.dirty |= DIRTY_PANEL | DIRTY_TITLE;
    }

    if (session_busy(&a.s))
        session_cancel(&a.s, clock_mono_ms());
    history_save(&a);
    rl_bridge_done();
    restore_terminal();
    if (a.cv) {
        /* Everything on disk before tchat exits. */
        convo_free(a.cv);
        a.cv = NULL;
    }
    session_done(&a.s);
    worker_free(a.w);
    free_app(&a);
    sigpipe_close();
    return a.exit_code;
}
