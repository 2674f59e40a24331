#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "classify.h"
#include "config.h"
#include "draw.h"
#include "explain.h"
#include "lineedit.h"
#include "models.h"
#include "panel.h"
#include "picker.h"
#include "render.h"
#include "url.h"
#include "xheaders.h"

/* The order of the form: the key first, as the first thing a new user needs; then where it
 * goes (the base URL, the provider whose preset fills the rest). */
static const opt_id fields[] = {
    OPT_API_KEY,         OPT_BASE_URL,        OPT_PROVIDER,        OPT_API_KEY_ENV,
    OPT_MODEL,           OPT_ORGANIZATION,    OPT_PROJECT,         OPT_EXTRA_HEADERS,
    OPT_API_VERSION,     OPT_SYSTEM,          OPT_TEMPERATURE,     OPT_MAX_TOKENS,
    OPT_STREAM,          OPT_CONNECT_TIMEOUT, OPT_IDLE_TIMEOUT,    OPT_FIRST_TOKEN_TIMEOUT,
    OPT_MAX_RETRIES,     OPT_BACKOFF_INITIAL, OPT_BACKOFF_MAX,     OPT_MAX_SERVER_WAIT,
    OPT_MAX_REPLY_MB,    OPT_THEME,           OPT_CODE_WRAP,       OPT_LANG,
    OPT_STATUS_URL,      OPT_STATUS_POLL,     OPT_HELP_URL,        OPT_CA_BUNDLE,
    OPT_API_KEY_CMD,     OPT_NEEDS_KEY,
};
enum { NFIELDS = sizeof fields / sizeof fields[0] };

typedef enum {
    MODE_NAV,       /* moving between fields */
    MODE_EDIT,      /* editing the focused field */
    MODE_NEW_NAME,  /* typing a new profile's name */
    MODE_RENAME,    /* typing a profile's new name */
    MODE_CONFIRM_DELETE,
    MODE_CONFIRM_CLOSE, /* unsaved changes */
} settings_mode;

typedef struct settings {
    screen base;
    config *cfg;
    worker *w;
    screens *stack;           /* where the provider's list opens */
    const guide_lang *lang;
    unsigned pending;         /* UI_* flags for the loop (the configuration changed) */
    int focus;
    int top;                  /* first field row shown */
    settings_mode mode;
    lineedit edit;            /* the line being edited */
    bool reveal;              /* Ctrl-R: the key is shown while this is on */
    bool edit_secret;         /* the field being edited holds a secret: typed afresh, as bullets */
    char *message;            /* one line under the form */
    bool message_error;
    bool first_run;
    uint64_t test_job;        /* Ctrl-T in flight */
    explain_ctx test_cx;      /* the profile as it was tested (the form may change it since) */
    failure test_failure;
    bool has_test_failure;
    char **models;            /* from the last successful test */
    size_t nmodels;
    size_t model_pick;
} settings;

static const char *S(const settings *st, const char *key)
{
    return guide_str(*st->lang, key);
}

static void set_message(settings *st, bool error, const char *text)
{
    free(st->message);
    st->message = xstrdup(text);
    st->message_error = error;
}

static void clear_test(settings *st)
{
    if (st->has_test_failure) {
        failure_free(&st->test_failure);
        failure_init(&st->test_failure);
        st->has_test_failure = false;
    }
}

/* Applies what the form changed to the running chat. */
static void apply(settings *st)
{
    st->pending |= UI_CONFIG_CHANGED;
}

/* Leaving the form: the chat follows what it says now. */
static unsigned close_flags(void)
{
    return UI_CLOSE | UI_CONFIG_CHANGED | UI_REDRAW_ALL;
}

static void save(settings *st)
{
    char err[512];
    if (config_save(st->cfg, err, sizeof err) != 0) {
        set_message(st, true, err);
        return;
    }
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s %s", S(st, "settings.saved"), st->cfg->path);
    set_message(st, false, buf_str(&b));
    buf_free(&b);
    free(st->cfg->warning);
    st->cfg->warning = NULL;
    apply(st);
}

static void test_connection(settings *st)
{
    if (st->test_job)
        worker_cancel(st->w, st->test_job);
    clear_test(st);
    explain_ctx_from_config(&st->test_cx, st->cfg);
    bool unlisted;
    st->test_job = models_request(st->cfg, st->w, &st->test_failure, &unlisted);
    if (unlisted) {
        set_message(st, true, S(st, "settings.no_models"));
        return;
    }
    if (!st->test_job) {
        /* Not asked: it would fail (the key would go over plain http://). */
        st->has_test_failure = true;
        free(st->message);
        st->message = NULL;
        return;
    }
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s GET %s/models …", S(st, "settings.testing"), st->test_cx.base_url);
    set_message(st, false, buf_str(&b));
    buf_free(&b);
}

