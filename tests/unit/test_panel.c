/* The chat screen's words, built without a terminal: the status panel in each
 * state of a request, the full explanation (F6), the error list (F8), the title
 * bar's gauge and the styled-line builder under them. Each case drives a
 * session with scripted worker events and checks the lines, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lines.h"
#include "panel.h"

static uint64_t next_id;

static uint64_t fake_submit(void *ud, const worker_job *job)
{
    (void)ud;
    (void)job;
    return ++next_id;
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

static double zero_random(void *ud)
{
    (void)ud;
    return 0.0;
}

typedef enum { SHOW_PANEL, SHOW_DETAILS } show;

typedef struct pcase {
    const char *name;
    show what;
    int max_retries;
    bool submit;            /* a prompt was sent */
    long status;            /* then it failed with this status (0: no failure) */
    net_result net;
    const char *headers;    /* "name: value\n..." */
    const char *body;
    bool cancel;            /* then Esc */
    const char *base_url;   /* the profile's (NULL: OpenAI's) */
    const char *status_url; /* NULL: OpenAI's */
    const char *sp_text;    /* the status page's indicator, or NULL */
    bool sp_unknown;
    const char *notice;
    bool notice_error;
    const char *queued[6];  /* messages waiting for the reply */
    const char *cancel_key; /* NULL: Esc */
    bool roomy;             /* the panel has room for the steps one a row */
    int64_t now;            /* the clock when the panel is built */
    const char *want[10];   /* substrings that must appear, in this order */
    const char *absent[4];  /* substrings that must not appear */
    int want_lines;         /* -1: not checked */
} pcase;

static const char RATE_BODY[] =
    "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini on requests per min (RPM): "
    "Limit 3, Used 3, Requested 1.\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}";
static const char KEY_BODY[] = "{\"error\":{\"message\":\"Incorrect API key provided: sk-ab***wxyz.\","
                               "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}";

