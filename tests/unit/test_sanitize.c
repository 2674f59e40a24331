/* Sanitiser: a table of input bytes and the exact clean text expected. Every
 * case is also fed split at every pair of byte positions and one byte at a
 * time, since escape sequences and UTF-8 characters arrive cut anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "util.h"

typedef struct {
    const char *name;
    const char *in;
    size_t in_len;
    const char *out;
    size_t out_len;
} san_case;
#define CASE(name, in, out) {name, in, sizeof(in) - 1, out, sizeof(out) - 1}

#define FFFD "\xEF\xBF\xBD"

static const san_case cases[] = {
    CASE("plain ascii", "Hello, world!", "Hello, world!"),
    CASE("empty", "", ""),
    CASE("tab and newline kept", "a\tb\nc\n\n", "a\tb\nc\n\n"),
    CASE("crlf becomes lf", "a\r\nb\r\n", "a\nb\n"),
    CASE("lone cr removed", "abc\rxyz\r", "abcxyz"),
    CASE("cr cr lf", "a\r\r\nb", "a\nb"),
    CASE("C0 controls removed", "a\x01\x07\x08\x0B\x0C\x0E\x1F" "b", "ab"),
    CASE("NUL removed", "a\0b", "ab"),
    CASE("DEL removed", "a\x7F" "b", "ab"),
    CASE("C1 as UTF-8 removed", "a\xC2\x80" "b\xC2\x85" "c\xC2\x9A" "d", "abcd"),
    CASE("U+00A0 kept", "a\xC2\xA0" "b", "a\xC2\xA0" "b"),
    CASE("raw 8-bit C1 is invalid UTF-8", "a\x85" "b", "a" FFFD "b"),
    CASE("raw 8-bit CSI is not a CSI", "\x9B" "31m", FFFD "31m"),

    CASE("CSI colour", "a\x1B[31mred\x1B[0m.", "ared."),
    CASE("CSI private mode", "\x1B[?25lx\x1B[?1049h", "x"),
    CASE("CSI with params", "\x1B[1;2;3Hx\x1B[2J\x1B[K", "x"),
    CASE("CSI with intermediate", "\x1B[1 qx", "x"),
    CASE("CSI cut by a newline", "\x1B[12\nx", "\nx"),
    CASE("CSI cut by a character", "\x1B[1\xE4\xBD\xA0", "\xE4\xBD\xA0"),
    CASE("CSI as UTF-8 C1", "\xC2\x9B" "31mX", "X"),
    CASE("OSC title with BEL", "\x1B]0;evil title\x07" "after", "after"),
    CASE("OSC hyperlink with ST", "\x1B]8;;http://evil\x1B\\link\x1B]8;;\x1B\\.", "link."),
    CASE("OSC 52 clipboard", "\x1B]52;c;ZXZpbA==\x07ok", "ok"),
    CASE("OSC as UTF-8 C1, ST as UTF-8 C1", "\xC2\x9D" "0;t\xC2\x9C" "ok", "ok"),
    CASE("OSC ended by C1 ST after ESC ]", "\x1B]0;t\xC2\x9C" "ok", "ok"),
    CASE("OSC holding C2 not followed by 9C", "\x1B]0;\xC2\xA0\x07ok", "ok"),
    CASE("OSC aborted by CAN", "\x1B]0;t\x18ok", "ok"),
    CASE("OSC aborted by SUB", "\x1B]0;t\x1Aok", "ok"),
    CASE("OSC then a new sequence", "\x1B]0;t\x1B[31mok", "ok"),
    CASE("DCS", "\x1BPq#0;2;0;0;0\x1B\\ok", "ok"),
    CASE("DCS not ended by BEL", "\x1BPa\x07" "b\x1B\\ok", "ok"),
    CASE("DCS as UTF-8 C1", "\xC2\x90" "abc\xC2\x9C" "ok", "ok"),
    CASE("SOS", "\x1BXabc\x1B\\ok", "ok"),
    CASE("PM", "\x1B^abc\x1B\\ok", "ok"),
    CASE("APC", "\x1B_Gf=100;AAAA\x1B\\ok", "ok"),
    CASE("APC as UTF-8 C1", "\xC2\x9F" "abc\x1B\\ok", "ok"),
    CASE("two-byte escapes", "\x1B" "7save\x1B" "8\x1B" "c\x1B=\x1B>\x1BM.", "save."),
    CASE("charset designation", "\x1B(Babc\x1B)0d", "abcd"),
    CASE("nF with several intermediates", "\x1B#8x\x1B%Gy\x1B $Az", "xyz"),
    CASE("ESC then newline", "\x1B\nx", "\nx"),
    CASE("ESC then tab", "a\x1B\tb", "a\tb"),
    CASE("ESC ESC", "\x1B\x1B[31mx", "x"),
    CASE("ESC then UTF-8", "\x1B\xE4\xBD\xA0", "\xE4\xBD\xA0"),
    CASE("ESC then invalid byte", "\x1B\xFFx", FFFD "x"),
    CASE("ESC at end dropped", "abc\x1B", "abc"),
    CASE("unterminated CSI dropped", "abc\x1B[12", "abc"),
    CASE("unterminated OSC dropped", "a\x1B]0;title", "a"),
    CASE("stray C1 ST removed", "a\xC2\x9C" "b", "ab"),

    CASE("lone continuation", "a\x80" "b", "a" FFFD "b"),
    CASE("two continuations", "\x80\xBF", FFFD FFFD),
    CASE("overlong C0 AF", "\xC0\xAF", FFFD FFFD),
    CASE("overlong C1 BF", "\xC1\xBF", FFFD FFFD),
    CASE("overlong E0 80 AF", "\xE0\x80\xAF", FFFD FFFD FFFD),
    CASE("overlong F0 80 80 AF", "\xF0\x80\x80\xAF", FFFD FFFD FFFD FFFD),
    CASE("surrogate D800", "\xED\xA0\x80", FFFD FFFD FFFD),
    CASE("surrogate DFFF", "\xED\xBF\xBF", FFFD FFFD FFFD),
    CASE("above U+10FFFF", "\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD),
    CASE("F5 lead", "\xF5\x80", FFFD FFFD),
    CASE("FF and FE", "\xFF\xFE", FFFD FFFD),
    CASE("truncated 3-byte then ASCII", "\xE4\xBDx", FFFD "x"),
    CASE("truncated 4-byte then ASCII", "\xF0\x9F\x98" "A", FFFD "A"),
    CASE("truncated then new lead", "\xE4\xE4\xBD\xA0", FFFD "\xE4\xBD\xA0"),
    CASE("truncated at end", "a\xE4\xBD", "a" FFFD),
    CASE("lone lead at end", "a\xC2", "a" FFFD),
    CASE("truncated then ESC", "\xE4\x1B[31mx", FFFD "x"),
    CASE("U+FFFD itself kept", FFFD, FFFD),

    CASE("CJK kept", "你好，世界", "你好，世界"),
    CASE("emoji kept", "ok \xF0\x9F\x98\x80!", "ok \xF0\x9F\x98\x80!"),
    CASE("ZWJ family kept", "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",
         "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7"),
    CASE("flag kept", "\xF0\x9F\x87\xA8\xF0\x9F\x87\xB3", "\xF0\x9F\x87\xA8\xF0\x9F\x87\xB3"),
    CASE("combining mark kept", "e\xCC\x81", "e\xCC\x81"),
    CASE("U+10FFFF kept", "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"),
    CASE("BOM and RLM kept", "\xEF\xBB\xBF" "a\xE2\x80\x8F", "\xEF\xBB\xBF" "a\xE2\x80\x8F"),
    CASE("U+2028 becomes newline", "a\xE2\x80\xA8" "b", "a\nb"),
    CASE("U+2029 becomes newline", "a\xE2\x80\xA9" "b", "a\nb"),
    CASE("bidi embeddings and overrides removed",
         "a\xE2\x80\xAA" "b\xE2\x80\xAB" "c\xE2\x80\xAC" "d\xE2\x80\xAD" "e\xE2\x80\xAE" "f", "abcdef"),
    CASE("bidi isolates removed", "a\xE2\x81\xA6" "b\xE2\x81\xA7" "c\xE2\x81\xA8" "d\xE2\x81\xA9" "e",
         "abcde"),
    CASE("neighbours of bidi kept", "\xE2\x80\xA9\xE2\x80\xAF\xE2\x81\xA5\xE2\x81\xAA",
         "\n\xE2\x80\xAF\xE2\x81\xA5\xE2\x81\xAA"),
    CASE("trojan source", "if (x) {\xE2\x80\xAE } \xE2\x81\xA6 // ok\xE2\x81\xA9",
         "if (x) { }  // ok"),
};

static void check(const san_case *c, const char *got, size_t got_len, const char *how)
{
    if (got_len != c->out_len || memcmp(got, c->out, got_len) != 0) {
        buf hex;
        buf_init(&hex);
        for (size_t i = 0; i < got_len; i++)
            buf_printf(&hex, "%02X ", (unsigned char)got[i]);
        fail_msg("%s (%s): got %zu bytes [%s], want %zu", c->name, how, got_len, buf_str(&hex),
                 c->out_len);
    }
}

/* Feeds in[0..n) cut at the given positions (ascending), then finishes. */
static void run_cuts(const san_case *c, const size_t *cuts, size_t ncuts, const char *how)
{
    sanitizer s;
    buf out;
    sanitize_init(&s);
    buf_init(&out);
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : c->in_len;
        sanitize_feed(&s, c->in + from, to - from, &out);
        from = to;
    }
    sanitize_finish(&s, &out);
    check(c, buf_str(&out), out.len, how);
    buf_free(&out);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const san_case *c = &cases[i];
        run_cuts(c, NULL, 0, "whole");
        char *s = sanitize_string(c->in, c->in_len);
        check(c, s, strlen(s), "sanitize_string");
        free(s);
    }
}

