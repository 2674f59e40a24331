#define _GNU_SOURCE /* memmem */
#include "fold.h"

#include <stdint.h>
#include <string.h>

/* The lower-case form of code point c, or c. */
static unsigned fold_cp(unsigned c)
{
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) /* Latin-1: À..Þ but × */
        return c + 0x20;
    if (c >= 0x100 && c <= 0x17F) { /* Latin Extended-A: upper and lower in pairs */
        if (c == 0x130)             /* İ */
            return 'i';
        if (c == 0x178) /* Ÿ */
            return 0xFF;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) /* odd ones upper */
            return c & 1 ? c + 1 : c;
        if (c <= 0x137 || (c >= 0x14A && c <= 0x177)) /* even ones upper */
            return c | 1;
        return c;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) /* Greek Α..Ϋ */
        return c + 0x20;
    if (c == 0x3C2) /* final sigma */
        return 0x3C3;
    if (c >= 0x400 && c <= 0x40F) /* Cyrillic Ѐ..Џ */
        return c + 0x50;
    if (c >= 0x410 && c <= 0x42F) /* Cyrillic А..Я */
        return c + 0x20;
    if (c >= 0xFF21 && c <= 0xFF3A) /* fullwidth Ａ..Ｚ */
        return c + 0x20;
    return c;
}

static size_t put_utf8(char *out, unsigned c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3F));
    out[2] = (char)(0x80 | (c >> 6 & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

void fold_append(buf *out, const char *s, size_t n)
{
    /* Lower case is never longer than upper case here: n bytes are enough. */
    buf_reserve(out, n);
    char *o = out->data + out->len;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char ch = p[i];
        if (ch < 0x80) {
            *o++ = (char)(ch >= 'A' && ch <= 'Z' ? ch + 0x20 : ch);
            i++;
            continue;
        }
        unsigned cp;
        size_t k = str_utf8_seq(p + i, n - i, &cp);
        if (!k) {
            *o++ = (char)ch; /* not UTF-8: the byte as it is */
            i++;
            continue;
        }
        unsigned f = fold_cp(cp);
        if (f == cp) {
            memcpy(o, p + i, k);
            o += k;
        } else {
            o += put_utf8(o, f);
        }
        i += k;
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
}

bool fold_find(const char *hay, size_t hay_len, const char *needle, size_t nlen)
{
    return nlen == 0 || (hay && memmem(hay, hay_len, needle, nlen) != NULL);
}