static const pcase cases[] = {
    {"ready, nothing sent", SHOW_PANEL, 4, false, .now = 0,
     .want = {"ready · gpt-4o-mini", "F1 Help"}, .absent = {"✖"}, .want_lines = 1},
    {"a notice takes the ready line's place", SHOW_PANEL, 4, false, .notice = "theme light",
     .want = {"theme light"}, .absent = {"ready"}, .want_lines = 1},
    {"sending: the model and Esc", SHOW_PANEL, 4, true, .now = 0,
     .want = {"sending · gpt-4o-mini", "· Esc"}, .want_lines = 1},
    {"429 with retry-after: title, countdown with its source, keys", SHOW_PANEL, 4, true, 429,
     NET_OK, "retry-after: 3\nx-request-id: req_abc\n", RATE_BODY, .now = 1000,
     .want = {"✖ 429 Rate limit reached · RateLimitError · requests  req_abc",
              "About RateLimitError: You hit your assigned rate limit",
              "Cause: ", "What to do: 1. ", "Server says: Rate limit reached for gpt-4o-mini",
              "Retrying in 2.0 s", "attempt 2 of 5 · server asked 3.0 s (retry-after)",
              "https://status.openai.com/", "F5 retry now · Esc cancel"},
     .absent = {"Not retrying", "F2 opens Settings"}, .want_lines = 8},
    {"401 wrong key: not retried, points to Settings", SHOW_PANEL, 4, true, 401, NET_OK,
     "x-request-id: req_k\n", KEY_BODY, .now = 10,
     .want = {"✖ 401 Incorrect API key provided · AuthenticationError",
              "Not retrying: this error does not go away by retrying", "F6 details",
              "F2 opens Settings"},
     .absent = {"Retrying in", "F5 retry now"}, .want_lines = -1},
    {"the status page's indicator follows its link", SHOW_PANEL, 0, true, 500, NET_OK, NULL, NULL,
     .sp_text = "status.openai.com: Partial System Outage", .now = 10,
     .want = {"500 Server error · APIError",
              "https://status.openai.com/ (status.openai.com: Partial System Outage)"},
     .want_lines = -1},
    {"a status page that cannot be read", SHOW_PANEL, 0, true, 502, NET_OK, NULL, NULL,
     .sp_unknown = true, .now = 10, .want = {"https://status.openai.com/ (status unknown)"},
     .want_lines = -1},
    {"another endpoint is named, with its own status page", SHOW_PANEL, 0, true, 0, NET_REFUSED,
     .base_url = "http://127.0.0.1:9/v1", .status_url = "", .now = 10,
     .want = {"Connection refused", "Endpoint: http://127.0.0.1:9/v1"},
     .absent = {"status.openai.com"}, .want_lines = -1},
    {"a command's answer goes under the explanation", SHOW_PANEL, 0, true, 500, NET_OK, NULL, NULL,
     .notice = "Support report written: /tmp/r.txt", .now = 10,
     .want = {"500 Server error", "F7 support report", "Support report written: /tmp/r.txt"},
     .want_lines = -1},
    {"a cancel is said briefly, without the guide's steps", SHOW_PANEL, 4, true, .cancel = true,
     .now = 10, .want = {"■ Request cancelled", "F5 retry"}, .absent = {"Cause:", "Not retrying"},
     .want_lines = 2},
    {"F6: steps one per line, reasons, every link, request id, headers", SHOW_DETAILS, 4, true, 429,
     NET_OK, "retry-after: 3\nx-request-id: req_abc\nx-ratelimit-limit-requests: 60\n", RATE_BODY,
     .now = 1000,
     .want = {"✖ 429 Rate limit reached", "Possible reasons:", "What to do:", "1. ", "2. ",
              "Retrying in", "https://platform.openai.com/docs/guides/rate-limits",
              "Request ID: req_abc", "x-ratelimit-limit-requests: 60", "Esc or q closes"},
     .want_lines = -1},
    {"the key refused over plain http://: nothing sent, the setting named", SHOW_PANEL, 4, true,
     .base_url = "http://10.0.0.5:8080/v1", .now = 10,
     .want = {"✖ Key not sent over plain HTTP", "What to do: 1. Use https://",
              "allow_insecure_http: true", "Not retrying", "Endpoint: http://10.0.0.5:8080/v1"},
     .absent = {"Retrying in", "F5 retry now"}, .want_lines = -1},
    {"F6: a key the server echoes is masked", SHOW_DETAILS, 4, true, 401, NET_OK,
     "x-ratelimit-limit-requests: sk-test\n",
     "{\"error\":{\"message\":\"Incorrect API key provided: sk-test.\",\"code\":"
     "\"invalid_api_key\"}}",
     .now = 10,
     .want = {"✖ 401 Incorrect API key provided", "Server says: Incorrect API key provided: …."},
     .absent = {"sk-test"}, .want_lines = -1},
    {"vi mode: Ctrl-C cancels, Esc is vi's", SHOW_PANEL, 4, true, .cancel_key = "Ctrl-C",
     .now = 0, .want = {"sending · gpt-4o-mini · Ctrl-C"}, .absent = {"Esc"}, .want_lines = 1},
    {"vi mode: the countdown's keys", SHOW_PANEL, 4, true, 429, NET_OK, "retry-after: 3\n",
     RATE_BODY, .cancel_key = "Ctrl-C", .now = 1000,
     .want = {"Retrying in", "F5 retry now · Ctrl-C cancel · F6 details"},
     .absent = {"Esc cancel"}, .want_lines = -1},
    {"queued messages under the status line, oldest first, one row each", SHOW_PANEL, 4, true,
     .queued = {"second", "third\nwith two lines"}, .now = 0,
     .want = {"sending", "queued · second", "queued · third with two lines"}, .want_lines = 3},
    {"many queued: the first three, then a count", SHOW_PANEL, 4, true,
     .queued = {"a", "b", "c", "d", "e"}, .now = 0,
     .want = {"queued · a", "queued · b", "queued · c", "… 2 more queued"}, .absent = {"· d"},
     .want_lines = 5},
    {"queued during a countdown: after the keys", SHOW_PANEL, 4, true, 429, NET_OK,
     "retry-after: 3\n", RATE_BODY, .queued = {"next"}, .now = 1000,
     .want = {"Retrying in", "F5 retry now · Esc cancel", "queued · next"}, .want_lines = -1},
    {"F6: the library type's cause, reasons and steps, after the failure's own", SHOW_DETAILS, 4,
     true, 429, NET_OK, "retry-after: 3\n", RATE_BODY, .now = 1000,
     .want = {"✖ 429 Rate limit reached", "What to do:", "Server says:", "Retrying in",
              "retry-after: 3", "About RateLimitError: You hit your assigned rate limit",
              "· Too many requests in a short time.",
              "1. Send fewer tokens or requests, or slow down", "3. Check your usage statistics",
              "Esc or q closes"},
     .want_lines = -1},
    {"credits: the billing entry, not retried, its steps say top up", SHOW_PANEL, 4, true, 402,
     NET_OK, NULL,
     "{\"error\":{\"message\":\"This request requires more credits, or fewer max_tokens. You "
     "requested up to 65536 tokens, but can only afford 10114.\",\"code\":402,\"metadata\":"
     "{\"provider_name\":null}}}",
     .now = 10,
     .want = {"✖ 402 Credits used up · InvalidRequestError",
              "About InvalidRequestError: ", "Top up", "Not retrying: a billing limit",
              "https://platform.openai.com/account/billing/overview"},
     .absent = {"Retrying in", "F5 retry now"}, .want_lines = -1},
    {"moderation: the flagged categories and the upstream provider", SHOW_PANEL, 4, true, 403,
     NET_OK, NULL,
     "{\"error\": {\"message\": \"openai/gpt-4 requires moderation on OpenAI.\", \"code\": 403, "
     "\"metadata\": {\"reasons\": [\"harassment\"], \"provider_name\": \"OpenAI\"}}}",
     .now = 10,
     .want = {"✖ 403 Input flagged by moderation", "Flagged for: harassment",
              "Upstream provider: OpenAI", "Not retrying"},
     .absent = {"Retrying in"}, .want_lines = -1},
    {"Ollama: the pull comes first, with the model's name", SHOW_DETAILS, 4, true, 404, NET_OK,
     NULL, "{\"error\":\"model 'llama3' not found, try pulling it first\"}", .now = 10,
     .want = {"✖ 404 Model not found", "What to do:",
              "1. Download the model first: ollama pull "
              "llama3",
              "2. Check the model name in Settings (F2)"},
     .want_lines = -1},
    {"roomy: the steps one a row, the rest as compact", SHOW_PANEL, 4, true, 401, NET_OK,
     "x-request-id: req_k\n", KEY_BODY, .roomy = true, .now = 10,
     .want = {"✖ 401 Incorrect API key provided", "Cause:", "What to do:", "\n     1. ",
              "\n     2. ", "Not retrying", "F2 opens Settings"},
     .want_lines = -1},
    {"F6 with nothing failed", SHOW_DETAILS, 4, false, .now = 0, .want = {"No error to explain"},
     .absent = {"✖"}, .want_lines = -1},
};

