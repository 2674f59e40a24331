#include "chat.h"

#include <readline/readline.h>
#include <readline/tilde.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "convo.h"
#include "draw.h"
#include "editor.h"
#include "input.h"
#include "models.h"
#include "panel.h"
#include "render.h"
#include "term.h"

const char *chat_str(const chat *c, const char *key)
{
    return guide_str(c->cx.lang, key);
}

unsigned chat_notice(chat *c, bool error, const char *fmt, ...)
{
    c->notice_is_save = false;
    c->notice_is_busy = false;
    free(c->notice);
    va_list ap;
    va_start(ap, fmt);
    c->notice = xvasprintf(fmt, ap);
    va_end(ap);
    c->notice_error = error;
    return UI_REDRAW_PANEL | UI_RELAYOUT;
}

unsigned chat_clear_notice(chat *c)
{
    c->notice_is_save = false;
    c->notice_is_busy = false;
    if (!c->notice)
        return 0;
    free(c->notice);
    c->notice = NULL;
    return UI_REDRAW_PANEL | UI_RELAYOUT;
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

static void on_failed(void *ud, const failure *f, const retry_decision *d, int attempt,
                      int attempts_max)
{
    chat *c = ud;
    (void)attempt;
    (void)attempts_max;
    errlog_add(&c->errors, &c->cx, f, d, c->s.wall_clock());
    if (statuspage_wanted(f->entry))
        statuspage_fetch(&c->sp, c->w, c->cfg, false, clock_mono_ms());
    c->pending |= UI_REDRAW_ALL;
}

/* allow_insecure_http let the key go over plain http://: said once, as a notice. */
static void on_key_in_clear(void *ud, const char *host)
{
    chat *c = ud;
    buf t;
    buf_init(&t);
    buf_fill(&t, chat_str(c, "key_in_clear"), 1, host);
    c->pending |= chat_notice(c, true, "%s", buf_str(&t));
    buf_free(&t);
}

enum {
    SAVE_CHECK_MS = 200,  /* a save is usually on disk by then */
    SAVE_RETRY_MS = 5000, /* a failed save (a full disk) is tried again this often */
};

void chat_save(chat *c)
{
    if (c->cv && convo_save(c->cv, &c->s) > 0 && !c->save_check_ms)
        c->save_check_ms = clock_mono_ms() + SAVE_CHECK_MS;
}

/* How the last save went: a failure is said (and tried again every few seconds until one
 * succeeds), a success takes the failure's notice away. */
static unsigned follow_saves(chat *c, int64_t now)
{
    if (!c->cv)
        return 0;
    unsigned f = 0;
    if (c->save_retry_ms && now >= c->save_retry_ms) {
        c->save_retry_ms = 0;
        chat_save(c);
    }
    if (!c->save_check_ms || now < c->save_check_ms)
        return 0;
    char err[512];
    int errnum = 0;
    int st = convo_save_status(c->cv, &errnum, err, sizeof err);
    if (st > 0) {
        c->save_check_ms = now + SAVE_CHECK_MS;
    } else if (st < 0) {
        c->save_check_ms = 0;
        c->save_retry_ms = now + SAVE_RETRY_MS;
        /* The reason first: a path can be longer than the panel is wide. */
        buf b;
        buf_init(&b);
        buf_fill(&b, chat_str(c, "ui.save_failed"), 2, errnum ? strerror(errnum) : err,
                 convo_path(c->cv));
        if (!c->notice_is_save || !c->notice || strcmp(c->notice, buf_str(&b)) != 0) {
            f |= chat_notice(c, true, "%s", buf_str(&b));
            c->notice_is_save = true;
        }
        buf_free(&b);
    } else {
        c->save_check_ms = 0;
        if (c->notice_is_save)
            f |= chat_clear_notice(c);
    }
    return f;
}

static void on_state(void *ud, session_state from, session_state to)
{
    chat *c = ud;
    (void)from;
    c->panel_tick_ms = 0; /* a new state: its clock (if any) is drawn at once */
    /* A demo scenario lasts one request (with its retries); F5 then asks normally. */
    if (c->demo_active && (to == SESSION_IDLE || to == SESSION_FAILED)) {
        c->demo_active = false;
        session_configure(&c->s, c->cfg);
    }
    /* The queue is seen to once the session function that changed the state has
     * returned (take_pending), never from inside it. */
    if (to == SESSION_IDLE || to == SESSION_FAILED) {
        c->queue_check = true;
        /* "A request is in progress" is stale once it is not. */
        if (c->notice_is_busy)
            chat_clear_notice(c);
    }
    chat_save(c);
    c->pending |= UI_REDRAW_ALL;
}

static unsigned follow_queue(chat *c);

/* What session callbacks asked for, and the queue's next step. Every path that drives the
 * session (a key, an event, a tick) ends here. */
static unsigned take_pending(chat *c)
{
    unsigned f = c->queue_check ? follow_queue(c) : 0;
    f |= c->pending;
    c->pending = 0;
    return f;
}

static unsigned chat_event(screen *sc, const worker_event *ev)
{
    chat *c = (chat *)sc;
    if (statuspage_take(&c->sp, ev, c->cx.status_url))
        return UI_REDRAW_PANEL | UI_RELAYOUT;
    session_handle(&c->s, ev, clock_mono_ms());
    bool text = ev->kind == WEV_CONTENT || ev->kind == WEV_REFUSAL || ev->kind == WEV_REASONING;
    unsigned f = text ? UI_FRAME | UI_REDRAW_CONV : UI_REDRAW_ALL;
    return f | take_pending(c);
}

static int64_t sooner(int64_t t, int64_t u)
{
    return u >= 0 && (t < 0 || u < t) ? u : t;
}

int64_t chat_next_timeout(const chat *c, int64_t now)
{
    int64_t t = sooner(session_next_timeout(&c->s, now), panel_next_tick(&c->s, now));
    if (c->save_check_ms)
        t = sooner(t, c->save_check_ms > now ? c->save_check_ms - now : 0);
    if (c->save_retry_ms)
        t = sooner(t, c->save_retry_ms > now ? c->save_retry_ms - now : 0);
    return t;
}

unsigned chat_tick(chat *c, int64_t now)
{
    session_tick(&c->s, now);
    unsigned f = take_pending(c) | follow_saves(c, now);
    /* The clocks on screen (a countdown's tenths, the seconds of a wait, "thinking… 12 s")
     * are redrawn when they change, not at every wake-up: a streamed delta or a keypress
     * keeps to its own frame. */
    int64_t tick = panel_next_tick(&c->s, now);
    if (tick < 0) {
        c->panel_tick_ms = 0;
    } else if (now >= c->panel_tick_ms) {
        c->panel_tick_ms = now + tick;
        f |= UI_REDRAW_PANEL | UI_REDRAW_TITLE;
        if (session_thinking(&c->s))
            f |= UI_REDRAW_CONV;
    }
    return f;
}

/* ---- configuration ---- */

/* The theme the configuration names, if it differs from the one in use. */
static void follow_theme(chat *c)
{
    const char *name = cfg_str(c->cfg, OPT_THEME);
    if (!name || !*name || strcmp(name, c->th.name) == 0)
        return;
    char err[512];
    theme t;
    if (theme_load(name, &t, err, sizeof err) != 0)
        chat_notice(c, true, "%s", err);
    c->th = t;
    theme_apply(&c->th, c->no_color);
}

void chat_config_changed(chat *c)
{
    session_configure(&c->s, c->cfg);
    explain_ctx_from_config(&c->cx, c->cfg);
    const char *lang = cfg_str(c->cfg, OPT_LANG);
    guide_lang l;
    if (lang && *lang && guide_lang_parse(lang, &l))
        c->cx.lang = l;
    follow_theme(c);
    c->view.code_wrap = cfg_bool(c->cfg, OPT_CODE_WRAP);
    statuspage_reset(&c->sp);
}

bool chat_needs_key(const chat *c)
{
    return c->s.p.key_required && !*cfg_str(c->cfg, OPT_API_KEY);
}

/* ---- input ---- */

/* The command name[0..n) names, if it can run. */
static const ui_command *command_named(const chat *c, const char *name, size_t n)
{
    for (size_t i = 0; i < c->ncmds; i++) {
        const ui_command *cmd = &c->cmds[i];
        if (cmd->name && cmd->run && strlen(cmd->name) == n && strncmp(cmd->name, name, n) == 0)
            return cmd;
    }
    return NULL;
}

/* ---- sending, and the queue ---- */

/* Sends text as the next prompt (the session is not busy). */
static unsigned send_prompt(chat *c, const char *text)
{
    unsigned f = 0;
    if (c->demo_model) {
        free(c->s.p.model);
        c->s.p.model = c->demo_model;
        c->demo_model = NULL;
        /* Until the demo ends session_configure puts the profile's own back. */
        if (c->demo_provider)
            c->s.p.provider = c->demo_provider;
        c->demo_active = true;
    }
    session_submit(&c->s, text, clock_mono_ms());
    /* The prompt is on disk before it is shown: whatever happens next (kill -9, a crash,
     * the power), a prompt seen in the conversation is not lost. */
    if (c->cv && convo_flush(c->cv) != 0) {
        c->save_check_ms = clock_mono_ms(); /* say so now */
        f |= follow_saves(c, c->save_check_ms);
    }
    view_follow(&c->view);
    return f | UI_REDRAW_ALL;
}

static void queue_push(chat *c, const char *text)
{
    c->queue = xrealloc_array(c->queue, c->nqueue + 1, sizeof *c->queue);
    c->queue[c->nqueue++] = xstrdup(text);
}

/* Every queued message back into the input line, before what is being typed there, one
 * after the other on lines of their own: nothing typed is lost. */
static unsigned queue_return(chat *c)
{
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < c->nqueue; i++) {
        /* The line would run as a command: "//" sends it as it was. */
        if (i == 0 && c->queue[i][0] == '/')
            buf_putc(&b, '/');
        buf_printf(&b, "%s%s", i ? "\n" : "", c->queue[i]);
        free(c->queue[i]);
    }
    c->nqueue = 0;
    input_prepend(buf_str(&b));
    buf_free(&b);
    return chat_notice(c, false, "%s", chat_str(c, "ui.queue_returned")) | UI_REDRAW_INPUT;
}

