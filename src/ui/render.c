/* Light Markdown and word wrapping by display width. Both run in time linear in
 * their input: the view re-renders a message on every streamed delta, and a
 * model's output (or a hostile server's) can be any string at all.
 *
 * Markdown subset: fenced code blocks (``` or ~~~ indented at most 3 spaces,
 * closed by a matching fence or by the end of the text while it streams; the
 * fence lines are shown as they are), ATX headings (markers removed), block
 * quotes ("> " becomes "│ "), bullets ("- " becomes "• ") and ordered items,
 * thematic breaks (shown as "───"); inline code spans, strong and emphasis
 * with CommonMark's delimiter rules (so snake_case and 2 * 3 stay as they
 * are), backslash escapes. Inline spans never cross a line break; links stay
 * literal. Every '\n' is kept, styled MD_PLAIN, so lines map one to one.
 * Fenced blocks are also listed (md_block), numbered in order, so that the view
 * can label them and a copy can take the code as it was written. */
/* wcwidth is X/Open; the build asks for POSIX only. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "render.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* ---------------------------------------------------------------- UTF-8 */

typedef struct uch {
    uint32_t cp;   /* meaningful only when valid */
    unsigned len;  /* bytes consumed, at least 1 */
    int cols;      /* wcwidth; invalid bytes and unprintable characters take 1 */
    bool valid;
} uch;

/* Decodes one character of s[0..n), n >= 1. An invalid sequence consumes one
 * byte, so every caller makes progress. */
static uch utf8_char(const unsigned char *s, size_t n)
{
    uch u = {s[0], 1, 1, false};
    unsigned c = s[0];
    if (c < 0x80) {
        u.valid = true;
        return u;
    }
    unsigned need;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, cp = c & 0x07, min = 0x10000;
    } else {
        return u;
    }
    if (n <= need)
        return u;
    for (unsigned i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return u;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return u;
    /* CJK ideographs and Hangul syllables are wide in every UTF-8 locale;
     * skipping wcwidth for them halves the cost of wrapping Chinese text. */
    int w = (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3)
                ? 2
                : wcwidth((wchar_t)cp);
    u.cp = cp;
    u.len = need + 1;
    u.cols = w < 0 ? 1 : w;
    u.valid = true;
    return u;
}

size_t render_char(const char *s, size_t len, int *cols)
{
    uch u = utf8_char((const unsigned char *)s, len);
    *cols = u.cols;
    return u.len;
}

int render_width(const char *s, size_t len)
{
    const unsigned char *t = (const unsigned char *)s;
    size_t cols = 0;
    for (size_t i = 0; i < len;) {
        if (t[i] == '\t') {
            cols += 4 - cols % 4;
            i++;
        } else if (t[i] < 0x80) {
            cols++;
            i++;
        } else {
            uch u = utf8_char(t + i, len - i);
            cols += (size_t)u.cols;
            i += u.len;
        }
        if (cols >= INT_MAX - 4)
            return INT_MAX;
    }
    return (int)cols;
}

/* ------------------------------------------------------------- output */

/* Room for n more bytes of text and of style. */
static void reserve(md_doc *d, size_t n)
{
    buf *t = &d->text;
    if (t->cap - t->len > n)
        return;
    buf_reserve(t, n);
    if (d->style_cap < t->cap) {
        /* Follow the text buffer's doubling so growth stays amortised. */
        d->style = xrealloc(d->style, t->cap);
        d->style_cap = t->cap;
    }
}

