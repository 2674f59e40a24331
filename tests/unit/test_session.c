/* The session state machine with a fake transport, a fake clock and scripted
 * worker events. Each case is a script of steps; after every step the state,
 * the number of requests sent and (where given) the reply and timer are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "guide.h"
#include "session.h"

typedef struct fake_net {
    uint64_t next_id;
    int submits;
    int cancels;
    uint64_t last_cancel;
    char *last_body;
    char *last_url;
    char *last_key;
    char *last_auth;   /* the key's header: "Authorization" or the job's auth_header */
    char *last_extra;  /* the extra headers, "Name=value;" each */
    double last_first_token; /* first_token_timeout_s */
} fake_net;

/* Frees what the fake transport kept of the last request. */
static void net_free(fake_net *n)
{
    free(n->last_body);
    free(n->last_url);
    free(n->last_key);
    free(n->last_auth);
    free(n->last_extra);
}

static uint64_t fake_submit(void *ud, const worker_job *job)
{
    fake_net *n = ud;
    n->submits++;
    net_free(n);
    n->last_body = xstrdup(job->body);
    n->last_url = xstrdup(job->url);
    n->last_key = xstrdup(job->api_key ? job->api_key : "");
    n->last_auth = xstrdup(job->auth_header ? job->auth_header : "Authorization");
    n->last_first_token = job->first_token_timeout_s;
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < job->nextra_headers; i++)
        buf_printf(&b, "%s=%s;", job->extra_headers[i].name, job->extra_headers[i].value);
    n->last_extra = buf_steal(&b);
    return ++n->next_id;
}

