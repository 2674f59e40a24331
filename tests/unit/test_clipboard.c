/* The clipboard without a terminal: base64 and the OSC 52 sequence as tables of
 * cases (RFC 4648's vectors, UTF-8, empty text, screen's passthrough pieces),
 * which multiplexer the environment names, and `tmux load-buffer` run against a
 * stand-in tmux (a script first in PATH) that records what it was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clipboard.h"

/* ---- base64 and OSC 52 ---- */

typedef enum { BASE64, OSC_DIRECT, OSC_TMUX, OSC_SCREEN } encoding;

typedef struct enc_case {
    const char *name;
    encoding enc;
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *out;
} enc_case;

static const enc_case ENC_CASES[] = {
    {"base64: empty", BASE64, "", 0, ""},
    {"base64: one byte, two pads", BASE64, "f", 0, "Zg=="},
    {"base64: two bytes, one pad", BASE64, "fo", 0, "Zm8="},
    {"base64: three bytes, none", BASE64, "foo", 0, "Zm9v"},
    {"base64: four", BASE64, "foob", 0, "Zm9vYg=="},
    {"base64: five", BASE64, "fooba", 0, "Zm9vYmE="},
    {"base64: six", BASE64, "foobar", 0, "Zm9vYmFy"},
    {"base64: UTF-8 (Chinese)", BASE64, "\xe4\xbd\xa0\xe5\xa5\xbd", 0, "5L2g5aW9"},
    {"base64: UTF-8 (é)", BASE64, "\xc3\xa9", 0, "w6k="},
    {"base64: the last two digits", BASE64, "\xfb\xff\xbf", 0, "+/+/"},
    {"base64: a NUL inside", BASE64, "a\0b", 3, "YQBi"},
    {"base64: newlines and tabs", BASE64, "a\n\tb\n", 0, "YQoJYgo="},
    {"osc52: plain", OSC_DIRECT, "hi", 0, "\033]52;c;aGk=\a"},
    {"osc52: empty text", OSC_DIRECT, "", 0, "\033]52;c;\a"},
    {"osc52: UTF-8", OSC_DIRECT, "\xe4\xbd\xa0\xe5\xa5\xbd", 0, "\033]52;c;5L2g5aW9\a"},
    {"osc52: tmux gets it unwrapped", OSC_TMUX, "hi", 0, "\033]52;c;aGk=\a"},
    {"osc52: screen, in its passthrough", OSC_SCREEN, "hi", 0, "\033P\033]52;c;aGk=\a\033\\"},
    {"osc52: screen, empty text", OSC_SCREEN, "", 0, "\033P\033]52;c;\a\033\\"},
};

static void test_encode(void **state)
{
    (void)state;
    static const clip_mux mux[] = {
        [OSC_DIRECT] = CLIP_DIRECT, [OSC_TMUX] = CLIP_TMUX, [OSC_SCREEN] = CLIP_SCREEN};
    int failures = 0;
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof ENC_CASES / sizeof ENC_CASES[0]; i++) {
        const enc_case *c = &ENC_CASES[i];
        size_t len = c->len ? c->len : strlen(c->in);
        buf_reset(&b);
        if (c->enc == BASE64)
            clip_base64(&b, c->in, len);
        else
            clip_osc52(&b, c->in, len, mux[c->enc]);
        if (b.len != strlen(c->out) || memcmp(buf_str(&b), c->out, b.len) != 0) {
            print_error("%s: %zu bytes '%s', want %zu '%s'\n", c->name, b.len, buf_str(&b),
                        strlen(c->out), c->out);
            failures++;
        }
    }
    buf_free(&b);
    assert_int_equal(failures, 0);
}

/* A long text under screen: pieces of at most CLIP_SCREEN_CHUNK bytes, each in
 * ESC P ... ESC \, which put together are the plain sequence. */