static unsigned settings_event(screen *sc, const worker_event *ev)
{
    settings *st = (settings *)sc;
    if (!st->test_job || ev->job != st->test_job)
        return UI_PASS;
    clear_test(st);
    char **ids;
    size_t n;
    int rc = models_take(st->cfg, ev, &ids, &n, &st->test_failure);
    if (rc == 0)
        return 0;
    st->test_job = 0;
    if (rc < 0) {
        /* The guide's explanation, drawn under the form. */
        st->has_test_failure = true;
        free(st->message);
        st->message = NULL;
        return UI_REDRAW_ALL;
    }
    api_free_strings(st->models, st->nmodels);
    st->models = ids;
    st->nmodels = n;
    st->model_pick = 0;
    buf b;
    buf_init(&b);
    char count[24];
    snprintf(count, sizeof count, "%zu", n);
    buf_fill(&b, S(st, "settings.test_ok"), 1, count);
    buf_printf(&b, " · %s", st->test_cx.base_url);
    set_message(st, false, buf_str(&b));
    buf_free(&b);
    return UI_REDRAW_ALL;
}

/* ---- the edit line ---- */

static void edit_start(settings *st, const char *initial)
{
    lineedit_set(&st->edit, initial);
}

/* Whether option id holds a secret now: the key, or extra headers with a secret one. */
static bool field_secret(const settings *st, opt_id id)
{
    if (opt_get_def(id)->type == OPT_SECRET)
        return true;
    if (id != OPT_EXTRA_HEADERS)
        return false;
    xhdr_list l;
    cfg_extra_headers(st->cfg, &l);
    bool yes = xhdr_first_secret(&l) != NULL;
    xhdr_free(&l);
    return yes;
}

/* "Preset groq: base URL https://api.groq.com/openai/v1 · key GROQ_API_KEY": what the
 * profile's provider gives ("auto → groq" when the base URL's host chose it). */
static void preset_text(const settings *st, buf *out)
{
    const config *cfg = st->cfg;
    const provider_info *row = provider_row(cfg_provider(cfg));
    const char *setting = cfg_str(cfg, OPT_PROVIDER);
    char name[64];
    snprintf(name, sizeof name, strcmp(setting, row->name) ? "%s → %s" : "%s", setting, row->name);
    const char *var = cfg_env_name(cfg, OPT_API_KEY);
    const char *key = var                            ? var
                      : cfg_bool(cfg, OPT_NEEDS_KEY) ? "api_key, api_key_cmd, api_key_env"
                                                     : S(st, "settings.preset_no_key");
    buf_fill(out, S(st, "settings.preset"), 3, name,
             row->base_url ? row->base_url : S(st, "settings.preset_own_base"), key);
}

/* After a change of field id: says when a flag, the environment or the key command still
 * wins; for the provider, what its preset gives. */
static void changed_message(settings *st, opt_id id)
{
    const char *by = NULL;
    buf b;
    buf_init(&b);
    if (config_shadowed(st->cfg, id, &by))
        buf_fill(&b, S(st, "settings.shadowed"), 1, by ? by : "");
    else if (id == OPT_PROVIDER)
        preset_text(st, &b);
    if (b.len)
        set_message(st, false, buf_str(&b));
    else {
        free(st->message);
        st->message = NULL;
    }
    buf_free(&b);
}

/* The provider set in the file layer (its preset with it); false, and said, when refused. */
static bool set_provider(settings *st, const char *name)
{
    char err[512];
    if (config_set_file(st->cfg, OPT_PROVIDER, name, err, sizeof err) != 0) {
        set_message(st, true, err);
        return false;
    }
    clear_test(st);
    changed_message(st, OPT_PROVIDER);
    return true;
}

/* ←/→ on the provider: the next or previous one, at once. */
static void cycle_provider(settings *st, int step)
{
    int cur = provider_find(cfg_str(st->cfg, OPT_PROVIDER));
    int next = ((cur < 0 ? 0 : cur) + (step > 0 ? 1 : PROVIDER__COUNT - 1)) % PROVIDER__COUNT;
    if (set_provider(st, provider_row((provider_id)next)->name))
        apply(st);
}

