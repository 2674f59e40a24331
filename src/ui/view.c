#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "explain.h"
#include "screen.h"

enum {
    GUTTER = 6, /* " you  " */
    REASONING_INDENT = 2,
};

static theme_role md_role(uint8_t st)
{
    static const theme_role roles[MD__COUNT] = {
        [MD_PLAIN] = ROLE_NORMAL,
        [MD_BOLD] = ROLE_BOLD,
        [MD_ITALIC] = ROLE_ITALIC,
        [MD_CODE] = ROLE_CODE,
        [MD_CODE_BLOCK] = ROLE_CODE,
        [MD_FENCE] = ROLE_DIM,
        [MD_HEADING] = ROLE_HEADING,
        [MD_QUOTE] = ROLE_QUOTE,
        [MD_LIST] = ROLE_LIST,
        [MD_RULE] = ROLE_DIM,
        [MD_CODE_KEYWORD] = ROLE_CODE_KEYWORD,
        [MD_CODE_STRING] = ROLE_CODE_STRING,
        [MD_CODE_COMMENT] = ROLE_CODE_COMMENT,
        [MD_CODE_NUMBER] = ROLE_CODE_NUMBER,
        [MD_CODE_NAME] = ROLE_CODE_NAME,
        [MD_DIFF_ADD] = ROLE_DIFF_ADD,
        [MD_DIFF_DEL] = ROLE_DIFF_DEL,
    };
    return st < MD__COUNT ? roles[st] : ROLE_NORMAL;
}

/* What one draw works with. */
typedef struct pane {
    view *v;
    WINDOW *w;      /* NULL when only measuring */
    const session *s;
    guide_lang lang;
    int cols;       /* the pane's width */
} pane;

static int text_width(const pane *p)
{
    int w = p->cols - GUTTER - 1;
    return w > 8 ? w : 8;
}

/* Room for n messages in the cache. An entry of zeros is an empty one (md_init and wrap_init
 * give zeros): the first allocation is calloc's, whose pages a long conversation loaded at once
 * does not touch until its messages are drawn. */
static void cache_grow(view *v, size_t n)
{
    if (n <= v->ncache)
        return;
    if (!v->cache) {
        v->cache = xcalloc(n, sizeof *v->cache);
    } else {
        v->cache = xrealloc_array(v->cache, n, sizeof *v->cache);
        memset(v->cache + v->ncache, 0, (n - v->ncache) * sizeof *v->cache);
    }
    v->ncache = n;
}

static view_cache *cache_for(const pane *p, size_t i)
{
    view *v = p->v;
    cache_grow(v, p->s->nmsgs > i + 1 ? p->s->nmsgs : i + 1);
    view_cache *c = &v->cache[i];
    const chat_msg *m = &p->s->msgs[i];
    int width = text_width(p);
    if (c->id == m->id && c->text_len == m->text.len && c->flags == m->flags && c->width == width &&
        c->code_wrap == v->code_wrap)
        return c;
    /* A reply that streams only grows: what was rendered and wrapped of it stays. */
    bool same = c->id == m->id && m->text.len >= c->text_len;
    size_t unchanged = same ? c->md.text.len : 0;
    if (c->id != m->id || c->text_len != m->text.len) {
        if (m->role != API_ROLE_ASSISTANT)
            md_plain(&c->md, buf_str(&m->text), m->text.len); /* shown as typed */
        else if (same)
            unchanged = md_render_more(&c->md, buf_str(&m->text), m->text.len);
        else
            md_render(&c->md, buf_str(&m->text), m->text.len);
    }
    if (same && c->width == width && c->code_wrap == v->code_wrap)
        wrap_text_more(&c->lines, buf_str(&c->md.text), c->md.text.len, c->md.style, width,
                       v->code_wrap, unchanged);
    else
        wrap_text(&c->lines, buf_str(&c->md.text), c->md.text.len, c->md.style, width,
                  v->code_wrap);
    if (c->id != m->id)
        c->rwidth = 0;
    c->id = m->id;
    c->text_len = m->text.len;
    c->flags = m->flags;
    c->width = width;
    c->code_wrap = v->code_wrap;
    return c;
}

