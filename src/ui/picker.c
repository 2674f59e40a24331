#include "picker.h"

#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "fold.h"
#include "lineedit.h"
#include "render.h"
#include "term.h"

typedef struct pitem {
    char *label, *right, *detail, *id;
    bool current, disabled;
    size_t fold_off, fold_len; /* in picker.folded: the label, '\n', the search text */
} pitem;

typedef enum { MODE_LIST, MODE_CONFIRM, MODE_PROMPT } pick_mode;

struct picker {
    screen base;
    char *name, *title, *keys_help, *enter_help;
    const guide_lang *lang;
    int keys[PICKER_KEYS_MAX];
    int close_key;
    picker_calls calls;
    void *ud;

    pitem *items;
    size_t n;
    buf folded;    /* every item's folded text, one after the other */
    size_t *shown; /* indexes of the items the filter lets through, in order */
    size_t nshown;
    size_t sel; /* index into shown */
    int top;    /* the first shown item on screen */
    int rows;   /* list rows at the last draw (a page) */

    lineedit filter;
    buf query;       /* the filter folded, as the shown items were filtered with */
    bool list_focus; /* the caller's keys act (else every character goes to the filter) */

    char *loading; /* instead of the items, when set */
    pager_build_fn lines_build;
    void *lines_ud;

    pick_mode mode;
    char *question; /* MODE_CONFIRM, MODE_PROMPT */
    char *answer_id;
    picker_answer_fn answer;
    lineedit answer_text;

    char *message; /* until the next key */
    bool message_error;
};

static const char *S(const picker *p, const char *key)
{
    return guide_str(p->lang ? *p->lang : GUIDE_LANG_EN, key);
}

static bool has_keys(const picker *p)
{
    return p->keys[0] != 0;
}

/* ---- filtering ---- */

static bool item_matches(const picker *p, const pitem *it, const char *q, size_t qlen)
{
    return fold_find(p->folded.data + it->fold_off, it->fold_len, q, qlen);
}

/* Filters the items with the filter as typed, keeping the selected item selected when it is
 * still shown. A filter that only grew looks at the items shown already: none of the others
 * can match it. */
static void refilter(picker *p)
{
    if (lineedit_partial(&p->filter))
        return; /* the rest of a character is on its way */
    const char *id = picker_selected(p);
    char *keep = id ? xstrdup(id) : NULL;
    buf q;
    buf_init(&q);
    const char *text = lineedit_text(&p->filter);
    fold_append(&q, text, strlen(text));
    bool narrower = q.len >= p->query.len && memcmp(q.data, buf_str(&p->query), p->query.len) == 0;
    size_t k = 0;
    if (narrower) {
        for (size_t i = 0; i < p->nshown; i++)
            if (item_matches(p, &p->items[p->shown[i]], q.data, q.len))
                p->shown[k++] = p->shown[i];
    } else {
        for (size_t i = 0; i < p->n; i++)
            if (item_matches(p, &p->items[i], q.data, q.len))
                p->shown[k++] = i;
    }
    p->nshown = k;
    buf_free(&p->query);
    p->query = q;
    p->sel = 0;
    p->top = 0;
    if (keep)
        picker_select(p, keep);
    free(keep);
}

/* ---- items ---- */

static void free_items(picker *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].label);
        free(p->items[i].right);
        free(p->items[i].detail);
        free(p->items[i].id);
    }
    free(p->items);
    free(p->shown);
    p->items = NULL;
    p->shown = NULL;
    p->n = p->nshown = 0;
    buf_reset(&p->folded);
}