/* The session became idle or failed. After a reply the oldest queued message is sent (the
 * next one waits for its reply); after a failure or a cancel the queue goes back into the
 * input line. A send that fails at once returns the rest. */
static unsigned follow_queue(chat *c)
{
    unsigned f = 0;
    while (c->queue_check) {
        c->queue_check = false;
        if (!c->nqueue || session_busy(&c->s))
            break;
        if (c->s.state == SESSION_FAILED) {
            f |= queue_return(c);
            break;
        }
        char *next = c->queue[0];
        memmove(c->queue, c->queue + 1, --c->nqueue * sizeof *c->queue);
        f |= send_prompt(c, next) | UI_RELAYOUT;
        free(next);
    }
    return f;
}

const char *chat_cancel_key(const chat *c)
{
    (void)c;
    return input_vi_mode() ? "Ctrl-C" : "Esc";
}

unsigned chat_submit(chat *c, char *line)
{
    unsigned f = chat_clear_notice(c);
    c->walk_id = 0; /* a new line: a walk through the prompts starts again */
    char *text = line;
    while (*text == ' ' || *text == '\t' || *text == '\n')
        text++;
    if (!*text) {
        free(line);
        return f;
    }
    if (text[0] == '/' && text[1] != '/') {
        size_t n = strcspn(text, " \t\n");
        char *arg = text + n;
        while (*arg == ' ' || *arg == '\t' || *arg == '\n')
            arg++;
        const ui_command *cmd = command_named(c, text, n);
        if (cmd) {
            f |= cmd->run(c, *arg ? arg : NULL, 0);
            free(line);
            return f;
        }
        f |= chat_notice(c, true, "%s: %.*s · /help", chat_str(c, "ui.unknown_command"), (int)n,
                         text);
        free(line);
        return f;
    }
    if (text[0] == '/')
        text++; /* "//x" sends "/x" */
    if (session_busy(&c->s)) {
        /* Sent when the reply ends (the panel lists it meanwhile). */
        queue_push(c, text);
        free(line);
        return f | UI_REDRAW_PANEL | UI_RELAYOUT;
    }
    f |= send_prompt(c, text);
    /* A screen over the conversation gives way to the reply. */
    while (screens_top(c->stack) != &c->base && screens_top(c->stack)->ops->over_conversation)
        screens_pop(c->stack);
    free(line);
    return f | take_pending(c);
}