static void put(md_doc *d, const char *p, size_t n, uint8_t st)
{
    if (n == 0)
        return;
    reserve(d, n);
    /* Most pieces are a few bytes: copied here rather than through buf_append. */
    buf *t = &d->text;
    memcpy(t->data + t->len, p, n);
    memset(d->style + t->len, st, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void md_init(md_doc *d)
{
    buf_init(&d->text);
    d->style = NULL;
    d->style_cap = 0;
    d->blocks = NULL;
    d->nblocks = d->blocks_cap = 0;
    d->src_len = 0;
    memset(&d->resume, 0, sizeof d->resume);
}

void md_free(md_doc *d)
{
    buf_free(&d->text);
    free(d->style);
    free(d->blocks);
    md_init(d);
}

void md_plain(md_doc *d, const char *src, size_t len)
{
    buf_reset(&d->text);
    d->nblocks = 0;
    d->resume.valid = false;
    put(d, src, len, MD_PLAIN);
}

/* ------------------------------------------------------------- inline */

enum { TK_ESCAPE, TK_CODE, TK_DELIM };

/* What a line holds besides plain text, which is whatever lies between
 * tokens: a backslash escape, a code span, or a run of '*' or '_' that may
 * open or close emphasis. Offsets are from the line's start; tokens are kept
 * small since a pathological line has one every other byte. */
typedef struct md_tok {
    uint32_t start, end; /* the token's bytes */
    uint32_t a, b;       /* code: its content; run: used as closers (from its
                            start) and as openers (from its end) */
    uint32_t rem;        /* run: delimiters not used yet */
    uint32_t pops;       /* run: spans it closes */
    int32_t prev, next;  /* run: the delimiter list still in play */
    int32_t opens;       /* run: spans it opens, outermost first */
    uint8_t kind;
    char ch;
    bool can_open, can_close;
} md_tok;

typedef struct md_match {
    uint8_t style;
    int32_t next;
} md_match;

/* Per-call work arrays, reused from line to line. */
typedef struct md_scratch {
    uint32_t *run_pos, *run_len;
    int32_t *run_next; /* the next backtick run of the same length, or -1 */
    size_t nrun, run_cap;
    int32_t *last;
    size_t last_cap;
    md_tok *toks;
    size_t ntok, tok_cap;
    md_match *matches;
    size_t nmatch, match_cap;
    uint8_t *stack;
    size_t stack_cap;
} md_scratch;

#define GROW(arr, n, cap)                                                  \
    do {                                                                   \
        if ((n) >= (cap)) {                                                \
            size_t ncap_ = (cap) ? (cap) * 2 : 32;                         \
            if (ncap_ <= (n))                                              \
                ncap_ = (n) + 1;                                           \
            (arr) = xrealloc_array((arr), ncap_, sizeof *(arr));           \
            (cap) = ncap_;                                                 \
        }                                                                  \
    } while (0)

static void scratch_free(md_scratch *sc)
{
    free(sc->run_pos);
    free(sc->run_len);
    free(sc->run_next);
    free(sc->last);
    free(sc->toks);
    free(sc->matches);
    free(sc->stack);
}

static bool is_punct(unsigned char c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static md_tok *add_tok(md_scratch *sc, uint8_t kind, size_t start, size_t end)
{
    GROW(sc->toks, sc->ntok, sc->tok_cap);
    md_tok *t = &sc->toks[sc->ntok++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->start = (uint32_t)start;
    t->end = (uint32_t)end;
    t->prev = t->next = t->opens = -1;
    return t;
}

/* Finds every backtick run of p[0, n) and links each to the next run of the
 * same length: that is where a code span opened by it closes. One pass from
 * the right with a table indexed by length keeps this linear. */
static void scan_backticks(md_scratch *sc, const char *p, size_t n)
{
    sc->nrun = 0;
    size_t maxlen = 0;
    for (const char *q = memchr(p, '`', n); q; q = memchr(q, '`', n - (size_t)(q - p))) {
        size_t i = (size_t)(q - p), k = i;
        while (k < n && p[k] == '`')
            k++;
        if (sc->nrun == sc->run_cap) {
            size_t cap = sc->run_cap ? sc->run_cap * 2 : 32;
            sc->run_pos = xrealloc_array(sc->run_pos, cap, sizeof *sc->run_pos);
            sc->run_len = xrealloc_array(sc->run_len, cap, sizeof *sc->run_len);
            sc->run_next = xrealloc_array(sc->run_next, cap, sizeof *sc->run_next);
            sc->run_cap = cap;
        }
        sc->run_pos[sc->nrun] = (uint32_t)i;
        sc->run_len[sc->nrun] = (uint32_t)(k - i);
        sc->nrun++;
        if (k - i > maxlen)
            maxlen = k - i;
        q = p + k;
    }
    if (sc->nrun == 0)
        return;
    GROW(sc->last, maxlen, sc->last_cap);
    for (size_t l = 0; l <= maxlen; l++)
        sc->last[l] = -1;
    for (size_t r = sc->nrun; r-- > 0;) {
        sc->run_next[r] = sc->last[sc->run_len[r]];
        sc->last[sc->run_len[r]] = (int32_t)r;
    }
}

static void add_delim(md_scratch *sc, const char *p, size_t n, size_t i, size_t k)
{
    unsigned char prev = i > 0 ? (unsigned char)p[i - 1] : ' ';
    unsigned char next = k < n ? (unsigned char)p[k] : ' ';
    /* Bytes of non-ASCII characters count as letters: CJK punctuation next to
     * ** then still closes, which is what a Chinese reader expects. */
    bool left = !is_space(next) && (!is_punct(next) || is_space(prev) || is_punct(prev));
    bool right = !is_space(prev) && (!is_punct(prev) || is_space(next) || is_punct(next));
    md_tok *t = add_tok(sc, TK_DELIM, i, k);
    t->ch = p[i];
    t->rem = (uint32_t)(k - i);
    if (p[i] == '*') {
        t->can_open = left;
        t->can_close = right;
    } else {
        /* '_' inside a word (snake_case) neither opens nor closes. */
        t->can_open = left && (!right || is_punct(prev));
        t->can_close = right && (!left || is_punct(next));
    }
}

/* Finds the tokens of p[0, n). */
static void tokenize(md_scratch *sc, const char *p, size_t n)
{
    sc->ntok = 0;
    scan_backticks(sc, p, n);
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\\' && i + 1 < n && is_punct((unsigned char)p[i + 1])) {
            add_tok(sc, TK_ESCAPE, i, i + 2);
            i += 2;
            /* An escaped backtick makes the rest of its run literal too. */
            if (p[i - 1] == '`')
                while (i < n && p[i] == '`')
                    i++;
            continue;
        }
        if (c == '`') {
            while (run < sc->nrun && sc->run_pos[run] < i)
                run++;
            if (run >= sc->nrun || sc->run_pos[run] != i) { /* not a run start: literal */
                i++;
                continue;
            }
            size_t l = sc->run_len[run];
            int32_t close = sc->run_next[run];
            if (close < 0) {
                i += l; /* no closer: the backticks are literal */
                continue;
            }
            size_t cs = i + l, ce = sc->run_pos[close];
            /* One space on each side is padding, as in CommonMark. */
            if (ce - cs >= 2 && p[cs] == ' ' && p[ce - 1] == ' ') {
                size_t k = cs;
                while (k < ce && p[k] == ' ')
                    k++;
                if (k < ce)
                    cs++, ce--;
            }
            md_tok *t = add_tok(sc, TK_CODE, i, sc->run_pos[close] + l);
            t->a = (uint32_t)cs;
            t->b = (uint32_t)ce;
            i = t->end;
            continue;
        }
        if (c == '*' || c == '_') {
            size_t k = i;
            while (k < n && p[k] == p[i])
                k++;
            add_delim(sc, p, n, i, k);
            i = k;
            continue;
        }
        i++;
    }
}

static void unlink_delim(md_scratch *sc, int32_t x)
{
    md_tok *t = &sc->toks[x];
    if (t->prev >= 0)
        sc->toks[t->prev].next = t->next;
    if (t->next >= 0)
        sc->toks[t->next].prev = t->prev;
    t->prev = t->next = -1;
}

/* CommonMark's "process emphasis". Delimiters are indexed in text order, so
 * the lower bounds below stay valid when the delimiter they name is removed;
 * with them every delimiter is passed over a bounded number of times. */
static void match_emphasis(md_scratch *sc)
{
    int32_t first = -1, prev = -1;
    for (size_t i = 0; i < sc->ntok; i++) {
        if (sc->toks[i].kind != TK_DELIM)
            continue;
        sc->toks[i].prev = prev;
        if (prev >= 0)
            sc->toks[prev].next = (int32_t)i;
        else
            first = (int32_t)i;
        prev = (int32_t)i;
    }
    sc->nmatch = 0;
    int32_t bottom[2][3][2];
    for (int c = 0; c < 2; c++)
        for (int m = 0; m < 3; m++)
            bottom[c][m][0] = bottom[c][m][1] = -1;

    int32_t cur = first;
    while (cur >= 0) {
        md_tok *cl = &sc->toks[cur];
        if (!cl->can_close) {
            cur = cl->next;
            continue;
        }
        uint32_t cl_len = cl->end - cl->start;
        int32_t *low = &bottom[cl->ch == '_'][cl_len % 3][cl->can_open];
        int32_t o = cl->prev;
        md_tok *op = NULL;
        while (o >= 0 && o > *low) {
            md_tok *cand = &sc->toks[o];
            uint32_t op_len = cand->end - cand->start;
            if (cand->ch == cl->ch && cand->can_open) {
                bool odd = (cl->can_open || cand->can_close) && (op_len + cl_len) % 3 == 0 &&
                           !(op_len % 3 == 0 && cl_len % 3 == 0);
                if (!odd) {
                    op = cand;
                    break;
                }
            }
            o = cand->prev;
        }
        if (!op) {
            *low = cl->prev;
            int32_t next = cl->next;
            if (!cl->can_open)
                unlink_delim(sc, cur);
            cur = next;
            continue;
        }
        uint32_t use = op->rem >= 2 && cl->rem >= 2 ? 2 : 1;
        op->rem -= use;
        cl->rem -= use;
        op->b += use;
        cl->a += use;
        cl->pops++;
        GROW(sc->matches, sc->nmatch, sc->match_cap);
        sc->matches[sc->nmatch] = (md_match){use == 2 ? MD_BOLD : MD_ITALIC, op->opens};
        op->opens = (int32_t)sc->nmatch++;
        /* Delimiters between the pair can no longer match anything. */
        for (int32_t x = op->next; x >= 0 && x != cur;) {
            int32_t nx = sc->toks[x].next;
            unlink_delim(sc, x);
            x = nx;
        }
        if (op->rem == 0)
            unlink_delim(sc, o);
        if (cl->rem == 0) {
            int32_t next = cl->next;
            unlink_delim(sc, cur);
            cur = next;
        }
    }
}

/* Renders s[a, b) with inline markup; base styles what no span covers. */
static void render_inline(md_doc *d, md_scratch *sc, const char *s, size_t a, size_t b,
                          uint8_t base)
{
    const char *p = s + a;
    size_t n = b - a;
    if (n > INT32_MAX - 2) { /* token indices are 32-bit; no real line is this long */
        put(d, p, n, base);
        return;
    }
    tokenize(sc, p, n);
    match_emphasis(sc);
    size_t depth = 0, pos = 0;
    for (size_t i = 0; i < sc->ntok; i++) {
        const md_tok *t = &sc->toks[i];
        uint8_t st = depth ? sc->stack[depth - 1] : base;
        put(d, p + pos, t->start - pos, st);
        pos = t->end;
        if (t->kind == TK_ESCAPE) {
            put(d, p + t->start + 1, 1, st);
        } else if (t->kind == TK_CODE) {
            put(d, p + t->a, t->b - t->a, MD_CODE);
        } else {
            depth = t->pops <= depth ? depth - t->pops : 0;
            st = depth ? sc->stack[depth - 1] : base;
            put(d, p + t->start + t->a, t->end - t->start - t->a - t->b, st);
            for (int32_t m = t->opens; m >= 0; m = sc->matches[m].next) {
                GROW(sc->stack, depth, sc->stack_cap);
                sc->stack[depth++] = sc->matches[m].style;
            }
        }
    }
    put(d, p + pos, n - pos, depth ? sc->stack[depth - 1] : base);
}

/* -------------------------------------------------------------- blocks */

static size_t skip_indent(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 3 && p[i] == ' ')
        i++;
    return i;
}

/* A line without the '\r' of a CRLF ending, for the fence rules (sanitised text has no
 * '\r'; a conversation file or a test may). */
static size_t strip_cr(const char *p, size_t n)
{
    return n && p[n - 1] == '\r' ? n - 1 : n;
}

static bool fence_open(const char *p, size_t n, char *ch, size_t *flen)
{
    size_t i = skip_indent(p, n);
    if (i >= n || (p[i] != '`' && p[i] != '~'))
        return false;
    size_t k = i;
    while (k < n && p[k] == p[i])
        k++;
    if (k - i < 3)
        return false;
    /* ```foo``` is inline code, not a fence (CommonMark's rule). */
    if (p[i] == '`' && memchr(p + k, '`', n - k))
        return false;
    *ch = p[i];
    *flen = k - i;
    return true;
}

static bool fence_close(const char *p, size_t n, char ch, size_t flen)
{
    size_t i = skip_indent(p, n);
    size_t k = i;
    while (k < n && p[k] == ch)
        k++;
    if (k - i < flen)
        return false;
    for (; k < n; k++)
        if (p[k] != ' ' && p[k] != '\t')
            return false;
    return true;
}

static bool is_rule(const char *p, size_t n)
{
    size_t i = skip_indent(p, n);
    if (i >= n || (p[i] != '-' && p[i] != '*' && p[i] != '_'))
        return false;
    char c = p[i];
    size_t count = 0;
    for (; i < n; i++) {
        if (p[i] == c)
            count++;
        else if (p[i] != ' ' && p[i] != '\t')
            return false;
    }
    return count >= 3;
}

static const char QUOTE_BAR[] = "\xe2\x94\x82 "; /* "│ " */
static const char BULLET[] = "\xe2\x80\xa2 ";    /* "• " */
static const char RULE[] = "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"; /* "───" */

/* One line outside fenced code, s[ls, le) without its '\n'. */
static void render_line(md_doc *d, md_scratch *sc, const char *s, size_t ls, size_t le)
{
    size_t i = ls;
    uint8_t base = MD_PLAIN;
    for (;;) { /* "> > x" nests: a loop, not recursion, so depth costs nothing */
        size_t j = i + skip_indent(s + i, le - i);
        if (j >= le || s[j] != '>')
            break;
        put(d, QUOTE_BAR, sizeof QUOTE_BAR - 1, MD_QUOTE);
        base = MD_QUOTE;
        i = j + 1;
        if (i < le && s[i] == ' ')
            i++;
    }
    const char *p = s + i;
    size_t n = le - i;
    if (is_rule(p, n)) {
        put(d, RULE, sizeof RULE - 1, MD_RULE);
        return;
    }

    size_t j = skip_indent(p, n), h = 0;
    while (j + h < n && h < 7 && p[j + h] == '#')
        h++;
    if (h >= 1 && h <= 6 && j + h < n && p[j + h] == ' ') {
        size_t a = i + j + h + 1, b = le;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        /* An optional closing run of '#' ("## Title ##"), but not "C#". */
        size_t k = b;
        while (k > a && s[k - 1] == '#')
            k--;
        if (k < b && (k == a || s[k - 1] == ' ' || s[k - 1] == '\t')) {
            b = k;
            while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
                b--;
        }
        render_inline(d, sc, s, a, b, MD_HEADING);
        return;
    }

    j = 0;
    while (j < n && p[j] == ' ')
        j++;
    if (j + 1 < n && (p[j] == '-' || p[j] == '*' || p[j] == '+') && p[j + 1] == ' ') {
        put(d, p, j, base);
        put(d, BULLET, sizeof BULLET - 1, MD_LIST);
        render_inline(d, sc, s, i + j + 2, le, base);
        return;
    }
    size_t k = j;
    while (k < n && k - j < 9 && p[k] >= '0' && p[k] <= '9')
        k++;
    if (k > j && k + 1 < n && (p[k] == '.' || p[k] == ')') && p[k + 1] == ' ') {
        put(d, p, j, base);
        put(d, p + j, k + 2 - j, MD_LIST);
        render_inline(d, sc, s, i + k + 2, le, base);
        return;
    }
    render_inline(d, sc, s, i, le, base);
}

/* Starts block number nblocks + 1 at the opening fence line p[0, n), about to be put
 * at the end of d's text. */
static void block_open(md_doc *d, const char *p, size_t n, size_t flen)
{
    GROW(d->blocks, d->nblocks, d->blocks_cap);
    md_block *b = &d->blocks[d->nblocks++];
    memset(b, 0, sizeof *b);
    b->fence = d->text.len;
    b->indent = (unsigned)skip_indent(p, n);
    /* The language: the first word of the info string ("```python title=x"). */
    size_t i = b->indent + flen;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t k = i;
    while (k < n && p[k] != ' ' && p[k] != '\t' && p[k] != '\r')
        k++;
    b->lang = b->fence + i;
    b->lang_len = k - i;
    b->hl = hl_lang_find(p + i, k - i);
}

/* Ends the last block at the end of d's text: the closing fence line comes next, or
 * the text ends. Either way the code's last '\n' is not part of it. */
static void block_end(md_doc *d, bool closed)
{
    md_block *b = &d->blocks[d->nblocks - 1];
    b->end = d->text.len;
    if (b->end > b->start && d->text.data[b->end - 1] == '\n')
        b->end--;
    b->closed = closed;
}

/* Renders src from the line the state r describes (its start, and the block parser's state
 * there) to the end; every line before it is rendered already. */
static void render_from(md_doc *d, const char *src, size_t len, md_resume r)
{
    d->text.len = r.text;
    if (d->text.data)
        d->text.data[r.text] = '\0';
    d->nblocks = r.nblocks;
    d->src_len = len;
    /* Rendering rarely grows the text by much: reserve once. */
    size_t rest = len - r.src;
    reserve(d, rest + rest / 8 + 64);
    md_scratch sc;
    memset(&sc, 0, sizeof sc);
    bool block_starts = false;
    size_t ls = r.src;
    md_resume last = r; /* the state at the start of the line being rendered */
    while (ls < len) {
        r.src = ls;
        r.text = d->text.len;
        r.nblocks = d->nblocks;
        last = r;
        const char *nl = memchr(src + ls, '\n', len - ls);
        size_t le = nl ? (size_t)(nl - src) : len;
        const char *p = src + ls;
        size_t n = le - ls;
        if (r.in_fence) {
            /* Until the closing fence arrives (or forever, mid-stream), lines are code. */
            if (fence_close(p, strip_cr(p, n), r.fch, r.flen)) {
                block_end(d, true);
                put(d, p, n, MD_FENCE);
                r.in_fence = false;
            } else {
                size_t at = d->text.len;
                put(d, p, n, MD_CODE_BLOCK);
                hl_lang lang = d->blocks[d->nblocks - 1].hl;
                if (lang != HL_NONE)
                    hl_line(lang, &r.hl, p, n, d->style + at);
            }
        } else if (fence_open(p, strip_cr(p, n), &r.fch, &r.flen)) {
            block_open(d, p, strip_cr(p, n), r.flen);
            block_starts = true;
            put(d, p, n, MD_FENCE);
            r.in_fence = true;
            memset(&r.hl, 0, sizeof r.hl);
        } else {
            render_line(d, &sc, src, ls, le);
        }
        if (nl)
            put(d, "\n", 1, MD_PLAIN);
        if (block_starts) { /* the code begins after the opening fence line */
            d->blocks[d->nblocks - 1].start = d->text.len;
            block_starts = false;
        }
        ls = le + 1;
    }
    /* The next render goes on at the last line, which may grow; after a line break, at the
     * empty line that follows it. */
    if (ls == len) {
        last = r;
        last.src = ls;
        last.text = d->text.len;
        last.nblocks = d->nblocks;
    }
    if (r.in_fence)
        block_end(d, false);
    last.valid = true;
    d->resume = last;
    scratch_free(&sc);
}

void md_render(md_doc *d, const char *src, size_t len)
{
    buf_reset(&d->text);
    d->nblocks = 0;
    d->resume.valid = false;
    d->src_len = 0;
    if (!src || len == 0)
        return;
    render_from(d, src, len, (md_resume){0});
}

size_t md_render_more(md_doc *d, const char *src, size_t len)
{
    if (!d->resume.valid || len < d->src_len || !src) {
        md_render(d, src, len);
        return 0;
    }
    md_resume r = d->resume;
    render_from(d, src, len, r);
    return r.text;
}

long md_block_at(const md_doc *d, size_t fence)
{
    size_t lo = 0, hi = d->nblocks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->blocks[mid].fence < fence)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->nblocks && d->blocks[lo].fence == fence ? (long)lo : -1;
}

