/* Fuzzes md_render, then wrap_text on its output (and on the raw input) at
 * widths 1, 7 and 80, with code wrapped and cut, and checks what the view
 * relies on: every byte of the text is in exactly one line, a dropped break
 * space, a paragraph's '\n' or the cut-off rest of a code line; lines come in
 * order; a line fits its width unless it is one wide character at width 1.
 * Highlighted code (the input's fences name languages) keeps its styles within
 * the code. Rendering and wrapping a prefix, then the rest with md_render_more
 * and wrap_text_more (a reply as it streams), gives what the whole does.
 *
 * It uses render.c's own UTF-8 decoder to check widths, so render.c is
 * compiled into this target (the archive's copy is then not pulled in). It
 * comes first: it sets the feature macros it needs before any system header. */
#include "../../src/ui/render.c"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                \
        }                                                                           \
    } while (0)

static bool valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t need;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += need + 1;
    }
    return true;
}

static size_t count_nl(const char *s, size_t n)
{
    size_t c = 0;
    for (const char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s))) != NULL; p++)
        c++;
    return c;
}

/* A line wider than its room must be one character of two columns (plus
 * zero-width ones) at width 1. */
static bool lone_wide_char(const char *s, size_t len)
{
    if (len == 0)
        return false;
    uch u = utf8_char((const unsigned char *)s, len);
    return u.cols == 2 && render_width(s + u.len, len - u.len) == 0;
}

static void check_wrap(const char *t, size_t len, const uint8_t *st, int width, bool code_wrap,
                       const wrap_lines *w)
{
    CHECK(len == 0 ? w->n == 0 : w->n >= 1);
    CHECK(w->n <= len + 1);
    size_t pos = 0;
    bool prev_cut = false;
    for (size_t i = 0; i < w->n; i++) {
        const wrap_line *l = &w->v[i];
        size_t start = l->start, end = start + l->len;
        CHECK(start >= pos && end <= len);
        if (i == 0)
            CHECK(start == 0);
        /* The gap before a line: the cut-off rest of a code line and its '\n',
         * or spaces dropped at a break, or spaces then a paragraph's '\n'. */
        if (prev_cut) {
            CHECK(start > pos && t[start - 1] == '\n');
            CHECK(!memchr(t + pos, '\n', start - 1 - pos));
        } else {
            size_t g = pos;
            while (g < start && t[g] == ' ')
                g++;
            CHECK(g == start || (g + 1 == start && t[g] == '\n'));
            /* A break at spaces drops the whole run. */
            if (g == start && start > pos)
                CHECK(t[pos - 1] != ' ' && start < len && t[start] != ' ');
        }
        CHECK(!memchr(t + start, '\n', l->len));
        if (l->len == 0) /* only an empty paragraph gives an empty line */
            CHECK((start == 0 || t[start - 1] == '\n') && (start == len || t[start] == '\n'));
        CHECK(l->indent <= width / 2);
        CHECK(l->cols + l->indent <= width || (width == 1 && l->cols == 2 && l->indent == 0 &&
                                                lone_wide_char(t + start, l->len)));
        if (!memchr(t + start, '\t', l->len))
            CHECK(render_width(t + start, l->len) == l->cols);
        if (l->cut)
            CHECK(!code_wrap && st && md_is_code(st[start]) && end < len && t[end] != '\n');
        pos = end;
        prev_cut = l->cut;
    }
    /* After the last line: the cut-off rest of a code line, or dropped spaces,
     * and at most the text's final '\n'. */
    const char *nl = memchr(t + pos, '\n', len - pos);
    CHECK(!nl || (size_t)(nl - t) == len - 1);
    if (!prev_cut)
        for (size_t g = pos; g < (nl ? len - 1 : len); g++)
            CHECK(t[g] == ' ');
}

/* Code blocks come in order, each opening at the start of a fence line with its
 * language on that line, its code after it: code lines and their line breaks only.
 * Only the last one may be open. The copy is never longer than the code. */