static void fake_cancel(void *ud, uint64_t job)
{
    fake_net *n = ud;
    n->cancels++;
    n->last_cancel = job;
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

typedef enum {
    OP_SUBMIT,   /* text: the prompt */
    OP_RESPONSE, /* status, headers */
    OP_CONTENT,  /* text */
    OP_FINISH,   /* text: finish_reason */
    OP_DONE,
    OP_FAIL,     /* net, status, headers, text: body; flag got_content */
    OP_TICK,     /* at time t */
    OP_RETRY,    /* F5 */
    OP_CANCEL,   /* Esc */
    OP_STALE,    /* a content event for an old job id: must be ignored */
    OP_END
} op_kind;

typedef struct step {
    op_kind op;
    int64_t t;            /* the monotonic clock for this step */
    long status;
    net_result net;
    const char *headers;  /* "name: value\n..." */
    const char *text;
    session_state want_state;
    int want_submits;
    int64_t want_timeout; /* session_next_timeout after the step; -2: don't check */
    const char *want_reply; /* the last assistant message's text, or NULL: don't check */
} step;

typedef struct scase {
    const char *name;
    int max_retries;
    double max_server_wait;
    bool no_key;          /* the profile needs a key and has none */
    const char *system;
    step steps[16];
    /* Checked at the end */
    int want_entry;       /* guide entry of the last failure, or -1 for none */
    retry_verdict want_verdict;
    unsigned want_prompt_flags;
    unsigned want_reply_flags;
    size_t want_msgs;
} scase;

#define S(...) ((step){__VA_ARGS__})
#define NOCHK .want_timeout = -2

static const scase cases[] = {
    {"streamed reply", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, .want_timeout = -1),
      S(OP_RESPONSE, 10, 200, .headers = "content-type: text/event-stream\n",
        .want_state = SESSION_STREAMING, .want_submits = 1, NOCHK),
      S(OP_CONTENT, 20, .text = "Hel", .want_state = SESSION_STREAMING, .want_submits = 1, NOCHK,
        .want_reply = "Hel"),
      S(OP_CONTENT, 30, .text = "lo", .want_state = SESSION_STREAMING, .want_submits = 1, NOCHK,
        .want_reply = "Hello"),
      S(OP_FINISH, 31, .text = "stop", .want_state = SESSION_STREAMING, .want_submits = 1, NOCHK),
      S(OP_DONE, 40, .want_state = SESSION_IDLE, .want_submits = 1, .want_timeout = -1,
        .want_reply = "Hello"),
      S(.op = OP_END)},
     -1, RETRY_YES, 0, 0, 2},
    {"429 retry-after counts down, then succeeds", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 100, 429, NET_OK, "retry-after: 2\n",
        "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini on requests per min (RPM)\","
        "\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}",
        .want_state = SESSION_WAITING, .want_submits = 1, .want_timeout = 2000),
      S(OP_TICK, 1000, .want_state = SESSION_WAITING, .want_submits = 1, .want_timeout = 1100),
      S(OP_TICK, 2099, .want_state = SESSION_WAITING, .want_submits = 1, .want_timeout = 1),
      S(OP_TICK, 2100, .want_state = SESSION_SENDING, .want_submits = 2, .want_timeout = -1),
      S(OP_CONTENT, 2200, .text = "ok", .want_state = SESSION_SENDING, .want_submits = 2, NOCHK),
      S(OP_DONE, 2300, .want_state = SESSION_IDLE, .want_submits = 2, .want_reply = "ok", NOCHK),
      S(.op = OP_END)},
     -1, RETRY_YES, 0, 0, 2},
    {"401 is never retried and the prompt is kept", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 50, 401, NET_OK, "x-request-id: req_1\n",
        "{\"error\":{\"message\":\"Incorrect API key provided: sk-ab***wxyz.\","
        "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
        .want_state = SESSION_FAILED, .want_submits = 1, .want_timeout = -1),
      S(OP_TICK, 100000, .want_state = SESSION_FAILED, .want_submits = 1, .want_timeout = -1),
      S(.op = OP_END)},
     GUIDE_AUTH_INCORRECT_KEY, RETRY_NO_STATUS, MSG_FAILED, 0, 1},
    {"quota is never retried", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 50, 429, NET_OK, "retry-after: 1\n",
        "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan and "
        "billing details.\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}",
        .want_state = SESSION_FAILED, .want_submits = 1, .want_timeout = -1),
      S(.op = OP_END)},
     GUIDE_QUOTA, RETRY_NO_QUOTA, MSG_FAILED, 0, 1},
    {"500 five times: backoff 1, 2, 4, 8 s, then gives up", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 0, 500, .want_state = SESSION_WAITING, .want_submits = 1, .want_timeout = 1000),
      S(OP_TICK, 1000, .want_state = SESSION_SENDING, .want_submits = 2, NOCHK),
      S(OP_FAIL, 1000, 500, .want_state = SESSION_WAITING, .want_submits = 2, .want_timeout = 2000),
      S(OP_TICK, 3000, .want_state = SESSION_SENDING, .want_submits = 3, NOCHK),
      S(OP_FAIL, 3000, 500, .want_state = SESSION_WAITING, .want_submits = 3, .want_timeout = 4000),
      S(OP_TICK, 7000, .want_state = SESSION_SENDING, .want_submits = 4, NOCHK),
      S(OP_FAIL, 7000, 500, .want_state = SESSION_WAITING, .want_submits = 4, .want_timeout = 8000),
      S(OP_TICK, 15000, .want_state = SESSION_SENDING, .want_submits = 5, NOCHK),
      S(OP_FAIL, 15000, 500, .want_state = SESSION_FAILED, .want_submits = 5, .want_timeout = -1),
      S(.op = OP_END)},
     GUIDE_SERVER_ERROR, RETRY_NO_EXHAUSTED, MSG_FAILED, 0, 1},
    {"max_retries 0 explains but does not retry", 0, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 0, 503, .want_state = SESSION_FAILED, .want_submits = 1, .want_timeout = -1),
      S(.op = OP_END)},
     GUIDE_SERVER_ERROR, RETRY_NO_DISABLED, MSG_FAILED, 0, 1},
    {"stream cut after content: partial reply kept, not retried", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_RESPONSE, 1, 200, .want_state = SESSION_STREAMING, .want_submits = 1, NOCHK),
      S(OP_CONTENT, 2, .text = "partial", .want_state = SESSION_STREAMING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 3, 200, NET_STREAM_CUT, .want_state = SESSION_FAILED, .want_submits = 1,
        .want_timeout = -1, .want_reply = "partial"),
      S(.op = OP_END)},
     GUIDE_STREAM_INTERRUPTED, RETRY_NO_CONTENT, 0, MSG_INTERRUPTED, 2},
    {"stream cut before content is retried", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_RESPONSE, 1, 200, .want_state = SESSION_STREAMING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 3, 200, NET_STREAM_CUT, .want_state = SESSION_WAITING, .want_submits = 1,
        .want_timeout = 1000),
      S(.op = OP_END)},
     GUIDE_STREAM_INTERRUPTED, RETRY_YES, 0, 0, 1},
    {"Esc while sending cancels at once; late events are ignored", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_CANCEL, 5, .want_state = SESSION_FAILED, .want_submits = 1, .want_timeout = -1),
      S(OP_STALE, 6, .text = "late", .want_state = SESSION_FAILED, .want_submits = 1, NOCHK),
      S(.op = OP_END)},
     GUIDE_CANCELLED, RETRY_NO_CANCELLED, MSG_FAILED, 0, 1},
    {"Esc during a countdown stops it", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 0, 502, .want_state = SESSION_WAITING, .want_submits = 1, .want_timeout = 1000),
      S(OP_CANCEL, 500, .want_state = SESSION_FAILED, .want_submits = 1, .want_timeout = -1),
      S(OP_TICK, 5000, .want_state = SESSION_FAILED, .want_submits = 1, .want_timeout = -1),
      S(.op = OP_END)},
     GUIDE_CANCELLED, RETRY_NO_CANCELLED, MSG_FAILED, 0, 1},
    {"F5 during a countdown retries now", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 0, 429, NET_OK, "retry-after: 30\n", .want_state = SESSION_WAITING,
        .want_submits = 1, .want_timeout = 30000),
      S(OP_RETRY, 10, .want_state = SESSION_SENDING, .want_submits = 2, .want_timeout = -1),
      S(OP_DONE, 20, .want_state = SESSION_IDLE, .want_submits = 2, NOCHK),
      S(.op = OP_END)},
     -1, RETRY_YES, 0, 0, 1},
    {"F5 after a failure resends the kept prompt", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 0, 400, .want_state = SESSION_FAILED, .want_submits = 1, NOCHK),
      S(OP_RETRY, 10, .want_state = SESSION_SENDING, .want_submits = 2, NOCHK),
      S(OP_CONTENT, 11, .text = "yes", .want_state = SESSION_SENDING, .want_submits = 2, NOCHK),
      S(OP_DONE, 20, .want_state = SESSION_IDLE, .want_submits = 2, .want_reply = "yes", NOCHK),
      S(.op = OP_END)},
     -1, RETRY_YES, 0, 0, 2},
    {"F5 when idle regenerates the last reply", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_CONTENT, 1, .text = "first", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_DONE, 2, .want_state = SESSION_IDLE, .want_submits = 1, NOCHK),
      S(OP_RETRY, 3, .want_state = SESSION_SENDING, .want_submits = 2, NOCHK),
      S(OP_CONTENT, 4, .text = "second", .want_state = SESSION_SENDING, .want_submits = 2, NOCHK),
      S(OP_DONE, 5, .want_state = SESSION_IDLE, .want_submits = 2, .want_reply = "second", NOCHK),
      S(.op = OP_END)},
     -1, RETRY_YES, 0, 0, 2},
    {"no key: explained, nothing sent", 4, 120, true, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_FAILED, .want_submits = 0,
        .want_timeout = -1),
      S(.op = OP_END)},
     GUIDE_NO_KEY, RETRY_NO_STATUS, MSG_FAILED, 0, 1},
    {"a server wait beyond max_server_wait is not taken automatically", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 0, 429, NET_OK, "retry-after: 3600\n", .want_state = SESSION_FAILED,
        .want_submits = 1, .want_timeout = -1),
      S(.op = OP_END)},
     GUIDE_RATE_LIMIT, RETRY_NO_TOO_LONG, MSG_FAILED, 0, 1},
    {"a reply that does not begin in time is retried, as a timeout is", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_RESPONSE, 10, 200, .headers = "content-type: text/event-stream\n",
        .want_state = SESSION_STREAMING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 600010, 200, NET_TIMEOUT_FIRST_TOKEN, .want_state = SESSION_WAITING,
        .want_submits = 1, .want_timeout = 1000),
      S(.op = OP_END)},
     GUIDE_FIRST_TOKEN_TIMEOUT, RETRY_YES, 0, 0, 1},
    {"x-should-retry: false stops a 500 from being retried", 4, 120, false, NULL,
     {S(OP_SUBMIT, 0, .text = "hi", .want_state = SESSION_SENDING, .want_submits = 1, NOCHK),
      S(OP_FAIL, 0, 500, NET_OK, "x-should-retry: false\n", .want_state = SESSION_FAILED,
        .want_submits = 1, .want_timeout = -1),
      S(.op = OP_END)},
     GUIDE_SERVER_ERROR, RETRY_NO_HEADER, MSG_FAILED, 0, 1},
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

