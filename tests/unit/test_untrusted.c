/* What came from the network, and the key: header values, the status page's text and an
 * error's fields arrive clean; the key a server echoes is masked wherever the failure goes;
 * the base URL's password never shows; no line of server text passes for one of tchat's;
 * and the support report holds no byte that could act on a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "errlog.h"
#include "explain.h"
#include "guide.h"
#include "http.h"
#include "report.h"
#include "session.h"
#include "statuspage.h"

#define KEY "sk-test-abcdefghijklmnop1234"
#define KEY_MASK "sk-…1234"
#define PASSWORD "hunter22pass"

/* The bytes that must never reach a terminal: C0 controls but \n and \t, DEL, C1
 * controls (U+0080..U+009F), the bidi embeddings, overrides and isolates. Returns a
 * description of the first one found, or NULL. */
static const char *dirty(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
            return "a C0 control or DEL";
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
            return "a C1 control";
        if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE)
            return "a bidi embedding or override";
        if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)
            return "a bidi isolate";
    }
    return NULL;
}

static void assert_clean(const char *what, const char *s)
{
    const char *why = s ? dirty(s) : NULL;
    if (why)
        fail_msg("%s holds %s: \"%s\"", what, why, s);
}

/* ---- header values, as the worker captures them ---- */

static void test_header_values(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *line;
        const char *header;
        const char *value;
    } cases[] = {
        {"OSC title",
         "x-request-id: req_\x1b]0;pwned\x07"
         "abc",
         "x-request-id", "req_abc"},
        {"CSI clear screen",
         "x-ratelimit-remaining-requests: \x1b[2J"
         "59",
         "x-ratelimit-remaining-requests", "59"},
        {"bidi override",
         "x-a: ab\xE2\x80\xAE"
         "cd",
         "x-a", "abcd"},
        {"bidi isolates",
         "x-a: \xE2\x81\xA6"
         "ab\xE2\x81\xA9",
         "x-a", "ab"},
        {"C1 CSI as UTF-8",
         "x-a: \xC2\x9B"
         "31mred",
         "x-a", "red"},
        {"C1 NEL",
         "x-a: a\xC2\x85"
         "b",
         "x-a", "ab"},
        {"raw 8-bit byte is invalid UTF-8",
         "x-a: a\x9B"
         "b",
         "x-a",
         "a\xEF\xBF\xBD"
         "b"},
        {"line separator does not start a line",
         "x-a: a\xE2\x80\xA8"
         "b",
         "x-a", "a b"},
        {"escape in a name", "x-\x1b[31mevil: v", "x-evil", "v"},
        {"plain value untouched", "retry-after: 2", "retry-after", "2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_headers h;
        hdrs_init(&h);
        hdrs_parse_line(&h, cases[i].line, strlen(cases[i].line));
        const char *v = hdrs_get(&h, cases[i].header);
        if (!v || strcmp(v, cases[i].value) != 0)
            fail_msg("%s: %s is \"%s\", want \"%s\"", cases[i].name, cases[i].header,
                     v ? v : "(none)", cases[i].value);
        hdrs_free(&h);
    }
    /* A hostile server cannot make one value fill the screen or the report. */
    char big[10000] = "x-big: ";
    memset(big + 7, '\xC3', sizeof big - 8);
    for (size_t i = 8; i < sizeof big - 1; i += 2)
        big[i] = '\xA9';
    big[sizeof big - 1] = '\0';
    http_headers h;
    hdrs_init(&h);
    hdrs_parse_line(&h, big, strlen(big));
    assert_true(strlen(hdrs_get(&h, "x-big")) <= 4096);
    hdrs_free(&h);
}

/* ---- the status page's text ---- */

static void test_status_text(void **state)
{
    (void)state;
    static const char body[] =
        "{\"status\":{\"indicator\":\"major\",\"description\":\"\\u001b]0;pwned\\u0007Partial "
        "\\u202eOutage\\u009b2J\\nforged\\u2066x\\u2069\"}}";
    statuspage sp;
    statuspage_init(&sp);
    sp.job = 7;
    worker_event ev = {.kind = WEV_DONE, .job = 7, .job_kind = JOB_STATUS};
    buf_init(&ev.body);
    buf_puts(&ev.body, body);
    assert_true(statuspage_take(&sp, &ev, "https://user:pw@status.example.com/"));
    assert_string_equal(sp.text, "status.example.com: Partial Outage forgedx");
    buf_free(&ev.body);
    statuspage_done(&sp);
}