unsigned chat_edit(chat *c, const char *text)
{
    char *before = xstrdup(text);
    char *saved = NULL;
    editor_outcome o;
    editor_edit(before, &saved, &o);
    /* The editor had the screen: everything is painted again. */
    chat_touch(c);
    unsigned f = UI_REDRAW_ALL | UI_RELAYOUT;
    if (o.result == EDITOR_SAVED) {
        input_set_line(saved);
        f |= chat_clear_notice(c);
    } else {
        if (strcmp(input_text(), before) != 0)
            input_set_line(before);
        buf b;
        buf_init(&b);
        char num[24];
        if (o.result == EDITOR_ERROR) {
            buf_fill(&b, chat_str(c, "ui.edit.error"), 2, editor_command(), o.err);
        } else if (o.signal) {
            snprintf(num, sizeof num, "%d", o.signal);
            buf_fill(&b, chat_str(c, "ui.edit.killed"), 2, editor_command(), num);
        } else {
            snprintf(num, sizeof num, "%d", o.status);
            buf_fill(&b, chat_str(c, "ui.edit.failed"), 2, editor_command(), num);
        }
        f |= chat_notice(c, true, "%s", buf_str(&b));
        buf_free(&b);
    }
    free(saved);
    free(before);
    return f;
}

static unsigned after_feed(chat *c, input_result r, char *line)
{
    unsigned f = UI_REDRAW_INPUT;
    if (input_vi_mode() != c->vi_mode) {
        /* The panel names the key that cancels. */
        c->vi_mode = !c->vi_mode;
        f |= UI_REDRAW_PANEL;
    }
    if (r == INPUT_EOF)
        return UI_QUIT;
    if (r == INPUT_LINE)
        return f | chat_submit(c, line);
    if (r == INPUT_EDIT) {
        /* Readline is done with the key: the line can be handed to the editor. */
        char *text = xstrdup(input_text());
        f |= chat_edit(c, text);
        free(text);
    }
    return f;
}

