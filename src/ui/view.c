/* The conversation pane. Messages are rendered (Markdown) and wrapped once per
 * change and width, cached by message id; drawing walks back from the bottom,
 * so its cost is what is visible, not the conversation's length. */
#include "app.h"

#include <stdlib.h>
#include <string.h>

enum { GUTTER = 6 }; /* " you  " */

static theme_role md_role(uint8_t st)
{
    static const theme_role roles[MD__COUNT] = {
        [MD_PLAIN] = ROLE_NORMAL,   [MD_BOLD] = ROLE_BOLD,     [MD_ITALIC] = ROLE_ITALIC,
        [MD_CODE] = ROLE_CODE,      [MD_CODE_BLOCK] = ROLE_CODE, [MD_FENCE] = ROLE_DIM,
        [MD_HEADING] = ROLE_HEADING, [MD_QUOTE] = ROLE_QUOTE,  [MD_LIST] = ROLE_LIST,
        [MD_RULE] = ROLE_DIM,
    };
    return st < MD__COUNT ? roles[st] : ROLE_NORMAL;
}

static int text_width(const app *a)
{
    int w = getmaxx(a->conv) - GUTTER - 1;
    return w > 8 ? w : 8;
}

static view_cache *cache_for(app *a, size_t i)
{
    if (i >= a->ncache) {
        size_t n = a->s.nmsgs > i + 1 ? a->s.nmsgs : i + 1;
        a->cache = xrealloc_array(a->cache, n, sizeof *a->cache);
        for (size_t k = a->ncache; k < n; k++) {
            memset(&a->cache[k], 0, sizeof a->cache[k]);
            md_init(&a->cache[k].md);
            wrap_init(&a->cache[k].lines);
        }
        a->ncache = n;
    }
    view_cache *c = &a->cache[i];
    const chat_msg *m = &a->s.msgs[i];
    int width = text_width(a);
    if (c->id == m->id && c->text_len == m->text.len && c->flags == m->flags && c->width == width &&
        c->code_wrap == a->code_wrap)
        return c;
    if (c->id != m->id || c->text_len != m->text.len) {
        if (m->role == API_ROLE_ASSISTANT) {
            md_render(&c->md, buf_str(&m->text), m->text.len);
        } else {
            /* What the user typed is shown as typed. */
            buf_reset(&c->md.text);
            buf_append(&c->md.text, buf_str(&m->text), m->text.len);
            if (c->md.style_cap < m->text.len + 1) {
                c->md.style_cap = m->text.len + 1;
                c->md.style = xrealloc(c->md.style, c->md.style_cap);
            }
            memset(c->md.style, MD_PLAIN, m->text.len + 1);
        }
    }
    wrap_text(&c->lines, buf_str(&c->md.text), c->md.text.len, c->md.style, width, a->code_wrap);
    c->id = m->id;
    c->text_len = m->text.len;
    c->flags = m->flags;
    c->width = width;
    c->code_wrap = a->code_wrap;
    return c;
}

/* A line under a message that says what happened to it, or NULL. */
static const char *msg_marker(const app *a, const chat_msg *m, theme_role *role)
{
    static char text[256];
    if (m->flags & MSG_PENDING)
        return NULL;
    if (m->flags & (MSG_FAILED | MSG_INTERRUPTED)) {
        *role = ROLE_MARKER;
        const char *what = m->error < GUIDE__COUNT
                               ? guide_entry_text(m->error, a->cx.lang)->title
                               : guide_str(a->cx.lang, "interrupted");
        if (m->flags & MSG_FAILED)
            snprintf(text, sizeof text, "✖ %s · F5 %s", what, guide_str(a->cx.lang, "ui.resend"));
        else
            snprintf(text, sizeof text, "⚠ %s: %s · F5 %s", guide_str(a->cx.lang, "interrupted"),
                     what, guide_str(a->cx.lang, "ui.regenerate"));
        return text;
    }
    if (m->role == API_ROLE_ASSISTANT && m->finish_reason) {
        *role = ROLE_WARN;
        if (strcmp(m->finish_reason, "length") == 0)
            return guide_str(a->cx.lang, "cut_by_length");
        if (strcmp(m->finish_reason, "content_filter") == 0)
            return guide_str(a->cx.lang, "content_filter");
    }
    if (m->flags & MSG_REFUSAL) {
        *role = ROLE_WARN;
        return guide_str(a->cx.lang, "refusal");
    }
    return NULL;
}

/* Lines a message takes: its text (at least one line), a marker, a blank line. */
static int msg_height(app *a, size_t i)
{
    view_cache *c = cache_for(a, i);
    theme_role r;
    int n = c->lines.n ? (int)c->lines.n : 1;
    if (msg_marker(a, &a->s.msgs[i], &r))
        n++;
    return n + 1;
}