size_t md_block_text(const md_doc *d, size_t i, buf *out)
{
    const md_block *b = &d->blocks[i];
    const char *t = d->text.data;
    size_t lines = 0;
    for (size_t ls = b->start; ls < b->end;) {
        const char *nl = memchr(t + ls, '\n', b->end - ls);
        size_t le = nl ? (size_t)(nl - t) : b->end;
        size_t k = ls;
        while (k < le && k - ls < b->indent && t[k] == ' ')
            k++;
        if (lines++)
            buf_putc(out, '\n');
        buf_append(out, t + k, strip_cr(t + k, le - k));
        ls = le + 1;
    }
    return lines;
}

/* ---------------------------------------------------------------- wrap */

void wrap_init(wrap_lines *w)
{
    w->v = NULL;
    w->n = w->cap = 0;
}

void wrap_free(wrap_lines *w)
{
    free(w->v);
    wrap_init(w);
}

static void push_line(wrap_lines *w, size_t start, size_t end, int cols, int indent, bool cut)
{
    GROW(w->v, w->n, w->cap);
    w->v[w->n++] = (wrap_line){
        .start = (uint32_t)start,
        .len = (uint32_t)(end - start),
        .cols = (uint16_t)cols,
        .indent = (uint16_t)indent,
        .cut = cut,
    };
}