/* A line under a message that says what happened to it, or NULL. */
static const char *msg_marker(guide_lang lang, const chat_msg *m, theme_role *role)
{
    static char text[256];
    if (m->flags & MSG_PENDING)
        return NULL;
    if (m->flags & (MSG_FAILED | MSG_INTERRUPTED)) {
        *role = ROLE_MARKER;
        const char *what = m->error < GUIDE__COUNT
                               ? guide_entry_text(m->error, lang)->title
                               : guide_str(lang, "interrupted");
        if (m->flags & MSG_FAILED)
            snprintf(text, sizeof text, "✖ %s · F5 %s", what, guide_str(lang, "ui.resend"));
        else
            snprintf(text, sizeof text, "⚠ %s: %s · F5 %s", guide_str(lang, "interrupted"),
                     what, guide_str(lang, "ui.regenerate"));
        return text;
    }
    if (m->role == API_ROLE_ASSISTANT && m->finish_reason) {
        *role = ROLE_WARN;
        if (strcmp(m->finish_reason, "length") == 0)
            return guide_str(lang, "cut_by_length");
        if (strcmp(m->finish_reason, "content_filter") == 0)
            return guide_str(lang, "content_filter");
    }
    if (m->flags & MSG_REFUSAL) {
        *role = ROLE_WARN;
        return guide_str(lang, "refusal");
    }
    return NULL;
}

/* The reasoning's length without the line breaks and spaces it ends with. */
static size_t reasoning_len(const chat_msg *m)
{
    size_t n = m->reasoning.len;
    while (n && (m->reasoning.data[n - 1] == '\n' || m->reasoning.data[n - 1] == ' '))
        n--;
    return n;
}

/* Whether the reasoning of m is shown: while it comes and the answer has not begun, or
 * when the reader unfolded it. */
static bool reasoning_shown(const view_cache *c, const chat_msg *m)
{
    return m->reasoning.len && (m->thinking || c->unfold_id == m->id);
}

/* The rows of a message, top to bottom. */
typedef struct msg_rows {
    int head;   /* the reasoning's line (1 when there is reasoning) */
    int rrows;  /* the reasoning's rows shown */
    int ntext;  /* the text's */
    int marker; /* a line under it */
} msg_rows;

static view_cache *rows_of(const pane *p, size_t i, msg_rows *r)
{
    view_cache *c = cache_for(p, i);
    const chat_msg *m = &p->s->msgs[i];
    theme_role role;
    memset(r, 0, sizeof *r);
    r->marker = msg_marker(p->lang, m, &role) ? 1 : 0;
    if (!m->reasoning.len) {
        r->ntext = c->lines.n ? (int)c->lines.n : 1;
        return c;
    }
    r->head = 1;
    r->ntext = (int)c->lines.n;
    if (!reasoning_shown(c, m))
        return c;
    /* Wrapped when shown, and again from its last paragraph as it grows. */
    int width = text_width(p) - REASONING_INDENT;
    size_t len = reasoning_len(m);
    if (c->rwidth == width && c->reasoning_len < len)
        wrap_text_more(&c->rlines, m->reasoning.data, len, NULL, width, true, c->reasoning_len);
    else if (c->rwidth != width || c->reasoning_len != len)
        wrap_text(&c->rlines, m->reasoning.data, len, NULL, width, true);
    c->rwidth = width;
    c->reasoning_len = len;
    r->rrows = (int)c->rlines.n;
    return c;
}

/* Lines a message takes: the reasoning's, its text (at least one line), a marker, a blank
 * line. */
static int msg_height(const pane *p, size_t i)
{
    msg_rows r;
    rows_of(p, i, &r);
    return r.head + r.rrows + r.ntext + r.marker + 1;
}

/* The reasoning's line: "▾ thinking… 12 s" while it comes, "▸ thought for 12 s" folded. */
static void draw_reasoning_head(const pane *p, int y, const view_cache *c, const chat_msg *m)
{
    buf b;
    buf_init(&b);
    buf_puts(&b, reasoning_shown(c, m) ? "▾ " : "▸ ");
    if (m->thinking) {
        int64_t now = p->s->wall_clock();
        int64_t secs = m->think_start_ms && now > m->think_start_ms
                           ? (now - m->think_start_ms) / 1000
                           : 0;
        buf_puts(&b, guide_str(p->lang, "ui.thinking"));
        buf_printf(&b, " %lld s", (long long)secs);
    } else if (m->think_ms >= 0) {
        buf elapsed;
        buf_init(&elapsed);
        explain_elapsed(&elapsed, m->think_ms);
        buf_fill(&b, guide_str(p->lang, "ui.thought"), 1, buf_str(&elapsed));
        buf_free(&elapsed);
    } else {
        buf_puts(&b, guide_str(p->lang, "ui.thought_untimed"));
    }
    draw_text(p->w, y, GUTTER, buf_str(&b), b.len, getmaxx(p->w) - GUTTER, theme_attr(ROLE_DIM));
    buf_free(&b);
}

