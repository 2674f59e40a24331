/* SSE decoder: each case is a list of input chunks (exact byte splits) and
 * the events, final status and sse_finish result expected. Every case is also
 * re-run with its input split at every pair of byte positions and fed one
 * byte at a time: the result must not depend on how the network cut it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "util.h"

typedef struct {
    const char *p;
    size_t n;
} chunk;
#define C(s) {s, sizeof(s) - 1}

typedef struct {
    const char *event;
    const char *data;
    size_t data_len;
    const char *id;
} want_event;
#define EV(e, d) {e, d, sizeof(d) - 1, ""}
#define EVI(e, d, i) {e, d, sizeof(d) - 1, i}

#define MAX_CHUNKS 8
#define MAX_EVENTS 8

typedef struct {
    const char *name;
    size_t max_line;  /* 0: default */
    int stop_at;      /* the callback stops at this event (1-based); 0: never */
    chunk chunks[MAX_CHUNKS];
    want_event events[MAX_EVENTS];
    sse_status status;
    bool partial;
} sse_case;

static const sse_case cases[] = {
    {"lf", 0, 0, {C("data: hello\n\n")}, {EV("message", "hello")}, SSE_OK, false},
    {"crlf", 0, 0, {C("data: hello\r\n\r\n")}, {EV("message", "hello")}, SSE_OK, false},
    {"cr", 0, 0, {C("data: hello\r\r")}, {EV("message", "hello")}, SSE_OK, false},
    {"mixed breaks", 0, 0, {C("data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\r")},
     {EV("message", "a\nb\nc"), EV("message", "d")}, SSE_OK, false},
    {"cr | lf across chunks is one break", 0, 0, {C("data: a\r"), C("\ndata: b\r"), C("\n\r"), C("\n")},
     {EV("message", "a\nb")}, SSE_OK, false},
    {"cr | cr across chunks is two breaks", 0, 0, {C("data: a\r"), C("\r")}, {EV("message", "a")},
     SSE_OK, false},
    {"crlf | lf across chunks", 0, 0, {C("data: a\r\n"), C("\n")}, {EV("message", "a")}, SSE_OK, false},
    {"crlf split inside the blank line", 0, 0, {C("data: x\r\n\r"), C("\n")}, {EV("message", "x")},
     SSE_OK, false},
    {"cr then lf, lf", 0, 0, {C("data: a\r"), C("\n"), C("\n")}, {EV("message", "a")}, SSE_OK, false},
    {"utf-8 split inside a character", 0, 0, {C("data: \xE4\xBD"), C("\xA0\xE5"), C("\xA5\xBD\n\n")},
     {EV("message", "你好")}, SSE_OK, false},
    {"comments", 0, 0, {C(": keep-alive\n\ndata: a\n:\n: another\n\n")}, {EV("message", "a")},
     SSE_OK, false},
    {"OPENROUTER PROCESSING comment", 0, 0, {C(": OPENROUTER PROCESSING\r\n\r\ndata: {}\r\n\r\n")},
     {EV("message", "{}")}, SSE_OK, false},
    {"no space after colon", 0, 0, {C("data:x\n\n")}, {EV("message", "x")}, SSE_OK, false},
    {"only one space stripped", 0, 0, {C("data:  x \n\n")}, {EV("message", " x ")}, SSE_OK, false},
    {"tab is not stripped", 0, 0, {C("data:\tx\n\n")}, {EV("message", "\tx")}, SSE_OK, false},
    {"colon inside the value", 0, 0, {C("data: {\"a\":\"b:c\"}\n\n")},
     {EV("message", "{\"a\":\"b:c\"}")}, SSE_OK, false},
    {"multi-line data", 0, 0, {C("data: a\ndata: b\ndata:\ndata: c\n\n")},
     {EV("message", "a\nb\n\nc")}, SSE_OK, false},
    {"two empty data lines", 0, 0, {C("data:\ndata:\n\n")}, {EV("message", "\n")}, SSE_OK, false},
    {"blank lines only", 0, 0, {C("\n\n\r\n\r\r")}, {{0}}, SSE_OK, false},
    {"empty data skipped", 0, 0, {C("data:\n\ndata: \n\ndata\n\n")}, {{0}}, SSE_OK, false},
    {"event without data resets the type", 0, 0, {C("event: foo\n\ndata: y\n\n")},
     {EV("message", "y")}, SSE_OK, false},
    {"named event", 0, 0, {C("event: delta\ndata: a\n\ndata: b\n\n")},
     {EV("delta", "a"), EV("message", "b")}, SSE_OK, false},
    {"event: error", 0, 0, {C("event: error\ndata: {\"error\":{\"message\":\"boom\"}}\n\n")},
     {EV("error", "{\"error\":{\"message\":\"boom\"}}")}, SSE_OK, false},
    {"event without colon is empty: message", 0, 0, {C("event: x\nevent\ndata: a\n\n")},
     {EV("message", "a")}, SSE_OK, false},
    {"id persists across events", 0, 0, {C("id: 42\ndata: a\n\ndata: b\n\nid\ndata: c\n\n")},
     {EVI("message", "a", "42"), EVI("message", "b", "42"), EVI("message", "c", "")}, SSE_OK, false},
    {"id with NUL ignored", 0, 0, {C("id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n")},
     {EVI("message", "a", "1"), EVI("message", "b", "1")}, SSE_OK, false},
    {"retry and unknown fields ignored", 0, 0, {C("retry: 1000\nfoo: bar\nDATA: no\ndata: a\n\n")},
     {EV("message", "a")}, SSE_OK, false},
    {"[DONE]", 0, 0, {C("data: [DONE]\n\n")}, {EV("message", "[DONE]")}, SSE_OK, false},
    {"U+2028 and U+2029 are not breaks", 0, 0, {C("data: a\xE2\x80\xA8" "b\xE2\x80\xA9" "c\n\n")},
     {EV("message", "a\xE2\x80\xA8" "b\xE2\x80\xA9" "c")}, SSE_OK, false},
    {"NUL inside data", 0, 0, {C("data: a\0b\n\n")}, {EV("message", "a\0b")}, SSE_OK, false},
    {"BOM skipped", 0, 0, {C("\xEF\xBB\xBF" "data: a\n\n")}, {EV("message", "a")}, SSE_OK, false},
    {"BOM split", 0, 0, {C("\xEF"), C("\xBB"), C("\xBF" "data: a\n\n")}, {EV("message", "a")}, SSE_OK,
     false},
    {"second BOM is content", 0, 0, {C("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\ndata: b\n\n")},
     {EV("message", "b")}, SSE_OK, false},
    {"partial BOM is content", 0, 0, {C("\xEF\xBB" "data: a\n\ndata: b\n\n")}, {EV("message", "b")},
     SSE_OK, false},
    {"BOM only at the very start", 0, 0, {C("data: a\n\n\xEF\xBB\xBF" "data: b\n\n")},
     {EV("message", "a")}, SSE_OK, false},
    {"empty chunks", 0, 0, {C(""), C("data: a"), C(""), C("\n\n"), C("")}, {EV("message", "a")},
     SSE_OK, false},
    {"line at the cap", 16, 0, {C("data: 0123456789\n\n")}, {EV("message", "0123456789")}, SSE_OK,
     false},
    {"line too long", 16, 0, {C("data: a\n\ndata: 0123456789A\n\ndata: c\n\n")},
     {EV("message", "a")}, SSE_LINE_TOO_LONG, true},
    {"comment too long", 16, 0, {C(": 0123456789abcdef\ndata: c\n\n")}, {{0}}, SSE_LINE_TOO_LONG,
     true},
    {"partial line too long", 16, 0, {C("data: 0123"), C("456789ABCDEF")}, {{0}}, SSE_LINE_TOO_LONG,
     true},
    {"data per event capped", 16, 0, {C("data: 0123456789\ndata: 012345\n\n")}, {{0}},
     SSE_LINE_TOO_LONG, true},
    {"data per event at the cap", 16, 0, {C("data: 0123456789\ndata: 01234\n\n")},
     {EV("message", "0123456789\n01234")}, SSE_OK, false},
    {"callback stops", 0, 1, {C("data: a\n\ndata: b\n\n")}, {EV("message", "a")}, SSE_STOPPED, false},
    {"callback stops at the second", 0, 2, {C("data: a\n\ndata: b\n\ndata: c\n\n")},
     {EV("message", "a"), EV("message", "b")}, SSE_STOPPED, false},
    {"finish: unterminated event", 0, 0, {C("data: a\n")}, {{0}}, SSE_OK, true},
    {"finish: partial line", 0, 0, {C("data: a\n\ndata: b")}, {EV("message", "a")}, SSE_OK, true},
    {"finish: partial comment", 0, 0, {C(": ping")}, {{0}}, SSE_OK, true},
    {"finish: pending event type", 0, 0, {C("event: x\n")}, {{0}}, SSE_OK, true},
    {"finish: trailing CR is a complete break", 0, 0, {C("data: a\r\r")}, {EV("message", "a")},
     SSE_OK, false},
    {"openai stream", 0, 0,
     {C("data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\nda"),
      C("ta: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"), C("data: [DONE]\n\n")},
     {EV("message", "{\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}"),
      EV("message", "{\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}"), EV("message", "[DONE]")},
     SSE_OK, false},
};