void picker_set_items(picker *p, const picker_item *items, size_t n)
{
    const char *sel = picker_selected(p);
    char *keep = sel ? xstrdup(sel) : NULL;
    free_items(p);
    free(p->loading);
    p->loading = NULL;
    p->lines_build = NULL;
    p->items = n ? xcalloc(n, sizeof *p->items) : NULL;
    p->shown = n ? xmalloc_array(n, sizeof *p->shown) : NULL;
    p->n = n;
    const char *current = NULL;
    for (size_t i = 0; i < n; i++) {
        const picker_item *in = &items[i];
        pitem *it = &p->items[i];
        const char *label = in->label ? in->label : "";
        it->label = xstrdup(label);
        it->right = xstrdup(in->right);
        it->detail = xstrdup(in->detail);
        it->id = xstrdup(in->id ? in->id : label);
        it->current = in->current;
        it->disabled = in->disabled;
        it->fold_off = p->folded.len;
        fold_append(&p->folded, label, strlen(label));
        if (in->search) {
            buf_putc(&p->folded, '\n'); /* a filter is one line: it never matches across */
            buf_puts(&p->folded, in->search);
        }
        it->fold_len = p->folded.len - it->fold_off;
        p->shown[i] = i;
        if (it->current && !current)
            current = it->id;
    }
    p->nshown = n;
    p->sel = 0;
    buf_reset(&p->query);
    refilter(p);
    if (!picker_select(p, keep))
        picker_select(p, current);
    free(keep);
}

bool picker_select(picker *p, const char *id)
{
    for (size_t i = 0; id && i < p->nshown; i++) {
        if (strcmp(p->items[p->shown[i]].id, id) == 0) {
            p->sel = i;
            return true;
        }
    }
    return false;
}

void picker_set_loading(picker *p, const char *text)
{
    free(p->loading);
    p->loading = xstrdup(text);
    p->lines_build = NULL;
}

void picker_set_lines(picker *p, pager_build_fn build, void *ud)
{
    free(p->loading);
    p->loading = NULL;
    p->lines_build = build;
    p->lines_ud = ud;
}

void picker_message(picker *p, bool error, const char *text)
{
    free(p->message);
    p->message = xstrdup(text);
    p->message_error = error;
}

static void ask(picker *p, pick_mode mode, const char *question, const char *id,
                picker_answer_fn answer)
{
    free(p->question);
    free(p->answer_id);
    p->question = xstrdup(question);
    p->answer_id = xstrdup(id);
    p->answer = answer;
    p->mode = mode;
}

void picker_confirm(picker *p, const char *question, const char *id, picker_answer_fn answer)
{
    ask(p, MODE_CONFIRM, question, id, answer);
}

void picker_prompt(picker *p, const char *label, const char *initial, const char *id,
                   picker_answer_fn answer)
{
    ask(p, MODE_PROMPT, label, id, answer);
    lineedit_set(&p->answer_text, initial);
}

size_t picker_shown(const picker *p)
{
    return p->nshown;
}

const char *picker_shown_id(const picker *p, size_t i)
{
    return i < p->nshown ? p->items[p->shown[i]].id : NULL;
}

const char *picker_selected(const picker *p)
{
    return p->sel < p->nshown ? p->items[p->shown[p->sel]].id : NULL;
}

const char *picker_filter(const picker *p)
{
    return lineedit_text(&p->filter);
}

/* ---- keys ---- */

static void move_sel(picker *p, long by)
{
    if (!p->nshown)
        return;
    long s = (long)p->sel + by;
    if (s < 0)
        s = 0;
    if (s >= (long)p->nshown)
        s = (long)p->nshown - 1;
    p->sel = (size_t)s;
}

static unsigned choose_selected(picker *p)
{
    if (p->sel >= p->nshown || p->loading || p->lines_build)
        return UI_REDRAW_ALL;
    const pitem *it = &p->items[p->shown[p->sel]];
    if (it->disabled) {
        picker_message(p, true, it->detail ? it->detail : S(p, "ui.picker.disabled"));
        return UI_REDRAW_ALL;
    }
    return (p->calls.choose ? p->calls.choose(p->ud, p, it->id) : UI_CLOSE) | UI_REDRAW_ALL;
}

