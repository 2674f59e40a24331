/* Fuzzes the sanitiser. The input is cleaned whole, one byte at a time and in
 * pseudo-random pieces (sizes from a hash of the input); the results must be
 * identical, must be strictly valid UTF-8 without C0 (except \n and \t), DEL,
 * C1, ESC, bidi controls or U+2028/U+2029, and cleaning them again must
 * change nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "util.h"

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void clean(const uint8_t *data, size_t size, int mode, uint64_t seed, buf *out)
{
    sanitizer s;
    sanitize_init(&s);
    buf_init(out);
    size_t off = 0;
    while (off < size) {
        size_t n = size - off;
        if (mode == 1)
            n = 1;
        else if (mode == 2 && n > 1)
            n = 1 + next_rand(&seed) % (n < 16 ? n : 16);
        sanitize_feed(&s, (const char *)data + off, n, out);
        off += n;
    }
    sanitize_finish(&s, out);
    buf_putc(out, 'x'); /* so that an empty result is still allocated */
    out->len--;
}

/* Strict UTF-8 check plus the characters that must not survive. */
static void check_clean(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
                abort();
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            abort();
        }
        if (i + len > n)
            abort();
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                abort();
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp <= 0x9F ||
            cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069))
            abort();
        i += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    h |= 1;

    buf a, b, c, again;
    clean(data, size, 0, h, &a);
    clean(data, size, 1, h, &b);
    clean(data, size, 2, h, &c);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0 || a.len != c.len ||
        memcmp(a.data, c.data, a.len) != 0)
        abort();
    check_clean((const unsigned char *)a.data, a.len);
    clean((const uint8_t *)a.data, a.len, 0, h, &again);
    if (again.len != a.len || memcmp(again.data, a.data, a.len) != 0)
        abort();

    char *s = sanitize_string((const char *)data, size);
    if (strlen(s) != a.len || memcmp(s, a.data, a.len) != 0)
        abort();
    free(s);
    buf_free(&a);
    buf_free(&b);
    buf_free(&c);
    buf_free(&again);
    return 0;
}
