/* tchat-mock helpers: checked allocation, a byte buffer, JSON string escaping, clocks. */
#ifndef MOCK_UTIL_H
#define MOCK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Allocation never returns NULL: out of memory aborts with a message. */
void *mock_xmalloc(size_t size);
void *mock_xrealloc(void *p, size_t size);
char *mock_xstrdup(const char *s); /* NULL stays NULL */
char *mock_xstrndup(const char *s, size_t n);
/* Returns a + b, aborting on overflow. */
size_t mock_size_add(size_t a, size_t b);

/* Growable byte buffer, NUL-terminated once anything was added. */
typedef struct mock_buf {
    char *data;
    size_t len;
    size_t cap;
} mock_buf;

void mock_buf_reserve(mock_buf *b, size_t extra);
void mock_buf_add(mock_buf *b, const void *p, size_t n);
void mock_buf_adds(mock_buf *b, const char *s);
void mock_buf_printf(mock_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mock_buf_clear(mock_buf *b); /* len = 0, keeps the memory */
void mock_buf_free(mock_buf *b);
/* Appends s[0..n) as a quoted JSON string. Bytes >= 0x80 pass through untouched (so invalid
 * UTF-8 stays invalid on purpose); C0, DEL and C1 controls become \u00XX escapes. */
void mock_buf_json_str(mock_buf *b, const char *s, size_t n);

/* Length of the UTF-8 character at s (1..4), or 1 for a byte that does not start a
 * complete, well-formed sequence: deltas never split a valid character. */
size_t mock_utf8_len(const unsigned char *s, size_t n);

/* Milliseconds on the monotonic clock. */
double mock_mono_ms(void);
/* Sleeps ms milliseconds (EINTR resumes the sleep). */
void mock_sleep_ms(long ms);
/* IMF-fixdate (RFC 9110), e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; out holds >= 32 bytes. */
void mock_http_date(time_t t, char *out, size_t outlen);
/* "req_" followed by 32 hex digits, unique within the process; out holds >= 40 bytes. */
void mock_request_id(char *out, size_t outlen);

#endif
