/* Styled lines before they are drawn: text, a theme role, an indent and an
 * optional right-aligned part. The panel, the help, the error list and the
 * full explanation are built as lines by code that never touches curses (and
 * is tested without a terminal); draw.c puts them on screen. */
#ifndef TCHAT_LINES_H
#define TCHAT_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "theme.h"

typedef struct ui_line {
    char *text;       /* UTF-8, one screen line (no '\n') */
    theme_role role;
    int indent;       /* columns before the text */
    char *right;      /* drawn right-aligned on the same row (a request id), or NULL */
    theme_role right_role;
    int rank;         /* importance: 0 the most; when rows are short, the highest go first */
} ui_line;

typedef struct ui_lines {
    ui_line *v;
    size_t n, cap;
    int width;        /* columns available, for wrapping */
    bool wrap;        /* wrap long text into several lines; else one line each (cut when drawn) */
    int rank;         /* the rank lines added now get (0 unless set) */
} ui_lines;

void lines_init(ui_lines *l, int width, bool wrap);
void lines_free(ui_lines *l);
/* Drops every line, keeps the memory, width and wrap. */
void lines_clear(ui_lines *l);
/* Adds text. Wrapping: long text takes several lines, continued three columns further
 * in, and a '\n' starts a new line; else it is one line, a '\n' shown as a space. */
void lines_add(ui_lines *l, theme_role role, int indent, const char *text);
void lines_addf(ui_lines *l, theme_role role, int indent, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Gives the last line a right-aligned part. */
void lines_set_right(ui_lines *l, const char *text, theme_role role);
/* Which lines to show in at most rows rows: keep[i] for each line (keep has l->n
 * entries). The lines of the highest rank go first, the lowest of them first; the order
 * of those kept does not change. Returns how many are kept. */
size_t lines_fit(const ui_lines *l, int rows, bool *keep);
/* All the text, one line per row with its indent, for tests and logs. Caller frees. */
char *lines_text(const ui_lines *l);

#endif
