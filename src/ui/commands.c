#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "browser.h"
#include "chat.h"
#include "clipboard.h"
#include "config.h"
#include "convo.h"
#include "input.h"
#include "pager.h"
#include "panel.h"
#include "pickers.h"
#include "report.h"
#include "settings.h"
#include "term.h"
#include "url.h"

/* ---- screens over the chat ---- */

static void build_help(void *ud, ui_lines *out)
{
    const chat *c = ud;
    commands_help(out, c->cx.lang, c->demo);
}

static void build_errors(void *ud, ui_lines *out)
{
    const chat *c = ud;
    panel_errors(out, &c->errors, c->cx.lang);
}

static void build_details(void *ud, ui_lines *out)
{
    const chat *c = ud;
    panel_in in = {.s = &c->s, .cx = &c->cx, .sp = &c->sp};
    panel_details(out, &in, clock_mono_ms());
}

/* Opens the pager of that name over the conversation, or closes it when it is the one
 * showing; another pager gives way to it. */
static unsigned toggle_pager(chat *c, const char *name, pager_build_fn build, int key)
{
    screen *top = screens_top(c->stack);
    bool was = pager_is(top, name);
    if (top != &c->base && top->ops->over_conversation)
        screens_pop(c->stack);
    if (!was)
        screens_push(c->stack, pager_new(name, build, c, key));
    return UI_REDRAW_ALL;
}

/* Opens a picker (a full screen) over the chat; a screen over the conversation gives way. */
static unsigned push_picker(chat *c, picker *p)
{
    while (screens_top(c->stack) != &c->base && screens_top(c->stack)->ops->over_conversation)
        screens_pop(c->stack);
    screens_push(c->stack, picker_screen(p));
    return UI_REDRAW_ALL;
}

/* ---- handlers ---- */

static unsigned cmd_help(chat *c, const char *arg, int key)
{
    (void)arg;
    return toggle_pager(c, "help", build_help, key ? key : KEY_F(1));
}

static unsigned cmd_errors(chat *c, const char *arg, int key)
{
    (void)arg;
    return toggle_pager(c, "errors", build_errors, key ? key : KEY_F(8));
}

static unsigned cmd_details(chat *c, const char *arg, int key)
{
    (void)arg;
    return toggle_pager(c, "details", build_details, key ? key : KEY_F(6));
}

static unsigned busy(chat *c)
{
    buf b;
    buf_init(&b);
    buf_fill(&b, chat_str(c, "ui.busy"), 1, chat_cancel_key(c));
    unsigned f = chat_notice(c, true, "%s", buf_str(&b));
    c->notice_is_busy = true;
    buf_free(&b);
    return f;
}

static unsigned cmd_settings(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    if (session_busy(&c->s))
        return busy(c);
    screens_push(c->stack, settings_new(c->cfg, c->w, c->stack, &c->cx.lang, false));
    return UI_REDRAW_ALL;
}

static unsigned cmd_retry(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    unsigned f = chat_clear_notice(c);
    if (session_retry_now(&c->s, clock_mono_ms()) != 0)
        f |= chat_notice(c, true, "%s", chat_str(c, "ui.nothing_to_retry"));
    return f | view_follow(&c->view) | UI_REDRAW_ALL;
}

/* Esc: cancels the request or the countdown, else clears the notice, else is the input
 * line's. In readline's vi mode Esc is always the input line's (Ctrl-C cancels). /cancel
 * says when there is nothing to cancel. */
static unsigned cmd_cancel(chat *c, const char *arg, int key)
{
    (void)arg;
    if (key && input_vi_mode())
        return chat_feed(c, 27);
    if (session_busy(&c->s)) {
        session_cancel(&c->s, clock_mono_ms());
        return UI_REDRAW_ALL;
    }
    if (key) {
        if (c->notice)
            return chat_clear_notice(c);
        return chat_feed(c, 27);
    }
    return chat_notice(c, false, "%s", chat_str(c, "ui.nothing_to_cancel"));
}