static void fill_headers(http_headers *h, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        hdrs_parse_line(h, text, len);
        text += len + (nl ? 1 : 0);
    }
}

static void fail_with(session *s, const pcase *c)
{
    worker_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = WEV_FAILED;
    ev.job = s->job;
    ev.job_kind = JOB_CHAT;
    ev.net = c->net;
    ev.status = c->status;
    buf_init(&ev.text);
    buf_init(&ev.body);
    hdrs_init(&ev.headers);
    fill_headers(&ev.headers, c->headers);
    if (c->body)
        buf_puts(&ev.body, c->body);
    session_handle(s, &ev, 0);
    buf_free(&ev.text);
    buf_free(&ev.body);
    hdrs_free(&ev.headers);
}

/* Checks that each wanted text appears after the previous one. */
static void expect_in_order(const char *name, const char *text, const char *const *want,
                            const char *const *absent)
{
    const char *at = text;
    for (int i = 0; i < 10 && want[i]; i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit)
            fail_msg("%s: \"%s\" missing (or out of order) in:\n%s", name, want[i], text);
        at = hit + strlen(want[i]);
    }
    for (int i = 0; i < 4 && absent[i]; i++)
        if (strstr(text, absent[i]))
            fail_msg("%s: \"%s\" should not be in:\n%s", name, absent[i], text);
}