static void draw_text_line(app *a, int y, const view_cache *c, const wrap_line *l, theme_role base)
{
    int x = GUTTER + l->indent;
    const char *text = buf_str(&c->md.text);
    size_t pos = l->start, end = (size_t)l->start + l->len;
    while (pos < end) {
        uint8_t st = c->md.style[pos];
        size_t run = pos + 1;
        while (run < end && c->md.style[run] == st)
            run++;
        theme_role role = st == MD_PLAIN ? base : md_role(st);
        x += put_text(a->conv, y, x, text + pos, run - pos, getmaxx(a->conv) - x,
                      theme_attr(role));
        pos = run;
    }
    if (l->cut && x < getmaxx(a->conv))
        put_text(a->conv, y, getmaxx(a->conv) - 1, "›", 3, 1, theme_attr(ROLE_DIM));
}

/* Draws message i's line `line` (0-based within its height) at row y. */
static void draw_msg_line(app *a, size_t i, int line, int y)
{
    const chat_msg *m = &a->s.msgs[i];
    view_cache *c = cache_for(a, i);
    int ntext = c->lines.n ? (int)c->lines.n : 1;
    theme_role base = m->role == API_ROLE_SYSTEM ? ROLE_DIM : ROLE_NORMAL;
    if (line == 0) {
        static const char *const labels[] = {[API_ROLE_SYSTEM] = "sys", [API_ROLE_USER] = "you",
                                             [API_ROLE_ASSISTANT] = "ai"};
        theme_role lr = m->role == API_ROLE_USER        ? ROLE_USER
                        : m->role == API_ROLE_ASSISTANT ? ROLE_ASSISTANT
                                                        : ROLE_SYSTEM;
        put_text(a->conv, y, 1, labels[m->role], strlen(labels[m->role]), GUTTER - 2,
                 theme_attr(lr));
    }
    if (line < ntext) {
        if (c->lines.n)
            draw_text_line(a, y, c, &c->lines.v[line], base);
        else if (m->flags & MSG_PENDING)
            put_text(a->conv, y, GUTTER, "…", 3, 1, theme_attr(ROLE_DIM));
        return;
    }
    theme_role r = ROLE_MARKER;
    const char *marker = msg_marker(a, m, &r);
    if (marker && line == ntext)
        put_text(a->conv, y, GUTTER, marker, strlen(marker), getmaxx(a->conv) - GUTTER,
                 theme_attr(r));
}

void view_draw(app *a)
{
    WINDOW *w = a->conv;
    werase(w);
    wbkgdset(w, ' ' | (chtype)theme_attr(ROLE_NORMAL));
    int h = getmaxy(w);
    if (h <= 0)
        return;
    if (a->s.nmsgs == 0) {
        const char *hint = guide_str(a->cx.lang, "ui.empty");
        put_text(w, h / 2, 2, hint, strlen(hint), getmaxx(w) - 4, theme_attr(ROLE_DIM));
        wnoutrefresh(w);
        return;
    }
    /* Walk back from the bottom: skip `scroll` lines, then fill the window. */
    int skip = a->scroll;
    int row = h - 1;
    size_t i = a->s.nmsgs;
    bool reached_top = false;
    while (row >= 0) {
        if (i == 0) {
            reached_top = true;
            break;
        }
        i--;
        int mh = msg_height(a, i);
        /* The blank separator is the message's last line; the newest message has none. */
        int last = i + 1 == a->s.nmsgs ? mh - 2 : mh - 1;
        for (int line = last; line >= 0 && row >= 0; line--) {
            if (skip > 0) {
                skip--;
                continue;
            }
            if (line < mh - 1)
                draw_msg_line(a, i, line, row);
            row--;
        }
    }
    if (reached_top && skip > 0) {
        /* Scrolled past the top: clamp and draw again from there. */
        a->scroll -= skip;
        if (a->scroll < 0)
            a->scroll = 0;
        view_draw(a);
        return;
    }
    if (a->scroll > 0) {
        char more[96];
        snprintf(more, sizeof more, " ↓ %d · End ", a->scroll);
        int cols = render_width(more, strlen(more));
        put_text(w, h - 1, getmaxx(w) - cols - 1, more, strlen(more), cols,
                 theme_attr(ROLE_STATUS));
    }
    wnoutrefresh(w);
}

void view_scroll(app *a, int lines)
{
    a->scroll += lines;
    if (a->scroll < 0)
        a->scroll = 0;
    a->dirty |= DIRTY_CONV;
}

int view_page(const app *a)
{
    int h = getmaxy(a->conv) - 2;
    return h > 1 ? h : 1;
}

void view_free(app *a)
{
    for (size_t i = 0; i < a->ncache; i++) {
        md_free(&a->cache[i].md);
        wrap_free(&a->cache[i].lines);
    }
    free(a->cache);
    a->cache = NULL;
    a->ncache = 0;
}
