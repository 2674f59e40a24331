/* util: the buffer, buf_fill's guard against templates that ask for more than they get,
 * messages, string helpers, directories, XDG paths, ISO times and civil dates, as tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static char tmpdir[64];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tchat-test-util-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- buf */

static void test_buf(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    assert_string_equal(buf_str(&b), "");
    buf_puts(&b, "ab");
    buf_putc(&b, 'c');
    buf_append(&b, "def", 2);
    buf_printf(&b, "-%d-%s", 42, "x");
    assert_string_equal(buf_str(&b), "abcde-42-x");
    assert_int_equal(b.len, 10);
    buf_reset(&b);
    assert_string_equal(buf_str(&b), "");
    assert_int_equal(b.len, 0);

    /* Longer than buf_vprintf's first try (256 bytes). */
    char big[1000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    buf_printf(&b, "<%s>", big);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1000], '>');
    assert_int_equal(b.data[1001], '\0');

    char *s = buf_steal(&b);
    assert_int_equal(strlen(s), 1001);
    free(s);
    assert_null(b.data);
    s = buf_steal(&b); /* empty: "" */
    assert_string_equal(s, "");
    free(s);
    buf_free(&b);
}

typedef struct fill_case {
    const char *name;
    const char *tmpl;
    int nargs;
    const char *want;
} fill_case;

/* buf_fill gets three strings every time; nargs says how many it may use. */
static const fill_case fill_cases[] = {
    {"plain text", "no conversions", 0, "no conversions"},
    {"one string", "in %s", 1, "in ONE"},
    {"in order", "%s, %s and %s", 3, "ONE, TWO and THREE"},
    {"number conversions take strings", "%d of %ld (%zu)", 3, "ONE of TWO (THREE)"},
    {"a percent sign", "100%% sure, %s", 1, "100% sure, ONE"},
    {"only percent signs", "%%%%", 0, "%%"},
    {"more conversions than arguments", "%s-%s-%s", 1, "ONE--"},
    {"no arguments at all", "%s and %d", 0, " and "},
    {"unknown conversions stay", "%x %5s %", 3, "%x %5s %"},
    {"a trailing percent", "50%", 0, "50%"},
    {"UTF-8 around", "重试 %s 次", 1, "重试 ONE 次"},
};

static void test_buf_fill(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fill_cases / sizeof *fill_cases; i++) {
        const fill_case *t = &fill_cases[i];
        buf b;
        buf_init(&b);
        buf_fill(&b, t->tmpl, t->nargs, "ONE", "TWO", "THREE");
        if (strcmp(buf_str(&b), t->want) != 0) {
            print_error("%s: want \"%s\", got \"%s\"\n", t->name, t->want, buf_str(&b));
            fail();
        }
        buf_free(&b);
    }
}

static void test_xasprintf(void **state)
{
    (void)state;
    char *s = xasprintf("%s=%d", "k", 7);
    assert_string_equal(s, "k=7");
    free(s);
    char long_arg[600];
    memset(long_arg, 'z', sizeof long_arg - 1);
    long_arg[sizeof long_arg - 1] = '\0';
    s = xasprintf("[%s]", long_arg);
    assert_int_equal(strlen(s), 601);
    assert_int_equal(s[600], ']');
    free(s);
    s = xasprintf("%s", "");
    assert_string_equal(s, "");
    free(s);
    assert_null(xstrdup(NULL));
    s = xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = xstrndup("ab", 10);
    assert_string_equal(s, "ab");
    free(s);
}

typedef struct err_case {
    const char *name;
    size_t errlen;
    const char *want;
} err_case;