/* Enter on the provider: the list of every provider, filtered as typed. */
static unsigned provider_chosen(void *ud, picker *p, const char *name)
{
    (void)p;
    settings *st = ud;
    if (!set_provider(st, name))
        return UI_CLOSE | UI_REDRAW_ALL;
    return UI_CLOSE | UI_CONFIG_CHANGED | UI_REDRAW_ALL;
}

static void pick_provider(settings *st)
{
    const char *names[PROVIDER__COUNT];
    for (int i = 0; i < PROVIDER__COUNT; i++)
        names[i] = provider_row((provider_id)i)->name;
    picker *p = picker_names("provider", S(st, "settings.provider"), st->lang, names,
                             PROVIDER__COUNT, cfg_str(st->cfg, OPT_PROVIDER), provider_chosen, st);
    screens_push(st->stack, picker_screen(p));
}

static void commit_edit(settings *st)
{
    opt_id id = fields[st->focus];
    char err[512];
    if (config_set_file(st->cfg, id, lineedit_text(&st->edit), err, sizeof err) != 0) {
        set_message(st, true, err); /* the edit stays open with what was typed */
        return;
    }
    st->mode = MODE_NAV;
    st->reveal = false;
    changed_message(st, id);
    if (id == OPT_THEME || id == OPT_LANG || id == OPT_PROVIDER)
        apply(st);
}

static void begin_edit(settings *st)
{
    opt_id id = fields[st->focus];
    const opt_def *d = opt_get_def(id);
    if (id == OPT_PROVIDER && st->stack) {
        pick_provider(st);
        return;
    }
    if (d->type == OPT_BOOL) {
        /* A switch flips at once. */
        char err[256];
        if (config_set_file(st->cfg, id, cfg_bool(st->cfg, id) ? "false" : "true", err,
                            sizeof err) != 0)
            set_message(st, true, err);
        return;
    }
    st->mode = MODE_EDIT;
    /* A key (or headers holding a secret) is typed afresh: it is never put on screen to
     * edit. Other values start as they are. */
    st->edit_secret = field_secret(st, id);
    edit_start(st, st->edit_secret ? "" : cfg_str(st->cfg, id));
    free(st->message);
    st->message = NULL;
}

static void profile_name_done(settings *st)
{
    config *cfg = st->cfg;
    char err[512];
    /* config_profile_add gives the new index, -1 on error; rename 0 or -1. */
    int rc = st->mode == MODE_NEW_NAME
                 ? config_profile_add(cfg, lineedit_text(&st->edit), err, sizeof err)
                 : config_profile_rename(cfg, cfg->current, lineedit_text(&st->edit), err,
                                         sizeof err);
    if (rc < 0) {
        set_message(st, true, err);
        return;
    }
    if (st->mode == MODE_NEW_NAME) {
        config_profile_select(cfg, cfg->nprofiles - 1, err, sizeof err);
        st->focus = 1; /* a new endpoint starts with its URL */
    }
    st->mode = MODE_NAV;
    apply(st);
}

static void switch_profile(settings *st, int step)
{
    size_t n = st->cfg->nprofiles;
    if (n < 2)
        return;
    size_t next = (st->cfg->current + n + (size_t)(step > 0 ? 1 : n - 1)) % n;
    char err[512];
    if (config_profile_select(st->cfg, next, err, sizeof err) != 0) {
        set_message(st, true, err);
        return;
    }
    clear_test(st);
    apply(st);
}

/* Leaving: asks first when there are unsaved changes. */
static unsigned leave(settings *st)
{
    if (config_dirty(st->cfg)) {
        st->mode = MODE_CONFIRM_CLOSE;
        return 0;
    }
    return close_flags();
}

