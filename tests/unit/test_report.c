/* report: the support report of a failed request: its sections, ISO times with the zone,
 * the key redacted wherever it turns up (a server message, a header, the body), secret
 * headers hidden, and the file written 0600. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guide.h"
#include "redact.h"
#include "report.h"

#define KEY "sk-test-ABCDEFGHIJKLMNOP1234"
/* 2025-11-29T00:39:13.250Z */
#define NOW INT64_C(1764376753250)

static char tmpdir[64];

static int group_setup(void **state)
{
    (void)state;
    char err[256];
    if (guide_init(err, sizeof err) != 0)
        return -1;
    setenv("TZ", "CET-1", 1);
    tzset();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tchat-test-report-XXXXXX");
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

static uint64_t no_submit(void *ud, const worker_job *job)
{
    (void)ud;
    (void)job;
    return 0;
}

static void no_cancel(void *ud, uint64_t job)
{
    (void)ud;
    (void)job;
}

static int64_t fixed_wall(void)
{
    return NOW;
}

static void set_failure(failure *f, guide_entry e, long status, const char *message)
{
    failure_init(f);
    f->entry = e;
    f->type = GUIDE_T_RATE_LIMIT;
    f->status = status;
    f->limit = LIMIT_TOKENS;
    f->err_type = xstrdup("tokens");
    f->err_code = xstrdup("rate_limit_exceeded");
    f->err_message = xstrdup(message);
    f->request_id = xstrdup("req_abc");
}

/* A session whose last prompt failed twice, the key in the places a server may echo it. */
static void failed_session(session *s)
{
    session_transport tr = {no_submit, no_cancel, NULL};
    session_init(s, &tr, NULL);
    s->wall_clock = fixed_wall;
    s->p.api_key = xstrdup(KEY);
    s->p.model = xstrdup("gpt-4o-mini");
    s->p.base_url = xstrdup("https://api.example.com/v1");
    s->p.organization = xstrdup("org-42");
    s->has_failure = true;
    set_failure(&s->last_failure, GUIDE_RATE_LIMIT, 429,
                "Rate limit reached for key " KEY " on tokens");
    s->last_failure.detail = xstrdup("sent Authorization: Bearer " KEY);
    s->last_failure.upstream = xstrdup("Example");
    s->attempts = xcalloc(3, sizeof *s->attempts);
    s->capattempts = 3;
    s->nattempts = 3;
    session_attempt *a = s->attempts;
    a[0].start_wall_ms = NOW - 5000;
    a[0].end_wall_ms = NOW - 4500;
    a[0].closed = true;
    set_failure(&a[0].fail, GUIDE_RATE_LIMIT, 429, "slow down");
    a[0].decision = (retry_decision){RETRY_YES, 1000, DELAY_BACKOFF, true};
    a[1].start_wall_ms = NOW - 3000;
    a[1].end_wall_ms = NOW - 2750;
    a[1].closed = true;
    set_failure(&a[1].fail, GUIDE_RATE_LIMIT, 429, "slow down");
    a[1].decision = (retry_decision){RETRY_NO_EXHAUSTED, 0, DELAY_NONE, true};
    a[2].start_wall_ms = NOW - 1000;
    failure_init(&a[2].fail);
    static const char *const lines[] = {
        "HTTP/1.1 429 Too Many Requests",
        "Authorization: Bearer " KEY,
        "X-Api-Key: abc",
        "Set-Cookie: session=s3cr3t",
        "X-Auth-Token: t0k3n",
        "X-Ratelimit-Remaining-Tokens: 100",
        "X-Echo: your key is " KEY,
        "X-Request-Id: req_abc",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        hdrs_parse_line(&s->resp_headers, lines[i], strlen(lines[i]));
    s->last_body = xstrdup("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                           "\"content\":\"my key is " KEY "\"}]}");
}

static explain_ctx ctx(void)
{
    return (explain_ctx){.lang = GUIDE_LANG_EN, .base_url = "https://api.example.com/v1",
                         .model = "gpt-4o-mini", .status_url = "https://status.example.com/",
                         .help_url = "https://help.example.com/"};
}

/* No eight characters of the key in a row, anywhere (the mask shows three and four). */
static void check_no_key(const char *text)
{
    const char *key = KEY;
    for (size_t i = 0; i + 8 <= strlen(key); i++) {
        char piece[9];
        memcpy(piece, key + i, 8);
        piece[8] = '\0';
        if (strstr(text, piece)) {
            print_error("the key shows (\"%s\") in:\n%s\n", piece, text);
            fail();
        }
    }
}

/* Lines that must be there, in this order. */
static const char *const report_lines[] = {
    "tchat support report\n",
    "Generated: 2025-11-29T01:39:13.250+01:00\n",
    "\ntchat: ",
    "\nlibcurl: ",
    "\nProfile: work\nModel: gpt-4o-mini\nBase URL: https://api.example.com/v1\n",
    "\nLast error\n",
    "Explanation: 429 Rate limit reached · RateLimitError · tokens\n",
    "Entry: rate-limit\n",
    "HTTP status: 429\n",
    "Transport: ok\n",
    "error.type: tokens\nerror.code: rate_limit_exceeded\n",
    "error.message: Rate limit reached for key sk-…1234 on tokens\n",
    "x-request-id: req_abc\n",
    "Detail: sent Authorization: Bearer sk-…1234\n",
    "Note: Upstream provider: Example\n",
    /* The guide's second table: the type's cause and steps, in one-shot wording. */
    "Library type: RateLimitError\n  You hit your assigned rate limit",
    "\n  1. Send fewer tokens or requests, or slow down",
    "\n  3. Check your usage statistics in the account dashboard.\n",
    "\nAttempts (ISO-8601, local time with zone)\n",
    "1. 2025-11-29T01:39:08.250+01:00 → 2025-11-29T01:39:08.750+01:00  rate-limit (HTTP 429) "
    "x-request-id req_abc; retried after 1000 ms (backoff)\n",
    "2. 2025-11-29T01:39:10.250+01:00 → 2025-11-29T01:39:10.500+01:00  rate-limit (HTTP 429) "
    "x-request-id req_abc; not retried: no retries left\n",
    "3. 2025-11-29T01:39:12.250+01:00  in progress\n",
    "\nRequest headers\n",
    "POST https://api.example.com/v1/chat/completions\n",
    "Authorization: Bearer sk-…1234 (redacted)\n",
    "OpenAI-Organization: org-42\n",
    "\nResponse headers (last response)\n",
    "authorization: (redacted)\n",
    "x-api-key: (redacted)\n",
    "set-cookie: (redacted)\n",
    "x-auth-token: (redacted)\n",
    "x-ratelimit-remaining-tokens: 100\n",
    "x-echo: your key is sk-…1234\n",
    "x-request-id: req_abc\n",
    "\nRequest body (it holds your messages: read it before you send this report)\n",
    "\"content\":\"my key is sk-…1234\"",
    "\nWhere to ask\n",
    "Help: https://help.example.com/\n",
};

static void test_build(void **state)
{
    (void)state;
    session s;
    failed_session(&s);
    explain_ctx cx = ctx();
    buf b;
    buf_init(&b);
    report_build(&b, &s, &cx, "work");
    const char *text = buf_str(&b);
    const char *at = text;
    for (size_t i = 0; i < sizeof report_lines / sizeof *report_lines; i++) {
        const char *hit = strstr(at, report_lines[i]);
        if (!hit) {
            print_error("missing or out of order: \"%s\" in:\n%s\n", report_lines[i], text);
            fail();
        }
        at = hit + 1;
    }
    check_no_key(text);
    /* A report is read outside the chat: it names none of its keys. */
    assert_null(strstr(text, "(F7)"));
    assert_null(strstr(text, "s3cr3t"));
    assert_null(strstr(text, "t0k3n"));
    buf_free(&b);

    /* Nothing failed yet: no "Last error" section, and the default help page. */
    session_done(&s);
    session_transport tr = {no_submit, no_cancel, NULL};
    session_init(&s, &tr, NULL);
    s.wall_clock = fixed_wall;
    cx.help_url = "";
    buf_init(&b);
    report_build(&b, &s, &cx, NULL);
    text = buf_str(&b);
    assert_null(strstr(text, "Last error"));
    assert_non_null(strstr(text, "Profile: \n"));
    assert_non_null(strstr(text, "(none)"));
    assert_non_null(strstr(text, "Help: https://help.openai.com/en/\n"));
    assert_null(strstr(text, "Authorization"));
    buf_free(&b);
    session_done(&s);
}

/* A provider's report: its name, the request as it goes (Azure's api-key and URL), the
 * extra headers with the secret ones redacted everywhere, and where to ask. */
static void test_provider_report(void **state)
{
    (void)state;
    static const struct {
        provider_id provider;
        const char *base_url;
        const char *has[4];
        const char *lacks[3];
    } cases[] = {
        {PROVIDER_AZURE, "https://res.openai.azure.com",
         {"Provider: Azure OpenAI (azure)\n",
          "POST https://res.openai.azure.com/openai/deployments/dep-1/chat/completions"
          "?api-version=2024-10-21\n",
          "\napi-key: az-…6789 (redacted)\n", "\nX-Title: tchat\nX-Gateway-Token: (redacted)\n"},
         {"Authorization: Bearer", "community.openai.com", "gw-secret"}},
        {PROVIDER_GROQ, "https://api.groq.com/openai/v1",
         {"Provider: Groq (groq)\n", "POST https://api.groq.com/openai/v1/chat/completions\n",
          "Authorization: Bearer az-…6789 (redacted)\n", "Status: https://groqstatus.com/\n"},
         {"community.openai.com", "gw-secret", "api-key"}},
        {PROVIDER_OPENAI, "https://api.openai.com/v1",
         {"Provider: OpenAI (openai)\n", "Community: https://community.openai.com/", NULL},
         {"gw-secret", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        session s;
        session_transport tr = {no_submit, no_cancel, NULL};
        session_init(&s, &tr, NULL);
        s.wall_clock = fixed_wall;
        s.p.provider = cases[i].provider;
        s.p.base_url = xstrdup(cases[i].base_url);
        s.p.model = xstrdup("dep-1");
        s.p.api_key = xstrdup("az-key-0123456789");
        s.p.api_version = xstrdup("2024-10-21");
        assert_int_equal(xhdr_parse("{\"X-Title\": \"tchat\", \"X-Gateway-Token\": \"gw-secret-1\"}",
                                    &s.p.extra, NULL, 0), 0);
        s.p.secrets = xmalloc_array(1, sizeof *s.p.secrets);
        s.p.secrets[s.p.nsecrets++] = xstrdup("gw-secret-1");
        s.last_body = xstrdup("{\"messages\":[{\"content\":\"token gw-secret-1\"}]}");
        explain_ctx cx = {.lang = GUIDE_LANG_EN, .provider = cases[i].provider,
                          .status_url = (char *)provider_row(cases[i].provider)->status_url,
                          .help_url = (char *)provider_row(cases[i].provider)->links[PLINK_HELP]};
        buf b;
        buf_init(&b);
        report_build(&b, &s, &cx, "p");
        for (size_t k = 0; k < 4 && cases[i].has[k]; k++)
            if (!strstr(buf_str(&b), cases[i].has[k]))
                fail_msg("%s: lacks \"%s\":\n%s", provider_row(cases[i].provider)->name,
                         cases[i].has[k], buf_str(&b));
        for (size_t k = 0; k < 3 && cases[i].lacks[k]; k++)
            if (strstr(buf_str(&b), cases[i].lacks[k]))
                fail_msg("%s: has \"%s\":\n%s", provider_row(cases[i].provider)->name,
                         cases[i].lacks[k], buf_str(&b));
        buf_free(&b);
        session_done(&s);
    }
}

typedef struct redact_case {
    const char *name;
    const char *text, *key, *want;
} redact_case;

static const redact_case redact_cases[] = {
    {"everywhere", "a " KEY " b " KEY, KEY, "a sk-…1234 b sk-…1234"},
    {"at the edges", KEY "x" KEY, KEY, "sk-…1234xsk-…1234"},
    {"a short key masks to nothing but …", "key=abcdef", "abcdef", "key=…"},
    {"a key under four characters is left", "abc abc", "abc", "abc abc"},
    {"no key", "text", "", "text"},
    {"NULL key", "text", NULL, "text"},
    {"empty text", "", KEY, ""},
};

static void test_redact(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof redact_cases / sizeof *redact_cases; i++) {
        const redact_case *t = &redact_cases[i];
        buf b;
        buf_init(&b);
        buf_puts(&b, t->text);
        redact_buf(&b, t->key, NULL);
        if (strcmp(buf_str(&b), t->want) != 0) {
            print_error("%s: want \"%s\", got \"%s\"\n", t->name, t->want, buf_str(&b));
            fail();
        }
        buf_free(&b);
    }
}

static void test_write(void **state)
{
    (void)state;
    session s;
    failed_session(&s);
    explain_ctx cx = ctx();
    char *dir = xasprintf("%s/reports/deeper", tmpdir);
    char err[512];
    char *path = NULL, *second = NULL;
    mode_t old = umask(0); /* the modes must not depend on the umask */
    int rc = report_write(&s, &cx, "work", dir, &path, err, sizeof err);
    int rc2 = rc == 0 ? report_write(&s, &cx, "work", dir, &second, err, sizeof err) : -1;
    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(rc2, 0);
    char *want = xasprintf("%s/tchat-report-20251129-013913.txt", dir);
    assert_string_equal(path, want);
    free(want);
    /* The same second: the next name, the first is kept. */
    want = xasprintf("%s/tchat-report-20251129-013913-1.txt", dir);
    assert_string_equal(second, want);
    free(want);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);

    /* The file holds the report. */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    buf got;
    buf_init(&got);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&got, chunk, n);
    fclose(f);
    buf b;
    buf_init(&b);
    report_build(&b, &s, &cx, "work");
    assert_string_equal(buf_str(&got), buf_str(&b));
    check_no_key(buf_str(&got));
    buf_free(&b);
    buf_free(&got);

    /* A place that cannot be a directory. */
    char *blocked = xasprintf("%s/file/reports", path);
    char *none = NULL;
    assert_int_equal(report_write(&s, &cx, "work", blocked, &none, err, sizeof err), -1);
    want = xasprintf("cannot create %s/file: Not a directory", path);
    assert_string_equal(err, want);
    assert_null(none);
    free(want);
    free(blocked);

    /* No directory given: $XDG_STATE_HOME/tchat/reports. */
    char *state_home = xasprintf("%s/state", tmpdir);
    setenv("XDG_STATE_HOME", state_home, 1);
    char *third = NULL;
    assert_int_equal(report_write(&s, &cx, "work", NULL, &third, err, sizeof err), 0);
    want = xasprintf("%s/tchat/reports/tchat-report-20251129-013913.txt", state_home);
    assert_string_equal(third, want);
    free(want);
    free(third);
    free(state_home);

    free(second);
    free(path);
    free(dir);
    session_done(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_provider_report),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