static void test_err_set(void **state)
{
    (void)state;
    static const err_case cases[] = {
        {"fits", 64, "x.json: No such file"},
        {"cut to the buffer", 7, "x.json"},
        {"one byte", 1, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[64];
        memset(err, '#', sizeof err);
        err_set(err, cases[i].errlen, "%s: %s", "x.json", "No such file");
        if (strcmp(err, cases[i].want) != 0) {
            print_error("%s: want \"%s\", got \"%s\"\n", cases[i].name, cases[i].want, err);
            fail();
        }
    }
    char untouched[4] = "abc";
    err_set(untouched, 0, "%s", "x");
    assert_string_equal(untouched, "abc");
    err_set(NULL, 10, "%s", "x"); /* no buffer: nothing happens */
}

/* ---------------------------------------------------------------- strings */

typedef enum { F_CASECMP, F_NCASECMP3, F_STARTS, F_ENDS, F_CONTAINS } str_fn;

typedef struct str_case {
    str_fn fn;
    const char *a, *b;
    int want; /* for the comparisons: its sign */
} str_case;

static const str_case str_cases[] = {
    {F_CASECMP, "Content-Type", "content-type", 0},
    {F_CASECMP, "abc", "abd", -1},
    {F_CASECMP, "abd", "ABC", 1},
    {F_CASECMP, "ab", "abc", -1},
    {F_CASECMP, "", "", 0},
    {F_NCASECMP3, "HTTP/1.1", "http/2", 0},
    {F_NCASECMP3, "htx", "HTTP", 1},
    {F_NCASECMP3, "a", "A", 0},
    {F_STARTS, "x-ratelimit-reset", "x-ratelimit-", 1},
    {F_STARTS, "x-rate", "x-ratelimit-", 0},
    {F_STARTS, "anything", "", 1},
    {F_ENDS, "chat.json", ".json", 1},
    {F_ENDS, "json", ".json", 0},
    {F_ENDS, "a.json.tmp", ".json", 0},
    {F_ENDS, "x", "", 1},
    {F_CONTAINS, "Authorization", "THOR", 1},
    {F_CONTAINS, "x-api-key", "KEY", 1},
    {F_CONTAINS, "cookie", "cookies", 0},
    {F_CONTAINS, "abc", "", 1},
};

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void test_str(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof str_cases / sizeof *str_cases; i++) {
        const str_case *t = &str_cases[i];
        int got = 0;
        switch (t->fn) {
        case F_CASECMP: got = sign(str_casecmp(t->a, t->b)); break;
        case F_NCASECMP3: got = sign(str_ncasecmp(t->a, t->b, 3)); break;
        case F_STARTS: got = str_starts_with(t->a, t->b); break;
        case F_ENDS: got = str_ends_with(t->a, t->b); break;
        case F_CONTAINS: got = str_contains_nocase(t->a, t->b); break;
        }
        if (got != t->want) {
            print_error("case %zu (\"%s\", \"%s\"): want %d, got %d\n", i, t->a, t->b, t->want, got);
            fail();
        }
    }
}