static void draw_text_line(const pane *p, int y, const view_cache *c, const wrap_line *l,
                           theme_role base)
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
        x += draw_text(p->w, y, x, text + pos, run - pos, getmaxx(p->w) - x, theme_attr(role));
        pos = run;
    }
    if (l->cut && x < getmaxx(p->w))
        draw_text(p->w, y, getmaxx(p->w) - 1, "›", 3, 1, theme_attr(ROLE_DIM));
}

/* The label of a code block, "[2] python", right-aligned on the first row of its opening
 * fence line: the number /copy N takes. It wins over the end of a long fence line,
 * since the number is what the row is for. */
static void draw_block_label(const pane *p, int y, const chat_msg *m, const view_cache *c,
                             const wrap_line *l)
{
    if (!l->len || c->md.style[l->start] != MD_FENCE)
        return;
    long i = md_block_at(&c->md, l->start);
    if (i < 0)
        return;
    const md_block *b = &c->md.blocks[i];
    const char *lang = c->md.text.data + b->lang;
    size_t lang_len = b->lang_len;
    if (lang_len > 24) { /* a language is a word: anything longer is cut, whole characters kept */
        lang_len = 24;
        while (lang_len && ((unsigned char)lang[lang_len] & 0xC0) == 0x80)
            lang_len--;
    }
    char label[48];
    int n = snprintf(label, sizeof label, "[%ld]%s%.*s", i + 1, lang_len ? " " : "", (int)lang_len,
                     lang);
    if (n < 0 || (size_t)n >= sizeof label)
        n = (int)strlen(label);
    int cols = render_width(label, (size_t)n);
    int x = getmaxx(p->w) - 1 - cols;
    if (x < GUTTER + 4)
        return;
    bool marked = p->v->mark_id == m->id && p->v->mark_block == (size_t)i + 1;
    draw_text(p->w, y, x - 1, " ", 1, 1, theme_attr(ROLE_NORMAL));
    draw_text(p->w, y, x, label, (size_t)n, cols, theme_attr(marked ? ROLE_FOCUS : ROLE_DIM));
}

/* Draws message i's line `line` (0-based within its height) at row y. */
static void draw_msg_line(const pane *p, size_t i, int line, int y)
{
    const chat_msg *m = &p->s->msgs[i];
    msg_rows r;
    view_cache *c = rows_of(p, i, &r);
    theme_role base = m->role == API_ROLE_SYSTEM ? ROLE_DIM : ROLE_NORMAL;
    if (line == 0) {
        static const char *const labels[] = {[API_ROLE_SYSTEM] = "sys", [API_ROLE_USER] = "you",
                                             [API_ROLE_ASSISTANT] = "ai"};
        theme_role lr = m->role == API_ROLE_USER        ? ROLE_USER
                        : m->role == API_ROLE_ASSISTANT ? ROLE_ASSISTANT
                                                        : ROLE_SYSTEM;
        draw_text(p->w, y, 1, labels[m->role], strlen(labels[m->role]), GUTTER - 2,
                  theme_attr(lr));
    }
    if (line < r.head) {
        draw_reasoning_head(p, y, c, m);
        return;
    }
    line -= r.head;
    if (line < r.rrows) {
        const wrap_line *l = &c->rlines.v[line];
        int x = GUTTER + REASONING_INDENT + l->indent;
        draw_text(p->w, y, x, m->reasoning.data + l->start, l->len, getmaxx(p->w) - x,
                  theme_attr(ROLE_DIM));
        return;
    }
    line -= r.rrows;
    int ntext = r.ntext;
    if (line < ntext) {
        if (c->lines.n) {
            draw_text_line(p, y, c, &c->lines.v[line], base);
            draw_block_label(p, y, m, c, &c->lines.v[line]);
        } else if (m->flags & MSG_PENDING)
            draw_text(p->w, y, GUTTER, "…", 3, 1, theme_attr(ROLE_DIM));
        return;
    }
    theme_role mr = ROLE_MARKER;
    const char *marker = msg_marker(p->lang, m, &mr);
    if (marker && line == ntext)
        draw_text(p->w, y, GUTTER, marker, strlen(marker), getmaxx(p->w) - GUTTER, theme_attr(mr));
}