static unsigned cmd_interrupt(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    if (session_busy(&c->s)) {
        session_cancel(&c->s, clock_mono_ms());
        return UI_REDRAW_ALL;
    }
    return UI_QUIT;
}

static unsigned cmd_quit(chat *c, const char *arg, int key)
{
    (void)c;
    (void)arg;
    (void)key;
    return UI_QUIT;
}

static unsigned cmd_scroll(chat *c, const char *arg, int key)
{
    (void)arg;
    int page = view_page(&c->view);
    return view_scroll(&c->view, key == KEY_NPAGE ? -page : page);
}

static unsigned cmd_wheel(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    MEVENT me;
    if (getmouse(&me) != OK)
        return 0;
    if (me.bstate & BUTTON4_PRESSED)
        return view_scroll(&c->view, 3);
#ifdef BUTTON5_PRESSED
    if (me.bstate & BUTTON5_PRESSED)
        return view_scroll(&c->view, -3);
#endif
    return 0;
}

/* End follows the newest reply when scrolled; else it is the input line's. */
static unsigned cmd_end(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    unsigned f = view_follow(&c->view);
    return f ? f : chat_feed_seq(c, "\033[F");
}

static unsigned cmd_new(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    if (session_busy(&c->s))
        return busy(c);
    return chat_new_conversation(c);
}

/* Sets an option for this run (as a flag would): the configuration changes, the
 * file does not. */
static unsigned set_option(chat *c, opt_id id, const char *arg, const char *usage)
{
    if (!arg || !*arg)
        return chat_notice(c, true, "%s", usage);
    char err[256];
    if (config_set(c->cfg, id, arg, SRC_FLAG, err, sizeof err) != 0)
        return chat_notice(c, true, "%s", err);
    return chat_notice(c, false, "%s = %s", opt_get_def(id)->key, arg) | UI_CONFIG_CHANGED |
           UI_REDRAW_ALL;
}

static unsigned cmd_model(chat *c, const char *arg, int key)
{
    (void)key;
    if (!arg)
        return push_picker(c, pickers_models(c, cmd_model));
    unsigned f = set_option(c, OPT_MODEL, arg, "/model NAME");
    if ((f & UI_CONFIG_CHANGED) && c->cv)
        convo_set_model(c->cv, cfg_profile_name(c->cfg), cfg_str(c->cfg, OPT_MODEL));
    return f;
}

static unsigned cmd_system(chat *c, const char *arg, int key)
{
    (void)key;
    return set_option(c, OPT_SYSTEM, arg ? arg : "", "/system TEXT");
}

static unsigned cmd_profile(chat *c, const char *arg, int key)
{
    (void)key;
    config *cfg = c->cfg;
    if (!arg)
        return push_picker(c, pickers_profiles(c, cmd_profile));
    if (session_busy(&c->s))
        return busy(c);
    int i = config_profile_find(cfg, arg);
    if (i < 0)
        return chat_notice(c, true, "no profile \"%s\"", arg);
    char err[512];
    if (config_profile_select(cfg, (size_t)i, err, sizeof err) != 0)
        return chat_notice(c, true, "%s", err);
    char *url = url_display(cfg_str(cfg, OPT_BASE_URL));
    unsigned f = chat_notice(c, false, "profile %s · %s", arg, url);
    free(url);
    return f | UI_CONFIG_CHANGED | UI_REDRAW_ALL;
}

/* /conversations, F9: the browser of saved conversations. */
static unsigned cmd_conversations(chat *c, const char *arg, int key)
{
    (void)arg;
    char err[1024];
    picker *p = browser_new(c, key ? key : KEY_F(9), err, sizeof err);
    if (!p)
        return chat_notice(c, true, "%s", err);
    return push_picker(c, p);
}