unsigned chat_feed(chat *c, int byte)
{
    char *line = NULL;
    input_result r = input_feed(byte, &line);
    return after_feed(c, r, line);
}

unsigned chat_feed_seq(chat *c, const char *seq)
{
    char *line = NULL;
    input_result r = input_feed_seq(seq, &line);
    return after_feed(c, r, line);
}

/* ---- Tab completion: command names, then the argument the table's arg_kind names ---- */

/* The words of one completion (readline's generator takes no user data). */
static struct {
    char **v;
    size_t n, next, len;
    bool paths;   /* the matches are file names: show their last part */
} cands;

static void cand_add(const char *w)
{
    if (!w || !*w)
        return;
    for (size_t i = 0; i < cands.n; i++)
        if (strcmp(cands.v[i], w) == 0)
            return;
    cands.v = xrealloc_array(cands.v, cands.n + 1, sizeof *cands.v);
    cands.v[cands.n++] = xstrdup(w);
}

static void cand_clear(void)
{
    for (size_t i = 0; i < cands.n; i++)
        free(cands.v[i]);
    free(cands.v);
    cands.v = NULL;
    cands.n = 0;
}

static char *cand_generator(const char *text, int state)
{
    if (!state) {
        cands.next = 0;
        cands.len = strlen(text);
    }
    while (cands.next < cands.n) {
        const char *w = cands.v[cands.next++];
        if (strncmp(w, text, cands.len) == 0)
            return xstrdup(w);
    }
    return NULL;
}

/* The words that may follow cmd. */
static void arg_words(const chat *c, const ui_command *cmd)
{
    switch (cmd->arg_kind) {
    case ARG_MODEL: {
        /* The model in use, those the profiles name, and those the server listed. */
        cand_add(cfg_str(c->cfg, OPT_MODEL)); /* not a demo's internal name */
        for (size_t i = 0; i < c->cfg->nprofiles; i++)
            cand_add(cfg_file_text(c->cfg, i, OPT_MODEL));
        const char *const *ids;
        size_t n = models_known(cfg_str(c->cfg, OPT_BASE_URL), &ids);
        for (size_t i = 0; i < n; i++)
            cand_add(ids[i]);
        break;
    }
    case ARG_PROFILE:
        for (size_t i = 0; i < c->cfg->nprofiles; i++)
            cand_add(c->cfg->profiles[i].name);
        break;
    case ARG_THEME: {
        char **names;
        size_t n = theme_list(&names);
        for (size_t i = 0; i < n; i++)
            cand_add(names[i]);
        theme_free_names(names, n);
        break;
    }
    case ARG_LANG:
        for (int l = 0; l < GUIDE_LANG__COUNT; l++)
            cand_add(guide_lang_code((guide_lang)l));
        break;
    case ARG_DEMO:
        for (size_t i = 0; c->demo_names && c->demo_names[i]; i++)
            cand_add(c->demo_names[i]);
        break;
    case ARG_ONOFF:
        cand_add("on");
        cand_add("off");
        break;
    case ARG_ALL:
        cand_add("all");
        break;
    default:
        break;
    }
}