static void run_case(const pcase *c)
{
    session_transport tr = {fake_submit, fake_cancel, NULL};
    session s;
    session_init(&s, &tr, NULL);
    s.wall_clock = fake_wall;
    s.random01 = zero_random;
    s.p.model = xstrdup("gpt-4o-mini");
    s.p.base_url = xstrdup(c->base_url ? c->base_url : "https://api.openai.com/v1");
    s.p.api_key = xstrdup("sk-test");
    s.p.key_required = true;
    s.p.retry.max_retries = c->max_retries;
    s.p.retry.max_server_wait_s = 120;
    s.p.retry.initial_s = 1;
    s.p.retry.max_delay_s = 32;
    if (c->submit)
        assert_int_equal(session_submit(&s, "hi", 0), 0);
    if (c->status || c->net != NET_OK)
        fail_with(&s, c);
    if (c->cancel)
        session_cancel(&s, 0);

    explain_ctx cx = {.lang = GUIDE_LANG_EN};
    cx.base_url = xstrdup(s.p.base_url);
    cx.model = xstrdup("gpt-4o-mini");
    cx.status_url = xstrdup(c->status_url ? c->status_url : "https://status.openai.com/");
    cx.help_url = xstrdup("https://help.openai.com/en/");
    statuspage sp;
    statuspage_init(&sp);
    sp.text = c->sp_text ? xstrdup(c->sp_text) : NULL;
    sp.unknown = c->sp_unknown;

    size_t nqueued = 0;
    while (nqueued < 6 && c->queued[nqueued])
        nqueued++;
    panel_in in = {.s = &s,
                   .cx = &cx,
                   .sp = &sp,
                   .notice = c->notice,
                   .notice_error = c->notice_error,
                   .queued = c->queued,
                   .nqueued = nqueued,
                   .cancel_key = c->cancel_key,
                   .roomy = c->roomy};
    ui_lines l;
    lines_init(&l, 100, c->what == SHOW_DETAILS);
    if (c->what == SHOW_PANEL)
        panel_build(&l, &in, c->now);
    else
        panel_details(&l, &in, c->now);
    char *text = lines_text(&l);
    expect_in_order(c->name, text, c->want, c->absent);
    if (c->want_lines >= 0 && (int)l.n != c->want_lines)
        fail_msg("%s: %zu lines, expected %d:\n%s", c->name, l.n, c->want_lines, text);
    free(text);
    lines_free(&l);
    statuspage_done(&sp);
    explain_ctx_done(&cx);
    session_done(&s);
}

static void test_panel_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

static int64_t wall_now;
static int64_t moved_wall(void)
{
    return wall_now;
}

static void feed(session *s, worker_event_kind kind, const char *text, bool held)
{
    worker_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.job = s->job;
    ev.job_kind = JOB_CHAT;
    ev.status = 200;
    ev.held = held;
    buf_init(&ev.text);
    buf_init(&ev.body);
    hdrs_init(&ev.headers);
    if (text)
        buf_puts(&ev.text, text);
    session_handle(s, &ev, 0);
    buf_free(&ev.text);
}

static char *panel_text(const session *s)
{
    explain_ctx cx = {.lang = GUIDE_LANG_EN};
    panel_in in = {.s = s, .cx = &cx};
    ui_lines l;
    lines_init(&l, 100, false);
    panel_build(&l, &in, 0);
    char *text = lines_text(&l);
    lines_free(&l);
    return text;
}

/* A request the server holds: said, with the seconds since it was sent, ticking each second
 * until the reply begins; the seconds of a model's thinking tick too (the view shows them). */
