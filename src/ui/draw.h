/* Drawing primitives every screen uses, below all of them: text cut to a
 * number of display columns, rules, cleared windows and styled lines. Nothing
 * here knows what it draws. */
#ifndef TCHAT_DRAW_H
#define TCHAT_DRAW_H

#include <curses.h>
#include <stddef.h>

#include "lines.h"
#include "theme.h"

/* Writes s[0..len) at (y, x) of w in attr, at most maxcols display columns and never
 * past a '\n'; a wide character that does not fit whole is left out. Returns the
 * columns used. */
int draw_text(WINDOW *w, int y, int x, const char *s, size_t len, int maxcols, unsigned long attr);
/* The same with a theme role, for a NUL-terminated string. */
int draw_str(WINDOW *w, int y, int x, const char *s, int maxcols, theme_role role);
/* Erases w with role's background. */
void draw_clear(WINDOW *w, theme_role role);
/* A horizontal rule across row y. */
void draw_rule(WINDOW *w, int y, theme_role role);
/* Fills row y with blanks in role (a highlighted row). */
void draw_fill_row(WINDOW *w, int y, theme_role role);
/* Ends drawing w: the cursor at (y, x) (cut to the window), or hidden when y < 0; then
 * wnoutrefresh. */
void draw_done(WINDOW *w, int y, int x);
/* Draws lines[first..] from row y down, one per row, each cut at the window's right
 * edge (less the room its right part takes) with an ellipsis, skipping those whose
 * keep[i] is false (keep may be NULL: all); returns the rows used. */
int draw_lines(WINDOW *w, int y, const ui_lines *l, size_t first, int max_rows, const bool *keep);

#endif