static void test_every_split(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const san_case *c = &cases[ci];
        size_t n = c->in_len;
        for (size_t i = 0; i <= n; i++)
            for (size_t j = i; j <= n; j++)
                run_cuts(c, (size_t[]){i, j}, 2, "split in three");
        size_t *bytes = xmalloc_array(n + 1, sizeof *bytes);
        for (size_t i = 0; i < n; i++)
            bytes[i] = i;
        run_cuts(c, bytes, n, "byte by byte");
        free(bytes);
    }
}

/* A stray introducer swallows at most 64 KiB; the text after it survives. */
static void test_string_cap(void **state)
{
    (void)state;
    const size_t cap = 64 * 1024, extra = 1000;
    static const char *const intros[] = {"\x1B]", "\x1BP", "\x1B_", "\xC2\x9D", "\x1B["};
    for (size_t k = 0; k < sizeof intros / sizeof intros[0]; k++) {
        buf in;
        buf_init(&in);
        buf_puts(&in, intros[k]);
        size_t body = cap + extra;
        buf_reserve(&in, body);
        /* '0' is a CSI parameter byte too, so every kind keeps swallowing. */
        memset(in.data + in.len, '0', body);
        in.len += body;
        buf_puts(&in, "ok");

        for (size_t piece = 1; piece <= 8192; piece *= 8) {
            sanitizer s;
            buf out;
            sanitize_init(&s);
            buf_init(&out);
            for (size_t off = 0; off < in.len; off += piece)
                sanitize_feed(&s, in.data + off, in.len - off < piece ? in.len - off : piece, &out);
            sanitize_finish(&s, &out);
            assert_int_equal(out.len, extra + 2);
            assert_memory_equal(out.data + extra, "ok", 2);
            for (size_t i = 0; i < extra; i++)
                assert_int_equal(out.data[i], '0');
            buf_free(&out);
        }
        buf_free(&in);
    }
}

