/* The settings screen: a form over the typed option registry. Each field shows
 * its effective value and where it comes from; edits go to the config file's
 * layer (config_set_file) and Ctrl-S writes the file. The API key is never
 * shown in full: masked, typed as bullets, revealed only while Ctrl-R is on. */
#include "settings.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "classify.h"
#include "config.h"

/* The order of the form: the key first, as the first thing a new user needs. */
static const opt_id fields[] = {
    OPT_API_KEY,        OPT_BASE_URL,        OPT_MODEL,           OPT_ORGANIZATION,
    OPT_PROJECT,        OPT_SYSTEM,          OPT_TEMPERATURE,     OPT_MAX_TOKENS,
    OPT_STREAM,         OPT_CONNECT_TIMEOUT, OPT_IDLE_TIMEOUT,    OPT_MAX_RETRIES,
    OPT_BACKOFF_INITIAL, OPT_BACKOFF_MAX,    OPT_MAX_SERVER_WAIT, OPT_THEME,
    OPT_CODE_WRAP,      OPT_LANG,           OPT_STATUS_URL,      OPT_STATUS_POLL,     OPT_HELP_URL,
    OPT_CA_BUNDLE,      OPT_API_KEY_CMD,     OPT_NEEDS_KEY,
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

struct settings {
    int focus;
    int top;                  /* first field row shown */
    settings_mode mode;
    buf edit;                 /* the line being edited */
    size_t cursor;            /* byte offset in edit */
    bool reveal;              /* Ctrl-R: the key is shown while this is on */
    char *message;            /* one line under the form */
    bool message_error;
    bool first_run;
    uint64_t test_job;        /* Ctrl-T in flight */
    failure test_failure;
    bool has_test_failure;
    char **models;            /* from the last successful test */
    size_t nmodels;
    size_t model_pick;
};

static const char *S(const app *a, const char *key)
{
    return guide_str(a->cx.lang, key);
}

static void set_message(app *a, bool error, const char *text)
{
    settings *st = a->settings;
    free(st->message);
    st->message = xstrdup(text);
    st->message_error = error;
    a->dirty |= DIRTY_ALL;
}

static void clear_test(settings *st)
{
    if (st->has_test_failure) {
        failure_free(&st->test_failure);
        failure_init(&st->test_failure);
        st->has_test_failure = false;
    }
}

void settings_open(app *a, bool first_run)
{
    if (!a->settings) {
        a->settings = xcalloc(1, sizeof *a->settings);
        buf_init(&a->settings->edit);
        failure_init(&a->settings->test_failure);
    }
    settings *st = a->settings;
    st->focus = 0;
    st->top = 0;
    st->mode = MODE_NAV;
    st->reveal = false;
    st->first_run = first_run;
    free(st->message);
    st->message = NULL;
    if (first_run)
        set_message(a, false, S(a, "settings.first_run"));
    a->settings_open = true;
    a->dirty |= DIRTY_ALL;
}

void settings_free(app *a)
{
    settings *st = a->settings;
    if (!st)
        return;
    buf_free(&st->edit);
    free(st->message);
    failure_free(&st->test_failure);
    api_free_strings(st->models, st->nmodels);
    free(st);
    a->settings = NULL;
}

/* Applies what the form changed to the running chat. */
static void apply(app *a)
{
    app_config_changed(a);
}

static void do_close(app *a)
{
    a->settings_open = false;
    a->settings->mode = MODE_NAV;
    apply(a);
    a->dirty |= DIRTY_ALL;
}

static void save(app *a)
{
    char err[512];
    if (config_save(a->cfg, err, sizeof err) != 0) {
        set_message(a, true, err);
        return;
    }
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s %s", S(a, "settings.saved"), a->cfg->path);
    set_message(a, false, buf_str(&b));
    buf_free(&b);
    free(a->cfg->warning);
    a->cfg->warning = NULL;
    apply(a);
}

static void test_connection(app *a)
{
    settings *st = a->settings;
    if (st->test_job)
        worker_cancel(a->w, st->test_job);
    clear_test(st);
    char *url = xasprintf("%s/models", cfg_str(a->cfg, OPT_BASE_URL));
    worker_job job = {
        .kind = JOB_MODELS,
        .url = url,
        .api_key = cfg_bool(a->cfg, OPT_NEEDS_KEY) ? cfg_str(a->cfg, OPT_API_KEY) : NULL,
        .organization = cfg_str(a->cfg, OPT_ORGANIZATION),
        .project = cfg_str(a->cfg, OPT_PROJECT),
        .ca_bundle = cfg_str(a->cfg, OPT_CA_BUNDLE),
        .connect_timeout_s = cfg_double(a->cfg, OPT_CONNECT_TIMEOUT),
        .idle_timeout_s = cfg_double(a->cfg, OPT_IDLE_TIMEOUT),
    };
    st->test_job = worker_submit(a->w, &job);
    free(url);
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s GET %s/models …", S(a, "settings.testing"), cfg_str(a->cfg, OPT_BASE_URL));
    set_message(a, false, buf_str(&b));
    buf_free(&b);
}

bool settings_owns_job(const app *a, uint64_t job)
{
    return a->settings && a->settings->test_job && a->settings->test_job == job;
}

void settings_on_event(app *a, const worker_event *ev)
{
    settings *st = a->settings;
    if (ev->kind != WEV_DONE && ev->kind != WEV_FAILED)
        return;
    st->test_job = 0;
    clear_test(st);
    if (ev->kind == WEV_DONE) {
        char **ids = NULL;
        long n = api_parse_models(buf_str(&ev->body), ev->body.len, &ids);
        if (n >= 0) {
            api_free_strings(st->models, st->nmodels);
            st->models = ids;
            st->nmodels = (size_t)n;
            st->model_pick = 0;
            buf b;
            buf_init(&b);
            char count[24];
            snprintf(count, sizeof count, "%ld", n);
            buf_fill(&b, S(a, "settings.test_ok"), 1, count);
            buf_printf(&b, " · %s", cfg_str(a->cfg, OPT_BASE_URL));
            set_message(a, false, buf_str(&b));
            buf_free(&b);
            return;
        }
    }
    /* A failure (or a 200 that is not a model list): the guide's explanation. */
    classify_input in = {
        .net = ev->kind == WEV_DONE ? NET_MALFORMED : ev->net,
        .status = ev->status,
        .headers = &ev->headers,
        .body = ev->body.data,
        .body_len = ev->body.len,
        .detail = ev->detail,
    };
    classify(&in, &st->test_failure);
    st->has_test_failure = true;
    free(st->message);
    st->message = NULL;
    a->dirty |= DIRTY_ALL;
}

/* ---- the edit line ---- */

static void edit_start(app *a, const char *initial)
{
    settings *st = a->settings;
    buf_reset(&st->edit);
    if (initial)
        buf_puts(&st->edit, initial);
    st->cursor = st->edit.len;
}

static size_t utf8_prev(const char *s, size_t i)
{
    if (!i)
        return 0;
    i--;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static size_t utf8_next(const char *s, size_t len, size_t i)
{
    if (i >= len)
        return len;
    i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* Keys of the edit line; returns true when the key was an editing key. */
static bool edit_key(settings *st, int ch)
{
    buf *e = &st->edit;
    switch (ch) {
    case KEY_LEFT: st->cursor = utf8_prev(buf_str(e), st->cursor); return true;
    case KEY_RIGHT: st->cursor = utf8_next(buf_str(e), e->len, st->cursor); return true;
    case KEY_HOME: case 1: st->cursor = 0; return true;
    case KEY_END: case 5: st->cursor = e->len; return true;
    case 21: /* Ctrl-U */
        buf_reset(e);
        st->cursor = 0;
        return true;
    case KEY_BACKSPACE: case 127: case 8: {
        size_t p = utf8_prev(buf_str(e), st->cursor);
        memmove(e->data + p, e->data + st->cursor, e->len - st->cursor + 1);
        e->len -= st->cursor - p;
        st->cursor = p;
        return true;
    }
    case KEY_DC: {
        size_t n = utf8_next(buf_str(e), e->len, st->cursor);
        if (n > st->cursor) {
            memmove(e->data + st->cursor, e->data + n, e->len - n + 1);
            e->len -= n - st->cursor;
        }
        return true;
    }
    default:
        if (ch >= 32 && ch < 256 && ch != 127) {
            char c = (char)ch;
            buf_reserve(e, 1);
            memmove(e->data + st->cursor + 1, e->data + st->cursor, e->len - st->cursor + 1);
            e->data[st->cursor] = c;
            e->len++;
            st->cursor++;
            return true;
        }
        return false;
    }
}

static void commit_edit(app *a)
{
    settings *st = a->settings;
    opt_id id = fields[st->focus];
    char err[512];
    if (config_set_file(a->cfg, id, buf_str(&st->edit), err, sizeof err) != 0) {
        set_message(a, true, err); /* the edit stays open with what was typed */
        return;
    }
    st->mode = MODE_NAV;
    st->reveal = false;
    const char *by = NULL;
    if (config_shadowed(a->cfg, id, &by)) {
        buf b;
        buf_init(&b);
        buf_fill(&b, S(a, "settings.shadowed"), 1, by ? by : "");
        set_message(a, false, buf_str(&b));
        buf_free(&b);
    } else {
        free(st->message);
        st->message = NULL;
    }
    if (id == OPT_THEME || id == OPT_LANG)
        apply(a);
    a->dirty |= DIRTY_ALL;
}

static void begin_edit(app *a)
{
    settings *st = a->settings;
    opt_id id = fields[st->focus];
    const opt_def *d = opt_get_def(id);
    if (d->type == OPT_BOOL) {
        /* A switch flips at once. */
        char err[256];
        if (config_set_file(a->cfg, id, cfg_bool(a->cfg, id) ? "false" : "true", err, sizeof err) != 0)
            set_message(a, true, err);
        a->dirty |= DIRTY_ALL;
        return;
    }
    st->mode = MODE_EDIT;
    /* A key is typed afresh (it is never put on screen to edit); other values start as they are. */
    edit_start(a, d->type == OPT_SECRET ? "" : cfg_str(a->cfg, id));
    free(st->message);
    st->message = NULL;
    a->dirty |= DIRTY_ALL;
}

static void profile_name_done(app *a)
{
    settings *st = a->settings;
    char err[512];
    int rc = st->mode == MODE_NEW_NAME
                 ? config_profile_add(a->cfg, buf_str(&st->edit), err, sizeof err)
                 : config_profile_rename(a->cfg, a->cfg->current, buf_str(&st->edit), err,
                                         sizeof err);
    if (rc != 0) {
        set_message(a, true, err);
        return;
    }
    if (st->mode == MODE_NEW_NAME) {
        config_profile_select(a->cfg, a->cfg->nprofiles - 1, err, sizeof err);
        st->focus = 1; /* a new endpoint starts with its URL */
    }
    st->mode = MODE_NAV;
    apply(a);
    a->dirty |= DIRTY_ALL;
}

static void switch_profile(app *a, int step)
{
    size_t n = a->cfg->nprofiles;
    if (n < 2)
        return;
    size_t next = (a->cfg->current + n + (size_t)(step > 0 ? 1 : n - 1)) % n;
    char err[512];
    if (config_profile_select(a->cfg, next, err, sizeof err) != 0) {
        set_message(a, true, err);
        return;
    }
    clear_test(a->settings);
    apply(a);
    a->dirty |= DIRTY_ALL;
}

bool settings_key(app *a, int ch)
{
    settings *st = a->settings;
    if (!a->settings_open)
        return false;
    a->dirty |= DIRTY_ALL;
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
                commit_edit(a);
            else
                profile_name_done(a);
        } else if (ch == 18 && st->mode == MODE_EDIT) { /* Ctrl-R */
            st->reveal = !st->reveal;
        } else if ((ch == KEY_UP || ch == KEY_DOWN) && st->mode == MODE_EDIT &&
                   fields[st->focus] == OPT_MODEL && st->nmodels) {
            /* The model can be picked from the list Ctrl-T brought. */
            st->model_pick = (st->model_pick + (ch == KEY_DOWN ? 1 : st->nmodels - 1)) % st->nmodels;
            edit_start(a, st->models[st->model_pick]);
        } else {
            edit_key(st, ch);
        }
        return true;
    case MODE_CONFIRM_DELETE:
        if (ch == 'y' || ch == 'Y') {
            char err[512];
            if (config_profile_delete(a->cfg, a->cfg->current, err, sizeof err) != 0)
                set_message(a, true, err);
            apply(a);
        }
        st->mode = MODE_NAV;
        return true;
    case MODE_CONFIRM_CLOSE:
        if (ch == 's' || ch == 'S') {
            save(a);
            if (!config_dirty(a->cfg))
                do_close(a);
            else
                st->mode = MODE_NAV;
        } else if (ch == 'd' || ch == 'D') {
            app_reload_config(a);
            do_close(a);
        } else {
            st->mode = MODE_NAV;
        }
        return true;
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
        begin_edit(a);
        break;
    case 19: /* Ctrl-S */
        save(a);
        break;
    case 20: /* Ctrl-T */
        test_connection(a);
        break;
    case KEY_LEFT: switch_profile(a, -1); break;
    case KEY_RIGHT: switch_profile(a, 1); break;
    case 'a':
        st->mode = MODE_NEW_NAME;
        edit_start(a, "");
        break;
    case 'r':
        st->mode = MODE_RENAME;
        edit_start(a, cfg_profile_name(a->cfg));
        break;
    case 'd':
        if (a->cfg->nprofiles < 2)
            set_message(a, true, S(a, "settings.last_profile"));
        else
            st->mode = MODE_CONFIRM_DELETE;
        break;
    case KEY_BACKSPACE: case 127: case KEY_DC: {
        /* Back to the default: the field leaves the config file. */
        char err[256];
        if (config_set_file(a->cfg, fields[st->focus], NULL, err, sizeof err) != 0)
            set_message(a, true, err);
        break;
    }
    case 27: case KEY_F(2):
        if (config_dirty(a->cfg))
            st->mode = MODE_CONFIRM_CLOSE;
        else
            do_close(a);
        break;
    case 3: /* Ctrl-C leaves as Esc does */
        if (config_dirty(a->cfg))
            st->mode = MODE_CONFIRM_CLOSE;
        else
            do_close(a);
        break;
    default:
        break;
    }
    return true;
}

/* ---- drawing ---- */

static void value_text(app *a, opt_id id, buf *out)
{
    const char *v = cfg_str(a->cfg, id);
    if (opt_get_def(id)->type == OPT_SECRET) {
        char *m = config_mask_key(v);
        buf_puts(out, *m ? m : S(a, "settings.not_set"));
        free(m);
        return;
    }
    if (!*v) {
        buf_puts(out, S(a, "settings.empty"));
        return;
    }
    /* One line: a multi-line system prompt shows its first line. */
    size_t n = strcspn(v, "\n");
    buf_append(out, v, n);
    if (v[n])
        buf_puts(out, " …");
}

static void source_text(app *a, opt_id id, buf *out)
{
    const opt_value *v = cfg_value(a->cfg, id);
    buf_puts(out, opt_source_name(v->src));
    if ((v->src == SRC_ENV || v->src == SRC_FLAG) && v->src_detail)
        buf_printf(out, " (%s)", v->src_detail);
    const char *by = NULL;
    if (config_shadowed(a->cfg, id, &by))
        buf_puts(out, " ⚠");
}

static void label_text(app *a, opt_id id, buf *out)
{
    char key[64];
    snprintf(key, sizeof key, "settings.%s", opt_get_def(id)->key);
    const char *l = S(a, key);
    buf_puts(out, strcmp(l, key) == 0 ? opt_get_def(id)->key : l);
}

void settings_draw(app *a)
{
    settings *st = a->settings;
    WINDOW *w = a->form;
    int H = getmaxy(w), W = getmaxx(w);
    werase(w);
    wbkgdset(w, ' ' | (chtype)theme_attr(ROLE_NORMAL));
    int y = 0;
    buf b;
    buf_init(&b);

    /* Profiles: ◂ openai ▸ */
    buf_printf(&b, " %s: ", S(a, "settings.profile"));
    for (size_t i = 0; i < a->cfg->nprofiles; i++)
        buf_printf(&b, i == a->cfg->current ? "[%s] " : "%s ", a->cfg->profiles[i].name);
    put_text(w, y, 0, buf_str(&b), b.len, W, theme_attr(ROLE_HEADING));
    buf_reset(&b);
    y++;
    const char *hint = S(a, "settings.profile_keys");
    put_text(w, y++, 1, hint, strlen(hint), W - 2, theme_attr(ROLE_DIM));
    wattrset(w, (attr_t)theme_attr(ROLE_BORDER));
    mvwhline(w, y++, 0, ACS_HLINE, W);
    wattrset(w, A_NORMAL);

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
        if (focused) {
            wattrset(w, (attr_t)attr);
            mvwhline(w, y, 0, ' ', W);
            wattrset(w, A_NORMAL);
        }
        put_text(w, y, 0, focused ? "▸" : " ", 3, 1, attr);
        label_text(a, id, &b);
        put_text(w, y, 2, buf_str(&b), b.len, label_w - 1, attr);
        buf_reset(&b);
        if (focused && st->mode == MODE_EDIT) {
            if (opt_get_def(id)->type == OPT_SECRET && !st->reveal) {
                /* Typed as bullets: one per character. */
                for (size_t k = 0; k < st->edit.len; k = utf8_next(buf_str(&st->edit), st->edit.len, k))
                    buf_puts(&b, "•");
                size_t before = 0;
                for (size_t k = 0; k < st->cursor; k = utf8_next(buf_str(&st->edit), st->edit.len, k))
                    before++;
                cursor_x = label_w + 1 + (int)before;
            } else {
                buf_append(&b, buf_str(&st->edit), st->edit.len);
                cursor_x = label_w + 1 + render_width(buf_str(&st->edit), st->cursor);
            }
            cursor_y = y;
            put_text(w, y, label_w + 1, buf_str(&b), b.len, W - label_w - 2, theme_attr(ROLE_INPUT));
        } else {
            value_text(a, id, &b);
            put_text(w, y, label_w + 1, buf_str(&b), b.len, value_w, attr);
            buf_reset(&b);
            source_text(a, id, &b);
            put_text(w, y, W - source_w, buf_str(&b), b.len, source_w - 1,
                     focused ? attr : theme_attr(ROLE_DIM));
        }
        buf_reset(&b);
    }

    /* Bottom: the focused field's help, then the message or the prompt of a mode. */
    y = H - bottom;
    wattrset(w, (attr_t)theme_attr(ROLE_BORDER));
    mvwhline(w, y++, 0, ACS_HLINE, W);
    wattrset(w, A_NORMAL);
    const opt_def *d = opt_get_def(fields[st->focus]);
    /* A shadowed value is said first: it explains why an edit seems to change nothing. */
    const char *by = NULL;
    if (config_shadowed(a->cfg, fields[st->focus], &by)) {
        buf_puts(&b, "⚠ ");
        buf_fill(&b, S(a, "settings.saved_shadowed"), 1, by ? by : "");
        buf_puts(&b, " · ");
    }
    buf_printf(&b, "%s", d->help);
    if (d->env)
        buf_printf(&b, " · env %s", d->env);
    if (st->mode == MODE_EDIT && d->type == OPT_SECRET)
        buf_printf(&b, " · %s", S(a, st->reveal ? "settings.reveal_on" : "settings.reveal_off"));
    if (st->mode == MODE_EDIT && fields[st->focus] == OPT_MODEL && st->nmodels)
        buf_printf(&b, " · %s", S(a, "settings.pick_model"));
    put_text(w, y++, 1, buf_str(&b), b.len, W - 2, theme_attr(ROLE_DIM));
    buf_reset(&b);

    const char *line = NULL;
    theme_role role = ROLE_OK;
    switch (st->mode) {
    case MODE_NEW_NAME:
    case MODE_RENAME:
        buf_printf(&b, "%s ", S(a, st->mode == MODE_NEW_NAME ? "settings.new_name" : "settings.rename"));
        cursor_y = y;
        cursor_x = 1 + render_width(buf_str(&b), b.len) + render_width(buf_str(&st->edit), st->cursor);
        buf_append(&b, buf_str(&st->edit), st->edit.len);
        line = buf_str(&b);
        role = ROLE_INPUT;
        break;
    case MODE_CONFIRM_DELETE:
        buf_fill(&b, S(a, "settings.confirm_delete"), 1, cfg_profile_name(a->cfg));
        line = buf_str(&b);
        role = ROLE_WARN;
        break;
    case MODE_CONFIRM_CLOSE:
        line = S(a, "settings.confirm_close");
        role = ROLE_WARN;
        break;
    default:
        if (st->message) {
            line = st->message;
            role = st->message_error ? ROLE_ERROR : ROLE_OK;
        } else if (!st->has_test_failure) {
            line = S(a, "settings.keys");
            role = ROLE_DIM;
        }
        break;
    }
    if (line)
        put_text(w, y, 1, line, strlen(line), W - 2, theme_attr(role));
    y++;
    if (st->has_test_failure)
        panel_explain_draw(a, w, y, H - y, &st->test_failure);
    buf_free(&b);
    if (cursor_y >= 0) {
        curs_set(1);
        wmove(w, cursor_y, cursor_x < W ? cursor_x : W - 1);
    } else {
        curs_set(0);
    }
    wnoutrefresh(w);
}
