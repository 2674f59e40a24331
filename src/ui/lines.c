#include "lines.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "util.h"

void lines_init(ui_lines *l, int width, bool wrap)
{
    memset(l, 0, sizeof *l);
    l->width = width;
    l->wrap = wrap;
}

void lines_clear(ui_lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].text);
        free(l->v[i].right);
    }
    l->n = 0;
}

void lines_free(ui_lines *l)
{
    lines_clear(l);
    free(l->v);
    l->v = NULL;
    l->cap = 0;
}

static void push(ui_lines *l, theme_role role, int indent, const char *text, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc_array(l->v, l->cap, sizeof *l->v);
    }
    l->v[l->n++] = (ui_line){xstrndup(text, len), role, indent, NULL, ROLE_DIM, l->rank};
}

static void add_wrapped(ui_lines *l, theme_role role, int indent, const char *text, size_t len)
{
    wrap_lines wl;
    wrap_init(&wl);
    /* Continuation lines are indented three more columns; one column stays free. */
    int width = l->width - indent - 4;
    wrap_text(&wl, text, len, NULL, width > 10 ? width : 10, true);
    for (size_t i = 0; i < wl.n; i++)
        push(l, role, indent + (i ? 3 : 0), text + wl.v[i].start, wl.v[i].len);
    if (!wl.n)
        push(l, role, indent, "", 0);
    wrap_free(&wl);
}

void lines_add(ui_lines *l, theme_role role, int indent, const char *text)
{
    const char *p = text ? text : "";
    if (!l->wrap) {
        /* One row: a line break becomes a space. */
        push(l, role, indent, p, strlen(p));
        for (char *q = l->v[l->n - 1].text; *q; q++)
            if (*q == '\n')
                *q = ' ';
        return;
    }
    for (;;) {
        size_t n = strcspn(p, "\n");
        add_wrapped(l, role, indent, p, n);
        if (!p[n])
            break;
        p += n + 1;
    }
}

void lines_addf(ui_lines *l, theme_role role, int indent, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    lines_add(l, role, indent, text);
    free(text);
}

void lines_set_right(ui_lines *l, const char *text, theme_role role)
{
    if (!l->n || !text)
        return;
    ui_line *last = &l->v[l->n - 1];
    free(last->right);
    last->right = xstrdup(text);
    last->right_role = role;
}

size_t lines_fit(const ui_lines *l, int rows, bool *keep)
{
    size_t kept = l->n;
    for (size_t i = 0; i < l->n; i++)
        keep[i] = true;
    if (rows < 0)
        rows = 0;
    while (kept > (size_t)rows) {
        /* The least important line still kept: the highest rank, the lowest on screen. */
        size_t drop = l->n;
        for (size_t i = 0; i < l->n; i++)
            if (keep[i] && (drop == l->n || l->v[i].rank >= l->v[drop].rank))
                drop = i;
        keep[drop] = false;
        kept--;
    }
    return kept;
}

char *lines_text(const ui_lines *l)
{
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < l->n; i++) {
        buf_printf(&b, "%*s%s", l->v[i].indent, "", l->v[i].text);
        if (l->v[i].right)
            buf_printf(&b, "  %s", l->v[i].right);
        buf_putc(&b, '\n');
    }
    return buf_steal(&b);
}