static char **complete(void *ud, const char *text, int start, int end)
{
    const chat *c = ud;
    (void)end;
    cands.paths = false;
    const char *line = input_text();
    if (start == 0) {
        if (text[0] != '/')
            return NULL;
        for (size_t i = 0; i < c->ncmds; i++)
            if (c->cmds[i].name && (!c->cmds[i].demo_only || c->demo))
                cand_add(c->cmds[i].name);
    } else {
        /* The first argument of a command: "/theme li" */
        size_t n = strcspn(line, " \t\n");
        if (line[0] != '/' || (size_t)start < n || strspn(line + n, " \t") != (size_t)start - n)
            return NULL;
        const ui_command *cmd = command_named(c, line, n);
        if (!cmd || (cmd->demo_only && !c->demo))
            return NULL;
        if (cmd->arg_kind == ARG_PATH) {
            /* Readline's file names: ~/ is expanded to look, and kept in the line. */
            cands.paths = true;
            return rl_completion_matches(text, rl_filename_completion_function);
        }
        arg_words(c, cmd);
    }
    char **m = rl_completion_matches(text, cand_generator);
    cand_clear();
    return m;
}

static void show_matches(void *ud, char **matches, int n)
{
    chat *c = ud;
    buf b;
    buf_init(&b);
    for (int i = 1; i <= n; i++) {
        const char *m = matches[i];
        bool dir = false;
        if (cands.paths) {
            /* "~/dir/name" as "name", a directory with a slash: "sub/" */
            char *full = tilde_expand(m);
            struct stat st;
            dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
            free(full);
            size_t len = strlen(m);
            while (len > 1 && m[len - 2] != '/')
                len--;
            if (len > 1)
                m += len - 1;
        }
        buf_printf(&b, "%s%s%s", i > 1 ? "  " : "", m, dir && m[strlen(m) - 1] != '/' ? "/" : "");
    }
    c->pending |= chat_notice(c, false, "%s", buf_str(&b));
    buf_free(&b);
}

static const ui_command *command_for_key(const chat *c, int key)
{
    for (size_t i = 0; i < c->ncmds; i++)
        for (int k = 0; k < COMMAND_KEYS_MAX && c->cmds[i].keys[k]; k++)
            if (c->cmds[i].keys[k] == key && c->cmds[i].run)
                return &c->cmds[i];
    return NULL;
}

/* Keys curses decodes, handed back to readline as the sequences its keymaps expect
 * (so that vi mode works). */
static const char *key_sequence(int key)
{
    switch (key) {
    case KEY_UP: return "\033[A";
    case KEY_DOWN: return "\033[B";
    case KEY_RIGHT: return "\033[C";
    case KEY_LEFT: return "\033[D";
    case KEY_HOME: return "\033[H";
    case KEY_END: return "\033[F";
    case KEY_DC: return "\033[3~";
    default: return NULL;
    }
}

static unsigned chat_key(screen *sc, int key)
{
    chat *c = (chat *)sc;
    if (key == TERM_KEY_PASTE) {
        input_insert(term_paste_text());
        return UI_REDRAW_INPUT;
    }
    const ui_command *cmd = command_for_key(c, key);
    if (cmd)
        return cmd->run(c, NULL, key) | take_pending(c);
    if (key & TERM_KEY_ALT) {
        /* Other Alt keys are readline's (Alt-Enter inserts a newline). */
        unsigned f = chat_feed(c, 27);
        int next = key & ~TERM_KEY_ALT;
        if (next >= 0 && next < 256)
            f |= chat_feed(c, next);
        return f | take_pending(c);
    }
    const char *seq = key_sequence(key);
    if (seq)
        return chat_feed_seq(c, seq) | take_pending(c);
    if (key == KEY_BACKSPACE)
        key = 127;
    else if (key == KEY_ENTER)
        key = '\r'; /* the keypad's Enter sends, as Enter does */
    if (key >= 0 && key < 256)
        return chat_feed(c, key) | take_pending(c);
    return 0;
}