static bool is_emoji_modifier(uint32_t cp)
{
    return cp >= 0x1F3FB && cp <= 0x1F3FF;
}

static bool is_regional(uint32_t cp)
{
    return cp >= 0x1F1E6 && cp <= 0x1F1FF;
}

/* Scans the unit that starts at s[i] (not ' ', '\t' or '\n'): what wrapping
 * keeps together when it can. That is a character and the zero-width ones
 * after it (combining marks, ZWJ, variation selectors), extended through a
 * ZWJ to the next character, by a skin-tone modifier, or to the second
 * regional indicator of a flag. A unit stops growing before it would exceed
 * limit columns: longer ones get split anyway, and stopping early keeps long
 * joined chains linear. Returns its end; *cols its width. */
static size_t unit_scan(const char *s, size_t i, size_t n, int limit, int *cols)
{
    const unsigned char *t = (const unsigned char *)s;
    uch u = utf8_char(t + i, n - i);
    size_t j = i + u.len;
    int w = u.cols;
    uint32_t base = u.valid ? u.cp : 0;
    bool after_zwj = false;
    while (j < n && t[j] >= 0x80) { /* nothing ASCII attaches */
        uch v = utf8_char(t + j, n - j);
        if (!v.valid)
            break;
        if (v.cols == 0) {
            after_zwj = v.cp == 0x200D;
            j += v.len;
            continue;
        }
        bool flag = is_regional(base) && is_regional(v.cp);
        if (!after_zwj && !flag && !(base >= 0x80 && is_emoji_modifier(v.cp)))
            break;
        if (w + v.cols > limit)
            break;
        w += v.cols;
        j += v.len;
        after_zwj = false;
        base = flag ? 0 : v.cp; /* a flag is a pair: a third indicator starts anew */
    }
    *cols = w;
    return j;
}