static void test_held_and_thinking(void **state)
{
    (void)state;
    session_transport tr = {fake_submit, fake_cancel, NULL};
    session s;
    session_init(&s, &tr, NULL);
    s.wall_clock = moved_wall;
    s.p.model = xstrdup("gpt-4o-mini");
    s.p.base_url = xstrdup("http://127.0.0.1:9/v1");
    wall_now = 1700000000000LL;
    assert_int_equal(session_submit(&s, "hi", 0), 0);
    feed(&s, WEV_RESPONSE, NULL, false);
    assert_int_equal(panel_next_tick(&s, 250), -1); /* receiving: nothing counts */
    feed(&s, WEV_HELD, NULL, true);
    wall_now += 42000;
    char *text = panel_text(&s);
    static const char *const held[] = {"held by the server · gpt-4o-mini · 42 s · Esc", NULL};
    static const char *const none[] = {NULL};
    expect_in_order("held", text, held, none);
    free(text);
    assert_int_equal(panel_next_tick(&s, 250), 750);

    feed(&s, WEV_REASONING, "Let me think.", false);
    text = panel_text(&s);
    static const char *const receiving[] = {"receiving · gpt-4o-mini · Esc", NULL};
    static const char *const not_held[] = {"held", NULL};
    expect_in_order("reasoning", text, receiving, not_held);
    free(text);
    assert_true(session_thinking(&s));
    assert_int_equal(panel_next_tick(&s, 1900), 100);

    feed(&s, WEV_CONTENT, "Done.", false);
    assert_false(session_thinking(&s));
    assert_int_equal(panel_next_tick(&s, 250), -1);
    session_done(&s);
}

/* The error list: newest first, with the server's words and whether it was retried. */
static void test_errors_list(void **state)
{
    (void)state;
    errlog log;
    errlog_init(&log);
    explain_ctx cx = {.lang = GUIDE_LANG_EN};
    failure f;
    failure_init(&f);
    f.entry = GUIDE_SERVER_ERROR;
    f.type = GUIDE_T_API_ERROR;
    f.status = 500;
    f.err_message = xstrdup("The server had an error");
    retry_decision yes = {.verdict = RETRY_YES};
    errlog_add(&log, &cx, &f, &yes, 1000);
    failure_free(&f);
    failure_init(&f);
    f.entry = GUIDE_AUTH_INVALID;
    f.type = GUIDE_T_AUTHENTICATION;
    f.status = 401;
    f.request_id = xstrdup("req_2");
    retry_decision no = {.verdict = RETRY_NO_STATUS};
    errlog_add(&log, &cx, &f, &no, 2000);
    failure_free(&f);
    failure_init(&f);
    f.entry = GUIDE_CANCELLED;
    errlog_add(&log, &cx, &f, &no, 3000); /* a cancel is not a failure */
    failure_free(&f);
    assert_int_equal(log.n, 2);

    ui_lines l;
    lines_init(&l, 100, true);
    panel_errors(&l, &log, GUIDE_LANG_EN);
    char *text = lines_text(&l);
    static const char *const want[] = {"Errors of this session", "401 Invalid authentication",
                                       "Request ID: req_2", "500 Server error · APIError · retried",
                                       "The server had an error", NULL};
    static const char *const none[] = {"cancelled", NULL};
    expect_in_order("errors", text, want, none);
    free(text);
    lines_free(&l);
    errlog_free(&log);
}

/* The title bar's gauge from the rate-limit headers. */
static void test_title_gauge(void **state)
{
    (void)state;
    static const struct {
        const char *headers, *want_right;
    } rows[] = {
        {"", ""},
        {"x-ratelimit-limit-requests: 60\nx-ratelimit-remaining-requests: 59\n"
         "x-ratelimit-limit-tokens: 150000\nx-ratelimit-remaining-tokens: 149000\n"
         "x-ratelimit-reset-requests: 1s\n",
         "req 59/60 · tok 149k/150k · resets 1s "},
        {"x-ratelimit-limit-tokens: 30000000\nx-ratelimit-remaining-tokens: 29999000\n",
         "tok 29M/30M "},
        {"x-ratelimit-reset-requests: 1s\n", ""}, /* a reset alone says nothing */
        /* OpenRouter's bare headers (the reset: epoch ms, 90 s after the fake clock) */
        {"x-ratelimit-limit: 1000\nx-ratelimit-remaining: 998\nx-ratelimit-reset: 1700000090000\n",
         "req 998/1000 · resets 1 min 30 s "},
        /* Anthropic's: an RFC 3339 reset */
        {"anthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 49\n"
         "anthropic-ratelimit-requests-reset: 2023-11-14T22:13:25Z\n",
         "req 49/50 · resets 5.0 s "},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        http_headers h;
        hdrs_init(&h);
        fill_headers(&h, rows[i].headers);
        buf left, right;
        buf_init(&left);
        buf_init(&right);
        panel_title(&left, &right, "work", "gpt-4o", &h, RESET_UNIT_GUESS, fake_wall());
        assert_string_equal(buf_str(&left), " tchat · work · gpt-4o");
        assert_string_equal(buf_str(&right), rows[i].want_right);
        buf_free(&left);
        buf_free(&right);
        hdrs_free(&h);
    }
}