static void check_blocks(const md_doc *d)
{
    const char *t = buf_str(&d->text);
    size_t prev_end = 0;
    buf code;
    buf_init(&code);
    for (size_t i = 0; i < d->nblocks; i++) {
        const md_block *b = &d->blocks[i];
        CHECK(b->fence >= prev_end && b->fence < d->text.len);
        CHECK(d->style[b->fence] == MD_FENCE && (b->fence == 0 || t[b->fence - 1] == '\n'));
        CHECK(b->lang >= b->fence && b->lang + b->lang_len <= b->start);
        CHECK(!memchr(t + b->fence, '\n', b->lang + b->lang_len - b->fence));
        CHECK(b->start > b->fence && b->start <= b->end && b->end <= d->text.len);
        CHECK(b->closed || i + 1 == d->nblocks);
        for (size_t k = b->start; k < b->end; k++)
            CHECK((md_is_code(d->style[k]) && (b->hl != HL_NONE || d->style[k] == MD_CODE_BLOCK)) ||
                  (t[k] == '\n' && d->style[k] == MD_PLAIN));
        CHECK(md_block_at(d, b->fence) == (long)i);
        buf_reset(&code);
        size_t lines = md_block_text(d, i, &code);
        CHECK(code.len <= b->end - b->start && lines <= b->end - b->start + 1);
        prev_end = b->end;
    }
    buf_free(&code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        if (!setlocale(LC_ALL, "C.UTF-8"))
            abort();
        ready = true;
    }
    const char *in = (const char *)data;
    md_doc d;
    md_init(&d);
    md_render(&d, in, size);
    const char *t = buf_str(&d.text);
    for (size_t i = 0; i < d.text.len; i++)
        CHECK(d.style[i] < MD__COUNT);
    /* Markdown works line by line: lines are never added or merged. */
    CHECK(count_nl(t, d.text.len) == count_nl(in, size));
    if (valid_utf8(data, size))
        CHECK(valid_utf8((const unsigned char *)t, d.text.len));
    check_blocks(&d);

    static const int widths[] = {1, 7, 80};
    wrap_lines w;
    wrap_init(&w);
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        for (int cw = 0; cw < 2; cw++) {
            wrap_text(&w, t, d.text.len, d.style, widths[k], cw);
            check_wrap(t, d.text.len, d.style, widths[k], cw, &w);
        }
        wrap_text(&w, in, size, NULL, widths[k], true);
        check_wrap(in, size, NULL, widths[k], true, &w);
    }

    /* Streamed: a prefix (its length from the input), a longer one resumed from it, then
     * the rest resumed from that: each resume starts from a resumed state. */
    size_t cut = size ? (size_t)data[0] * 7919u % (size + 1) : 0;
    size_t cut2 = cut + (size > cut && size > 1 ? (size_t)data[1] * 104729u % (size - cut + 1) : 0);
    md_doc part;
    md_init(&part);
    wrap_lines wp;
    wrap_init(&wp);
    md_render(&part, in, cut);
    wrap_text(&wp, buf_str(&part.text), part.text.len, part.style, 7, false);
    size_t same = md_render_more(&part, in, cut2);
    CHECK(same <= part.text.len);
    wrap_text_more(&wp, buf_str(&part.text), part.text.len, part.style, 7, false, same);
    same = md_render_more(&part, in, size);
    CHECK(same <= part.text.len);
    CHECK(part.text.len == d.text.len &&
          (!d.text.len || memcmp(part.text.data, d.text.data, d.text.len) == 0));
    CHECK(!d.text.len || memcmp(part.style, d.style, d.text.len) == 0);
    CHECK(part.nblocks == d.nblocks);
    for (size_t i = 0; i < d.nblocks; i++)
        CHECK(part.blocks[i].fence == d.blocks[i].fence &&
              part.blocks[i].start == d.blocks[i].start && part.blocks[i].end == d.blocks[i].end &&
              part.blocks[i].closed == d.blocks[i].closed && part.blocks[i].hl == d.blocks[i].hl);
    wrap_text_more(&wp, buf_str(&part.text), part.text.len, part.style, 7, false, same);
    wrap_text(&w, t, d.text.len, d.style, 7, false);
    CHECK(wp.n == w.n);
    for (size_t i = 0; i < w.n; i++)
        CHECK(wp.v[i].start == w.v[i].start && wp.v[i].len == w.v[i].len &&
              wp.v[i].cols == w.v[i].cols && wp.v[i].indent == w.v[i].indent &&
              wp.v[i].cut == w.v[i].cut);
    wrap_free(&wp);
    md_free(&part);
    wrap_free(&w);
    md_free(&d);
    return 0;
}
