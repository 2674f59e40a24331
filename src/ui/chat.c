#include "chat.h"

#include <readline/readline.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "convo.h"
#include "draw.h"
#include "input.h"
#include "panel.h"
#include "render.h"
#include "term.h"

const char *chat_str(const chat *c, const char *key)
{
    return guide_str(c->cx.lang, key);
}

unsigned chat_notice(chat *c, bool error, const char *fmt, ...)
{
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

void chat_save(chat *c)
{
    if (!c->cv)
        return;
    convo_save(c->cv, &c->s);
    char err[512];
    if (convo_last_error(c->cv, err, sizeof err))
        c->pending |= chat_notice(c, true, "%s", err);
}

static void on_state(void *ud, session_state from, session_state to)
{
    chat *c = ud;
    (void)from;
    /* A demo scenario lasts one request (with its retries); F5 then asks normally. */
    if (c->demo_active && (to == SESSION_IDLE || to == SESSION_FAILED)) {
        c->demo_active = false;
        session_configure(&c->s, c->cfg);
    }
    chat_save(c);
    c->pending |= UI_REDRAW_ALL;
}

static unsigned take_pending(chat *c)
{
    unsigned f = c->pending;
    c->pending = 0;
    return f;
}

static unsigned chat_event(screen *sc, const worker_event *ev)
{
    chat *c = (chat *)sc;
    if (statuspage_take(&c->sp, ev, c->cx.status_url))
        return UI_REDRAW_PANEL | UI_RELAYOUT;
    session_handle(&c->s, ev, clock_mono_ms());
    unsigned f = ev->kind == WEV_CONTENT || ev->kind == WEV_REFUSAL ? UI_FRAME | UI_REDRAW_CONV
                                                                    : UI_REDRAW_ALL;
    return f | take_pending(c);
}

int64_t chat_next_timeout(const chat *c, int64_t now)
{
    int64_t t = session_next_timeout(&c->s, now);
    int64_t p = panel_next_tick(&c->s, now);
    if (p >= 0 && (t < 0 || p < t))
        t = p;
    return t;
}

unsigned chat_tick(chat *c, int64_t now)
{
    session_tick(&c->s, now);
    unsigned f = take_pending(c);
    if (panel_next_tick(&c->s, now) >= 0 || c->s.state == SESSION_WAITING)
        f |= UI_REDRAW_PANEL | UI_REDRAW_TITLE;
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

unsigned chat_submit(chat *c, char *line)
{
    unsigned f = chat_clear_notice(c);
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
        for (size_t i = 0; i < c->ncmds; i++) {
            const ui_command *cmd = &c->cmds[i];
            if (cmd->name && cmd->run && strlen(cmd->name) == n && strncmp(cmd->name, text, n) == 0) {
                f |= cmd->run(c, *arg ? arg : NULL, 0);
                free(line);
                return f;
            }
        }
        f |= chat_notice(c, true, "%s: %.*s · /help", chat_str(c, "ui.unknown_command"), (int)n,
                         text);
        free(line);
        return f;
    }
    if (text[0] == '/')
        text++; /* "//x" sends "/x" */
    if (session_busy(&c->s)) {
        f |= chat_notice(c, true, "%s", chat_str(c, "ui.busy"));
        free(c->restore_line);
        c->restore_line = xstrdup(line);
        free(line);
        return f;
    }
    if (c->demo_model) {
        free(c->s.p.model);
        c->s.p.model = c->demo_model;
        c->demo_model = NULL;
        /* Until the demo ends session_configure puts the profile's own back. */
        free(c->s.p.provider);
        c->s.p.provider = c->demo_provider;
        c->demo_provider = NULL;
        c->demo_active = true;
    }
    session_submit(&c->s, text, clock_mono_ms());
    view_follow(&c->view);
    /* A screen over the conversation gives way to the reply. */
    while (screens_top(c->stack) != &c->base && screens_top(c->stack)->ops->over_conversation)
        screens_pop(c->stack);
    free(line);
    return f | UI_REDRAW_ALL | take_pending(c);
}

static unsigned after_feed(chat *c, input_result r, char *line)
{
    if (r == INPUT_EOF)
        return UI_QUIT;
    if (r == INPUT_LINE)
        return chat_submit(c, line) | UI_REDRAW_INPUT;
    if (c->restore_line) {
        input_set_line(c->restore_line);
        free(c->restore_line);
        c->restore_line = NULL;
    }
    return UI_REDRAW_INPUT;
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

/* Tab completes command names. */
static const chat *completing;

static char *command_generator(const char *text, int state)
{
    static size_t i, len;
    if (!state) {
        i = 0;
        len = strlen(text);
    }
    while (completing && i < completing->ncmds) {
        const ui_command *cmd = &completing->cmds[i++];
        if (!cmd->name || (cmd->demo_only && !completing->demo))
            continue;
        if (strncmp(cmd->name, text, len) == 0)
            return strdup(cmd->name);
    }
    return NULL;
}

static char **complete(void *ud, const char *text, int start, int end)
{
    (void)end;
    if (start != 0 || text[0] != '/')
        return NULL;
    completing = ud;
    char **m = rl_completion_matches(text, command_generator);
    completing = NULL;
    return m;
}

static void show_matches(void *ud, char **matches, int n)
{
    chat *c = ud;
    buf b;
    buf_init(&b);
    for (int i = 1; i <= n; i++)
        buf_printf(&b, "%s%s", i > 1 ? "  " : "", matches[i]);
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

static void build_panel(chat *c, int64_t now)
{
    lines_clear(&c->panel_lines);
    c->panel_lines.width = c->cols;
    panel_in in = {&c->s, &c->cx, &c->sp, c->notice, c->notice_error};
    panel_build(&c->panel_lines, &in, now);
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

/* Sizes the windows: the title, the conversation, the panel (as tall as its lines,
 * at most a third of the screen) and the input (as tall as the line, at most a
 * quarter). Returns true when a size changed. */
static bool layout(chat *c, unsigned dirty, int64_t now)
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
    if (!c->panel_built || (dirty & (UI_REDRAW_PANEL | UI_RELAYOUT)) || c->cols != old_cols)
        build_panel(c, now);
    int max_panel = c->rows / 3 > 1 ? c->rows / 3 : 1;
    int panel_h = ((int)c->panel_lines.n < max_panel ? (int)c->panel_lines.n : max_panel) + 1;
    int conv_h = c->rows - 1 - panel_h - input_h;
    if (conv_h < 1) {
        panel_h -= 1 - conv_h;
        if (panel_h < 1)
            panel_h = 1;
        conv_h = c->rows - 1 - panel_h - input_h;
        if (conv_h < 0)
            conv_h = 0;
    }
    place(&c->title, 1, 0, c->cols);
    place(&c->conv, conv_h > 0 ? conv_h : 1, 1, c->cols);
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
    panel_title(&left, &right, cfg_profile_name(c->cfg), c->s.p.model, &c->s.resp_headers,
                classify_reset_unit(c->s.p.provider, c->s.p.base_url), c->s.wall_clock());
    int rcols = render_width(buf_str(&right), right.len);
    draw_text(w, 0, 0, buf_str(&left), left.len, width - rcols - 1, theme_attr(ROLE_TITLE));
    if (rcols < width)
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
    draw_lines(w, 1, &c->panel_lines, 0, getmaxy(w) - 1);
    wnoutrefresh(w);
}

void chat_draw(chat *c, unsigned dirty, bool covered, int64_t now)
{
    if (!c->title || (dirty & (UI_RELAYOUT | UI_REDRAW_PANEL | UI_REDRAW_INPUT))) {
        if (layout(c, dirty, now) || (dirty & UI_RELAYOUT))
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

/* Reopens a conversation, or starts a new one; a file that does not load is
 * reported and left alone (a new conversation is started instead). */
static void open_conversation(chat *c, const char *resume_path)
{
    if (!c->convo_dir)
        return;
    if (resume_path) {
        char err[1024];
        c->cv = convo_open(resume_path, &c->s, err, sizeof err);
        if (c->cv)
            return;
        chat_notice(c, true, "%s", err);
    }
    c->cv = convo_new(c->convo_dir, cfg_profile_name(c->cfg), c->s.p.model);
}

void chat_finish(chat *c)
{
    if (session_busy(&c->s))
        session_cancel(&c->s, clock_mono_ms());
    if (c->cv) {
        /* Everything on disk before tchat exits. */
        convo_free(c->cv);
        c->cv = NULL;
    }
}

static void chat_close(screen *sc)
{
    chat *c = (chat *)sc;
    chat_finish(c);
    input_done();
    session_done(&c->s);
    view_free(&c->view);
    lines_free(&c->panel_lines);
    statuspage_done(&c->sp);
    errlog_free(&c->errors);
    explain_ctx_done(&c->cx);
    WINDOW *ws[] = {c->title, c->conv, c->panel, c->input};
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
        if (ws[i])
            delwin(ws[i]);
    free(c->notice);
    free(c->last_report);
    free(c->restore_line);
    free(c->demo_model);
    free(c->demo_provider);
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

    c->convo_dir = o->convo_dir;
    c->demo = o->demo;
    open_conversation(c, o->resume_path);
    c->pending = 0;
    layout(c, UI_RELAYOUT, clock_mono_ms()); /* keys are read from the input window */
    return c;
}