/* Width of a tab at column col, clipped to the room left (0 when none). */
static int tab_cols(int col, int avail)
{
    int t = 4 - col % 4;
    return t < avail - col ? t : avail - col;
}

/* The hanging indent of a paragraph: the width of its leading quote bars and
 * list marker with the spaces around them, told apart by their style. */
static int hanging_indent(const char *s, size_t ps, size_t pe, const uint8_t *st,
                          size_t *prefix_end)
{
    size_t i = ps;
    bool marker = false;
    for (;;) {
        while (i < pe && s[i] == ' ')
            i++;
        if (pe - i >= 3 && st[i] == MD_QUOTE && memcmp(s + i, QUOTE_BAR, 3) == 0) {
            i += 3;
            marker = true;
        } else if (i < pe && st[i] == MD_LIST) {
            while (i < pe && st[i] == MD_LIST && s[i] != ' ')
                i++;
            marker = true;
        } else {
            break;
        }
    }
    if (!marker)
        return 0;
    *prefix_end = i;
    return render_width(s + ps, i - ps);
}

/* A code line that is not wrapped: as many columns as fit, then cut. */
static void cut_para(wrap_lines *w, const char *s, size_t ps, size_t pe, int width)
{
    size_t pos = ps;
    int cols = 0;
    while (pos < pe) {
        int uc;
        size_t ue;
        if (s[pos] == '\t') {
            ue = pos + 1;
            uc = tab_cols(cols, width);
            if (uc == 0)
                break;
        } else if (s[pos] == ' ') {
            ue = pos + 1;
            uc = 1;
        } else {
            ue = unit_scan(s, pos, pe, width, &uc);
        }
        if (cols + uc > width) {
            if (pos == ps) { /* a wide character at width 1: shown anyway */
                pos = ue;
                cols = uc;
            }
            break;
        }
        cols += uc;
        pos = ue;
    }
    push_line(w, ps, pos, cols, 0, pos < pe);
}