static bool is_caller_key(const picker *p, int key)
{
    for (int i = 0; i < PICKER_KEYS_MAX && p->keys[i]; i++)
        if (p->keys[i] == key)
            return true;
    return false;
}

static bool is_enter(int key)
{
    return key == '\r' || key == '\n' || key == KEY_ENTER;
}

/* A key while a question or a prompt is asked. */
static unsigned answer_key(picker *p, int key)
{
    char *text = NULL;
    if (p->mode == MODE_CONFIRM) {
        if (key != 'y' && key != 'Y') {
            p->mode = MODE_LIST;
            return UI_REDRAW_ALL;
        }
    } else if (is_enter(key)) {
        text = xstrdup(lineedit_text(&p->answer_text));
    } else if (key == 27 || key == 3) {
        p->mode = MODE_LIST;
        return UI_REDRAW_ALL;
    } else {
        lineedit_key(&p->answer_text, key, LINEEDIT_MOVE);
        return UI_REDRAW_ALL;
    }
    p->mode = MODE_LIST;
    char *id = p->answer_id;
    p->answer_id = NULL;
    unsigned f = p->answer ? p->answer(p->ud, p, id, text) : 0;
    free(id);
    free(text);
    return f | UI_REDRAW_ALL;
}

static unsigned picker_key(screen *s, int key)
{
    picker *p = (picker *)s;
    free(p->message);
    p->message = NULL;
    if (p->mode != MODE_LIST)
        return answer_key(p, key);
    int page = p->rows > 1 ? p->rows - 1 : 1;
    switch (key) {
    case 27:
    case 3: /* Esc, Ctrl-C */
        return UI_CLOSE | UI_REDRAW_ALL;
    case KEY_UP:
        move_sel(p, -1);
        break;
    case KEY_DOWN:
        move_sel(p, 1);
        break;
    case KEY_PPAGE:
        move_sel(p, -page);
        break;
    case KEY_NPAGE:
        move_sel(p, page);
        break;
    case KEY_HOME:
        move_sel(p, -(long)p->nshown);
        break;
    case KEY_END:
        move_sel(p, (long)p->nshown);
        break;
    case '\t':
        p->list_focus = !p->list_focus && has_keys(p);
        return UI_REDRAW_ALL;
    default:
        if (key == p->close_key && key)
            return UI_CLOSE | UI_REDRAW_ALL;
        if (is_enter(key))
            return choose_selected(p);
        if (p->list_focus && is_caller_key(p, key)) {
            if (p->loading || p->lines_build || !p->calls.key)
                return UI_REDRAW_ALL;
            return p->calls.key(p->ud, p, key, picker_selected(p)) | UI_REDRAW_ALL;
        }
        if (p->list_focus && key == '/') {
            p->list_focus = false;
            return UI_REDRAW_ALL;
        }
        if (lineedit_key(&p->filter, key, 0)) {
            p->list_focus = false;
            refilter(p);
        }
        return UI_REDRAW_ALL;
    }
    p->list_focus = has_keys(p);
    return UI_REDRAW_ALL;
}

static unsigned picker_event(screen *s, const worker_event *ev)
{
    picker *p = (picker *)s;
    return p->calls.event ? p->calls.event(p->ud, p, ev) : UI_PASS;
}

/* ---- drawing ---- */

static void draw_item(picker *p, WINDOW *w, int y, size_t i, bool selected)
{
    const pitem *it = &p->items[p->shown[i]];
    int W = getmaxx(w);
    theme_role role = selected ? ROLE_FOCUS : it->disabled ? ROLE_DIM : ROLE_NORMAL;
    if (selected)
        draw_fill_row(w, y, ROLE_FOCUS);
    draw_str(w, y, 0, selected ? "▸" : " ", 1, role);
    if (it->current)
        draw_str(w, y, 2, "•", 1, selected ? ROLE_FOCUS : ROLE_OK);
    int right = it->right ? render_width(it->right, strlen(it->right)) : 0;
    if (right > W / 2)
        right = W / 2;
    draw_str(w, y, 4, it->label, W - 4 - (right ? right + 3 : 1), role);
    if (right)
        draw_str(w, y, W - right - 1, it->right, right, selected ? ROLE_FOCUS : ROLE_DIM);
}