/* The line builder: wrapping, continuation indent, line breaks. */
static void test_lines(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int width;
        bool wrap;
        const char *text;
        const char *want; /* lines_text */
    } rows[] = {
        {"short text, one line", 40, true, "hello", "  hello\n"},
        {"no wrap keeps one row, a break shown as a space", 10, false, "one\ntwo three four",
         "  one two three four\n"},
        {"wrap at spaces (width less indent less 4), continuation three columns in", 20, true,
         "alpha beta gamma delta epsilon", "  alpha beta\n     gamma delta\n     epsilon\n"},
        {"a line break starts a new line", 40, true, "one\ntwo", "  one\n  two\n"},
        {"empty text is one empty line", 40, true, "", "  \n"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ui_lines l;
        lines_init(&l, rows[i].width, rows[i].wrap);
        lines_add(&l, ROLE_NORMAL, 2, rows[i].text);
        char *text = lines_text(&l);
        if (strcmp(text, rows[i].want) != 0)
            fail_msg("%s: got\n%s\nwant\n%s", rows[i].name, text, rows[i].want);
        free(text);
        lines_free(&l);
    }
    ui_lines l;
    lines_init(&l, 40, false);
    lines_add(&l, ROLE_ERROR, 1, "title");
    lines_set_right(&l, "req_1", ROLE_DIM);
    char *text = lines_text(&l);
    assert_string_equal(text, " title  req_1\n");
    free(text);
    lines_free(&l);
}

/* Fitting lines into fewer rows: the least important go first, the lowest of them first,
 * and what stays keeps its order. */
static void test_fit(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int ranks[8];  /* of each line; -1 ends */
        int rows;
        const char *want; /* kept lines, as their indexes */
    } rows[] = {
        {"all fit", {0, 1, 2, -1}, 3, "012"},
        {"room to spare", {0, 1, -1}, 9, "01"},
        {"the highest rank goes first", {0, 3, 1, 2, -1}, 3, "023"},
        {"equal ranks: the lowest on screen goes first", {0, 5, 5, 5, 1, -1}, 3, "014"},
        {"one row: the title", {0, 1, 1, -1}, 1, "0"},
        {"no rows", {0, 1, -1}, 0, ""},
        /* The panel at 40x12 with a countdown: title, countdown, keys. */
        {"panel: title, countdown and keys stay", {0, 4, 3, 5, 2, 1, 6, 1}, 3, "057"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ui_lines l;
        lines_init(&l, 80, false);
        for (int k = 0; k < 8 && rows[i].ranks[k] >= 0; k++) {
            l.rank = rows[i].ranks[k];
            lines_addf(&l, ROLE_NORMAL, 0, "%d", k);
        }
        bool keep[8];
        size_t kept = lines_fit(&l, rows[i].rows, keep);
        char got[9] = "";
        size_t g = 0;
        for (size_t k = 0; k < l.n; k++)
            if (keep[k])
                got[g++] = (char)('0' + k);
        got[g] = '\0';
        if (strcmp(got, rows[i].want) != 0 || kept != strlen(rows[i].want))
            fail_msg("%s: kept \"%s\", want \"%s\"", rows[i].name, got, rows[i].want);
        lines_free(&l);
    }
}