/* Command lines run without a shell ($EDITOR, api_key_cmd): words, quotes, backslashes. */
static void test_split_words(void **state)
{
    (void)state;
    static const struct {
        const char *name, *in;
        const char *want[5]; /* the words, or {NULL} with why */
        const char *why;
    } cases[] = {
        {"one word", "vi", {"vi"}, NULL},
        {"arguments", "  code --wait\t-n ", {"code", "--wait", "-n"}, NULL},
        {"single quotes keep everything", "'/opt/my editor/bin/ed' '$HOME \\'", {"/opt/my editor/bin/ed", "$HOME \\"}, NULL},
        {"double quotes take \\\" and \\$", "emacs \"a \\\"b\\\" \\$c \\x\"", {"emacs", "a \"b\" $c \\x"}, NULL},
        {"a backslash keeps the next character", "my\\ editor -x", {"my editor", "-x"}, NULL},
        {"quotes join a word", "a'b'\"c\"d", {"abcd"}, NULL},
        {"an empty quoted word", "ed ''", {"ed", ""}, NULL},
        {"nothing expanded", "$EDITOR ~/f *", {"$EDITOR", "~/f", "*"}, NULL},
        {"unclosed single quote", "vi 'a", {NULL}, "a ' is not closed"},
        {"unclosed double quote", "vi \"a", {NULL}, "a \" is not closed"},
        {"empty", " \t ", {NULL}, "the command is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *why = NULL;
        size_t argc = 0;
        char **v = str_split_words(cases[i].in, &argc, &why);
        if (!cases[i].want[0]) {
            if (v || !why || strcmp(why, cases[i].why) != 0)
                fail_msg("%s: want failure \"%s\", got %s", cases[i].name, cases[i].why,
                         v ? "words" : why ? why : "(null)");
            continue;
        }
        if (!v)
            fail_msg("%s: failed: %s", cases[i].name, why);
        size_t n = 0;
        while (n < 5 && cases[i].want[n])
            n++;
        if (argc != n || v[n])
            fail_msg("%s: %zu words, want %zu", cases[i].name, argc, n);
        for (size_t k = 0; k < n; k++)
            if (strcmp(v[k], cases[i].want[k]) != 0)
                fail_msg("%s: word %zu is [%s], want [%s]", cases[i].name, k, v[k], cases[i].want[k]);
        str_free_words(v);
    }
}

static void test_str_trim(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"  a b \t\n", "a b"}, {"x", "x"}, {"", ""}, {" \r\n\t ", ""}, {"\tlead", "lead"},
        {"trail \n", "trail"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = xstrdup(cases[i].in);
        assert_ptr_equal(str_trim(s), s);
        if (strcmp(s, cases[i].want) != 0) {
            print_error("trim \"%s\": want \"%s\", got \"%s\"\n", cases[i].in, cases[i].want, s);
            fail();
        }
        free(s);
    }
}

typedef struct utf8_case {
    const char *name;
    const char *in;
    size_t n;     /* bytes offered */
    size_t want;  /* sequence length, 0: invalid */
    unsigned cp;
} utf8_case;

static const utf8_case utf8_cases[] = {
    {"ASCII", "A", 1, 1, 0x41},
    {"two bytes", "\xC3\xA9", 2, 2, 0xE9},
    {"three bytes", "\xE4\xBD\xA0", 3, 3, 0x4F60},
    {"four bytes", "\xF0\x9F\x98\x80", 4, 4, 0x1F600},
    {"the highest code point", "\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF},
    {"past U+10FFFF", "\xF4\x90\x80\x80", 4, 0, 0},
    {"overlong two bytes", "\xC0\xAF", 2, 0, 0},
    {"overlong three bytes", "\xE0\x80\xAF", 3, 0, 0},
    {"a surrogate", "\xED\xA0\x80", 3, 0, 0},
    {"a lone continuation byte", "\x80", 1, 0, 0},
    {"cut short", "\xE4\xBD", 2, 0, 0},
    {"offered too few bytes", "\xE4\xBD\xA0", 2, 0, 0},
    {"a bad continuation", "\xC3\x41", 2, 0, 0},
    {"nothing offered", "", 0, 0, 0},
};

static void test_str_utf8_seq(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof utf8_cases / sizeof *utf8_cases; i++) {
        const utf8_case *t = &utf8_cases[i];
        unsigned cp = 0;
        size_t got = str_utf8_seq((const unsigned char *)t->in, t->n, &cp);
        if (got != t->want || (got && cp != t->cp)) {
            print_error("%s: want %zu U+%04X, got %zu U+%04X\n", t->name, t->want, t->cp, got, cp);
            fail();
        }
    }
}

static void test_str_clip(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t max;
        const char *want;
    } cases[] = {
        {"short", 24, "short"},
        {"abcdefghij", 4, "abcd…"},
        {"tab\there", 24, "tab?here"},
        {"esc\x1b[2J", 24, "esc?[2J"},
        {"bad \xFF byte", 24, "bad ? byte"},
        {"你好世界", 6, "你好…"},
        {"", 5, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[64];
        str_clip(cases[i].in, strlen(cases[i].in), cases[i].max, out, sizeof out);
        if (strcmp(out, cases[i].want) != 0) {
            print_error("clip \"%s\" to %zu: want \"%s\", got \"%s\"\n", cases[i].in, cases[i].max,
                        cases[i].want, out);
            fail();
        }
    }
}