/* sanitize_line: clean, on one line, cut at a character boundary. */
static void test_line(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *in;
        size_t cap;
        const char *out;
    } lines[] = {
        {"plain", "abc", 0, "abc"},
        {"newlines and tabs become spaces", "a\nb\tc\r\nd", 0, "a b c d"},
        {"U+2028 is a newline too", "a\xE2\x80\xA8" "b", 0, "a b"},
        {"escape sequence and bidi override gone", "\x1B]0;t\x07" "a\xE2\x80\xAE" "b", 0, "ab"},
        {"C1 CSI gone", "\xC2\x9B" "2Jx", 0, "x"},
        {"cap", "abcdef", 4, "abcd"},
        {"cap never splits a character", "ab\xE4\xBD\xA0", 4, "ab"},
        {"cap at a character end", "ab\xE4\xBD\xA0", 5, "ab\xE4\xBD\xA0"},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char *got = sanitize_line(lines[i].in, strlen(lines[i].in), lines[i].cap);
        if (strcmp(got, lines[i].out) != 0)
            fail_msg("%s: got \"%s\"", lines[i].name, got);
        free(got);
    }
}

static void test_finish_resets(void **state)
{
    (void)state;
    sanitizer s;
    buf out;
    sanitize_init(&s);
    buf_init(&out);
    sanitize_feed(&s, "a\x1B]0;title", 10, &out);
    sanitize_finish(&s, &out);
    sanitize_feed(&s, "b\xE4", 2, &out);
    sanitize_finish(&s, &out);
    sanitize_feed(&s, "\xBD\xA0", 2, &out);
    sanitize_finish(&s, &out);
    assert_string_equal(buf_str(&out), "ab" FFFD FFFD FFFD);
    buf_free(&out);
}

/* Appending never disturbs what the buffer already held. */
static void test_appends(void **state)
{
    (void)state;
    sanitizer s;
    buf out;
    sanitize_init(&s);
    buf_init(&out);
    buf_puts(&out, "> ");
    sanitize_feed(&s, "\x1B[1mhi\x1B[0m", 10, &out);
    sanitize_finish(&s, &out);
    assert_string_equal(buf_str(&out), "> hi");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_string_cap),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_finish_resets),
        cmocka_unit_test(test_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
