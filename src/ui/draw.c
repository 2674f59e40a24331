#include "draw.h"

#include <string.h>

#include "render.h"

int draw_text(WINDOW *w, int y, int x, const char *s, size_t len, int maxcols, unsigned long attr)
{
    if (maxcols <= 0 || y < 0 || y >= getmaxy(w) || x < 0 || x >= getmaxx(w))
        return 0;
    size_t n = 0;
    int cols = 0;
    while (n < len) {
        int c;
        size_t used = render_char(s + n, len - n, &c);
        if (cols + c > maxcols || s[n] == '\n')
            break;
        cols += c;
        n += used;
    }
    wattrset(w, (attr_t)attr);
    mvwaddnstr(w, y, x, s, (int)n);
    wattrset(w, A_NORMAL);
    return cols;
}

int draw_str(WINDOW *w, int y, int x, const char *s, int maxcols, theme_role role)
{
    return draw_text(w, y, x, s, strlen(s), maxcols, theme_attr(role));
}

void draw_clear(WINDOW *w, theme_role role)
{
    wbkgdset(w, ' ' | (chtype)theme_attr(role));
    werase(w);
}

void draw_rule(WINDOW *w, int y, theme_role role)
{
    wattrset(w, (attr_t)theme_attr(role));
    mvwhline(w, y, 0, ACS_HLINE, getmaxx(w));
    wattrset(w, A_NORMAL);
}

void draw_fill_row(WINDOW *w, int y, theme_role role)
{
    wattrset(w, (attr_t)theme_attr(role));
    mvwhline(w, y, 0, ' ', getmaxx(w));
    wattrset(w, A_NORMAL);
}

int draw_lines(WINDOW *w, int y, const ui_lines *l, size_t first, int max_rows, const bool *keep)
{
    int width = getmaxx(w), rows = 0;
    for (size_t i = first; i < l->n && rows < max_rows && y + rows < getmaxy(w); i++) {
        if (keep && !keep[i])
            continue;
        const ui_line *ln = &l->v[i];
        int right = ln->right ? render_width(ln->right, strlen(ln->right)) : 0;
        if (right > width / 2)
            right = 0; /* no room: the line's own text matters more */
        int avail = width - ln->indent - (right ? right + 2 : 0) - 1;
        size_t len = strlen(ln->text);
        if (avail > 1 && render_width(ln->text, len) > avail) {
            /* Cut, and said to be: never mid-word without an ellipsis. */
            int used = draw_text(w, y + rows, ln->indent, ln->text, len, avail - 1,
                                 theme_attr(ln->role));
            draw_text(w, y + rows, ln->indent + used, "…", 3, 1, theme_attr(ln->role));
        } else {
            draw_str(w, y + rows, ln->indent, ln->text, avail, ln->role);
        }
        if (right)
            draw_str(w, y + rows, width - right - 1, ln->right, right, ln->right_role);
        rows++;
    }
    return rows;
}

void draw_done(WINDOW *w, int y, int x)
{
    if (y >= 0) {
        curs_set(1);
        int W = getmaxx(w);
        wmove(w, y, x < W ? x : W - 1);
    } else {
        curs_set(0);
    }
    wnoutrefresh(w);
}