static worker_event *make_event(worker_event_kind kind, uint64_t job)
{
    worker_event *ev = xcalloc(1, sizeof *ev);
    ev->kind = kind;
    ev->job = job;
    ev->job_kind = JOB_CHAT;
    buf_init(&ev->text);
    buf_init(&ev->body);
    hdrs_init(&ev->headers);
    return ev;
}

static void free_event(worker_event *ev)
{
    buf_free(&ev->text);
    buf_free(&ev->body);
    hdrs_free(&ev->headers);
    free(ev->detail);
    free(ev);
}

static const char *last_reply(const session *s)
{
    if (!s->nmsgs || s->msgs[s->nmsgs - 1].role != API_ROLE_ASSISTANT)
        return "";
    return buf_str(&s->msgs[s->nmsgs - 1].text);
}

/* A session on the fake transport and clock, for the tests below the table. */
static void session_start(session *s, fake_net *net, const session_observer *obs,
                          const char *base_url, const char *key)
{
    session_transport tr = {fake_submit, fake_cancel, net};
    session_init(s, &tr, obs);
    s->wall_clock = fake_wall;
    s->random01 = zero_random;
    s->p.model = xstrdup("m");
    s->p.base_url = xstrdup(base_url);
    s->p.api_key = xstrdup(key);
    s->p.key_required = false;
}

static void session_stop(session *s, fake_net *net)
{
    session_done(s);
    net_free(net);
}

