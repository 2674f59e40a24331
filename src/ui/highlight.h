/* Syntax highlighting of fenced code blocks: a small lexer per language, line by line,
 * that marks keywords, strings, comments, numbers and names (JSON and YAML keys, shell
 * variables) and a diff's added and removed lines with render.h's MD_* styles. The language
 * comes from the fence's info string; an unknown one is left plain. What carries from line
 * to line (a block comment, a triple-quoted or template string) is in hl_state, so a block
 * is highlighted as it streams, one line at a time. No curses: the theme gives the colours. */
#ifndef TCHAT_HIGHLIGHT_H
#define TCHAT_HIGHLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    HL_NONE, /* plain */
    HL_C,
    HL_CPP,
    HL_PYTHON,
    HL_JS,
    HL_TS,
    HL_GO,
    HL_RUST,
    HL_SH,
    HL_JSON,
    HL_YAML,
    HL_SQL,
    HL_DIFF,
    HL__COUNT
} hl_lang;

/* Between two lines of a block. Zeroed at the block's start. */
typedef struct hl_state {
    uint8_t mode;  /* code, or inside a block comment or a string that spans lines */
    uint8_t depth; /* nested block comments (Rust) */
    uint8_t quote; /* the quote of a multi-line string */
} hl_state;

/* The language an info string's first word names ("c", "py", "TypeScript", "patch"...),
 * case aside; HL_NONE for any other. */
hl_lang hl_lang_find(const char *name, size_t len);
/* Marks one line of code p[0..n) (without its '\n') in style[0..n), whose bytes hold
 * MD_CODE_BLOCK: the bytes of a token get its MD_* style, the rest are left as they are.
 * A UTF-8 character never gets two styles. st is the state after the previous line. */
void hl_line(hl_lang lang, hl_state *st, const char *p, size_t n, uint8_t *style);

#endif