/* ---------------------------------------------------------------- directories */

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void test_dir_create(void **state)
{
    (void)state;
    char err[512];
    /* Created 0700 whatever the umask, parents too. */
    static const mode_t masks[] = {022, 077, 0277};
    for (size_t i = 0; i < sizeof masks / sizeof *masks; i++) {
        char *top = xasprintf("%s/m%zu", tmpdir, i);
        char *deep = xasprintf("%s/a/b", top);
        mode_t old = umask(masks[i]);
        int rc = dir_create(deep, err, sizeof err);
        umask(old);
        assert_int_equal(rc, 0);
        char *mid = xasprintf("%s/a", top);
        if (mode_of(top) != 0700 || mode_of(mid) != 0700 || mode_of(deep) != 0700) {
            print_error("umask %03o: modes %04o %04o %04o\n", (unsigned)masks[i],
                        (unsigned)mode_of(top), (unsigned)mode_of(mid), (unsigned)mode_of(deep));
            fail();
        }
        /* Again: it is there, nothing to do. */
        assert_int_equal(dir_create(deep, err, sizeof err), 0);
        free(mid);
        free(deep);
        free(top);
    }
    /* An existing directory keeps its mode. */
    char *open_dir = xasprintf("%s/open", tmpdir);
    assert_int_equal(mkdir(open_dir, 0755), 0);
    assert_int_equal(chmod(open_dir, 0755), 0);
    char *inside = xasprintf("%s/inner", open_dir);
    assert_int_equal(dir_create(inside, err, sizeof err), 0);
    assert_int_equal(mode_of(open_dir), 0755);
    assert_int_equal(mode_of(inside), 0700);

    /* A file in the way: the first directory that cannot be made is named. */
    char *file = xasprintf("%s/plain", tmpdir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    char *below = xasprintf("%s/sub/dir", file);
    assert_int_equal(dir_create(below, err, sizeof err), -1);
    char *want = xasprintf("cannot create %s/sub: Not a directory", file);
    assert_string_equal(err, want);
    free(want);
    assert_int_equal(dir_create(file, err, sizeof err), -1);
    want = xasprintf("cannot create %s: Not a directory", file);
    assert_string_equal(err, want);
    free(want);
    char *failed = NULL;
    assert_int_equal(dir_make(file, &failed), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_string_equal(failed, file);
    free(failed);

    /* No name at all. */
    assert_int_equal(dir_create("", err, sizeof err), -1);
    assert_string_equal(err, "cannot create : No such file or directory");

    /* A symlink to nowhere where the directory should be. */
    char *dangling = xasprintf("%s/dangling", tmpdir);
    char *nowhere = xasprintf("%s/nowhere", tmpdir);
    assert_int_equal(symlink(nowhere, dangling), 0);
    assert_int_equal(dir_make(dangling, &failed), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(failed, dangling);
    free(failed);
    assert_int_equal(dir_make(dangling, NULL), -1);

    free(nowhere);
    free(dangling);
    free(below);
    free(file);
    free(inside);
    free(open_dir);
}

typedef struct xdg_case {
    const char *name;
    const char *var;  /* NULL: unset */
    const char *home; /* NULL: unset */
    const char *want; /* NULL: none */
} xdg_case;

static const xdg_case xdg_cases[] = {
    {"absolute variable", "/data", "/home/u", "/data/tchat/x"},
    {"relative variable ignored", "rel/data", "/home/u", "/home/u/.local/share/tchat/x"},
    {"empty variable ignored", "", "/home/u", "/home/u/.local/share/tchat/x"},
    {"unset variable", NULL, "/home/u", "/home/u/.local/share/tchat/x"},
    {"no home", NULL, NULL, NULL},
    {"empty home", "", "", NULL},
    {"variable without home", "/data", NULL, "/data/tchat/x"},
};

static void test_xdg_path(void **state)
{
    (void)state;
    char *saved_home = xstrdup(getenv("HOME"));
    for (size_t i = 0; i < sizeof xdg_cases / sizeof *xdg_cases; i++) {
        const xdg_case *t = &xdg_cases[i];
        if (t->var)
            setenv("TCHAT_TEST_XDG", t->var, 1);
        else
            unsetenv("TCHAT_TEST_XDG");
        if (t->home)
            setenv("HOME", t->home, 1);
        else
            unsetenv("HOME");
        char *got = xdg_path("TCHAT_TEST_XDG", ".local/share", "tchat/x");
        if (t->want ? !got || strcmp(got, t->want) != 0 : got != NULL) {
            print_error("%s: want %s, got %s\n", t->name, t->want ? t->want : "NULL",
                        got ? got : "NULL");
            fail();
        }
        free(got);
    }
    if (saved_home)
        setenv("HOME", saved_home, 1);
    free(saved_home);
}

static void test_env_for_child(void **state)
{
    (void)state;
    setenv("OPENAI_API_KEY", "sk-test-secret", 1);
    setenv("GROQ_API_KEY", "gsk-test-secret", 1);
    setenv("TCHAT_TEST_KEEP", "1", 1);
    setenv("TCHAT_API_KEYS_KEEP", "1", 1); /* not a NAME_API_KEY */
    char **env = env_for_child();
    bool kept = false, kept2 = false;
    for (char **p = env; *p; p++) {
        assert_false(str_starts_with(*p, "OPENAI_API_KEY="));
        assert_false(str_starts_with(*p, "GROQ_API_KEY="));
        kept = kept || !strcmp(*p, "TCHAT_TEST_KEEP=1");
        kept2 = kept2 || !strcmp(*p, "TCHAT_API_KEYS_KEEP=1");
    }
    assert_true(kept);
    assert_true(kept2);
    free(env);
    /* A key read from a variable of another name (api_key_env) is withheld too. */
    setenv("WORK_LLM_TOKEN", "tok-test-secret", 1);
    setenv("WORK_LLM_TOKEN_HINT", "1", 1); /* a longer name is another variable */
    env_child_withhold("WORK_LLM_TOKEN");
    env_child_withhold("WORK_LLM_TOKEN"); /* once is enough */
    env = env_for_child();
    bool hint = false;
    for (char **p = env; *p; p++) {
        assert_false(str_starts_with(*p, "WORK_LLM_TOKEN="));
        hint = hint || !strcmp(*p, "WORK_LLM_TOKEN_HINT=1");
    }
    assert_true(hint);
    free(env);
    unsetenv("WORK_LLM_TOKEN");
    unsetenv("WORK_LLM_TOKEN_HINT");
    unsetenv("OPENAI_API_KEY");
    unsetenv("GROQ_API_KEY");
}

/* ---------------------------------------------------------------- times */

typedef struct iso_case {
    const char *tz;
    int64_t ms;
    const char *want;
} iso_case;

static const iso_case iso_cases[] = {
    {"UTC0", INT64_C(1764376753250), "2025-11-29T00:39:13.250+00:00"},
    {"CET-1", INT64_C(1764376753250), "2025-11-29T01:39:13.250+01:00"},
    {"EST5", INT64_C(1764376753005), "2025-11-28T19:39:13.005-05:00"},
    {"IST-5:30", INT64_C(1764376753999), "2025-11-29T06:09:13.999+05:30"},
    {"UTC0", 0, "1970-01-01T00:00:00.000+00:00"},
    {"UTC0", INT64_C(2147483647000), "2038-01-19T03:14:07.000+00:00"},
    {"UTC0", INT64_C(4107542400000), "2100-03-01T00:00:00.000+00:00"},
};

static void test_time_iso8601(void **state)
{
    (void)state;
    char *saved = xstrdup(getenv("TZ"));
    for (size_t i = 0; i < sizeof iso_cases / sizeof *iso_cases; i++) {
        setenv("TZ", iso_cases[i].tz, 1);
        tzset();
        char out[48];
        time_iso8601(iso_cases[i].ms, out, sizeof out);
        if (strcmp(out, iso_cases[i].want) != 0) {
            print_error("%s %lld: want %s, got %s\n", iso_cases[i].tz, (long long)iso_cases[i].ms,
                        iso_cases[i].want, out);
            fail();
        }
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
}

typedef struct civil_case {
    const char *name;
    int64_t y;
    int m, d;
    int64_t days;
} civil_case;

static const civil_case civil_cases[] = {
    {"the epoch", 1970, 1, 1, 0},
    {"the day before", 1969, 12, 31, -1},
    {"a leap day divisible by 400", 2000, 2, 29, 11016},
    {"after it", 2000, 3, 1, 11017},
    {"a leap day", 2024, 2, 29, 19782},
    {"1900 is not a leap year", 1900, 2, 28, -25509},
    {"so March follows", 1900, 3, 1, -25508},
    {"2038-01-19, the end of 32-bit time_t", 2038, 1, 19, 24855},
    {"the day after", 2038, 1, 20, 24856},
    {"2100 is not a leap year", 2100, 2, 28, 47540},
    {"so March follows, in 2100", 2100, 3, 1, 47541},
    {"1600 is one", 1600, 2, 29, -135081},
    {"year 1", 1, 1, 1, -719162},
    {"9999-12-31", 9999, 12, 31, 2932896},
};

static void test_civil_dates(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof civil_cases / sizeof *civil_cases; i++) {
        const civil_case *t = &civil_cases[i];
        int64_t days = time_days_from_civil(t->y, t->m, t->d);
        int64_t y;
        int m, d;
        time_civil_from_days(t->days, &y, &m, &d);
        if (days != t->days || y != t->y || m != t->m || d != t->d) {
            print_error("%s: want %lld, got %lld; back: %lld-%02d-%02d\n", t->name,
                        (long long)t->days, (long long)days, (long long)y, m, d);
            fail();
        }
    }
    /* Every day from 1901 to 2200 agrees with the C library, and comes back. */
    int64_t prev = time_days_from_civil(1900, 12, 31);
    for (int y = 1901; y <= 2200; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
                time_t t = timegm(&tm);
                /* The month ends where the C library says it does. */
                assert_int_equal(tm.tm_mday == d, d <= time_days_in_month(y, m));
                if (tm.tm_mday != d) /* past the end of the month */
                    break;
                int64_t days = time_days_from_civil(y, m, d);
                if (days * 86400 != (int64_t)t || days != prev + 1) {
                    print_error("%d-%02d-%02d: %lld days, timegm %lld s\n", y, m, d,
                                (long long)days, (long long)t);
                    fail();
                }
                int64_t by;
                int bm, bd;
                time_civil_from_days(days, &by, &bm, &bd);
                if (by != y || bm != m || bd != d) {
                    print_error("%d-%02d-%02d came back as %lld-%02d-%02d\n", y, m, d,
                                (long long)by, bm, bd);
                    fail();
                }
                prev = days;
            }
        }
    }
}

static void test_clocks(void **state)
{
    (void)state;
    int64_t a = clock_mono_ms(), b = clock_mono_ms();
    assert_true(b >= a);
    /* After 2020 and before 2200: a wall clock in milliseconds. */
    int64_t w = clock_wall_ms();
    assert_true(w > INT64_C(1577836800000) && w < INT64_C(7258118400000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_buf_fill),
        cmocka_unit_test(test_xasprintf),
        cmocka_unit_test(test_err_set),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_split_words),
        cmocka_unit_test(test_str_trim),
        cmocka_unit_test(test_str_utf8_seq),
        cmocka_unit_test(test_str_clip),
        cmocka_unit_test(test_dir_create),
        cmocka_unit_test(test_xdg_path),
        cmocka_unit_test(test_env_for_child),
        cmocka_unit_test(test_time_iso8601),
        cmocka_unit_test(test_civil_dates),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