/* ---- an error's fields ---- */

static void test_error_fields(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        long status;
        net_result net;
        const char *body;
        const char *headers;
        const char *detail;
    } cases[] = {
        {"envelope", 400, NET_OK,
         "{\"error\":{\"message\":\"Bad \\u001b]0;pwned\\u0007request\\u202e\\u009b2J\","
         "\"type\":\"\\u001b[31minvalid_request_error\",\"param\":\"\\u009b2Jtemperature\","
         "\"code\":\"\\u2066bad\\u2069\"}}",
         "x-request-id: req_\x1b]0;t\x07"
         "1\n",
         NULL},
        {"HTML title", 502, NET_OK,
         "<html><head><title>502 &#x202e;Bad&#155; \x1b[2JGateway\xC2\x9B"
         "31m</title></head>"
         "</html>",
         "request-id: \xE2\x80\xAE"
         "r2\n",
         NULL},
        {"plain text", 500, NET_OK,
         "oops \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \xC2\x85"
         "done",
         NULL, NULL},
        {"transport detail", 0, NET_CONNECT, NULL, NULL,
         "Recv failure: \x1b]0;pwned\x07"
         "reset \xE2\x80\xAE"
         "by peer\xC2\x9B"
         "2J"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_headers h;
        hdrs_init(&h);
        for (const char *t = cases[i].headers; t && *t;) {
            size_t n = strcspn(t, "\n");
            hdrs_parse_line(&h, t, n);
            t += n + (t[n] == '\n');
        }
        classify_input in = {
            .net = cases[i].net,
            .status = cases[i].status,
            .headers = &h,
            .body = cases[i].body,
            .body_len = cases[i].body ? strlen(cases[i].body) : 0,
            .detail = cases[i].detail,
        };
        failure f;
        failure_init(&f);
        classify(&in, &f);
        char what[128];
        const char *fields[] = {f.err_message, f.err_type,   f.err_code, f.err_param,
                                f.html_title,  f.request_id, f.detail};
        static const char *const names[] = {"message", "type",       "code",  "param",
                                            "title",   "request id", "detail"};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
            snprintf(what, sizeof what, "%s: %s", cases[i].name, names[k]);
            assert_clean(what, fields[k]);
        }
        if (i == 0) {
            assert_string_equal(f.err_message, "Bad request");
            assert_string_equal(f.err_type, "invalid_request_error");
            assert_string_equal(f.err_param, "temperature");
            assert_string_equal(f.err_code, "bad");
            assert_string_equal(f.request_id, "req_1");
        }
        if (i == 3)
            assert_string_equal(f.detail, "Recv failure: reset by peer");
        failure_free(&f);
        hdrs_free(&h);
    }
}

/* ---- a session that knows its key ---- */

typedef struct fake_net {
    uint64_t next_id;
} fake_net;

static uint64_t fake_submit(void *ud, const worker_job *job)
{
    (void)job;
    return ++((fake_net *)ud)->next_id;
}

static void fake_cancel(void *ud, uint64_t job)
{
    (void)ud;
    (void)job;
}

static int64_t fake_wall(void)
{
    return 1700000000000LL;
}

/* A server that echoes the key and the base URL's password back, in its message, its
 * headers and its page; with escape sequences and a forged line of tchat's own. */
#define ECHO_BODY                                                                          \
    "{\"error\":{\"message\":\"Incorrect API key provided: " KEY                           \
    " \\u001b]0;pwned\\u0007(sent to " PASSWORD ")\\ntchat: forged line\",\"type\":\"" KEY \
    "\",\"code\":\"invalid_api_key\",\"param\":null}}"
static const char *const echo_headers[] = {
    "x-request-id: req_" KEY,
    "x-echo-authorization: Bearer " KEY,
    "x-evil: \x1b]0;pwned\x07"
    "a\xE2\x80\xAE"
    "b\xC2\x9B"
    "31mc",
    "content-type: application/json",
};

