/* Fuzzes the SSE decoder. The same input is fed whole, one byte at a time and
 * in pseudo-random pieces; the three runs must produce the same events, the
 * same status and the same sse_finish result, and every event must keep the
 * decoder's promises (NUL-terminated name and data, no line break in the
 * name, no CR in the data, sizes within the cap). The piece sizes, the line
 * cap and the event the callback stops at are derived from a hash of the
 * input, so seed files stay plain text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "util.h"

typedef struct {
    buf log;
    size_t max_line;
    int stop_at, n;
} run_log;

static int on_event(void *ud, const sse_event *ev)
{
    run_log *r = ud;
    if (ev->data[ev->data_len] != '\0' || ev->event[ev->event_len] != '\0' ||
        memchr(ev->event, '\n', ev->event_len) || memchr(ev->event, '\r', ev->event_len) ||
        memchr(ev->data, '\r', ev->data_len) || ev->data_len == 0 || ev->data_len > r->max_line ||
        (ev->event_len > r->max_line && ev->event_len != strlen("message")) || strchr(ev->id, '\n') || strchr(ev->id, '\r'))
        abort();
    /* Names may hold NUL bytes: they are passed through, length-counted. */
    buf_printf(&r->log, "%zu:", ev->event_len);
    buf_append(&r->log, ev->event, ev->event_len);
    buf_printf(&r->log, "|%zu:", ev->data_len);
    buf_append(&r->log, ev->data, ev->data_len);
    buf_printf(&r->log, "|%s\n", ev->id);
    r->n++;
    return r->stop_at && r->n == r->stop_at;
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* mode 0: whole, 1: byte by byte, 2: random pieces. */
static void run(const uint8_t *data, size_t size, int mode, uint64_t seed, run_log *r)
{
    sse_decoder d;
    sse_init(&d, r->max_line);
    buf_init(&r->log);
    r->n = 0;
    sse_status st = SSE_OK;
    size_t off = 0;
    while (off < size && st == SSE_OK) {
        size_t n = size - off;
        if (mode == 1)
            n = 1;
        else if (mode == 2 && n > 1)
            n = 1 + next_rand(&seed) % (n < 64 ? n : 64);
        st = sse_feed(&d, (const char *)data + off, n, on_event, r);
        off += n;
    }
    if (st == SSE_LINE_TOO_LONG && sse_feed(&d, "\n\n", 2, on_event, r) != SSE_LINE_TOO_LONG)
        abort(); /* a failed decoder stays failed */
    bool partial = sse_finish(&d);
    buf_printf(&r->log, "status %d partial %d\n", (int)st, (int)partial);
    sse_done(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    h |= 1;

    run_log a = {.max_line = (h & 1) ? 1 + (h >> 8) % 64 : SSE_DEFAULT_MAX_LINE,
                 .stop_at = (h & 2) ? (int)((h >> 16) % 4) : 0};
    run_log b = a, c = a;
    run(data, size, 0, h, &a);
    run(data, size, 1, h, &b);
    run(data, size, 2, h, &c);
    if (a.log.len != b.log.len || memcmp(a.log.data, b.log.data, a.log.len) != 0 ||
        a.log.len != c.log.len || memcmp(a.log.data, c.log.data, a.log.len) != 0)
        abort();
    buf_free(&a.log);
    buf_free(&b.log);
    buf_free(&c.log);
    return 0;
}
