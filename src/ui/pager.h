/* A screen of text lines over the conversation pane: the help (F1), the errors
 * of this run (F8), the full explanation of a failure (F6). Its lines are built
 * afresh at each draw by the function it is given, at the pane's width, so that
 * what it shows stays current (a countdown, a new error). Up/Down, PgUp/PgDn,
 * Home/End scroll it; Esc, q or the key that opened it close it; every other key
 * passes to the screen below (typing goes on in the input line). */
#ifndef TCHAT_PAGER_H
#define TCHAT_PAGER_H

#include <stdbool.h>

#include "lines.h"
#include "screen.h"

/* Appends the pager's lines to out (out->width is set, out->wrap is true). */
typedef void (*pager_build_fn)(void *ud, ui_lines *out);

/* name identifies the pager (pager_is); close_key is the key that also closes it (0 for
 * none). ud must outlive the pager. */
screen *pager_new(const char *name, pager_build_fn build, void *ud, int close_key);
/* Whether s is a pager of that name. */
bool pager_is(const screen *s, const char *name);

#endif