typedef struct {
    int stop_at;
    int n;
    char *event[MAX_EVENTS + 4];
    char *data[MAX_EVENTS + 4];
    size_t data_len[MAX_EVENTS + 4];
    char *id[MAX_EVENTS + 4];
} recorder;

static int record(void *ud, const sse_event *ev)
{
    recorder *r = ud;
    assert_non_null(ev->event);
    assert_int_equal(strlen(ev->event), ev->event_len);
    assert_int_equal(ev->data[ev->data_len], '\0');
    assert_non_null(ev->id);
    assert_true(r->n < MAX_EVENTS + 4);
    r->event[r->n] = xstrdup(ev->event);
    r->data[r->n] = xmalloc(ev->data_len + 1);
    memcpy(r->data[r->n], ev->data, ev->data_len + 1);
    r->data_len[r->n] = ev->data_len;
    r->id[r->n] = xstrdup(ev->id);
    r->n++;
    return r->stop_at && r->n == r->stop_at;
}

static void recorder_free(recorder *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->event[i]);
        free(r->data[i]);
        free(r->id[i]);
    }
    r->n = 0;
}

/* Feeds the pieces in order, stopping at the first status other than OK as a
 * caller does, then checks everything against the case. */
static void run_and_check(const sse_case *c, const chunk *pieces, size_t npieces, const char *how)
{
    sse_decoder d;
    recorder r = {.stop_at = c->stop_at};
    sse_init(&d, c->max_line);
    sse_status st = SSE_OK;
    for (size_t i = 0; i < npieces && st == SSE_OK; i++)
        st = sse_feed(&d, pieces[i].p, pieces[i].n, record, &r);
    bool partial = sse_finish(&d);
    sse_done(&d);

    int nwant = 0;
    while (nwant < MAX_EVENTS && c->events[nwant].event)
        nwant++;
    if (st != c->status || partial != c->partial || r.n != nwant)
        fail_msg("%s (%s): status %d want %d, partial %d want %d, %d events want %d", c->name, how,
                 st, c->status, partial, c->partial, r.n, nwant);
    for (int i = 0; i < nwant; i++) {
        const want_event *w = &c->events[i];
        if (strcmp(r.event[i], w->event) != 0 || r.data_len[i] != w->data_len ||
            memcmp(r.data[i], w->data, w->data_len) != 0 || strcmp(r.id[i], w->id) != 0)
            fail_msg("%s (%s): event %d is (%s, \"%s\", id \"%s\"), want (%s, \"%s\", id \"%s\")",
                     c->name, how, i, r.event[i], r.data[i], r.id[i], w->event, w->data, w->id);
    }
    recorder_free(&r);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sse_case *c = &cases[i];
        size_t n = 0;
        while (n < MAX_CHUNKS && c->chunks[n].p)
            n++;
        run_and_check(c, c->chunks, n, "as given");
    }
}