/* The list, or what stands instead of it, in rows [y, y + rows). */
static void draw_body(picker *p, WINDOW *w, int y, int rows)
{
    if (p->loading) {
        draw_str(w, y, 2, p->loading, getmaxx(w) - 3, ROLE_DIM);
        return;
    }
    if (p->lines_build) {
        ui_lines l;
        lines_init(&l, getmaxx(w) - 2, true);
        p->lines_build(p->lines_ud, &l);
        draw_lines(w, y, &l, 0, rows, NULL);
        lines_free(&l);
        return;
    }
    if (!p->nshown) {
        draw_str(w, y, 2, S(p, p->n ? "ui.picker.no_match" : "ui.picker.empty"), getmaxx(w) - 3,
                 ROLE_DIM);
        return;
    }
    if ((int)p->sel < p->top)
        p->top = (int)p->sel;
    if ((int)p->sel >= p->top + rows)
        p->top = (int)p->sel - rows + 1;
    for (int r = 0; r < rows && (size_t)(p->top + r) < p->nshown; r++)
        draw_item(p, w, y + r, (size_t)(p->top + r), (size_t)(p->top + r) == p->sel);
}

/* The line above the keys: a question, a prompt, a message, or the selected item's detail.
 * Returns the cursor's column when it belongs there, else -1. */
static int draw_status(picker *p, WINDOW *w, int y)
{
    int W = getmaxx(w);
    if (p->mode == MODE_CONFIRM) {
        draw_str(w, y, 1, p->question, W - 2, ROLE_WARN);
        return -1;
    }
    if (p->mode == MODE_PROMPT) {
        int x = 1 + draw_str(w, y, 1, p->question, W / 2, ROLE_INPUT) + 1;
        draw_str(w, y, x, lineedit_text(&p->answer_text), W - x - 1, ROLE_INPUT);
        return x + lineedit_cursor_cols(&p->answer_text);
    }
    if (p->message) {
        draw_str(w, y, 1, p->message, W - 2, p->message_error ? ROLE_ERROR : ROLE_OK);
    } else if (p->sel < p->nshown && !p->loading && !p->lines_build) {
        const pitem *it = &p->items[p->shown[p->sel]];
        if (it->detail)
            draw_str(w, y, 1, it->detail, W - 2, it->disabled ? ROLE_ERROR : ROLE_DIM);
    }
    return -1;
}

