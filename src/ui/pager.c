#include "pager.h"

#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "util.h"

typedef struct pager {
    screen base;
    const char *name;
    pager_build_fn build;
    void *ud;
    int close_key;
    int scroll;       /* first line shown */
    int rows;         /* the window's height at the last draw (a page) */
    int nlines;       /* lines at the last draw */
} pager;

static void pager_draw(screen *s, WINDOW *w, int64_t now)
{
    (void)now;
    pager *p = (pager *)s;
    draw_clear(w, ROLE_NORMAL);
    ui_lines l;
    lines_init(&l, getmaxx(w) - 4, true);
    p->build(p->ud, &l);
    int h = getmaxy(w);
    p->rows = h;
    p->nlines = (int)l.n;
    if (p->scroll > p->nlines - h)
        p->scroll = p->nlines - h > 0 ? p->nlines - h : 0;
    draw_lines(w, 0, &l, (size_t)p->scroll, h, NULL);
    lines_free(&l);
    wnoutrefresh(w);
}

static unsigned pager_key(screen *s, int key)
{
    pager *p = (pager *)s;
    int page = p->rows > 3 ? p->rows - 2 : 1;
    switch (key) {
    case KEY_UP: p->scroll--; break;
    case KEY_DOWN: p->scroll++; break;
    case KEY_PPAGE: p->scroll -= page; break;
    case KEY_NPAGE: p->scroll += page; break;
    case KEY_HOME: p->scroll = 0; break;
    case KEY_END: p->scroll = p->nlines; break;
    case 27:
    case 'q':
        return UI_CLOSE | UI_REDRAW_ALL;
    default:
        if (key == p->close_key && key)
            return UI_CLOSE | UI_REDRAW_ALL;
        return UI_PASS;
    }
    if (p->scroll < 0)
        p->scroll = 0;
    return UI_REDRAW_CONV;
}

static void pager_close(screen *s)
{
    free(s);
}

static const screen_ops pager_ops = {
    .name = "pager",
    .over_conversation = true,
    .draw = pager_draw,
    .key = pager_key,
    .close = pager_close,
};

screen *pager_new(const char *name, pager_build_fn build, void *ud, int close_key)
{
    pager *p = xcalloc(1, sizeof *p);
    p->base.ops = &pager_ops;
    p->name = name;
    p->build = build;
    p->ud = ud;
    p->close_key = close_key;
    return &p->base;
}

bool pager_is(const screen *s, const char *name)
{
    return s && s->ops == &pager_ops && strcmp(((const pager *)s)->name, name) == 0;
}
