#include "sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* s->state packs the escape-sequence state (low bits) and, for sequences
 * that can run on, the number of bytes swallowed so far (high bits). */
enum {
    SAN_TEXT,     /* ordinary text */
    SAN_ESC,      /* after ESC */
    SAN_NF,       /* ESC + intermediates (ESC ( B, ESC # 8): up to a final byte */
    SAN_CSI,      /* ESC [ or U+009B: parameters, intermediates, final byte */
    SAN_OSC,      /* ESC ] or U+009D: up to BEL or ST */
    SAN_STR,      /* DCS, SOS, PM, APC: up to ST */
    SAN_OSC_C2,   /* inside OSC after 0xC2: 0x9C would make U+009C (ST) */
    SAN_STR_C2,
    SAN_STR_ESC,  /* inside a string after ESC: '\' makes ST */
};
#define SAN_KIND_BITS 4
#define SAN_KIND_MASK ((1 << SAN_KIND_BITS) - 1)

/* Past this many bytes a sequence is taken to be a stray introducer, not a
 * real one, so that a lone "ESC ]" cannot swallow the rest of a reply. */
#define SAN_SEQ_MAX (64 * 1024)

#define ESC 0x1B
#define BEL 0x07
#define CAN 0x18
#define SUB 0x1A

static const char san_replacement[3] = {'\xEF', '\xBF', '\xBD'}; /* U+FFFD */

/* Bytes copied through unchanged in runs: printable ASCII, \t and \n. */
static bool san_plain(unsigned char c)
{
    return (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t';
}

void sanitize_init(sanitizer *s)
{
    s->state = SAN_TEXT;
    s->pend_len = 0;
    s->pend_need = 0;
}

static int san_kind(const sanitizer *s)
{
    return s->state & SAN_KIND_MASK;
}

static void san_set(sanitizer *s, int kind)
{
    s->state = kind;
}

/* Keeps the running count while moving between the sub-states of one
 * sequence. Returns false when the sequence grew past the cap. */
static bool san_count(sanitizer *s, int kind)
{
    int count = (s->state >> SAN_KIND_BITS) + 1;
    if (count > SAN_SEQ_MAX) {
        s->state = SAN_TEXT;
        return false;
    }
    s->state = kind | (count << SAN_KIND_BITS);
    return true;
}

/* Length of the UTF-8 sequence a lead byte starts (0: not a lead byte) and
 * the range its second byte must fall in, which excludes overlongs,
 * surrogates and code points above U+10FFFF (Unicode Table 3-7). */
static int san_utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF) {
        if (c == 0xE0)
            *lo = 0xA0;
        else if (c == 0xED)
            *hi = 0x9F;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (c == 0xF0)
            *lo = 0x90;
        else if (c == 0xF4)
            *hi = 0x8F;
        return 4;
    }
    return 0;
}