static void test_osc52_screen_pieces(void **state)
{
    (void)state;
    /* 183 bytes make a sequence of exactly one piece (8 + 244), 184 of two. */
    static const size_t lens[] = {0, 1, 183, 184, 1000, 4096};
    for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++) {
        size_t n = lens[t];
        char *text = malloc(n + 1);
        assert_non_null(text);
        for (size_t i = 0; i < n; i++)
            text[i] = (char)('a' + i % 26);
        buf plain, wrapped, joined;
        buf_init(&plain);
        buf_init(&wrapped);
        buf_init(&joined);
        clip_osc52(&plain, text, n, CLIP_DIRECT);
        clip_osc52(&wrapped, text, n, CLIP_SCREEN);
        const char *p = wrapped.data, *end = wrapped.data + wrapped.len;
        size_t pieces = 0;
        while (p < end) {
            assert_true(end - p >= 4 && p[0] == '\033' && p[1] == 'P');
            p += 2;
            const char *st = NULL;
            for (const char *q = p; q + 1 < end; q++)
                if (q[0] == '\033' && q[1] == '\\') {
                    st = q;
                    break;
                }
            assert_non_null(st);
            assert_true(st > p && (size_t)(st - p) <= CLIP_SCREEN_CHUNK);
            buf_append(&joined, p, (size_t)(st - p));
            p = st + 2;
            pieces++;
        }
        assert_int_equal(pieces, (plain.len + CLIP_SCREEN_CHUNK - 1) / CLIP_SCREEN_CHUNK);
        assert_int_equal(joined.len, plain.len);
        assert_memory_equal(joined.data, plain.data, plain.len);
        buf_free(&plain);
        buf_free(&wrapped);
        buf_free(&joined);
        free(text);
    }
    /* The text limit is what fits the sequence limit. */
    assert_true(8 + (CLIP_TEXT_MAX + 2) / 3 * 4 <= CLIP_OSC52_MAX);
    assert_true(8 + (CLIP_TEXT_MAX + 3 + 2) / 3 * 4 > CLIP_OSC52_MAX);
}

typedef struct mux_case {
    const char *name;
    const char *tmux, *sty;
    clip_mux want;
} mux_case;

static const mux_case MUX_CASES[] = {
    {"neither", NULL, NULL, CLIP_DIRECT},
    {"empty values", "", "", CLIP_DIRECT},
    {"tmux", "/tmp/tmux-1000/default,1234,0", NULL, CLIP_TMUX},
    {"screen", NULL, "1234.pts-0.host", CLIP_SCREEN},
    {"tmux inside screen: tmux is nearer", "/tmp/tmux-1000/default,1,0", "1.pts-0.host", CLIP_TMUX},
};

static void test_mux_detect(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof MUX_CASES / sizeof MUX_CASES[0]; i++) {
        const mux_case *c = &MUX_CASES[i];
        if (clip_mux_detect(c->tmux, c->sty) != c->want)
            fail_msg("mux '%s': %d, want %d", c->name, clip_mux_detect(c->tmux, c->sty), c->want);
    }
}

/* ---- tmux load-buffer, against a stand-in ---- */

static char dir[256];
static char *saved_path;

/* The stand-in records its arguments, environment and input in dir, then exits with
 * $FAKE_TMUX_EXIT (or, with FAKE_TMUX_NO_W, fails when given -w), or hangs. */
static int setup_fake(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/tchat-test-clip-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/tmux", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "#!/bin/sh\n"
            "d='%s'\n"
            "printf '%%s\\n' \"$@\" >>\"$d/args\"\n"
            "env >\"$d/env\"\n"
            "[ -n \"$FAKE_TMUX_HANG\" ] && exec sleep 10\n"
            "cat >\"$d/stdin\"\n"
            "[ -n \"$FAKE_TMUX_NO_W\" ] && [ \"$2\" = -w ] && exit 1\n"
            "exit ${FAKE_TMUX_EXIT:-0}\n",
            dir);
    fclose(f);
    chmod(path, 0700);
    saved_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    char *p = xasprintf("%s:%s", dir, saved_path);
    setenv("PATH", p, 1);
    free(p);
    setenv("OPENAI_API_KEY", "sk-test-secret-key-0123456789", 1);
    signal(SIGPIPE, SIG_IGN); /* as tchat's main does */
    return 0;
}

static int teardown_fake(void **state)
{
    (void)state;
    setenv("PATH", saved_path, 1);
    free(saved_path);
    unsetenv("OPENAI_API_KEY");
    const char *files[] = {"tmux", "args", "env", "stdin"};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b;
    buf_init(&b);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, got);
    fclose(f);
    if (len)
        *len = b.len;
    return buf_steal(&b);
}

