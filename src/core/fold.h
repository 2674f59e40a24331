/* Finding text without regard to case: the filter of the pickers and of
 * tchat --list --search. A text is folded once (every letter that has a case
 * becomes its lower-case form), then a folded query is looked for in it as
 * bytes. Folding needs no locale: ASCII, Latin-1, Latin Extended-A, Greek,
 * Cyrillic and the fullwidth Latin letters are folded; scripts without case
 * (CJK, Arabic...) are compared as they are; bytes that are not UTF-8 stay
 * as they are. Folding a folded text changes nothing. */
#ifndef TCHAT_FOLD_H
#define TCHAT_FOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Appends s[0..n) folded to out. */
void fold_append(buf *out, const char *s, size_t n);
/* Whether needle[0..nlen) occurs in hay[0..hay_len); both folded. An empty needle is in
 * every text. */
bool fold_find(const char *hay, size_t hay_len, const char *needle, size_t nlen);

#endif