static void wrap_para(wrap_lines *w, const char *s, size_t ps, size_t pe, const uint8_t *style,
                      int width, bool code_wrap)
{
    if (ps == pe) {
        push_line(w, ps, ps, 0, 0, false);
        return;
    }
    if (style && md_is_code(style[ps]) && !code_wrap) {
        cut_para(w, s, ps, pe, width);
        return;
    }
    size_t prefix_end = ps;
    int indent = style ? hanging_indent(s, ps, pe, style, &prefix_end) : 0;
    /* At most half the width, and never so much that a wide character
     * cannot fit on a continuation line. */
    int cap = width / 2;
    if (width - cap < 2)
        cap = width >= 2 ? width - 2 : 0;
    if (indent > cap)
        indent = cap;
    const int cont_avail = width - indent;

    size_t line_start = ps, pos = ps;
    int cols = 0, avail = width, line_indent = 0;
    bool have_brk = false;
    size_t brk_end = 0, brk_resume = 0;
    int brk_cols = 0;
    while (pos < pe) {
        size_t next_line; /* where the next line starts once this one ends */
        if (s[pos] == ' ') {
            size_t run = pos;
            while (run < pe && s[run] == ' ')
                run++;
            /* Not before any text, nor inside the list marker prefix. */
            bool can_break = pos > line_start && pos >= prefix_end;
            if (can_break) {
                have_brk = true;
                brk_end = pos;
                brk_resume = run;
                brk_cols = cols;
            }
            if (run - pos <= (size_t)(avail - cols)) {
                cols += (int)(run - pos);
                pos = run;
                continue;
            }
            if (can_break) {
                push_line(w, line_start, pos, cols, line_indent, false);
                next_line = run; /* the whole run collapses into the break */
            } else {
                pos += (size_t)(avail - cols); /* leading spaces wider than the line */
                push_line(w, line_start, pos, avail, line_indent, false);
                next_line = pos;
            }
        } else {
            /* Fast path: printable ASCII that fits takes one column a byte.
             * The last byte before a non-ASCII one may carry a combining
             * mark, so it is left to the general path. */
            size_t k = pos, room = (size_t)(avail - cols);
            while (k < pe && k - pos < room && (unsigned char)s[k] > ' ' &&
                   (unsigned char)s[k] < 0x7F)
                k++;
            if (k < pe && (unsigned char)s[k] >= 0x80 && k > pos)
                k--;
            if (k > pos) {
                cols += (int)(k - pos);
                pos = k;
                continue;
            }
            int uc;
            size_t ue;
            if (s[pos] == '\t') {
                ue = pos + 1;
                uc = tab_cols(cols, avail);
                if (uc == 0)
                    uc = 1; /* no room left: force a break before it */
            } else {
                ue = unit_scan(s, pos, pe, cont_avail, &uc);
            }
            if (cols + uc <= avail) {
                cols += uc;
                pos = ue;
                continue;
            }
            if (have_brk) {
                push_line(w, line_start, brk_end, brk_cols, line_indent, false);
                next_line = brk_resume; /* the rest of the word is scanned again */
            } else if (pos > line_start) {
                push_line(w, line_start, pos, cols, line_indent, false);
                next_line = pos;
            } else {
                /* Alone and still too wide: a wide character where one column
                 * is available. It overflows rather than stall. */
                push_line(w, line_start, ue, uc, line_indent, false);
                next_line = ue;
            }
        }
        line_start = pos = next_line;
        cols = 0;
        avail = cont_avail;
        line_indent = indent;
        have_brk = false;
    }
    if (pos > line_start)
        push_line(w, line_start, pos, cols, line_indent, false);
}