static void run_case(const scase *c)
{
    fake_net net = {0};
    session_transport tr = {fake_submit, fake_cancel, &net};
    session s;
    session_init(&s, &tr, NULL);
    s.wall_clock = fake_wall;
    s.random01 = zero_random;
    s.p.model = xstrdup("gpt-4o-mini");
    s.p.base_url = xstrdup("https://api.openai.com/v1");
    s.p.api_key = xstrdup(c->no_key ? "" : "sk-test");
    s.p.key_required = true;
    s.p.system = c->system ? xstrdup(c->system) : NULL;
    s.p.retry.max_retries = c->max_retries;
    s.p.retry.max_server_wait_s = c->max_server_wait;

    for (const step *st = c->steps; st->op != OP_END; st++) {
        worker_event *ev = NULL;
        switch (st->op) {
        case OP_SUBMIT:
            assert_int_equal(session_submit(&s, st->text, st->t), 0);
            break;
        case OP_RESPONSE:
            ev = make_event(WEV_RESPONSE, s.job);
            ev->status = st->status;
            fill_headers(&ev->headers, st->headers);
            break;
        case OP_CONTENT:
        case OP_STALE:
            ev = make_event(WEV_CONTENT, st->op == OP_STALE ? 1 : s.job);
            buf_puts(&ev->text, st->text);
            break;
        case OP_FINISH:
            ev = make_event(WEV_FINISH, s.job);
            buf_puts(&ev->text, st->text);
            break;
        case OP_DONE:
            ev = make_event(WEV_DONE, s.job);
            break;
        case OP_FAIL:
            ev = make_event(WEV_FAILED, s.job);
            ev->net = st->net;
            ev->status = st->status;
            fill_headers(&ev->headers, st->headers);
            if (st->text)
                buf_puts(&ev->body, st->text);
            break;
        case OP_TICK:
            session_tick(&s, st->t);
            break;
        case OP_RETRY:
            assert_int_equal(session_retry_now(&s, st->t), 0);
            break;
        case OP_CANCEL: {
            /* Only a request in flight has a job for the transport to cancel. */
            bool in_flight = s.state == SESSION_SENDING || s.state == SESSION_STREAMING;
            session_cancel(&s, st->t);
            assert_int_equal(net.cancels, in_flight ? 1 : 0);
            break;
        }
        case OP_END:
            break;
        }
        if (ev) {
            session_handle(&s, ev, st->t);
            free_event(ev);
        }
        if (s.state != st->want_state)
            fail_msg("%s: step %td: state %s, expected %s", c->name, st - c->steps,
                     session_state_name(s.state), session_state_name(st->want_state));
        if (net.submits != st->want_submits)
            fail_msg("%s: step %td: %d requests, expected %d", c->name, st - c->steps,
                     net.submits, st->want_submits);
        if (st->want_timeout != -2 && session_next_timeout(&s, st->t) != st->want_timeout)
            fail_msg("%s: step %td: timeout %lld, expected %lld", c->name, st - c->steps,
                     (long long)session_next_timeout(&s, st->t), (long long)st->want_timeout);
        if (st->want_reply && strcmp(last_reply(&s), st->want_reply) != 0)
            fail_msg("%s: step %td: reply '%s', expected '%s'", c->name, st - c->steps,
                     last_reply(&s), st->want_reply);
    }

    if (c->want_entry < 0) {
        if (s.has_failure)
            fail_msg("%s: unexpected failure %s", c->name, guide_entry_id(s.last_failure.entry));
    } else {
        if (!s.has_failure)
            fail_msg("%s: no failure recorded", c->name);
        if ((int)s.last_failure.entry != c->want_entry)
            fail_msg("%s: entry %s, expected %s", c->name, guide_entry_id(s.last_failure.entry),
                     guide_entry_id((guide_entry)c->want_entry));
        if (s.last_decision.verdict != c->want_verdict)
            fail_msg("%s: verdict '%s', expected '%s'", c->name,
                     retry_verdict_text(s.last_decision.verdict), retry_verdict_text(c->want_verdict));
    }
    if (s.nmsgs != c->want_msgs)
        fail_msg("%s: %zu messages, expected %zu", c->name, s.nmsgs, c->want_msgs);
    if ((s.msgs[0].flags & (MSG_FAILED | MSG_PENDING)) != c->want_prompt_flags)
        fail_msg("%s: prompt flags %#x, expected %#x", c->name, s.msgs[0].flags,
                 c->want_prompt_flags);
    if (s.nmsgs > 1 && (s.msgs[1].flags & (MSG_INTERRUPTED | MSG_PENDING)) != c->want_reply_flags)
        fail_msg("%s: reply flags %#x, expected %#x", c->name, s.msgs[1].flags,
                 c->want_reply_flags);

    session_done(&s);
    net_free(&net);
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

/* The request carries the system prompt and the conversation, but not a
 * prompt that failed and was never answered. */
static void test_request_history(void **state)
{
    (void)state;
    fake_net net = {0};
    session s;
    session_start(&s, &net, NULL, "http://127.0.0.1:9/v1", "");
    s.p.system = xstrdup("be brief");

    session_submit(&s, "first", 0);
    assert_string_equal(net.last_url, "http://127.0.0.1:9/v1/chat/completions");
    assert_string_equal(net.last_key, "");
    worker_event *ev = make_event(WEV_FAILED, s.job);
    ev->status = 400;
    session_handle(&s, ev, 1);
    free_event(ev);
    assert_int_equal(s.state, SESSION_FAILED);

    session_submit(&s, "second", 2);
    assert_non_null(strstr(net.last_body, "\"be brief\""));
    assert_non_null(strstr(net.last_body, "\"second\""));
    assert_null(strstr(net.last_body, "\"first\""));
    ev = make_event(WEV_CONTENT, s.job);
    buf_puts(&ev->text, "answer");
    session_handle(&s, ev, 3);
    free_event(ev);
    ev = make_event(WEV_DONE, s.job);
    session_handle(&s, ev, 4);
    free_event(ev);

    session_submit(&s, "third", 5);
    const char *b = net.last_body;
    const char *p1 = strstr(b, "\"second\""), *p2 = strstr(b, "\"answer\""), *p3 = strstr(b, "\"third\"");
    assert_true(p1 && p2 && p3 && p1 < p2 && p2 < p3);
    session_stop(&s, &net);
}

typedef struct warnings {
    int n;
    char *host; /* the last one warned about */
} warnings;

static void count_warning(void *ud, const char *host)
{
    warnings *w = ud;
    w->n++;
    free(w->host);
    w->host = xstrdup(host);
}

/* The key does not go unencrypted to another machine unless allow_insecure_http says so;
 * then the observer hears of it once, before the first such request. */
static void test_key_in_clear(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *base_url;
        const char *key;
        bool send_key;
        bool allow;
        int want_submits;    /* of two prompts */
        int want_entry;      /* of the last failure, -1 for none */
        int want_warnings;
        const char *want_host;
    } clear_cases[] = {
        {"https: sent", "https://api.openai.com/v1", "sk-test", true, false, 2, -1, 0, NULL},
        {"http to another machine: refused, nothing sent", "http://10.0.0.5:8080/v1", "sk-test",
         true, false, 0, GUIDE_INSECURE_HTTP, 0, NULL},
        {"http to a name: refused", "HTTP://llm.example.com/v1", "sk-test", true, false, 0,
         GUIDE_INSECURE_HTTP, 0, NULL},
        {"http to loopback: sent", "http://127.0.0.1:8080/v1", "sk-test", true, false, 2, -1, 0,
         NULL},
        {"http to localhost: sent", "http://localhost:11434/v1", "sk-test", true, false, 2, -1, 0,
         NULL},
        {"http with needs_key false: no key, sent", "http://10.0.0.5/v1", "sk-test", false, false,
         2, -1, 0, NULL},
        {"http with no key at all: sent", "http://10.0.0.5/v1", "", true, false, 2, -1, 0, NULL},
        {"allowed: sent, warned once", "http://u:pw@10.0.0.5:8080/v1", "sk-test", true, true, 2,
         -1, 1, "10.0.0.5:8080"},
    };
    for (size_t i = 0; i < sizeof clear_cases / sizeof clear_cases[0]; i++) {
        fake_net net = {0};
        warnings warned = {0, NULL};
        session_observer obs = {.key_in_clear = count_warning, .ud = &warned};
        session s;
        session_start(&s, &net, &obs, clear_cases[i].base_url, clear_cases[i].key);
        s.p.send_key = clear_cases[i].send_key;
        s.p.allow_insecure_http = clear_cases[i].allow;
        for (int k = 0; k < 2; k++) {
            session_submit(&s, "hi", k * 10);
            if (s.state == SESSION_SENDING) {
                worker_event *ev = make_event(WEV_DONE, s.job);
                session_handle(&s, ev, k * 10 + 1);
                free_event(ev);
            }
        }
        if (net.submits != clear_cases[i].want_submits)
            fail_msg("%s: %d requests, want %d", clear_cases[i].name, net.submits, clear_cases[i].want_submits);
        int entry = s.has_failure ? (int)s.last_failure.entry : -1;
        if (entry != clear_cases[i].want_entry)
            fail_msg("%s: entry %d, want %d", clear_cases[i].name, entry, clear_cases[i].want_entry);
        if (entry == GUIDE_INSECURE_HTTP && s.last_decision.verdict == RETRY_YES)
            fail_msg("%s: retried", clear_cases[i].name);
        if (warned.n != clear_cases[i].want_warnings)
            fail_msg("%s: %d warnings, want %d", clear_cases[i].name, warned.n,
                     clear_cases[i].want_warnings);
        if (clear_cases[i].want_host && strcmp(warned.host, clear_cases[i].want_host) != 0)
            fail_msg("%s: warned about \"%s\"", clear_cases[i].name, warned.host);
        free(warned.host);
        session_stop(&s, &net);
    }
}