/* ---- layout and drawing ---- */

/* The panel's lines; with room to spare (room rows), the steps one a row. */
static void build_panel(chat *c, int64_t now, int room)
{
    lines_clear(&c->panel_lines);
    c->panel_lines.width = c->cols;
    panel_in in = {.s = &c->s,
                   .cx = &c->cx,
                   .sp = &c->sp,
                   .notice = c->notice,
                   .notice_error = c->notice_error,
                   .queued = (const char *const *)c->queue,
                   .nqueued = c->nqueue,
                   .cancel_key = chat_cancel_key(c),
                   .model = cfg_str(c->cfg, OPT_MODEL)};
    panel_build(&c->panel_lines, &in, now);
    int extra = panel_roomy_extra(&in);
    if (extra && (int)c->panel_lines.n + extra <= room) {
        lines_clear(&c->panel_lines);
        in.roomy = true;
        panel_build(&c->panel_lines, &in, now);
    }
    c->panel_built = true;
}

static void place(WINDOW **w, int h, int y, int cols)
{
    if (!*w) {
        *w = newwin(h, cols, y, 0);
    } else {
        wresize(*w, h, cols);
        mvwin(*w, y, 0);
    }
}

enum { CONV_MIN_ROWS = 3 }; /* the conversation keeps at least this much beside a panel */

/* How many rows the panel may take: a third of the screen, or all that a short
 * conversation leaves free (so that every step is shown rather than cut). */
static int panel_room(chat *c, int input_h, bool covered)
{
    int max = c->rows / 3 > 1 ? c->rows / 3 : 1;
    /* A screen over the conversation (help, the full explanation) needs its room. */
    int need = covered ? c->rows : view_rows(&c->view, c->cols, &c->s, c->cx.lang, c->rows);
    if (need < CONV_MIN_ROWS)
        need = CONV_MIN_ROWS;
    int beside = c->rows - 1 - input_h - need - 1; /* title, conversation, rule */
    if (beside > max)
        max = beside;
    int most = c->rows - 1 - input_h - 1 - 1; /* a conversation row at least */
    if (max > most)
        max = most;
    return max > 1 ? max : 1;
}

/* Sizes the windows: the title, the conversation, the panel (as tall as its lines, each
 * of them shown as far as their importance lets them fit) and the input (as tall as the
 * line, at most a quarter). Returns true when a size changed. */
static bool layout(chat *c, unsigned dirty, int64_t now, bool covered)
{
    int old_panel = c->panel_h, old_input = c->input_h, old_rows = c->rows, old_cols = c->cols;
    getmaxyx(stdscr, c->rows, c->cols);
    int input_h = input_rows(c->cols);
    int max_input = c->rows / 4 > 1 ? c->rows / 4 : 1;
    if (input_h > max_input)
        input_h = max_input;
    if (input_h < 1)
        input_h = 1;
    /* The panel is built only when it changed: a keystroke resizes the input alone. */
    int room = panel_room(c, input_h, covered);
    if (!c->panel_built || (dirty & (UI_REDRAW_PANEL | UI_RELAYOUT)) || c->cols != old_cols ||
        c->rows != old_rows)
        build_panel(c, now, room);
    if (c->panel_keep_cap < c->panel_lines.n) {
        c->panel_keep_cap = c->panel_lines.n;
        c->panel_keep = xrealloc_array(c->panel_keep, c->panel_keep_cap, sizeof *c->panel_keep);
    }
    int shown = (int)lines_fit(&c->panel_lines, room, c->panel_keep);
    int panel_h = shown + 1; /* and the rule above it */
    int conv_h = c->rows - 1 - panel_h - input_h;
    if (conv_h < 1)
        conv_h = 1;
    place(&c->title, 1, 0, c->cols);
    place(&c->conv, conv_h, 1, c->cols);
    place(&c->panel, panel_h, 1 + conv_h, c->cols);
    place(&c->input, input_h, 1 + conv_h + panel_h, c->cols);
    keypad(c->input, TRUE);
    nodelay(c->input, TRUE);
    c->panel_h = panel_h;
    c->input_h = input_h;
    return panel_h != old_panel || input_h != old_input || c->rows != old_rows ||
           c->cols != old_cols;
}