static uint32_t san_decode(const unsigned char *p, int n)
{
    if (n == 2)
        return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    if (n == 3)
        return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
           (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

/* One complete, well-formed non-ASCII character. */
static void san_char(sanitizer *s, const unsigned char *p, int n, buf *out)
{
    uint32_t cp = san_decode(p, n);
    if (cp <= 0x9F) {
        /* C1 controls: the 8-bit forms of the escape introducers start the
         * same sequences as their ESC forms; the rest are dropped. */
        switch (cp) {
        case 0x9B: san_set(s, SAN_CSI); break;
        case 0x9D: san_set(s, SAN_OSC); break;
        case 0x90: case 0x98: case 0x9E: case 0x9F: san_set(s, SAN_STR); break;
        default: break;
        }
        return;
    }
    if (cp == 0x2028 || cp == 0x2029) {
        buf_putc(out, '\n');
        return;
    }
    /* Bidi embeddings, overrides and isolates can make text display in an
     * order other than the one it is read in. */
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
        return;
    buf_append(out, p, (size_t)n);
}

/* One byte while inside an escape sequence. Returns true when the byte was
 * consumed, false when it must be processed again in the (new) state. */
static bool san_escape_byte(sanitizer *s, unsigned char c)
{
    switch (san_kind(s)) {
    case SAN_ESC:
        switch (c) {
        case '[': san_set(s, SAN_CSI); return true;
        case ']': san_set(s, SAN_OSC); return true;
        case 'P': case 'X': case '^': case '_': san_set(s, SAN_STR); return true;
        case ESC: return true; /* ESC ESC: the first one introduced nothing */
        default: break;
        }
        if (c >= 0x20 && c <= 0x2F) {
            san_set(s, SAN_NF);
            return true;
        }
        san_set(s, SAN_TEXT);
        /* ESC + final byte is a complete two-byte escape; anything else
         * (a control, a non-ASCII byte) is text again. */
        return c >= 0x30 && c <= 0x7E;
    case SAN_NF:
        if (c >= 0x20 && c <= 0x2F)
            return san_count(s, SAN_NF);
        san_set(s, SAN_TEXT);
        return c >= 0x30 && c <= 0x7E;
    case SAN_CSI:
        if (c >= 0x20 && c <= 0x3F)
            return san_count(s, SAN_CSI);
        san_set(s, SAN_TEXT);
        return c >= 0x40 && c <= 0x7E;
    case SAN_OSC:
    case SAN_STR: {
        bool osc = san_kind(s) == SAN_OSC;
        if ((c == BEL && osc) || c == CAN || c == SUB) {
            san_set(s, SAN_TEXT);
            return true;
        }
        if (c == ESC)
            return san_count(s, SAN_STR_ESC);
        if (c == 0xC2)
            return san_count(s, osc ? SAN_OSC_C2 : SAN_STR_C2);
        return san_count(s, osc ? SAN_OSC : SAN_STR);
    }
    case SAN_OSC_C2:
    case SAN_STR_C2: {
        int back = san_kind(s) == SAN_OSC_C2 ? SAN_OSC : SAN_STR;
        if (c == 0x9C) {
            san_set(s, SAN_TEXT);
            return true;
        }
        s->state = back | (s->state & ~SAN_KIND_MASK);
        return false;
    }
    case SAN_STR_ESC:
        if (c == '\\') {
            san_set(s, SAN_TEXT);
            return true;
        }
        /* ESC followed by anything else starts a new sequence, as it does
         * on a terminal. */
        san_set(s, SAN_ESC);
        return false;
    default:
        san_set(s, SAN_TEXT);
        return false;
    }
}

void sanitize_feed(sanitizer *s, const char *in, size_t n, buf *out)
{
    const unsigned char *p = (const unsigned char *)in, *end = p + n;
    if (n == 0)
        return;
    buf_reserve(out, n);

    while (p < end) {
        if (s->pend_len) {
            /* Inside a multi-byte character, possibly begun in an earlier
             * call. A byte that does not continue it ends the maximal
             * subpart: one U+FFFD, then the byte is looked at afresh. */
            unsigned char lo = 0x80, hi = 0xBF, c = *p;
            if (s->pend_len == 1)
                san_utf8_lead(s->pend[0], &lo, &hi);
            if (c < lo || c > hi) {
                buf_append(out, san_replacement, sizeof san_replacement);
                s->pend_len = 0;
                continue;
            }
            s->pend[s->pend_len++] = c;
            p++;
            if (s->pend_len == s->pend_need) {
                s->pend_len = 0;
                san_char(s, s->pend, s->pend_need, out);
            }
            continue;
        }

        if (san_kind(s) != SAN_TEXT) {
            if (san_escape_byte(s, *p))
                p++;
            continue;
        }

        const unsigned char *run = p;
        while (p < end && san_plain(*p))
            p++;
        if (p > run) {
            buf_append(out, run, (size_t)(p - run));
            continue;
        }

        unsigned char c = *p++;
        if (c < 0x80) {
            /* C0 controls other than \t and \n, and DEL, are dropped; a CR
             * could rewrite the line already on the terminal. */
            if (c == ESC)
                san_set(s, SAN_ESC);
            continue;
        }
        unsigned char lo, hi;
        int need = san_utf8_lead(c, &lo, &hi);
        if (!need) {
            buf_append(out, san_replacement, sizeof san_replacement);
            continue;
        }
        s->pend[0] = c;
        s->pend_len = 1;
        s->pend_need = need;
    }
    /* buf_reserve alone does not terminate: keep out a C string even when
     * nothing was appended. */
    out->data[out->len] = '\0';
}

void sanitize_finish(sanitizer *s, buf *out)
{
    if (s->pend_len)
        buf_append(out, san_replacement, sizeof san_replacement);
    sanitize_init(s);
}

char *sanitize_string(const char *in, size_t n)
{
    sanitizer s;
    buf out;
    sanitize_init(&s);
    buf_init(&out);
    sanitize_feed(&s, in, n, &out);
    sanitize_finish(&s, &out);
    return buf_steal(&out);
}

char *sanitize_line(const char *in, size_t n, size_t cap)
{
    char *clean = sanitize_string(in, n);
    for (char *q = clean; *q; q++)
        if (*q == '\n' || *q == '\t')
            *q = ' ';
    size_t len = strlen(clean);
    if (cap && len > cap) {
        /* Back up to the start of the character that crosses the cap. */
        while (cap > 0 && ((unsigned char)clean[cap] & 0xC0) == 0x80)
            cap--;
        clean[cap] = '\0';
    }
    return clean;
}