static void forget(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

static void test_tmux_load(void **state)
{
    (void)state;
    /* A megabyte: more than a pipe holds, so tmux must read while tchat writes. */
    size_t n = 1 << 20;
    char *text = malloc(n);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        text[i] = i % 64 == 63 ? '\n' : (char)('!' + i % 90);
    int status;
    char err[160] = "";
    assert_int_equal(clip_tmux_load(text, n, true, 5000, &status, err, sizeof err), 0);
    size_t got;
    char *in = slurp("stdin", &got);
    assert_non_null(in);
    assert_int_equal(got, n);
    assert_memory_equal(in, text, n);
    free(in);
    char *args = slurp("args", NULL);
    assert_string_equal(args, "load-buffer\n-w\n-\n");
    free(args);
    char *env = slurp("env", NULL);
    assert_null(strstr(env, "sk-test-secret"));
    assert_non_null(strstr(env, "PATH="));
    free(env);
    forget("args");

    /* Without -w. */
    assert_int_equal(clip_tmux_load("x", 1, false, 5000, &status, err, sizeof err), 0);
    args = slurp("args", NULL);
    assert_string_equal(args, "load-buffer\n-\n");
    free(args);
    forget("args");

    /* tmux fails: its exit status. */
    setenv("FAKE_TMUX_EXIT", "3", 1);
    assert_int_equal(clip_tmux_load("x", 1, true, 5000, &status, err, sizeof err), 1);
    assert_int_equal(status, 3);
    assert_non_null(strstr(err, "exit status 3"));
    unsetenv("FAKE_TMUX_EXIT");

    /* tmux hangs: killed at the deadline, with a megabyte it never reads. */
    setenv("FAKE_TMUX_HANG", "1", 1);
    int64_t t0 = clock_mono_ms();
    assert_int_equal(clip_tmux_load(text, n, true, 300, &status, err, sizeof err), -1);
    int64_t took = clock_mono_ms() - t0;
    assert_true(took >= 290 && took < 3000);
    assert_non_null(strstr(err, "did not answer"));
    unsetenv("FAKE_TMUX_HANG");
    forget("args");

    /* No tmux at all. */
    char *path = strdup(getenv("PATH"));
    setenv("PATH", "/nonexistent", 1);
    assert_int_equal(clip_tmux_load("x", 1, true, 1000, &status, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot run tmux"));
    setenv("PATH", path, 1);
    free(path);
    free(text);
}

/* clip_copy under tmux: the buffer takes it and no OSC 52 is written; a tmux without
 * -w gets the plain load-buffer, then OSC 52 is tried (no terminal here: it fails,
 * and the copy still counts since tmux has it); outside tmux with no terminal,
 * nothing takes it and the result says so. */
static void test_copy(void **state)
{
    (void)state;
    unsetenv("STY");
    setenv("TMUX", "/tmp/tmux-test/default,1,0", 1);
    clip_result r;
    clip_copy("hello", 5, &r);
    assert_true(r.tmux);
    assert_false(r.osc52);
    assert_string_equal(r.err, "");
    char *in = slurp("stdin", NULL);
    assert_string_equal(in, "hello");
    free(in);
    forget("args");

    setenv("FAKE_TMUX_NO_W", "1", 1);
    clip_copy("again", 5, &r);
    assert_true(r.tmux);
    assert_string_equal(r.err, "");
    char *args = slurp("args", NULL);
    assert_string_equal(args, "load-buffer\n-w\n-\nload-buffer\n-\n");
    free(args);
    unsetenv("FAKE_TMUX_NO_W");
    forget("args");

    /* Too long for OSC 52, and tmux failing: nothing took it. */
    setenv("FAKE_TMUX_EXIT", "1", 1);
    size_t n = CLIP_TEXT_MAX + 1;
    char *big = malloc(n);
    memset(big, 'x', n);
    clip_copy(big, n, &r);
    assert_false(r.tmux);
    assert_false(r.osc52);
    assert_true(r.too_long);
    assert_non_null(strstr(r.err, "exit status 1"));
    unsetenv("FAKE_TMUX_EXIT");
    free(big);

    unsetenv("TMUX");
    forget("args");
    clip_copy("hello", 5, &r);
    assert_false(r.tmux);
    assert_false(r.osc52); /* curses is not up in this test */
    assert_string_not_equal(r.err, "");
    assert_null(slurp("args", NULL)); /* tmux was not asked */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_osc52_screen_pieces),
        cmocka_unit_test(test_mux_detect),
        cmocka_unit_test_setup_teardown(test_tmux_load, setup_fake, teardown_fake),
        cmocka_unit_test_setup_teardown(test_copy, setup_fake, teardown_fake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