/* Decisions the view relies on:
 * - Each '\n' ends a paragraph and a final '\n' starts no further line: ""
 *   gives no lines, "a\n" one, "a\n\nb" three (the middle one empty).
 * - Spaces where a line breaks belong to no line; elsewhere they are kept.
 * - A line always holds at least one character, so at width 1 a wide
 *   character sits alone on its line and overflows by one column.
 * - Tab stops are every 4 columns from the line's first column (after its
 *   indent); a tab is clipped at the right edge, so there cols counts fewer
 *   columns than render_width of the line's bytes would.
 * - The hanging indent is the width of the paragraph's leading quote bars
 *   and list marker with their spaces, at most half the width (and none when
 *   that would leave a continuation line less than 2 columns). */
/* Wraps the paragraphs from ps (a paragraph's start) on, after the lines w holds. */
static void wrap_from(wrap_lines *w, const char *text, size_t len, const uint8_t *style, int width,
                      bool code_wrap, size_t ps)
{
    /* Offsets and widths are stored in 32 and 16 bits; no message or
     * terminal comes near either. */
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    if (width < 1)
        width = 1;
    if (width > UINT16_MAX / 2)
        width = UINT16_MAX / 2;
    while (ps < len) {
        const char *nl = memchr(text + ps, '\n', len - ps);
        size_t pe = nl ? (size_t)(nl - text) : len;
        wrap_para(w, text, ps, pe, style, width, code_wrap);
        ps = pe + 1; /* a final '\n' starts no further line */
    }
}

void wrap_text(wrap_lines *w, const char *text, size_t len, const uint8_t *style, int width,
               bool code_wrap)
{
    w->n = 0;
    if (text)
        wrap_from(w, text, len, style, width, code_wrap, 0);
}

void wrap_text_more(wrap_lines *w, const char *text, size_t len, const uint8_t *style, int width,
                    bool code_wrap, size_t same)
{
    if (!text || same > len) {
        wrap_text(w, text, len, style, width, code_wrap);
        return;
    }
    /* The paragraph that holds byte `same` may wrap otherwise now: from its start. */
    size_t ps = same;
    while (ps > 0 && text[ps - 1] != '\n')
        ps--;
    while (w->n && w->v[w->n - 1].start >= ps)
        w->n--;
    wrap_from(w, text, len, style, width, code_wrap, ps);
}