static void fail_with_echo(session *s)
{
    worker_event ev = {.kind = WEV_FAILED, .job = s->job, .job_kind = JOB_CHAT, .status = 401};
    buf_init(&ev.text);
    buf_init(&ev.body);
    hdrs_init(&ev.headers);
    for (size_t i = 0; i < sizeof echo_headers / sizeof echo_headers[0]; i++)
        hdrs_parse_line(&ev.headers, echo_headers[i], strlen(echo_headers[i]));
    buf_puts(&ev.body, ECHO_BODY);
    ev.detail = xstrdup("closed by " KEY);
    session_handle(s, &ev, 10);
    buf_free(&ev.body);
    hdrs_free(&ev.headers);
    free(ev.detail);
}

static void start_session(session *s, fake_net *net)
{
    session_transport tr = {fake_submit, fake_cancel, net};
    session_init(s, &tr, NULL);
    s->wall_clock = fake_wall;
    s->p.model = xstrdup("gpt-4o-mini");
    s->p.base_url = xstrdup("https://user:" PASSWORD "@gw.example.com/v1");
    s->p.api_key = xstrdup(KEY);
    s->p.key_required = true;
    assert_int_equal(session_submit(s, "hello", 0), 0);
}

static void assert_no_secret(const char *what, const char *s)
{
    if (s && strstr(s, KEY))
        fail_msg("%s holds the key: \"%s\"", what, s);
    if (s && strstr(s, PASSWORD))
        fail_msg("%s holds the password: \"%s\"", what, s);
}

/* The failure the panel, F6, F8, stderr and --json-errors are built from. */
static void test_key_redacted(void **state)
{
    (void)state;
    fake_net net = {0};
    session s;
    start_session(&s, &net);
    fail_with_echo(&s);
    assert_int_equal(s.state, SESSION_FAILED);
    const failure *f = &s.last_failure;
    assert_int_equal(f->entry, GUIDE_AUTH_INCORRECT_KEY);
    const char *fields[] = {f->err_message, f->err_type, f->request_id, f->detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i] && strstr(fields[i], KEY))
            fail_msg("failure field %zu holds the key: \"%s\"", i, fields[i]);
    }
    assert_non_null(strstr(f->err_message, "Incorrect API key provided: " KEY_MASK));
    assert_string_equal(f->err_type, KEY_MASK);
    assert_string_equal(f->request_id, "req_" KEY_MASK);
    assert_string_equal(f->detail, "closed by " KEY_MASK);
    /* The attempt's copy (F8, the report's attempt list) and the kept headers (F6). */
    assert_int_equal(s.nattempts, 1);
    assert_null(strstr(s.attempts[0].fail.err_message, KEY));
    for (size_t i = 0; i < s.resp_headers.n; i++)
        assert_null(strstr(s.resp_headers.v[i].value, KEY));

    explain_ctx cx = {.lang = GUIDE_LANG_EN, .base_url = xstrdup("https://gw.example.com/v1")};
    buf out;
    buf_init(&out);
    explain_text(&out, &cx, f, &s.last_decision);
    assert_no_secret("explain_text", buf_str(&out));
    buf_reset(&out);
    explain_json(&out, &cx, f, &s.last_decision, 1, 5, 3);
    assert_no_secret("explain_json", buf_str(&out));
    buf_free(&out);
    errlog l;
    errlog_init(&l);
    errlog_add(&l, &cx, f, &s.last_decision, 0);
    assert_no_secret("F8 entry", l.v[0].message);
    assert_no_secret("F8 entry", l.v[0].request_id);
    errlog_free(&l);
    explain_ctx_done(&cx);
    session_done(&s);
}

/* Server text with newlines: every line after the first is indented, so that none can
 * pass for a "tchat: ..." line on stderr. */