static void picker_draw(screen *s, WINDOW *w, int64_t now)
{
    (void)now;
    picker *p = (picker *)s;
    int H = getmaxy(w), W = getmaxx(w);
    draw_clear(w, ROLE_NORMAL);
    buf b;
    buf_init(&b);

    /* The title, and how many items the filter lets through. */
    draw_str(w, 0, 1, p->title, W - 2, ROLE_HEADING);
    if (!p->loading && !p->lines_build) {
        char shown[32], all[32];
        snprintf(shown, sizeof shown, "%zu", p->nshown);
        snprintf(all, sizeof all, "%zu", p->n);
        buf_fill(&b, S(p, "ui.picker.count"), 2, shown, all);
        int cols = render_width(buf_str(&b), b.len);
        if (cols < W / 2)
            draw_str(w, 0, W - cols - 1, buf_str(&b), cols, ROLE_DIM);
        buf_reset(&b);
    }

    /* The filter line. */
    int cursor_y = -1, cursor_x = 0;
    int x = 1 + draw_str(w, 1, 1, "› ", 2, ROLE_INPUT);
    const char *f = lineedit_text(&p->filter);
    if (*f) {
        draw_str(w, 1, x, f, W - x - 1, ROLE_INPUT);
    } else {
        draw_str(w, 1, x, S(p, "ui.picker.filter"), W - x - 1, ROLE_DIM);
    }
    if (!p->list_focus && p->mode == MODE_LIST) {
        cursor_y = 1;
        cursor_x = x + lineedit_cursor_cols(&p->filter);
    }
    draw_rule(w, 2, ROLE_BORDER);

    int rows = H - 6 > 1 ? H - 6 : 1;
    p->rows = rows;
    draw_body(p, w, 3, rows);

    draw_rule(w, H - 3, ROLE_BORDER);
    int col = draw_status(p, w, H - 2);
    if (col >= 0) {
        cursor_y = H - 2;
        cursor_x = col;
    }
    /* The keys that apply now. */
    if (p->mode == MODE_LIST) {
        buf_fill(&b, S(p, "ui.picker.keys"), 1,
                 p->enter_help ? p->enter_help : S(p, "ui.picker.choose"));
        if (p->keys_help)
            buf_printf(&b, " · %s%s", p->list_focus ? "" : S(p, "ui.picker.tab"), p->keys_help);
    } else {
        buf_puts(&b, S(p, p->mode == MODE_CONFIRM ? "ui.picker.keys_confirm"
                                                  : "ui.picker.keys_prompt"));
    }
    draw_str(w, H - 1, 1, buf_str(&b), W - 2, ROLE_DIM);
    buf_free(&b);

    draw_done(w, cursor_y, cursor_x);
}

/* ---- life ---- */

static void picker_close(screen *s)
{
    picker *p = (picker *)s;
    if (p->calls.done)
        p->calls.done(p->ud);
    free_items(p);
    buf_free(&p->folded);
    buf_free(&p->query);
    lineedit_free(&p->filter);
    lineedit_free(&p->answer_text);
    free(p->loading);
    free(p->question);
    free(p->answer_id);
    free(p->message);
    free(p->name);
    free(p->title);
    free(p->keys_help);
    free(p->enter_help);
    free(p);
}

static const screen_ops picker_ops = {
    .name = "picker",
    .over_conversation = false,
    .draw = picker_draw,
    .key = picker_key,
    .event = picker_event,
    .close = picker_close,
};

picker *picker_new(const picker_opts *o)
{
    picker *p = xcalloc(1, sizeof *p);
    p->base.ops = &picker_ops;
    p->name = xstrdup(o->name ? o->name : "");
    p->title = xstrdup(o->title ? o->title : "");
    p->keys_help = xstrdup(o->keys_help);
    p->enter_help = xstrdup(o->enter_help);
    p->lang = o->lang;
    memcpy(p->keys, o->keys, sizeof p->keys);
    p->close_key = o->close_key;
    p->calls = o->calls;
    p->ud = o->ud;
    buf_init(&p->folded);
    buf_init(&p->query);
    lineedit_init(&p->filter);
    lineedit_init(&p->answer_text);
    return p;
}

screen *picker_screen(picker *p)
{
    return &p->base;
}

bool picker_is(const screen *s, const char *name)
{
    return s && s->ops == &picker_ops && strcmp(((const picker *)s)->name, name) == 0;
}

picker *picker_names(const char *name, const char *title, const guide_lang *lang,
                     const char *const *names, size_t n, const char *current,
                     unsigned (*choose)(void *ud, picker *p, const char *name), void *ud)
{
    picker_opts o = {
        .name = name, .title = title, .lang = lang, .calls = {.choose = choose}, .ud = ud};
    picker *p = picker_new(&o);
    picker_item *items = n ? xcalloc(n, sizeof *items) : NULL;
    for (size_t i = 0; i < n; i++)
        items[i] = (picker_item){.label = names[i],
                                 .current = current && strcmp(names[i], current) == 0};
    picker_set_items(p, items, n);
    free(items);
    return p;
}