static void test_every_split(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const sse_case *c = &cases[ci];
        buf all;
        buf_init(&all);
        for (size_t k = 0; k < MAX_CHUNKS && c->chunks[k].p; k++)
            buf_append(&all, c->chunks[k].p, c->chunks[k].n);
        const char *p = buf_str(&all);
        size_t len = all.len;

        chunk whole = {p, len};
        run_and_check(c, &whole, 1, "unsplit");
        for (size_t i = 0; i <= len; i++) {
            for (size_t j = i; j <= len; j++) {
                chunk three[3] = {{p, i}, {p + i, j - i}, {p + j, len - j}};
                run_and_check(c, three, 3, "split in three");
            }
        }
        chunk *bytes = xmalloc_array(len + 1, sizeof *bytes);
        for (size_t i = 0; i < len; i++)
            bytes[i] = (chunk){p + i, 1};
        run_and_check(c, bytes, len, "byte by byte");
        free(bytes);
        buf_free(&all);
    }
}

static int count_events(void *ud, const sse_event *ev)
{
    (void)ev;
    (*(int *)ud)++;
    return 0;
}

static void test_failure_is_sticky(void **state)
{
    (void)state;
    sse_decoder d;
    int n = 0;
    sse_init(&d, 8);
    assert_int_equal(sse_feed(&d, "data: 0123456789\n\n", 18, count_events, &n), SSE_LINE_TOO_LONG);
    assert_int_equal(sse_feed(&d, "data: a\n\n", 9, count_events, &n), SSE_LINE_TOO_LONG);
    assert_int_equal(n, 0);
    /* A reset decoder starts over. */
    sse_reset(&d);
    assert_int_equal(sse_feed(&d, "data: a\n\n", 9, count_events, &n), SSE_OK);
    assert_int_equal(n, 1);
    sse_done(&d);
}