static void test_no_forged_lines(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *message;
        const char *detail;
        const char *request_id;
    } cases[] = {
        {"message", "Bad request\ntchat: forged line\n\ntchat: another", NULL, NULL},
        {"detail", NULL, "libcurl said\ntchat: forged", NULL},
        {"request id", NULL, NULL, "req_1\ntchat: forged"},
        {"message ending in a newline", "fine\n", NULL, NULL},
    };
    explain_ctx cx = {.lang = GUIDE_LANG_EN};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        failure f;
        failure_init(&f);
        f.entry = GUIDE_BAD_REQUEST;
        f.type = GUIDE_T_INVALID_REQUEST;
        f.status = 400;
        f.err_message = xstrdup(cases[i].message);
        f.detail = xstrdup(cases[i].detail);
        f.request_id = xstrdup(cases[i].request_id);
        buf out;
        buf_init(&out);
        buf_puts(&out, "tchat: ");
        explain_text(&out, &cx, &f, NULL);
        /* Only the first line is tchat's; every other starts with a space. */
        for (const char *p = strchr(buf_str(&out), '\n'); p && p[1]; p = strchr(p + 1, '\n'))
            if (p[1] != ' ')
                fail_msg("%s: a line starts unindented: \"%.30s\"", cases[i].name, p + 1);
        buf_free(&out);
        failure_free(&f);
    }
    buf b;
    buf_init(&b);
    explain_put_text(&b, "a\nb\n\nc\n", "  ");
    assert_string_equal(buf_str(&b), "a\n  b\n  c");
    buf_free(&b);
}

/* The base URL is shown with its password masked wherever explanations name it. */
static void test_password_masked(void **state)
{
    (void)state;
    static const char *const base = "https://user:" PASSWORD "@gw.example.com/v1";
    config_override ov[] = {{OPT_BASE_URL, base}};
    config_load_args args = {
        .path = "/nonexistent/tchat-test/config.json",
        .overrides = ov,
        .noverrides = 1,
        .getenv_fn = NULL,
    };
    config c;
    char err[512];
    assert_int_equal(config_load(&c, &args, err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_BASE_URL), base); /* what is sent stays whole */
    explain_ctx cx = {.lang = GUIDE_LANG_EN};
    explain_ctx_from_config(&cx, &c);
    assert_string_equal(cx.base_url, "https://user:***@gw.example.com/v1");
    failure f;
    failure_init(&f);
    f.entry = GUIDE_SERVER_ERROR;
    f.type = GUIDE_T_API_ERROR;
    f.status = 500;
    retry_decision d = {.verdict = RETRY_NO_EXHAUSTED};
    buf out;
    buf_init(&out);
    explain_text(&out, &cx, &f, &d);
    assert_non_null(strstr(buf_str(&out), "Endpoint: https://user:***@gw.example.com/v1"));
    assert_no_secret("explain_text", buf_str(&out));
    buf_reset(&out);
    explain_json(&out, &cx, &f, &d, 1, 1, 6);
    assert_non_null(strstr(buf_str(&out), "\"endpoint\":\"https://user:***@gw.example.com/v1\""));
    buf_free(&out);
    failure_free(&f);
    explain_ctx_done(&cx);
    config_free(&c);
}

/* The support report (F7): read with cat, it must not act on the terminal, and it holds
 * neither the key nor the password. */
static void test_report(void **state)
{
    (void)state;
    fake_net net = {0};
    session s;
    start_session(&s, &net);
    fail_with_echo(&s);
    explain_ctx cx = {.lang = GUIDE_LANG_EN};
    buf out;
    buf_init(&out);
    report_build(&out, &s, &cx, "work");
    const char *r = buf_str(&out);
    assert_clean("the report", r);
    assert_no_secret("the report", r);
    assert_non_null(strstr(r, "Base URL: https://user:***@gw.example.com/v1\n"));
    assert_non_null(strstr(r, "POST https://user:***@gw.example.com/v1/chat/completions\n"));
    assert_non_null(strstr(r, "x-evil: abc\n"));
    assert_non_null(strstr(r, "Incorrect API key provided: " KEY_MASK));
    buf_free(&out);
    session_done(&s);
}

int main(void)
{
    char err[256];
    if (guide_init(err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_values),   cmocka_unit_test(test_status_text),
        cmocka_unit_test(test_error_fields),    cmocka_unit_test(test_key_redacted),
        cmocka_unit_test(test_no_forged_lines), cmocka_unit_test(test_password_masked),
        cmocka_unit_test(test_report),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    guide_done();
    return rc;
}