/* https:// to a plain-HTTP server: the failure names the URL that works, password masked. */
static void test_plain_http_suggestion(void **state)
{
    (void)state;
    fake_net net = {0};
    session s;
    session_start(&s, &net, NULL, "https://u:secretpw@127.0.0.1:8080/v1", "");
    session_submit(&s, "hi", 0);
    worker_event *ev = make_event(WEV_FAILED, s.job);
    ev->net = NET_TLS;
    ev->detail = xstrdup("OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number");
    session_handle(&s, ev, 1);
    free_event(ev);
    assert_int_equal(s.state, SESSION_FAILED);
    assert_int_equal(s.last_failure.entry, GUIDE_TLS_PLAIN_HTTP);
    assert_int_equal(s.last_decision.verdict, RETRY_NO_STATUS);
    assert_string_equal(s.last_failure.detail,
                        "OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number; the "
                        "server answered in plain HTTP: use http://u:***@127.0.0.1:8080/v1");
    session_stop(&s, &net);
}

/* A reply past max_reply_bytes stops: the transfer is cancelled, what fits is kept (on a
 * whole character), the reply is marked and the failure says why; one-shot sessions,
 * which keep nothing, never stop. */
static void test_long_reply_stopped(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        size_t cap;
        bool stream_only;
        const char *deltas[4];
        const char *want_reply;
        bool want_stopped;
    } rows[] = {
        {"under the cap", 16, false, {"hello ", "world"}, "hello world", false},
        {"exactly the cap", 11, false, {"hello ", "world"}, "hello world", false},
        {"over the cap: cut and stopped", 8, false, {"hello ", "world", "more"}, "hello wo", true},
        {"never inside a character", 7, false, {"hello ", "\xe4\xbd\xa0\xe5\xa5\xbd"}, "hello ", true},
        {"no cap", 0, false, {"hello ", "world"}, "hello world", false},
        {"one-shot never stops", 4, true, {"hello ", "world"}, "", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        fake_net net = {0};
        session_transport tr = {fake_submit, fake_cancel, &net};
        session s;
        session_init(&s, &tr, NULL);
        s.wall_clock = fake_wall;
        s.random01 = zero_random;
        s.p.model = xstrdup("m");
        s.p.base_url = xstrdup("http://127.0.0.1:1/v1");
        s.p.max_reply_bytes = rows[i].cap;
        s.stream_only = rows[i].stream_only;
        assert_int_equal(session_submit(&s, "hi", 0), 0);
        uint64_t job = s.job;
        for (int k = 0; k < 4 && rows[i].deltas[k]; k++) {
            worker_event *ev = make_event(WEV_CONTENT, job);
            buf_puts(&ev->text, rows[i].deltas[k]);
            session_handle(&s, ev, 1);
            free_event(ev);
        }
        if (!rows[i].want_stopped && s.state == SESSION_SENDING) {
            worker_event *ev = make_event(WEV_DONE, job);
            session_handle(&s, ev, 2);
            free_event(ev);
        }
        if (strcmp(last_reply(&s), rows[i].want_reply) != 0)
            fail_msg("%s: reply \"%s\", expected \"%s\"", rows[i].name, last_reply(&s),
                     rows[i].want_reply);
        if (rows[i].want_stopped) {
            if (s.state != SESSION_FAILED || s.last_failure.entry != GUIDE_REPLY_TOO_LONG ||
                net.cancels != 1 || !(s.msgs[s.nmsgs - 1].flags & MSG_INTERRUPTED) ||
                s.last_decision.verdict == RETRY_YES)
                fail_msg("%s: not stopped as it should be (state %s, %d cancels)", rows[i].name,
                         session_state_name(s.state), net.cancels);
        } else if (s.state != SESSION_IDLE || net.cancels) {
            fail_msg("%s: stopped (state %s)", rows[i].name, session_state_name(s.state));
        }
        session_done(&s);
        net_free(&net);
    }
}