static unsigned cmd_theme(chat *c, const char *arg, int key)
{
    (void)key;
    if (!arg) {
        char **names;
        size_t n = theme_list(&names);
        buf b;
        buf_init(&b);
        for (size_t i = 0; i < n; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
        theme_free_names(names, n);
        unsigned f = chat_notice(c, false, "/theme NAME · %s", buf_str(&b));
        buf_free(&b);
        return f;
    }
    char err[512];
    theme t;
    if (theme_load(arg, &t, err, sizeof err) != 0)
        return chat_notice(c, true, "%s", err);
    c->th = t;
    theme_apply(&c->th, c->no_color);
    return chat_notice(c, false, "theme %s", arg) | UI_REDRAW_ALL;
}

static unsigned cmd_lang(chat *c, const char *arg, int key)
{
    (void)key;
    guide_lang l;
    if (!arg || !guide_lang_parse(arg, &l))
        return chat_notice(c, true, "/lang en|zh_CN");
    char err[256];
    if (config_set(c->cfg, OPT_LANG, guide_lang_code(l), SRC_FLAG, err, sizeof err) != 0)
        return chat_notice(c, true, "%s", err);
    return chat_notice(c, false, "lang %s", guide_lang_code(l)) | UI_CONFIG_CHANGED |
           UI_REDRAW_ALL;
}

static unsigned cmd_report(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    if (!c->s.has_failure && !c->s.nattempts)
        return chat_notice(c, true, "%s", chat_str(c, "ui.no_report"));
    char err[512], *path = NULL;
    if (report_write(&c->s, &c->cx, cfg_profile_name(c->cfg), NULL, &path, err, sizeof err) != 0)
        return chat_notice(c, true, "%s", err);
    free(c->last_report);
    c->last_report = path;
    return chat_notice(c, false, "%s: %s", chat_str(c, "ui.report_written"), path);
}

static unsigned cmd_status(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    const char *url = cfg_str(c->cfg, OPT_STATUS_URL);
    if (!url || !*url)
        return chat_notice(c, true, "%s", chat_str(c, "ui.no_status_url"));
    if (!cfg_status_json(c->cfg))
        return chat_notice(c, false, "%s %s · %s", chat_str(c, "status_page"), url,
                           chat_str(c, "ui.status_link_only"));
    statuspage_fetch(&c->sp, c->w, c->cfg, true, clock_mono_ms());
    return chat_notice(c, false, "%s %s%s%s", chat_str(c, "status_page"), url,
                       c->sp.text ? " · " : "", c->sp.text ? c->sp.text : "");
}

static unsigned cmd_export(chat *c, const char *arg, int key)
{
    (void)key;
    if (!arg)
        return chat_notice(c, true, "/export FILE");
    if (!c->s.nmsgs)
        return chat_notice(c, true, "%s", chat_str(c, "ui.export_empty"));
    /* ~/ is the user's home, as in a shell. */
    const char *home = getenv("HOME");
    char *path = arg[0] == '~' && arg[1] == '/' && home ? xasprintf("%s%s", home, arg + 1)
                                                        : xstrdup(arg);
    char err[512];
    unsigned f;
    if (convo_export_markdown(&c->s, c->cv ? convo_title(c->cv) : NULL, path, err, sizeof err) != 0)
        f = chat_notice(c, true, "%s", err);
    else
        f = chat_notice(c, false, "%s %s", chat_str(c, "ui.exported"), path);
    free(path);
    return f;
}

/* ---- writing ---- */

/* /edit [TEXT]: the editor on TEXT (Ctrl-X Ctrl-E, readline's key, opens it on the input
 * line; the line that ran /edit is gone by now). */
static unsigned cmd_edit(chat *c, const char *arg, int key)
{
    (void)key;
    return chat_edit(c, arg ? arg : "");
}

/* The index of the user message before (dir < 0) or after (dir > 0) message i, or
 * s->nmsgs when there is none. */
static size_t next_prompt(const session *s, size_t i, int dir)
{
    if (dir < 0) {
        while (i-- > 0)
            if (s->msgs[i].role == API_ROLE_USER)
                return i;
        return s->nmsgs;
    }
    while (++i < s->nmsgs)
        if (s->msgs[i].role == API_ROLE_USER)
            return i;
    return s->nmsgs;
}

/* Puts prompt msgs[i] into the input line, remembering what the line held when a walk
 * through the prompts began. Sending it appends a new turn: nothing earlier changes. */
static unsigned show_prompt(chat *c, size_t i, const char *line_before)
{
    if (!c->walk_id) {
        free(c->walk_saved);
        c->walk_saved = xstrdup(line_before);
    }
    c->walk_index = i;
    c->walk_id = c->s.msgs[i].id;
    input_set_line(buf_str(&c->s.msgs[i].text));
    return UI_REDRAW_INPUT | chat_clear_notice(c);
}

/* Alt-Up, Alt-Down: the prompt before or after the one shown (from the newest); past the
 * newest, the line as it was before the walk. /prompt N: prompt N (1 the first, -1 the
 * last, the last when no N). */
static unsigned cmd_prompt(chat *c, const char *arg, int key)
{
    const session *s = &c->s;
    bool walking = c->walk_id && c->walk_index < s->nmsgs && s->msgs[c->walk_index].id == c->walk_id;
    if (!walking)
        c->walk_id = 0;
    if (key) {
        int dir = key == (TERM_KEY_ALT | KEY_DOWN) ? 1 : -1;
        size_t i = next_prompt(s, walking ? c->walk_index : s->nmsgs, dir);
        if (i < s->nmsgs)
            return show_prompt(c, i, input_text());
        if (walking && dir > 0) {
            input_set_line(c->walk_saved ? c->walk_saved : "");
            c->walk_id = 0;
            return UI_REDRAW_INPUT;
        }
        if (!walking && next_prompt(s, s->nmsgs, -1) == s->nmsgs)
            return chat_notice(c, true, "%s", chat_str(c, "ui.prompt.none"));
        return 0; /* at the first or before the walk: nothing further */
    }
    long want = -1;
    if (arg) {
        char *end;
        want = strtol(arg, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (end == arg || *end || want == 0)
            return chat_notice(c, true, "%s", chat_str(c, "ui.prompt.usage"));
    }
    /* Counted from the first (N > 0) or from the last (N < 0). */
    int dir = want > 0 ? 1 : -1;
    long steps = want > 0 ? want : -want, seen = 0;
    size_t i = next_prompt(s, dir > 0 ? (size_t)-1 : s->nmsgs, dir);
    for (; i < s->nmsgs; i = next_prompt(s, i, dir))
        if (++seen == steps)
            break;
    if (i >= s->nmsgs) {
        char num[24];
        snprintf(num, sizeof num, "%ld", seen);
        buf b;
        buf_init(&b);
        buf_fill(&b, chat_str(c, seen ? "ui.prompt.count" : "ui.prompt.none"), 1, num);
        unsigned f = chat_notice(c, true, "%s", buf_str(&b));
        buf_free(&b);
        return f;
    }
    return show_prompt(c, i, "");
}

/* ---- copying ---- */

/* The newest reply with text, or NULL. */
static const chat_msg *last_reply(const session *s)
{
    for (size_t i = s->nmsgs; i-- > 0;)
        if (s->msgs[i].role == API_ROLE_ASSISTANT && s->msgs[i].text.len)
            return &s->msgs[i];
    return NULL;
}

static size_t count_lines(const char *t, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += t[i] == '\n';
    return n + (len && t[len - 1] != '\n');
}

/* Copies text and says so in the message line: what ("the last reply", "code block
 * 2"), how many lines, and what did not work. */
static unsigned copy_text(chat *c, const char *text, size_t len, const char *what)
{
    guide_lang lang = c->cx.lang;
    char num[32];
    size_t lines = count_lines(text, len);
    snprintf(num, sizeof num, "%zu", lines);
    buf count, b;
    buf_init(&count);
    buf_init(&b);
    buf_fill(&count, guide_str(lang, lines == 1 ? "ui.copy.line" : "ui.copy.lines"), 1, num);
    clip_result r;
    clip_copy(text, len, &r);
    bool error = false;
    if (r.osc52 || r.tmux) {
        buf_fill(&b, guide_str(lang, "ui.copy.done"), 2, what, buf_str(&count));
        if (r.too_long)
            buf_printf(&b, " · %s", guide_str(lang, "ui.copy.tmux_only"));
        else if (r.err[0])
            buf_printf(&b, " · %s: %s", guide_str(lang, "ui.copy.no_tmux"), r.err);
    } else if (r.too_long) {
        snprintf(num, sizeof num, "%d", CLIP_TEXT_MAX / 1000);
        buf_fill(&b, guide_str(lang, "ui.copy.too_long"), 2, what, num);
        error = true;
    } else {
        buf_fill(&b, guide_str(lang, "ui.copy.failed"), 2, what, r.err);
        error = true;
    }
    unsigned f = chat_notice(c, error, "%s", buf_str(&b));
    buf_free(&count);
    buf_free(&b);
    return f;
}

/* Copies code block n (1-based) of reply m, whose rendering is d; says what there is
 * when there is no such block. */
static unsigned copy_block(chat *c, const chat_msg *m, const md_doc *d, size_t n)
{
    guide_lang lang = c->cx.lang;
    char num[32];
    buf b;
    buf_init(&b);
    unsigned f;
    if (n < 1 || n > d->nblocks) {
        snprintf(num, sizeof num, "%zu", d->nblocks);
        const char *key = d->nblocks == 0   ? "ui.copy.no_blocks"
                          : d->nblocks == 1 ? "ui.copy.one_block"
                                            : "ui.copy.blocks";
        buf_fill(&b, guide_str(lang, key), 1, num);
        f = chat_notice(c, true, "%s", buf_str(&b));
    } else {
        buf code, what;
        buf_init(&code);
        buf_init(&what);
        md_block_text(d, n - 1, &code);
        snprintf(num, sizeof num, "%zu", n);
        buf_fill(&what, guide_str(lang, "ui.copy.block"), 1, num);
        f = copy_text(c, buf_str(&code), code.len, buf_str(&what)) | view_mark(&c->view, m->id, n);
        buf_free(&code);
        buf_free(&what);
    }
    buf_free(&b);
    return f;
}

/* /copy: the last reply as the model wrote it (Markdown), the form that pastes
 * anywhere. /copy N: its code block N, as written (see md_block_text). */
static unsigned cmd_copy(chat *c, const char *arg, int key)
{
    (void)key;
    const chat_msg *m = last_reply(&c->s);
    if (!m)
        return chat_notice(c, true, "%s", chat_str(c, "ui.copy.no_reply"));
    if (!arg) {
        view_mark(&c->view, 0, 0);
        return copy_text(c, buf_str(&m->text), m->text.len, chat_str(c, "ui.copy.reply")) |
               UI_REDRAW_CONV;
    }
    char *end;
    unsigned long n = strtoul(arg, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (*arg < '0' || *arg > '9' || *end)
        return chat_notice(c, true, "%s", chat_str(c, "ui.copy.usage"));
    md_doc d;
    md_init(&d);
    md_render(&d, buf_str(&m->text), m->text.len);
    unsigned f = copy_block(c, m, &d, (size_t)n);
    md_free(&d);
    return f;
}

/* The next code block of the last reply: the first, then the one after the block
 * copied last, round again after the last one. */
static unsigned cmd_copy_next(chat *c, const char *arg, int key)
{
    (void)arg;
    (void)key;
    const chat_msg *m = last_reply(&c->s);
    if (!m)
        return chat_notice(c, true, "%s", chat_str(c, "ui.copy.no_reply"));
    md_doc d;
    md_init(&d);
    md_render(&d, buf_str(&m->text), m->text.len);
    size_t n = 1;
    if (c->view.mark_id == m->id && d.nblocks)
        n = c->view.mark_block % d.nblocks + 1;
    unsigned f = copy_block(c, m, &d, d.nblocks ? n : 0);
    md_free(&d);
    return f;
}

/* /thinking [all], Alt-h: folds or unfolds the last reply's reasoning, or every reply's. */
static unsigned cmd_thinking(chat *c, const char *arg, int key)
{
    (void)key;
    bool all = arg && strcmp(arg, "all") == 0;
    if (arg && !all)
        return chat_notice(c, true, "%s", chat_str(c, "ui.thinking.usage"));
    if (!all && session_thinking(&c->s)) {
        /* The reasoning still coming is shown; it folds by itself once the answer begins. */
        unsigned f = chat_notice(c, false, "%s", chat_str(c, "ui.thinking.live"));
        c->notice_is_busy = true;
        return f;
    }
    unsigned f = view_toggle_reasoning(&c->view, &c->s, all);
    if (!f)
        return chat_notice(c, true, "%s", chat_str(c, "ui.thinking.none"));
    return f | chat_clear_notice(c);
}

/* /mouse: hands the mouse to the terminal (a plain drag selects) or takes the wheel
 * back; "on" or "off" say which, nothing toggles. */
static unsigned cmd_mouse(chat *c, const char *arg, int key)
{
    (void)key;
    bool on = !term_mouse_on();
    if (arg && strcmp(arg, "on") == 0)
        on = true;
    else if (arg && strcmp(arg, "off") == 0)
        on = false;
    else if (arg)
        return chat_notice(c, true, "/mouse on|off");
    term_mouse(on);
    return chat_notice(c, false, "%s", chat_str(c, on ? "ui.mouse.on" : "ui.mouse.off"));
}

/* The mock's demo scenarios (tests/mock/mock_demo.c) and, for those that answer as
 * another provider does, that provider: the request is made as if the profile named it,
 * so that its explanation links that provider's pages. */
static const struct {
    const char *name, *provider;
} demos[] = {
    {"401", NULL},
    {"401-key", NULL},
    {"401-org", NULL},
    {"429", NULL},
    {"429-quota", NULL},
    {"429-overloaded", NULL},
    {"503", NULL},
    {"500", NULL},
    {"502", NULL},
    {"drop", NULL},
    {"timeout", NULL},
    {"held", NULL},
    {"thinking", NULL},
    {"400-context", NULL},
    {"402-credits", "openrouter"},
    {"403-moderation", "openrouter"},
    {"404-ollama", "ollama"},
    {"429-gemini", "gemini"},
    {"503-loading", "llamacpp"},
};

static unsigned cmd_demo(chat *c, const char *arg, int key)
{
    (void)key;
    if (!c->demo)
        return chat_notice(c, true, "%s", chat_str(c, "ui.demo_only"));
    buf names;
    buf_init(&names);
    for (size_t i = 0; i < sizeof demos / sizeof demos[0]; i++) {
        if (arg && strcmp(arg, demos[i].name) == 0) {
            free(c->demo_model);
            /* Each /demo gets its own step counter in the mock (the #N), so that a
             * sequence such as "429, then a reply" starts again from its first step. */
            c->demo_model = xasprintf("mock-demo-%s#%u", arg, ++c->demo_count);
            int pid = demos[i].provider ? provider_find(demos[i].provider) : -1;
            c->demo_provider = pid > 0 ? (provider_id)pid : PROVIDER_AUTO;
            buf_free(&names);
            return chat_notice(c, false, "%s /demo %s", chat_str(c, "ui.demo_next"), arg);
        }
        buf_printf(&names, "%s%s", i ? " " : "", demos[i].name);
    }
    unsigned f = chat_notice(c, arg != NULL, "/demo %s", buf_str(&names));
    buf_free(&names);
    return f;
}

/* ---- the table ---- */

#define KEYS(...) {__VA_ARGS__}

static const ui_command table[] = {
    {NULL, NULL, ARG_NONE, KEYS(0), "Enter", "ui.help.enter", NULL, false},
    {NULL, NULL, ARG_NONE, KEYS(0), "Alt-Enter, Ctrl-J", "ui.help.newline", NULL, false},
    {NULL, NULL, ARG_NONE, KEYS(KEY_PPAGE, KEY_NPAGE), "PgUp / PgDn", "ui.help.scroll", cmd_scroll,
     false},
    {NULL, NULL, ARG_NONE, KEYS(KEY_MOUSE), NULL, NULL, cmd_wheel, false},
    {NULL, NULL, ARG_NONE, KEYS(KEY_END), "End", "ui.help.end", cmd_end, false},
    {"/help", NULL, ARG_NONE, KEYS(KEY_F(1)), "F1", "ui.help.f1", cmd_help, false},
    {"/settings", NULL, ARG_NONE, KEYS(KEY_F(2)), "F2", "ui.help.f2", cmd_settings, false},
    {"/retry", NULL, ARG_NONE, KEYS(KEY_F(5)), "F5", "ui.help.f5", cmd_retry, false},
    {"/details", NULL, ARG_NONE, KEYS(KEY_F(6)), "F6", "ui.help.f6", cmd_details, false},
    {"/report", NULL, ARG_NONE, KEYS(KEY_F(7)), "F7", "ui.help.f7", cmd_report, false},
    {"/errors", NULL, ARG_NONE, KEYS(KEY_F(8)), "F8", "ui.help.f8", cmd_errors, false},
    {"/cancel", NULL, ARG_NONE, KEYS(27), "Esc", "ui.help.esc", cmd_cancel, false},
    {NULL, NULL, ARG_NONE, KEYS(3), "Ctrl-C", "ui.help.ctrlc", cmd_interrupt, false},
    {NULL, NULL, ARG_NONE, KEYS(0), "Ctrl-D", "ui.help.ctrld", NULL, false},
    {NULL, NULL, ARG_NONE, KEYS(0), "Ctrl-R", "ui.help.ctrlr", NULL, false},
    /* Ctrl-X Ctrl-E is readline's (bound in input.c, as bash binds it), and so is v in vi's
     * command mode. */
    {"/edit", "[TEXT]", ARG_TEXT, KEYS(0), "Ctrl-X Ctrl-E", "ui.cmd.edit", cmd_edit, false},
    /* Up and Down are readline's history (every run); Alt with them walks this
     * conversation's prompts. */
    {"/prompt", "[N]", ARG_NONE, KEYS(TERM_KEY_ALT | KEY_UP, TERM_KEY_ALT | KEY_DOWN),
     "Alt-Up / Alt-Down", "ui.cmd.prompt", cmd_prompt, false},
    /* Alt-w is Emacs's copy and bound to nothing in readline; Alt-o neither (Alt-c,
     * Alt-n and Alt-b are capitalize-word, history search and backward-word). F3 and
     * F4 for terminals that send no Alt. */
    {"/copy", "[N]", ARG_BLOCK, KEYS(TERM_KEY_ALT | 'w', KEY_F(3)), "Alt-w, F3", "ui.cmd.copy",
     cmd_copy, false},
    {"/copy-next", NULL, ARG_NONE, KEYS(TERM_KEY_ALT | 'o', KEY_F(4)), "Alt-o, F4",
     "ui.cmd.copy_next", cmd_copy_next, false},
    /* Alt-h: bound to nothing in readline (Alt-t would be transpose-words, Alt-r
     * revert-line); F10 for terminals that send no Alt. */
    {"/thinking", "[all]", ARG_ALL, KEYS(TERM_KEY_ALT | 'h', KEY_F(10)), "Alt-h, F10",
     "ui.cmd.thinking", cmd_thinking, false},
    {"/mouse", "[on|off]", ARG_ONOFF, KEYS(0), NULL, "ui.cmd.mouse", cmd_mouse, false},
    /* F9: F1 to F8 are taken; Alt-l would be readline's downcase-word. */
    {"/conversations", NULL, ARG_NONE, KEYS(KEY_F(9)), "F9", "ui.cmd.conversations",
     cmd_conversations, false},
    {"/new", NULL, ARG_NONE, KEYS(0), NULL, "ui.cmd.new", cmd_new, false},
    {"/model", "[NAME]", ARG_MODEL, KEYS(0), NULL, "ui.cmd.model", cmd_model, false},
    {"/profile", "[NAME]", ARG_PROFILE, KEYS(0), NULL, "ui.cmd.profile", cmd_profile, false},
    {"/system", "TEXT", ARG_TEXT, KEYS(0), NULL, "ui.cmd.system", cmd_system, false},
    {"/theme", "[NAME]", ARG_THEME, KEYS(0), NULL, "ui.cmd.theme", cmd_theme, false},
    {"/lang", "en|zh_CN", ARG_LANG, KEYS(0), NULL, "ui.cmd.lang", cmd_lang, false},
    {"/export", "FILE", ARG_PATH, KEYS(0), NULL, "ui.cmd.export", cmd_export, false},
    {"/status", NULL, ARG_NONE, KEYS(0), NULL, "ui.cmd.status", cmd_status, false},
    {"/demo", "NAME", ARG_DEMO, KEYS(0), NULL, "ui.cmd.demo", cmd_demo, true},
    {"/quit", NULL, ARG_NONE, KEYS(0), NULL, "ui.cmd.quit", cmd_quit, false},
};

const ui_command *commands_table(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

const char *const *commands_demo_names(void)
{
    enum { NDEMOS = sizeof demos / sizeof demos[0] };
    static const char *names[NDEMOS + 1];
    for (size_t i = 0; i < NDEMOS; i++)
        names[i] = demos[i].name;
    return names;
}

/* "/model NAME" */
static void command_usage(const ui_command *cmd, buf *out)
{
    if (cmd->name)
        buf_puts(out, cmd->name);
    if (cmd->args)
        buf_printf(out, " %s", cmd->args);
}

void commands_help(ui_lines *out, guide_lang lang, bool demo)
{
    lines_add(out, ROLE_HEADING, 2, guide_str(lang, "ui.help.title"));
    lines_add(out, ROLE_NORMAL, 2, "");
    buf usage;
    buf_init(&usage);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const ui_command *cmd = &table[i];
        if (!cmd->help || (cmd->demo_only && !demo))
            continue;
        buf_reset(&usage);
        command_usage(cmd, &usage);
        lines_addf(out, ROLE_NORMAL, 2, "%-18s %-18s %s", cmd->key_names ? cmd->key_names : "",
                   buf_str(&usage), guide_str(lang, cmd->help));
    }
    buf_free(&usage);
    lines_add(out, ROLE_NORMAL, 2, "");
    lines_add(out, ROLE_NORMAL, 2, guide_str(lang, "ui.help.select"));
    lines_add(out, ROLE_NORMAL, 2, "");
    lines_add(out, ROLE_DIM, 2, guide_str(lang, "ui.help.close"));
}

void commands_markdown(buf *out)
{
    buf_puts(out, "| Key | Command | What it does |\n|---|---|---|\n");
    buf usage;
    buf_init(&usage);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const ui_command *cmd = &table[i];
        if (!cmd->help)
            continue;
        buf_reset(&usage);
        command_usage(cmd, &usage);
        buf_printf(out, "| %s | ", cmd->key_names ? cmd->key_names : "");
        if (usage.len) {
            buf_putc(out, '`');
            for (const char *p = buf_str(&usage); *p; p++) {
                if (*p == '|')
                    buf_putc(out, '\\'); /* a bare '|' would end the cell */
                buf_putc(out, *p);
            }
            buf_putc(out, '`');
        }
        buf_printf(out, " | %s |\n", guide_str(GUIDE_LANG_EN, cmd->help));
    }
    buf_free(&usage);
}