int view_rows(view *v, int cols, const session *s, guide_lang lang, int limit)
{
    if (s->nmsgs == 0)
        return 1; /* the hint */
    pane p = {v, NULL, s, lang, cols};
    int rows = 0;
    for (size_t i = s->nmsgs; i-- > 0 && rows < limit;)
        rows += msg_height(&p, i) - (i + 1 == s->nmsgs ? 1 : 0);
    return rows < limit ? rows : limit;
}

void view_draw(view *v, WINDOW *w, const session *s, guide_lang lang)
{
    pane p = {v, w, s, lang, getmaxx(w)};
    draw_clear(w, ROLE_NORMAL);
    int h = getmaxy(w);
    v->page = h;
    if (h <= 0)
        return;
    if (s->nmsgs == 0) {
        const char *hint = guide_str(lang, "ui.empty");
        draw_str(w, h / 2, 2, hint, getmaxx(w) - 4, ROLE_DIM);
        wnoutrefresh(w);
        return;
    }
    /* Walk back from the bottom: skip `scroll` lines, then fill the window. */
    for (;;) {
        int skip = v->scroll;
        int row = h - 1;
        size_t i = s->nmsgs;
        bool reached_top = false;
        while (row >= 0) {
            if (i == 0) {
                reached_top = true;
                break;
            }
            i--;
            int mh = msg_height(&p, i);
            /* The blank separator is the message's last line; the newest message has none. */
            int last = i + 1 == s->nmsgs ? mh - 2 : mh - 1;
            for (int line = last; line >= 0 && row >= 0; line--) {
                if (skip > 0) {
                    skip--;
                    continue;
                }
                if (line < mh - 1)
                    draw_msg_line(&p, i, line, row);
                row--;
            }
        }
        if (!(reached_top && skip > 0))
            break;
        /* Scrolled past the top: clamp and draw again from there. */
        v->scroll -= skip;
        if (v->scroll < 0)
            v->scroll = 0;
        werase(w);
    }
    if (v->scroll > 0) {
        char more[96];
        snprintf(more, sizeof more, " ↓ %d · End ", v->scroll);
        int cols = render_width(more, strlen(more));
        draw_str(w, h - 1, getmaxx(w) - cols - 1, more, cols, ROLE_STATUS);
    }
    wnoutrefresh(w);
}

void view_init(view *v)
{
    memset(v, 0, sizeof *v);
}

unsigned view_scroll(view *v, int lines)
{
    v->scroll += lines;
    if (v->scroll < 0)
        v->scroll = 0;
    return UI_REDRAW_CONV;
}

unsigned view_follow(view *v)
{
    if (!v->scroll)
        return 0;
    v->scroll = 0;
    return UI_REDRAW_CONV;
}

unsigned view_mark(view *v, uint64_t id, size_t block)
{
    v->mark_id = id;
    v->mark_block = block;
    return UI_REDRAW_CONV;
}

unsigned view_toggle_reasoning(view *v, const session *s, bool all)
{
    cache_grow(v, s->nmsgs);
    size_t last = s->nmsgs;
    bool any_folded = false;
    for (size_t i = s->nmsgs; i-- > 0;) {
        const chat_msg *m = &s->msgs[i];
        if (!m->reasoning.len)
            continue;
        if (last == s->nmsgs)
            last = i;
        if (!all)
            break;
        any_folded |= !m->thinking && v->cache[i].unfold_id != m->id;
    }
    if (last == s->nmsgs)
        return 0;
    if (!all) {
        /* Reasoning that is still coming is shown as it comes; it folds once the answer
         * begins. A toggle now would change nothing on screen, only what comes after. */
        if (s->msgs[last].thinking)
            return 0;
        view_cache *c = &v->cache[last];
        c->unfold_id = c->unfold_id == s->msgs[last].id ? 0 : s->msgs[last].id;
        return UI_REDRAW_CONV;
    }
    for (size_t i = 0; i < s->nmsgs; i++)
        if (s->msgs[i].reasoning.len && !s->msgs[i].thinking)
            v->cache[i].unfold_id = any_folded ? s->msgs[i].id : 0;
    return UI_REDRAW_CONV;
}

int view_page(const view *v)
{
    int h = v->page - 2;
    return h > 1 ? h : 1;
}

void view_free(view *v)
{
    for (size_t i = 0; i < v->ncache; i++) {
        md_free(&v->cache[i].md);
        wrap_free(&v->cache[i].lines);
        wrap_free(&v->cache[i].rlines);
    }
    free(v->cache);
    v->cache = NULL;
    v->ncache = 0;
}