/* What a request looks like for a profile's provider: session_configure reads the config,
 * start_attempt shapes the request. */
static const char *const cfg_env[] = {
    "AZURE_OPENAI_API_KEY", "az-key-0123456789", "GROQ_API_KEY", "gsk-0123456789ab",
    "OPENAI_API_KEY", "sk-openai-0123456789", NULL};

static const char *cfg_getenv(const char *name)
{
    for (const char *const *p = cfg_env; *p; p += 2)
        if (!strcmp(p[0], name))
            return p[1];
    return NULL;
}

static void test_configure_provider(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        config_override flags[4];
        const char *url;   /* NULL: nothing sent (no-key) */
        const char *key;
        const char *auth;
        const char *extra;
    } pcases[] = {
        {"Azure deployments: api-key, the deployment and api-version in the URL",
         {{OPT_PROVIDER, "azure"}, {OPT_BASE_URL, "https://res.openai.azure.com"},
          {OPT_MODEL, "gpt4o-prod"}},
         "https://res.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions"
         "?api-version=2024-10-21",
         "az-key-0123456789", "api-key", ""},
        {"Azure v1: the plain scheme",
         {{OPT_BASE_URL, "https://res.openai.azure.com/openai/v1"}, {OPT_MODEL, "gpt4o-prod"}},
         "https://res.openai.azure.com/openai/v1/chat/completions", "az-key-0123456789",
         "Authorization", ""},
        {"Groq on loopback needs its key: sent",
         {{OPT_PROVIDER, "groq"}, {OPT_BASE_URL, "http://127.0.0.1:9/v1"}},
         "http://127.0.0.1:9/v1/chat/completions", "gsk-0123456789ab", "Authorization", ""},
        {"loopback is local: no key needed, none read, sent",
         {{OPT_BASE_URL, "http://127.0.0.1:9/v1"}}, "http://127.0.0.1:9/v1/chat/completions", "",
         "Authorization", ""},
        {"openai named on loopback without its key: no-key, nothing sent",
         {{OPT_PROVIDER, "openai"}, {OPT_BASE_URL, "http://127.0.0.1:9/v1"},
          {OPT_API_KEY_ENV, "UNSET_VAR"}},
         NULL, "", "", ""},
        {"extra headers go with the request",
         {{OPT_PROVIDER, "openrouter"}, {OPT_API_KEY_ENV, "GROQ_API_KEY"},
          {OPT_EXTRA_HEADERS, "{\"HTTP-Referer\": \"https://e.org\", \"X-Title\": \"tchat\"}"}},
         "https://openrouter.ai/api/v1/chat/completions", "gsk-0123456789ab", "Authorization",
         "HTTP-Referer=https://e.org;X-Title=tchat;"},
    };
    for (size_t i = 0; i < sizeof pcases / sizeof *pcases; i++) {
        size_t n = 0;
        while (n < 4 && pcases[i].flags[n].value)
            n++;
        config_load_args a = {.path = "/nonexistent/tchat/config.json",
                              .overrides = pcases[i].flags,
                              .noverrides = n,
                              .getenv_fn = cfg_getenv};
        config c;
        char err[256];
        if (config_load(&c, &a, err, sizeof err) != 0)
            fail_msg("%s: %s", pcases[i].name, err);
        fake_net net = {0};
        session s;
        session_start(&s, &net, NULL, "x", "");
        session_configure(&s, &c);
        session_submit(&s, "hi", 0);
        if (!pcases[i].url) {
            if (net.submits != 0 || !s.has_failure || s.last_failure.entry != GUIDE_NO_KEY)
                fail_msg("%s: %d requests", pcases[i].name, net.submits);
        } else {
            assert_int_equal(net.submits, 1);
            if (strcmp(net.last_url, pcases[i].url) != 0)
                fail_msg("%s: URL %s", pcases[i].name, net.last_url);
            assert_string_equal(net.last_key, pcases[i].key);
            assert_string_equal(net.last_auth, pcases[i].auth);
            assert_string_equal(net.last_extra, pcases[i].extra);
        }
        session_stop(&s, &net);
        config_free(&c);
    }
}

