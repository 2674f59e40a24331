/* From message text to display lines: light Markdown (rendered to plain text
 * plus one style byte per byte) and word wrapping by display width. Neither
 * touches curses, so both are tested alone, and the result is cached per
 * message by the conversation view. */
#ifndef TCHAT_RENDER_H
#define TCHAT_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "highlight.h"
#include "util.h"

/* Style of each byte of rendered text; the view maps them to theme roles. */
enum {
    MD_PLAIN = 0,
    MD_BOLD,
    MD_ITALIC,
    MD_CODE,       /* inline code */
    MD_CODE_BLOCK, /* inside a fenced block: kept verbatim */
    MD_FENCE,      /* the ``` lines themselves (shown dim, with the language) */
    MD_HEADING,
    MD_QUOTE,
    MD_LIST, /* the bullet or number of a list item */
    MD_RULE,
    /* Inside a fenced block of a known language (highlight.h): */
    MD_CODE_KEYWORD,
    MD_CODE_STRING,
    MD_CODE_COMMENT,
    MD_CODE_NUMBER, /* numbers, and the language's constants (true, None, nil...) */
    MD_CODE_NAME,   /* JSON and YAML keys, shell variables, SQL's quoted names */
    MD_DIFF_ADD,    /* a diff's added line */
    MD_DIFF_DEL,    /* and a removed one */
    MD__COUNT
};

/* Whether a byte of that style is code of a fenced block (highlighted or not). */
static inline bool md_is_code(uint8_t st)
{
    return st == MD_CODE_BLOCK || (st >= MD_CODE_KEYWORD && st < MD__COUNT);
}

/* A fenced code block of the rendered text. Offsets are into the rendered text,
 * where the fence lines and the code lines are the source's, verbatim. */
typedef struct md_block {
    size_t fence;      /* start of the opening fence line */
    size_t start, end; /* the code: the lines between the fences, without the '\n' that
                          ends the last one (start == end: an empty block) */
    size_t lang;       /* the language, the info string's first word: text[lang, lang + lang_len) */
    size_t lang_len;
    unsigned indent;   /* spaces before the opening fence (0-3): as many are taken off
                          each code line, as CommonMark does */
    bool closed;       /* false while the closing fence has not arrived (a streaming reply) */
    hl_lang hl;        /* the language its code is highlighted as (HL_NONE: plain) */
} md_block;

/* Where md_render_more goes on: the state of the block parser at the start of the source's
 * last line (every line before it is rendered for good). */
typedef struct md_resume {
    bool valid;
    size_t src;  /* the source offset of that line */
    size_t text; /* the rendered text's length there */
    size_t nblocks;
    bool in_fence;
    char fch;
    size_t flen;
    hl_state hl; /* the highlighter's, inside a block */
} md_resume;

typedef struct md_doc {
    buf text;          /* what is shown: markup characters (**, `, #) removed */
    uint8_t *style;    /* one MD_* per byte of text */
    size_t style_cap;
    md_block *blocks;  /* the fenced code blocks in order: block N is blocks[N - 1] */
    size_t nblocks, blocks_cap;
    size_t src_len; /* the source rendered */
    md_resume resume;
} md_doc;

void md_init(md_doc *d);
void md_free(md_doc *d);
/* Renders src (UTF-8, already sanitised) into d, replacing what d held. The code of fenced
 * blocks whose language highlight.h knows is highlighted. */
void md_render(md_doc *d, const char *src, size_t len);
/* The same for src that extends what d was rendered from last (the same bytes, and more: a
 * reply as it streams): only the source's last line and what follows are rendered again, so
 * a delta costs what it adds. Returns the offset in d->text before which nothing changed
 * (0 after a full render, which it falls back to when src is shorter). The result is
 * md_render's, byte for byte. */
size_t md_render_more(md_doc *d, const char *src, size_t len);
/* Puts src into d as it is: every byte MD_PLAIN, no blocks (what the user typed). */
void md_plain(md_doc *d, const char *src, size_t len);
/* The index in d->blocks of the block whose opening fence line starts at offset
 * fence, or -1 (a binary search: the view asks for each fence line it draws). */
long md_block_at(const md_doc *d, size_t fence);
/* Appends the code of d->blocks[i] to out as written: without the fences, each
 * line without the fence's indentation, CRLF as LF, no final line break. Returns
 * the number of lines appended (0 for an empty block). */
size_t md_block_text(const md_doc *d, size_t i, buf *out);

/* One display line: a byte range of the rendered text. */
typedef struct wrap_line {
    uint32_t start;
    uint32_t len;
    uint16_t cols;     /* display width of the range */
    uint16_t indent;   /* columns of hanging indent to draw before it (list/quote continuation) */
    bool cut;          /* a code line truncated at the right edge (no wrapping in code) */
} wrap_line;

typedef struct wrap_lines {
    wrap_line *v;
    size_t n, cap;
} wrap_lines;

void wrap_init(wrap_lines *w);
void wrap_free(wrap_lines *w);
/* Wraps text into lines of at most width columns (width >= 1): at spaces when
 * possible, a word longer than the width is broken; a wide (CJK, emoji)
 * character is never split and takes two columns; combining marks take none;
 * '\n' ends a line; '\t' advances to the next multiple of 4. When code_wrap is
 * false, lines whose first byte has style MD_CODE_BLOCK are truncated (cut)
 * instead of wrapped. style may be NULL. Replaces what w held. */
void wrap_text(wrap_lines *w, const char *text, size_t len, const uint8_t *style, int width,
               bool code_wrap);
/* The same, for text whose first `same` bytes (and their styles) are those w was wrapped
 * from, at the same width: the lines of the paragraphs before that point are kept, the rest
 * wrapped again. The result is wrap_text's. */
void wrap_text_more(wrap_lines *w, const char *text, size_t len, const uint8_t *style, int width,
                    bool code_wrap, size_t same);
/* Decodes one character of s[0..len), len >= 1: returns the bytes it takes (at
 * least 1: an invalid byte is one character) and its display width in *cols
 * (wcwidth; invalid bytes and unprintable characters take one column). */
size_t render_char(const char *s, size_t len, int *cols);
/* The display width of a UTF-8 string (wcwidth; invalid bytes count one column). */
int render_width(const char *s, size_t len);

#endif
