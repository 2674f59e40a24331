/* tchat-mock helpers: checked allocation, a byte buffer, JSON string escaping, clocks. */
#include "mock_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(void)
{
    fputs("tchat-mock: out of memory\n", stderr);
    abort();
}

void *mock_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *mock_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        oom();
    return q;
}

char *mock_xstrdup(const char *s)
{
    return s ? mock_xstrndup(s, strlen(s)) : NULL;
}

char *mock_xstrndup(const char *s, size_t n)
{
    char *p = mock_xmalloc(mock_size_add(n, 1));
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t mock_size_add(size_t a, size_t b)
{
    if (a > SIZE_MAX - b)
        oom();
    return a + b;
}

void mock_buf_reserve(mock_buf *b, size_t extra)
{
    size_t need = mock_size_add(mock_size_add(b->len, extra), 1);
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = mock_xrealloc(b->data, cap);
    b->cap = cap;
}

void mock_buf_add(mock_buf *b, const void *p, size_t n)
{
    mock_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void mock_buf_adds(mock_buf *b, const char *s)
{
    mock_buf_add(b, s, strlen(s));
}

void mock_buf_printf(mock_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        mock_buf_add(b, small, (size_t)n);
        return;
    }
    mock_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mock_buf_clear(mock_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void mock_buf_free(mock_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void mock_buf_json_str(mock_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    mock_buf_reserve(b, mock_size_add(n, 2));
    mock_buf_add(b, "\"", 1);
    size_t run = 0; /* start of bytes copied verbatim */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t elen = 0, skip = 1;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
            elen = 2;
        } else if (c < 0x20 || c == 0x7f ||
                   (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
                    (unsigned char)s[i + 1] <= 0x9f)) {
            /* C1 controls arrive as two UTF-8 bytes; escape the code point, not the bytes. */
            unsigned cp = c == 0xc2 ? (unsigned char)s[i + 1] : c;
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[cp >> 4];
            esc[5] = hex[cp & 15];
            elen = 6;
            skip = c == 0xc2 ? 2 : 1;
        } else {
            continue;
        }
        mock_buf_add(b, s + run, i - run);
        mock_buf_add(b, esc, elen);
        i += skip - 1;
        run = i + 1;
    }
    mock_buf_add(b, s + run, n - run);
    mock_buf_add(b, "\"", 1);
}

size_t mock_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 1;
    }
    if (n < len)
        return 1;
    unsigned cp = c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 1;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 1;
    return len;
}

double mock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void mock_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void mock_http_date(time_t t, char *out, size_t outlen)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* splitmix64: spreads a counter into ids that look random but never repeat. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void mock_request_id(char *out, size_t outlen)
{
    static atomic_uint_fast64_t counter;
    static _Atomic uint64_t seed;
    uint64_t s = atomic_load(&seed);
    if (s == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t fresh = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                               ((uint64_t)getpid() << 40)) | 1;
        uint64_t expected = 0;
        atomic_compare_exchange_strong(&seed, &expected, fresh);
        s = atomic_load(&seed);
    }
    uint64_t n = atomic_fetch_add(&counter, 1);
    /* mix64 is a bijection, so the first half alone keeps ids unique. */
    uint64_t a = mix64(n + s);
    uint64_t b = mix64(a ^ s);
    snprintf(out, outlen, "req_%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}