void chat_draw_title(chat *c)
{
    place(&c->title, 1, 0, getmaxx(stdscr));
    WINDOW *w = c->title;
    draw_clear(w, ROLE_TITLE);
    int width = getmaxx(w);
    buf left, right;
    buf_init(&left);
    buf_init(&right);
    panel_title(&left, &right, cfg_profile_name(c->cfg), cfg_str(c->cfg, OPT_MODEL), &c->s.resp_headers,
                classify_reset_unit(provider_row(c->s.p.provider)->name, c->s.p.base_url),
                c->s.wall_clock());
    int rcols = render_width(buf_str(&right), right.len);
    /* A narrow terminal keeps the model's name: the gauge gives way first. */
    if (render_width(buf_str(&left), left.len) + rcols + 1 > width)
        rcols = 0;
    draw_text(w, 0, 0, buf_str(&left), left.len, width - rcols - 1, theme_attr(ROLE_TITLE));
    if (rcols)
        draw_text(w, 0, width - rcols, buf_str(&right), right.len, rcols, theme_attr(ROLE_TITLE));
    buf_free(&left);
    buf_free(&right);
    wnoutrefresh(w);
}

static void draw_panel(chat *c)
{
    WINDOW *w = c->panel;
    draw_clear(w, ROLE_NORMAL);
    draw_rule(w, 0, ROLE_BORDER);
    draw_lines(w, 1, &c->panel_lines, 0, getmaxy(w) - 1, c->panel_keep);
    wnoutrefresh(w);
}

void chat_draw(chat *c, unsigned dirty, bool covered, int64_t now)
{
    if (!c->title || (dirty & (UI_RELAYOUT | UI_REDRAW_PANEL | UI_REDRAW_INPUT))) {
        if (layout(c, dirty, now, covered) || (dirty & UI_RELAYOUT))
            dirty |= UI_REDRAW_ALL;
    }
    if (dirty & UI_REDRAW_TITLE)
        chat_draw_title(c);
    if ((dirty & UI_REDRAW_CONV) && !covered)
        view_draw(&c->view, c->conv, &c->s, c->cx.lang);
    if (dirty & UI_REDRAW_PANEL)
        draw_panel(c);
    /* The input is drawn last so the cursor ends up there. */
    input_draw(c->input);
}

WINDOW *chat_conv_window(const chat *c)
{
    return c->conv;
}

void chat_place_cursor(chat *c)
{
    curs_set(1);
    input_draw(c->input);
}

void chat_touch(chat *c)
{
    WINDOW *ws[] = {c->title, c->conv, c->panel, c->input};
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
        if (ws[i])
            touchwin(ws[i]);
    curs_set(1);
}

static void chat_screen_draw(screen *sc, WINDOW *w, int64_t now)
{
    (void)w;
    chat_draw((chat *)sc, UI_REDRAW_ALL, false, now);
}

/* ---- start and end ---- */

/* A conversation another window has open goes on in a copy: the notice says so (from is
 * the original's id, freed here; NULL: nothing to say). */
static void note_copy(chat *c, char *from)
{
    if (!from)
        return;
    /* Both keep every turn, each in its own file. */
    buf b;
    buf_init(&b);
    buf_fill(&b, chat_str(c, "ui.continued_copy"), 1, from);
    chat_notice(c, false, "%s", buf_str(&b));
    buf_free(&b);
    free(from);
}

/* Reopens a conversation, or starts a new one; a file that does not load is
 * reported and left alone (a new conversation is started instead). */
static void open_conversation(chat *c, const char *resume_path)
{
    if (!c->convo_dir)
        return;
    if (resume_path) {
        char err[1024], *from = NULL;
        c->cv = convo_open(resume_path, &c->s, &from, err, sizeof err);
        if (c->cv) {
            note_copy(c, from);
            return;
        }
        chat_notice(c, true, "%s", err);
    }
    c->cv = convo_new(c->convo_dir, cfg_profile_name(c->cfg), c->s.p.model);
}

unsigned chat_new_conversation(chat *c)
{
    session_clear(&c->s);
    if (c->cv) {
        convo_free(c->cv);
        c->cv = convo_new(c->convo_dir, cfg_profile_name(c->cfg), c->s.p.model);
    }
    c->walk_id = 0;
    view_follow(&c->view);
    return UI_REDRAW_ALL;
}

