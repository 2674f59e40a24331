/* Display width of UTF-8 text in terminal columns, for fitting a line to a terminal
 * without curses (the one-shot countdown on stderr). wcwidth in the current locale;
 * East Asian wide characters count two columns even where the locale does not know
 * them, so a fitted line is never wider than asked. Invalid bytes count one column. */
#ifndef TCHAT_WIDTH_H
#define TCHAT_WIDTH_H

#include <stddef.h>

/* Columns that s[0..len) takes. */
size_t width_of(const char *s, size_t len);
/* The length in bytes of the longest prefix of s[0..len) that takes at most cols
 * columns, never ending inside a character (zero-width marks stay with theirs). */
size_t width_fit(const char *s, size_t len, size_t cols);

#endif