static unsigned handle_key(settings *st, int ch)
{
    config *cfg = st->cfg;
    switch (st->mode) {
    case MODE_EDIT:
    case MODE_NEW_NAME:
    case MODE_RENAME:
        if (ch == 27) {
            st->mode = MODE_NAV;
            st->reveal = false;
            free(st->message);
            st->message = NULL;
        } else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER || ch == '\t') {
            if (st->mode == MODE_EDIT)
                commit_edit(st);
            else
                profile_name_done(st);
        } else if (ch == 18 && st->mode == MODE_EDIT) { /* Ctrl-R */
            st->reveal = !st->reveal;
        } else if ((ch == KEY_UP || ch == KEY_DOWN) && st->mode == MODE_EDIT &&
                   fields[st->focus] == OPT_MODEL && st->nmodels) {
            /* The model can be picked from the list Ctrl-T brought. */
            st->model_pick = (st->model_pick + (ch == KEY_DOWN ? 1 : st->nmodels - 1)) % st->nmodels;
            edit_start(st, st->models[st->model_pick]);
        } else {
            lineedit_key(&st->edit, ch, LINEEDIT_MOVE); /* a paste too, as one line */
        }
        return UI_REDRAW_ALL;
    case MODE_CONFIRM_DELETE:
        if (ch == 'y' || ch == 'Y') {
            char err[512];
            if (config_profile_delete(cfg, cfg->current, err, sizeof err) != 0)
                set_message(st, true, err);
            apply(st);
        }
        st->mode = MODE_NAV;
        return UI_REDRAW_ALL;
    case MODE_CONFIRM_CLOSE:
        if (ch == 's' || ch == 'S') {
            save(st);
            st->mode = MODE_NAV;
            if (!config_dirty(cfg))
                return close_flags();
        } else if (ch == 'd' || ch == 'D') {
            return close_flags() | UI_RELOAD_CONFIG;
        } else {
            st->mode = MODE_NAV;
        }
        return UI_REDRAW_ALL;
    case MODE_NAV:
        break;
    }
    switch (ch) {
    case KEY_UP: case 'k':
        st->focus = (st->focus + NFIELDS - 1) % NFIELDS;
        break;
    case KEY_DOWN: case 'j': case '\t':
        st->focus = (st->focus + 1) % NFIELDS;
        break;
    case KEY_BTAB:
        st->focus = (st->focus + NFIELDS - 1) % NFIELDS;
        break;
    case KEY_PPAGE: st->focus = 0; break;
    case KEY_NPAGE: st->focus = NFIELDS - 1; break;
    case '\r': case '\n': case KEY_ENTER:
        begin_edit(st);
        break;
    case 19: /* Ctrl-S */
        save(st);
        break;
    case 20: /* Ctrl-T */
        test_connection(st);
        break;
    case KEY_LEFT:
    case KEY_RIGHT: {
        /* On the provider field ←/→ choose the provider; anywhere else the profile. */
        int step = ch == KEY_RIGHT ? 1 : -1;
        if (fields[st->focus] == OPT_PROVIDER)
            cycle_provider(st, step);
        else
            switch_profile(st, step);
        break;
    }
    case 'a':
        st->mode = MODE_NEW_NAME;
        edit_start(st, "");
        break;
    case 'r':
        st->mode = MODE_RENAME;
        edit_start(st, cfg_profile_name(cfg));
        break;
    case 'd':
        if (cfg->nprofiles < 2)
            set_message(st, true, S(st, "settings.last_profile"));
        else
            st->mode = MODE_CONFIRM_DELETE;
        break;
    case KEY_BACKSPACE: case 127: case KEY_DC: {
        /* Back to the default: the field leaves the config file. */
        char err[256];
        if (config_set_file(cfg, fields[st->focus], NULL, err, sizeof err) != 0)
            set_message(st, true, err);
        break;
    }
    case 27: case KEY_F(2):
    case 3: /* Ctrl-C leaves as Esc does */
        return leave(st);
    default:
        break;
    }
    return UI_REDRAW_ALL;
}

static unsigned settings_key(screen *sc, int key)
{
    settings *st = (settings *)sc;
    unsigned f = handle_key(st, key) | st->pending | UI_REDRAW_ALL;
    st->pending = 0;
    return f;
}

/* ---- drawing ---- */

static void value_text(const settings *st, opt_id id, buf *out)
{
    const char *v = cfg_str(st->cfg, id);
    if (opt_get_def(id)->type == OPT_SECRET) {
        char *m = config_mask_key(v);
        buf_puts(out, *m ? m : S(st, "settings.not_set"));
        free(m);
        return;
    }
    if (id == OPT_API_KEY_ENV && !*v) {
        /* Empty: the provider's variable, shown as such. */
        const char *var = cfg_env_name(st->cfg, OPT_API_KEY);
        if (var)
            buf_printf(out, "(%s)", var);
        else
            buf_puts(out, S(st, "settings.empty"));
        return;
    }
    if (id == OPT_EXTRA_HEADERS && *v) {
        /* A secret header's value is masked as the key is. */
        xhdr_list l;
        cfg_extra_headers(st->cfg, &l);
        char *shown = xhdr_display(&l, config_mask_key);
        buf_puts(out, shown);
        free(shown);
        xhdr_free(&l);
        return;
    }
    if (!*v) {
        buf_puts(out, S(st, "settings.empty"));
        return;
    }
    if (opt_get_def(id)->type == OPT_URL) {
        /* A password in the URL shows as *** (editing shows it whole). */
        char *shown = url_display(v);
        buf_puts(out, shown);
        free(shown);
        return;
    }
    /* One line: a multi-line system prompt shows its first line. */
    size_t n = strcspn(v, "\n");
    buf_append(out, v, n);
    if (v[n])
        buf_puts(out, " …");
}