/* A server that echoes a secret header back: it is masked like the key. */
static void test_secret_header_masked(void **state)
{
    (void)state;
    static const config_override flags[] = {
        {OPT_BASE_URL, "https://gw.example/v1"},
        {OPT_EXTRA_HEADERS, "{\"X-Gateway-Token\": \"Bearer gwtok-abcdefghijkl\"}"}};
    config_load_args a = {.path = "/nonexistent/tchat/config.json", .overrides = flags,
                          .noverrides = 2, .getenv_fn = cfg_getenv};
    config c;
    char err[256];
    assert_int_equal(config_load(&c, &a, err, sizeof err), 0);
    fake_net net = {0};
    session s;
    session_start(&s, &net, NULL, "x", "");
    session_configure(&s, &c);
    session_submit(&s, "hi", 0);
    worker_event *ev = make_event(WEV_FAILED, s.job);
    ev->status = 401;
    hdrs_add(&ev->headers, "x-echo", 6, "gwtok-abcdefghijkl", 18);
    buf_puts(&ev->body, "{\"error\": {\"message\": \"bad token gwtok-abcdefghijkl\"}}");
    session_handle(&s, ev, 1);
    free_event(ev);
    assert_true(s.has_failure);
    assert_null(strstr(s.last_failure.err_message, "abcdefghijkl"));
    assert_null(strstr(hdrs_get(&s.resp_headers, "x-echo"), "abcdefghijkl"));
    buf t;
    buf_init(&t);
    buf_puts(&t, "Bearer gwtok-abcdefghijkl and sk-openai-0123456789");
    session_redact(&s.p, &t);
    assert_null(strstr(buf_str(&t), "abcdefghijkl"));
    buf_free(&t);
    session_stop(&s, &net);
    config_free(&c);
}

/* The wall clock of the reasoning tests: moved by hand. */
static int64_t wall_now;
static int64_t moved_wall(void)
{
    return wall_now;
}

static void send_text(session *s, worker_event_kind kind, const char *text, int64_t wall)
{
    wall_now = wall;
    worker_event *ev = make_event(kind, s->job);
    buf_puts(&ev->text, text);
    session_handle(s, ev, 0);
    free_event(ev);
}

static void send_event(session *s, worker_event_kind kind, bool held)
{
    worker_event *ev = make_event(kind, s->job);
    ev->held = held;
    ev->net = NET_STREAM_CUT;
    ev->got_content = true;
    session_handle(s, ev, 0);
    free_event(ev);
}

static void count_reasoning(void *ud, const char *text, size_t len)
{
    (void)text;
    *(size_t *)ud += len;
}

/* Reasoning is kept apart from the answer, timed from its first delta to the answer's, told
 * to the observer, never sent back to the server, and counted in max_reply_bytes; a server
 * that holds the request says so until the reply begins. */
