/* One line of text being typed, with a cursor: the pickers' filter and their
 * prompts. Keys arrive as term_getkey gives them (UTF-8 a byte at a time); the
 * cursor moves and deletes whole characters. Nothing here draws. */
#ifndef TCHAT_LINEEDIT_H
#define TCHAT_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef struct lineedit {
    buf text;
    size_t cursor; /* a byte offset in text */
} lineedit;

void lineedit_init(lineedit *e);
void lineedit_free(lineedit *e);
/* Replaces the text (NULL: empty); the cursor goes to its end. */
void lineedit_set(lineedit *e, const char *text);
const char *lineedit_text(const lineedit *e);

enum {
    LINEEDIT_MOVE = 1u << 0, /* also Left/Right, Home/End (Ctrl-A, Ctrl-E) and Delete */
};

/* An editing key: a printable byte, Backspace, Ctrl-U (all of it), a paste (as one line),
 * and with LINEEDIT_MOVE the cursor keys and Delete. Returns true when the key was one of
 * them (the text or the cursor may have changed). */
bool lineedit_key(lineedit *e, int key, unsigned flags);
/* Whether the text ends inside a UTF-8 character whose last bytes are still to come. */
bool lineedit_partial(const lineedit *e);
/* Display columns of the text before the cursor. */
int lineedit_cursor_cols(const lineedit *e);
/* Appends mask once per character to out (a secret as it is typed); returns how many
 * characters come before the cursor. */
size_t lineedit_mask(const lineedit *e, const char *mask, buf *out);

#endif