static void source_text(const settings *st, opt_id id, buf *out)
{
    const opt_value *v = cfg_value(st->cfg, id);
    buf_puts(out, opt_source_name(v->src));
    if ((v->src == SRC_ENV || v->src == SRC_FLAG || v->src == SRC_PRESET) && v->src_detail)
        buf_printf(out, " (%s)", v->src_detail);
    const char *by = NULL;
    if (config_shadowed(st->cfg, id, &by))
        buf_puts(out, " ⚠");
}

static void label_text(const settings *st, opt_id id, buf *out)
{
    char key[64];
    snprintf(key, sizeof key, "settings.%s", opt_get_def(id)->key);
    const char *l = S(st, key);
    buf_puts(out, strcmp(l, key) == 0 ? opt_get_def(id)->key : l);
}

/* The Ctrl-T failure, explained for the endpoint that was tested. */
static void draw_test_failure(settings *st, WINDOW *w, int y)
{
    st->test_cx.lang = *st->lang;
    ui_lines l;
    lines_init(&l, getmaxx(w), true);
    panel_explain(&l, &st->test_cx, NULL, &st->test_failure);
    draw_lines(w, y, &l, 0, getmaxy(w) - y, NULL);
    lines_free(&l);
}

static void settings_draw(screen *sc, WINDOW *w, int64_t now)
{
    (void)now;
    settings *st = (settings *)sc;
    config *cfg = st->cfg;
    int H = getmaxy(w), W = getmaxx(w);
    draw_clear(w, ROLE_NORMAL);
    int y = 0;
    buf b;
    buf_init(&b);

    /* Profiles: ◂ openai ▸ */
    buf_printf(&b, " %s: ", S(st, "settings.profile"));
    for (size_t i = 0; i < cfg->nprofiles; i++)
        buf_printf(&b, i == cfg->current ? "[%s] " : "%s ", cfg->profiles[i].name);
    draw_text(w, y, 0, buf_str(&b), b.len, W, theme_attr(ROLE_HEADING));
    buf_reset(&b);
    y++;
    draw_str(w, y++, 1, S(st, "settings.profile_keys"), W - 2, ROLE_DIM);
    draw_rule(w, y++, ROLE_BORDER);

    /* Rows: below them the help of the focused field, a message, a test result. */
    int bottom = st->has_test_failure ? 9 : 3;
    int rows = H - y - bottom;
    if (rows < 3)
        rows = 3;
    if (st->focus < st->top)
        st->top = st->focus;
    if (st->focus >= st->top + rows)
        st->top = st->focus - rows + 1;
    int label_w = 20, source_w = W / 3;
    int value_w = W - label_w - source_w - 4;
    if (value_w < 10)
        value_w = 10;
    int cursor_y = -1, cursor_x = 0;
    for (int i = st->top; i < NFIELDS && y < H - bottom; i++, y++) {
        opt_id id = fields[i];
        bool focused = i == st->focus;
        unsigned long attr = theme_attr(focused ? ROLE_FOCUS : ROLE_NORMAL);
        if (focused)
            draw_fill_row(w, y, ROLE_FOCUS);
        draw_text(w, y, 0, focused ? "▸" : " ", 3, 1, attr);
        label_text(st, id, &b);
        draw_text(w, y, 2, buf_str(&b), b.len, label_w - 1, attr);
        buf_reset(&b);
        if (focused && st->mode == MODE_EDIT) {
            if (st->edit_secret && !st->reveal) {
                /* Typed as bullets: one per character. */
                cursor_x = label_w + 1 + (int)lineedit_mask(&st->edit, "•", &b);
            } else {
                buf_puts(&b, lineedit_text(&st->edit));
                cursor_x = label_w + 1 + lineedit_cursor_cols(&st->edit);
            }
            cursor_y = y;
            draw_text(w, y, label_w + 1, buf_str(&b), b.len, W - label_w - 2,
                      theme_attr(ROLE_INPUT));
        } else {
            value_text(st, id, &b);
            draw_text(w, y, label_w + 1, buf_str(&b), b.len, value_w, attr);
            buf_reset(&b);
            source_text(st, id, &b);
            draw_text(w, y, W - source_w, buf_str(&b), b.len, source_w - 1,
                      focused ? attr : theme_attr(ROLE_DIM));
        }
        buf_reset(&b);
    }

    /* Bottom: the focused field's help, then the message or the prompt of a mode. */
    y = H - bottom;
    draw_rule(w, y++, ROLE_BORDER);
    const opt_def *d = opt_get_def(fields[st->focus]);
    /* A shadowed value is said first: it explains why an edit seems to change nothing. */
    const char *by = NULL;
    if (config_shadowed(cfg, fields[st->focus], &by)) {
        buf_puts(&b, "⚠ ");
        buf_fill(&b, S(st, "settings.saved_shadowed"), 1, by ? by : "");
        buf_puts(&b, " · ");
    }
    opt_id fid = fields[st->focus];
    if (fid == OPT_PROVIDER) {
        preset_text(st, &b); /* what the preset gives: the help says the rest */
        buf_puts(&b, " · ");
    }
    buf_printf(&b, "%s", d->help);
    const char *var = cfg_env_name(cfg, fid);
    if (var)
        buf_printf(&b, " · env %s", var);
    if (fid == OPT_EXTRA_HEADERS)
        buf_printf(&b, " · %s", S(st, "settings.secret_headers"));
    if (st->mode == MODE_EDIT && st->edit_secret)
        buf_printf(&b, " · %s", S(st, st->reveal ? "settings.reveal_on" : "settings.reveal_off"));
    if (st->mode == MODE_EDIT && fields[st->focus] == OPT_MODEL && st->nmodels)
        buf_printf(&b, " · %s", S(st, "settings.pick_model"));
    draw_text(w, y++, 1, buf_str(&b), b.len, W - 2, theme_attr(ROLE_DIM));
    buf_reset(&b);

    const char *line = NULL;
    theme_role role = ROLE_OK;
    switch (st->mode) {
    case MODE_NEW_NAME:
    case MODE_RENAME:
        buf_printf(&b, "%s ",
                   S(st, st->mode == MODE_NEW_NAME ? "settings.new_name" : "settings.rename"));
        cursor_y = y;
        cursor_x = 1 + render_width(buf_str(&b), b.len) + lineedit_cursor_cols(&st->edit);
        buf_puts(&b, lineedit_text(&st->edit));
        line = buf_str(&b);
        role = ROLE_INPUT;
        break;
    case MODE_CONFIRM_DELETE:
        buf_fill(&b, S(st, "settings.confirm_delete"), 1, cfg_profile_name(cfg));
        line = buf_str(&b);
        role = ROLE_WARN;
        break;
    case MODE_CONFIRM_CLOSE:
        line = S(st, "settings.confirm_close");
        role = ROLE_WARN;
        break;
    default:
        if (st->message) {
            line = st->message;
            role = st->message_error ? ROLE_ERROR : ROLE_OK;
        } else if (!st->has_test_failure) {
            line = S(st, "settings.keys");
            role = ROLE_DIM;
        }
        break;
    }
    if (line)
        draw_str(w, y, 1, line, W - 2, role);
    y++;
    if (st->has_test_failure)
        draw_test_failure(st, w, y);
    buf_free(&b);
    draw_done(w, cursor_y, cursor_x);
}

static void settings_close(screen *sc)
{
    settings *st = (settings *)sc;
    if (st->test_job)
        worker_cancel(st->w, st->test_job);
    lineedit_free(&st->edit);
    free(st->message);
    failure_free(&st->test_failure);
    explain_ctx_done(&st->test_cx);
    api_free_strings(st->models, st->nmodels);
    free(st);
}

static const screen_ops settings_ops = {
    .name = "settings",
    .over_conversation = false,
    .draw = settings_draw,
    .key = settings_key,
    .event = settings_event,
    .close = settings_close,
};

screen *settings_new(config *cfg, worker *w, screens *stack, const guide_lang *lang,
                     bool first_run)
{
    settings *st = xcalloc(1, sizeof *st);
    st->base.ops = &settings_ops;
    st->cfg = cfg;
    st->w = w;
    st->stack = stack;
    st->lang = lang;
    st->mode = MODE_NAV;
    st->first_run = first_run;
    lineedit_init(&st->edit);
    failure_init(&st->test_failure);
    if (first_run)
        set_message(st, false, S(st, "settings.first_run"));
    return &st->base;
}