static void test_reasoning(void **state)
{
    (void)state;
    fake_net net = {0};
    size_t heard = 0;
    session_observer obs = {.reasoning = count_reasoning, .ud = &heard};
    session s;
    session_start(&s, &net, &obs, "http://127.0.0.1:9/v1", "");
    s.wall_clock = moved_wall;
    s.p.first_token_timeout_s = 42;
    wall_now = 1000;
    session_submit(&s, "2+2?", 0);
    assert_true(net.last_first_token == 42);
    worker_event *ev = make_event(WEV_RESPONSE, s.job);
    ev->status = 200;
    session_handle(&s, ev, 0);
    free_event(ev);
    send_event(&s, WEV_HELD, true);
    assert_true(s.held);
    send_text(&s, WEV_REASONING, "Two and ", 5000);
    assert_false(s.held);
    const chat_msg *r = &s.msgs[1];
    assert_int_equal(r->role, API_ROLE_ASSISTANT);
    assert_true(r->thinking);
    send_text(&s, WEV_REASONING, "two.", 9000);
    send_event(&s, WEV_HELD, false);
    assert_false(s.held);
    assert_string_equal(buf_str(&r->reasoning), "Two and two.");
    assert_string_equal(buf_str(&r->text), "");
    assert_int_equal(r->think_ms, -1);
    send_text(&s, WEV_CONTENT, "Four", 17000);
    assert_false(r->thinking);
    assert_int_equal(r->think_ms, 12000); /* from the first reasoning to the answer */
    send_text(&s, WEV_REASONING, " (late)", 18000);
    assert_int_equal(r->think_ms, 12000);
    send_event(&s, WEV_DONE, false);
    assert_int_equal(s.state, SESSION_IDLE);
    assert_int_equal(heard, strlen("Two and two. (late)"));

    /* The next request carries the answer, not the reasoning. */
    session_submit(&s, "and 3+3?", 20);
    assert_non_null(strstr(net.last_body, "\"Four\""));
    assert_null(strstr(net.last_body, "Two and"));
    assert_null(strstr(net.last_body, "reasoning"));
    assert_false(s.held);

    /* Cut while thinking: the reasoning is the reply's beginning, kept, not retried. */
    send_text(&s, WEV_REASONING, "Three and", 30000);
    wall_now = 31500;
    send_event(&s, WEV_FAILED, false);
    assert_int_equal(s.state, SESSION_FAILED);
    assert_int_equal(s.last_failure.entry, GUIDE_STREAM_INTERRUPTED);
    assert_int_equal(s.last_decision.verdict, RETRY_NO_CONTENT);
    r = &s.msgs[3];
    assert_true(r->flags & MSG_INTERRUPTED);
    assert_false(r->thinking);
    assert_int_equal(r->think_ms, 1500);
    /* Reasoning alone is no answer: the prompt is one to send again (F5)... */
    assert_true(s.msgs[2].flags & MSG_FAILED);
    /* ...and neither it nor its reasoning-only reply is in the next request, which never
     * has two user messages in a row. */
    session_submit(&s, "again", 40);
    assert_null(strstr(net.last_body, "Three and"));
    assert_null(strstr(net.last_body, "and 3+3?"));
    assert_non_null(strstr(net.last_body, "\"again\""));
    assert_non_null(strstr(net.last_body, "\"Four\""));
    /* A reply that ended well with reasoning and no text (its tokens spent on thinking)
     * leaves its prompt out of the next request too. */
    send_text(&s, WEV_REASONING, "Hmm.", 50000);
    send_event(&s, WEV_DONE, false);
    assert_int_equal(s.state, SESSION_IDLE);
    session_submit(&s, "once more", 60);
    assert_null(strstr(net.last_body, "\"again\""));
    assert_non_null(strstr(net.last_body, "\"once more\""));
    /* Reasoning after the answer began does not start thinking again. */
    send_text(&s, WEV_CONTENT, "Yes", 70000);
    send_text(&s, WEV_REASONING, "late", 71000);
    assert_false(s.msgs[s.nmsgs - 1].thinking);
    session_stop(&s, &net);
    memset(&net, 0, sizeof net);

    /* The reasoning counts toward max_reply_bytes. */
    session_start(&s, &net, NULL, "http://127.0.0.1:9/v1", "");
    s.p.max_reply_bytes = 8;
    session_submit(&s, "hi", 0);
    send_text(&s, WEV_REASONING, "hello ", 0);
    send_text(&s, WEV_CONTENT, "world", 0);
    assert_int_equal(s.state, SESSION_FAILED);
    assert_int_equal(s.last_failure.entry, GUIDE_REPLY_TOO_LONG);
    assert_string_equal(last_reply(&s), "wo");
    session_stop(&s, &net);
    memset(&net, 0, sizeof net);

    /* One-shot keeps nothing, reasoning included, but tells the observer. */
    heard = 0;
    session_start(&s, &net, &obs, "http://127.0.0.1:9/v1", "");
    s.stream_only = true;
    session_submit(&s, "hi", 0);
    send_text(&s, WEV_REASONING, "hmm", 0);
    assert_int_equal(s.msgs[1].reasoning.len, 0);
    assert_int_equal(heard, 3);
    session_stop(&s, &net);
}

/* A template that opened <think> in the prompt: the content is the reasoning, a lone
 * "</think>" and the answer. Once the reply is whole, the reasoning is moved apart (folded
 * in the chat, kept in the file, not sent back); a reply that merely mentions the tag is
 * left as it is. */
static void test_lone_think(void **state)
{
    (void)state;
    fake_net net = {0};
    session s;
    session_start(&s, &net, NULL, "http://127.0.0.1:9/v1", "");
    session_submit(&s, "2+2?", 0);
    send_text(&s, WEV_CONTENT, "Two and two.\n</think>\n\nFour.", 0);
    send_event(&s, WEV_DONE, false);
    const chat_msg *r = &s.msgs[1];
    assert_string_equal(buf_str(&r->reasoning), "Two and two.");
    assert_string_equal(buf_str(&r->text), "Four.");
    assert_int_equal(r->think_ms, -1);
    session_submit(&s, "Write the tag.", 10);
    assert_null(strstr(net.last_body, "Two and"));
    assert_non_null(strstr(net.last_body, "\"Four.\""));
    send_text(&s, WEV_CONTENT, "Write </think> to end it.", 20);
    send_event(&s, WEV_DONE, false);
    assert_string_equal(buf_str(&s.msgs[3].text), "Write </think> to end it.");
    assert_int_equal(s.msgs[3].reasoning.len, 0);
    session_stop(&s, &net);
}

int main(void)
{
    char err[256];
    if (guide_init(err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_request_history),
        cmocka_unit_test(test_long_reply_stopped),
        cmocka_unit_test(test_reasoning),
        cmocka_unit_test(test_lone_think),
        cmocka_unit_test(test_key_in_clear),
        cmocka_unit_test(test_plain_http_suggestion),
        cmocka_unit_test(test_configure_provider),
        cmocka_unit_test(test_secret_header_masked),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    guide_done();
    return rc;
}