/* The help comes from the table: every key and command, in both languages. */
static void test_help_from_table(void **state)
{
    (void)state;
    size_t n;
    const ui_command *t = commands_table(&n);
    for (int lang = 0; lang < GUIDE_LANG__COUNT; lang++) {
        for (int demo = 0; demo < 2; demo++) {
            ui_lines l;
            lines_init(&l, 120, true);
            commands_help(&l, (guide_lang)lang, demo);
            char *text = lines_text(&l);
            for (size_t i = 0; i < n; i++) {
                if (!t[i].help)
                    continue;
                bool shown = !t[i].demo_only || demo;
                const char *what = t[i].name ? t[i].name : t[i].key_names;
                if (shown != (strstr(text, what) != NULL))
                    fail_msg("help (%s, demo %d): %s %s", guide_lang_code((guide_lang)lang), demo,
                             what, shown ? "missing" : "shown outside the demo");
                /* The help line is a real string of the catalog, not its key. */
                if (strcmp(guide_str((guide_lang)lang, t[i].help), t[i].help) == 0)
                    fail_msg("catalog %s has no string %s", guide_lang_code((guide_lang)lang),
                             t[i].help);
            }
            free(text);
            lines_free(&l);
        }
    }
}

/* One table: no key runs two things, every entry can be reached and explained. */
static void test_table_is_consistent(void **state)
{
    (void)state;
    size_t n;
    const ui_command *t = commands_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (!t[i].name && !t[i].key_names && !t[i].keys[0])
            fail_msg("entry %zu: neither a command nor a key", i);
        if (t[i].name && (t[i].name[0] != '/' || !t[i].run))
            fail_msg("%s: a command needs a leading / and a handler", t[i].name);
        if (t[i].name && !t[i].help)
            fail_msg("%s: a command needs a help line", t[i].name);
        for (int k = 0; k < COMMAND_KEYS_MAX && t[i].keys[k]; k++)
            for (size_t j = i + 1; j < n; j++)
                for (int m = 0; m < COMMAND_KEYS_MAX && t[j].keys[m]; m++)
                    if (t[i].keys[k] == t[j].keys[m])
                        fail_msg("key %d is in entries %zu and %zu", t[i].keys[k], i, j);
        for (size_t j = i + 1; j < n; j++)
            if (t[i].name && t[j].name && strcmp(t[i].name, t[j].name) == 0)
                fail_msg("%s is in the table twice", t[i].name);
    }
}

/* The README's list of keys and commands is the table's: a change to one without the
 * other fails here, and the message gives the text to paste. */
static void test_readme_lists_the_table(void **state)
{
    (void)state;
    FILE *f = fopen(TCHAT_SOURCE_DIR "/README.md", "r");
    assert_non_null(f);
    buf readme;
    buf_init(&readme);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&readme, chunk, got);
    fclose(f);
    static const char begin[] = "<!-- keys: generated from src/ui/commands.c -->\n";
    static const char end[] = "<!-- /keys -->";
    const char *b = strstr(buf_str(&readme), begin);
    const char *e = b ? strstr(b, end) : NULL;
    buf want;
    buf_init(&want);
    commands_markdown(&want);
    if (!b || !e)
        fail_msg("README.md has no block between \"%.*s\" and \"%s\"; it should hold:\n%s",
                 (int)sizeof begin - 2, begin, end, buf_str(&want));
    b += sizeof begin - 1;
    if ((size_t)(e - b) != want.len || memcmp(b, want.data, want.len) != 0)
        fail_msg("README.md's list of keys and commands differs from the table; it should be:\n%s",
                 buf_str(&want));
    buf_free(&want);
    buf_free(&readme);
}

int main(void)
{
    char err[256];
    if (guide_init(err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    setenv("TZ", "UTC", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_panel_cases),
        cmocka_unit_test(test_held_and_thinking),
        cmocka_unit_test(test_errors_list),
        cmocka_unit_test(test_title_gauge),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_help_from_table),
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_readme_lists_the_table),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    guide_done();
    return rc;
}