bool chat_has_conversation(const chat *c, const char *path)
{
    struct stat a, b;
    return c->cv && stat(convo_path(c->cv), &a) == 0 && stat(path, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int chat_open_conversation(chat *c, const char *path, char *err, size_t errlen)
{
    if (chat_has_conversation(c, path))
        return 0;
    if (c->cv) {
        /* The one here is left only once it is on disk. */
        chat_save(c);
        char why[512];
        if (convo_flush(c->cv) != 0 && convo_last_error(c->cv, why, sizeof why)) {
            buf b;
            buf_init(&b);
            buf_fill(&b, chat_str(c, "ui.browser.unsaved"), 1, why);
            snprintf(err, errlen, "%s", buf_str(&b));
            buf_free(&b);
            return -1;
        }
    }
    char *from = NULL;
    convo *cv = convo_open(path, &c->s, &from, err, errlen);
    if (!cv)
        return -1; /* the conversation here stays */
    convo_free(c->cv);
    c->cv = cv;
    c->walk_id = 0;
    view_follow(&c->view);
    chat_clear_notice(c);
    note_copy(c, from);
    return 0;
}

int chat_finish(chat *c, char *err, size_t errlen)
{
    if (session_busy(&c->s))
        session_cancel(&c->s, clock_mono_ms());
    int rc = 0;
    if (c->cv) {
        /* Everything on disk before tchat exits, or said that it is not. */
        convo_save(c->cv, &c->s);
        rc = convo_close(c->cv, err, errlen);
        c->cv = NULL;
    }
    return rc;
}

static void chat_close(screen *sc)
{
    chat *c = (chat *)sc;
    chat_finish(c, NULL, 0);
    input_done();
    session_done(&c->s);
    view_free(&c->view);
    lines_free(&c->panel_lines);
    free(c->panel_keep);
    statuspage_done(&c->sp);
    errlog_free(&c->errors);
    explain_ctx_done(&c->cx);
    WINDOW *ws[] = {c->title, c->conv, c->panel, c->input};
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
        if (ws[i])
            delwin(ws[i]);
    free(c->notice);
    free(c->last_report);
    for (size_t i = 0; i < c->nqueue; i++)
        free(c->queue[i]);
    free(c->queue);
    free(c->walk_saved);
    free(c->demo_model);
    free(c);
}

static const screen_ops chat_ops = {
    .name = "chat",
    .over_conversation = false,
    .draw = chat_screen_draw,
    .key = chat_key,
    .event = chat_event,
    .close = chat_close,
};

chat *chat_new(const chat_opts *o)
{
    chat *c = xcalloc(1, sizeof *c);
    c->base.ops = &chat_ops;
    c->cfg = o->cfg;
    c->w = o->w;
    c->stack = o->stack;
    c->cmds = o->cmds;
    c->ncmds = o->ncmds;
    c->cx.lang = o->lang;
    explain_ctx_from_config(&c->cx, c->cfg);
    c->no_color = getenv("NO_COLOR") && *getenv("NO_COLOR");
    view_init(&c->view);
    c->view.code_wrap = cfg_bool(c->cfg, OPT_CODE_WRAP);
    statuspage_init(&c->sp);
    errlog_init(&c->errors);
    lines_init(&c->panel_lines, 80, false);

    char err[512];
    const char *theme_name = o->theme ? o->theme : cfg_str(c->cfg, OPT_THEME);
    if (theme_load(theme_name && *theme_name ? theme_name : "default", &c->th, err, sizeof err) != 0)
        chat_notice(c, true, "%s", err);
    else if (c->cfg->warning)
        chat_notice(c, true, "%s", c->cfg->warning);
    theme_apply(&c->th, c->no_color);

    session_transport tr = {tr_submit, tr_cancel, c->w};
    session_observer obs = {.failed = on_failed,
                            .state = on_state,
                            .key_in_clear = on_key_in_clear,
                            .ud = c};
    session_init(&c->s, &tr, &obs);
    session_configure(&c->s, c->cfg);

    input_hooks hooks = {.complete = complete, .show_matches = show_matches, .ud = c};
    input_init(&hooks);
    c->vi_mode = input_vi_mode(); /* ~/.inputrc has been read */

    c->convo_dir = o->convo_dir;
    c->demo = o->demo;
    c->demo_names = o->demo_names;
    open_conversation(c, o->resume_path);
    c->pending = 0;
    layout(c, UI_RELAYOUT, clock_mono_ms(), false); /* keys are read from the input window */
    return c;
}