static void test_reuse_after_finish(void **state)
{
    (void)state;
    sse_decoder d;
    int n = 0;
    sse_init(&d, 0);
    assert_int_equal(d.max_line, SSE_DEFAULT_MAX_LINE);
    assert_int_equal(sse_feed(&d, "data: a\n", 8, count_events, &n), SSE_OK);
    assert_true(sse_finish(&d));
    /* The half event was discarded; a new stream may start with a BOM. */
    assert_int_equal(sse_feed(&d, "\xEF\xBB\xBF\n\ndata: b\n\n", 14, count_events, &n), SSE_OK);
    assert_false(sse_finish(&d));
    assert_int_equal(n, 1);
    sse_done(&d);
}

/* A line of a few MiB under the default cap arrives in 16 KiB pieces. */
static void test_big_line(void **state)
{
    (void)state;
    size_t vlen = (size_t)3 << 20;
    buf in;
    buf_init(&in);
    buf_puts(&in, "data: ");
    buf_reserve(&in, vlen);
    memset(in.data + in.len, 'x', vlen);
    in.len += vlen;
    buf_puts(&in, "\n\n");

    sse_decoder d;
    recorder r = {0};
    sse_init(&d, 0);
    for (size_t off = 0; off < in.len; off += 16384) {
        size_t n = in.len - off < 16384 ? in.len - off : 16384;
        assert_int_equal(sse_feed(&d, in.data + off, n, record, &r), SSE_OK);
    }
    assert_false(sse_finish(&d));
    assert_int_equal(r.n, 1);
    assert_int_equal(r.data_len[0], vlen);
    assert_int_equal(r.data[0][vlen - 1], 'x');
    recorder_free(&r);
    sse_done(&d);
    buf_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_failure_is_sticky),
        cmocka_unit_test(test_reuse_after_finish),
        cmocka_unit_test(test_big_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
