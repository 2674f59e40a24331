/* The retry policy (docs/errors.md#retry-policy) and its parsers, as tables. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify.h"
#include "http.h"
#include "retry.h"
#include "util.h"

/* Sun, 06 Nov 1994 08:49:37 GMT */
#define T1994 INT64_C(784111777000)
#define NOW T1994
/* 2023-11-14T22:13:20Z: the epoch-millisecond and RFC 3339 resets count from here. */
#define NOW23 INT64_C(1700000000000)

static void parse_headers(http_headers *h, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        hdrs_parse_line(h, text, len);
        text += len + (nl != NULL);
    }
}

static const char *verdict_id(retry_verdict v)
{
#define ID_(id, text) [id] = #id,
    static const char *const ids[] = {RETRY_VERDICTS(ID_)};
#undef ID_
    return (unsigned)v < RETRY__COUNT ? ids[v] : "?";
}

static const char *source_id(delay_source s)
{
#define ID_(id, name) [id] = #id,
    static const char *const ids[] = {DELAY_SOURCES(ID_)};
#undef ID_
    return (unsigned)s < DELAY__COUNT ? ids[s] : "?";
}

static void check_decision(const char *name, retry_decision got, retry_verdict verdict,
                           int64_t delay_ms, delay_source source, bool retryable)
{
    if (got.verdict != verdict || got.delay_ms != delay_ms || got.source != source ||
        got.retryable != retryable) {
        print_error("%s: want %s %lld ms %s retryable=%d, got %s %lld ms %s retryable=%d\n", name,
                    verdict_id(verdict), (long long)delay_ms, source_id(source), retryable,
                    verdict_id(got.verdict), (long long)got.delay_ms, source_id(got.source),
                    got.retryable);
        fail();
    }
}

/* A parser's table: each input, the return code wanted and (on success) the milliseconds;
 * a NULL input fails, and a failure leaves the output as it was. */
typedef struct parse_row {
    const char *in;
    int rc;
    int64_t ms;
} parse_row;

static void check_parse_rows(const char *what, int (*parse)(const char *, int64_t *),
                             const parse_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t ms = -12345;
        int rc = parse(rows[i].in, &ms);
        if (rc != rows[i].rc || (rc == 0 && ms != rows[i].ms)) {
            print_error("%s \"%s\": want %d/%lld, got %d/%lld\n", what, rows[i].in, rows[i].rc,
                        (long long)rows[i].ms, rc, (long long)ms);
            fail();
        }
        if (rc != 0)
            assert_int_equal(ms, -12345);
    }
    int64_t ms;
    assert_int_equal(parse(NULL, &ms), -1);
}

/* ---- verdicts ---- */

typedef struct verdict_case {
    const char *name;
    guide_entry entry;
    net_result net;
    long status;
    const char *err_code;
    const char *headers;
    bool got_content;
    int max_retries;
    int retries_taken;
    /* expected; a YES here always comes from backoff with u = 0 */
    retry_verdict verdict;
    bool retryable;
} verdict_case;

static const verdict_case verdict_cases[] = {
    /* the order of the early verdicts */
    {"cancelled", GUIDE_CANCELLED, NET_CANCELLED, 0, NULL, NULL, false, 4, 0, RETRY_NO_CANCELLED,
     true},
    {"cancelled with content", GUIDE_CANCELLED, NET_CANCELLED, 200, NULL, NULL, true, 4, 0,
     RETRY_NO_CANCELLED, true},
    {"content after a stream cut", GUIDE_STREAM_INTERRUPTED, NET_STREAM_CUT, 200, NULL, NULL, true,
     4, 0, RETRY_NO_CONTENT, true},
    {"content beats quota", GUIDE_QUOTA, NET_OK, 200, NULL, NULL, true, 4, 0, RETRY_NO_CONTENT,
     true},
    {"content beats x-should-retry", GUIDE_SERVER_ERROR, NET_TIMEOUT_IDLE, 200, NULL,
     "x-should-retry: true\n", true, 4, 0, RETRY_NO_CONTENT, true},
    {"quota", GUIDE_QUOTA, NET_OK, 429, "insufficient_quota", NULL, false, 4, 0, RETRY_NO_QUOTA,
     false},
    {"quota despite x-should-retry", GUIDE_QUOTA, NET_OK, 429, NULL, "x-should-retry: true\n",
     false, 4, 0, RETRY_NO_QUOTA, false},
    /* the rest of the quota family: the account cannot pay */
    {"credits", GUIDE_CREDITS, NET_OK, 402, NULL, "x-should-retry: true\n", false, 4, 0,
     RETRY_NO_BILLING, false},
    {"spend cap on a 429", GUIDE_SPEND_CAP, NET_OK, 429, "enforced_spend_limit_reached", NULL,
     false, 4, 0, RETRY_NO_BILLING, false},
    {"billing not active", GUIDE_BILLING_INACTIVE, NET_OK, 429, "billing_not_active", NULL, false,
     4, 0, RETRY_NO_BILLING, false},
    {"credits in a stream", GUIDE_CREDITS, NET_OK, 200, NULL, NULL, false, 4, 0, RETRY_NO_BILLING,
     false},
    /* the same input is flagged again, the same request too large after any wait */
    {"moderation", GUIDE_MODERATION, NET_OK, 403, NULL, "x-should-retry: true\n", false, 4, 0,
     RETRY_NO_STATUS, false},
    {"request too large on a 429", GUIDE_REQUEST_TOO_LARGE, NET_OK, 429, "rate_limit_exceeded",
     NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"request too large on a 413", GUIDE_REQUEST_TOO_LARGE, NET_OK, 413, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    /* a request the server cannot take, whatever its status */
    {"context length on a 500 (llama.cpp)", GUIDE_CONTEXT_LENGTH, NET_OK, 500,
     "exceed_context_size_error", NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"model access on a 403", GUIDE_MODEL_NOT_FOUND, NET_OK, 403, "model_not_found", NULL, false, 4,
     0, RETRY_NO_STATUS, false},
    {"no model loaded", GUIDE_MODEL_NOT_LOADED, NET_OK, 400, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    {"deployment not found", GUIDE_DEPLOYMENT_NOT_FOUND, NET_OK, 404, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    {"model still loading", GUIDE_MODEL_LOADING, NET_OK, 503, NULL, NULL, false, 4, 0, RETRY_YES,
     true},
    {"tls", GUIDE_TLS, NET_TLS, 0, NULL, NULL, false, 4, 0, RETRY_NO_TLS, false},
    {"tls despite x-should-retry", GUIDE_TLS, NET_TLS, 0, NULL, "x-should-retry: true\n", false, 4,
     0, RETRY_NO_TLS, false},
    {"no key", GUIDE_NO_KEY, NET_OK, 0, NULL, NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"key refused over plain http", GUIDE_INSECURE_HTTP, NET_OK, 0, NULL, "x-should-retry: true\n",
     false, 4, 0, RETRY_NO_STATUS, false},
    {"https:// answered in plain HTTP: no certificate verdict", GUIDE_TLS_PLAIN_HTTP, NET_TLS, 0,
     NULL, "x-should-retry: true\n", false, 4, 0, RETRY_NO_STATUS, false},
    {"proxy wants credentials (CONNECT 407)", GUIDE_PROXY_AUTH, NET_PROXY, 407, NULL, NULL, false,
     4, 0, RETRY_NO_STATUS, false},
    {"proxy wants credentials (407)", GUIDE_PROXY_AUTH, NET_OK, 407, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    /* x-should-retry overrides the status rule both ways */
    {"x-should-retry false on 500", GUIDE_SERVER_ERROR, NET_OK, 500, NULL,
     "x-should-retry: false\n", false, 4, 0, RETRY_NO_HEADER, false},
    {"x-should-retry false on 429", GUIDE_RATE_LIMIT, NET_OK, 429, NULL, "x-should-retry: False\n",
     false, 4, 0, RETRY_NO_HEADER, false},
    {"x-should-retry true on 400", GUIDE_BAD_REQUEST, NET_OK, 400, NULL, "x-should-retry: true\n",
     false, 4, 0, RETRY_YES, true},
    {"x-should-retry TRUE on 401", GUIDE_AUTH_INVALID, NET_OK, 401, NULL, "X-Should-Retry: TRUE\n",
     false, 4, 0, RETRY_YES, true},
    {"x-should-retry garbage", GUIDE_BAD_REQUEST, NET_OK, 400, NULL, "x-should-retry: maybe\n",
     false, 4, 0, RETRY_NO_STATUS, false},
    {"x-should-retry garbage on 500", GUIDE_SERVER_ERROR, NET_OK, 500, NULL, "x-should-retry: 1\n",
     false, 4, 0, RETRY_YES, true},
    /* statuses never retried */
    {"400", GUIDE_BAD_REQUEST, NET_OK, 400, NULL, NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"400 context length", GUIDE_CONTEXT_LENGTH, NET_OK, 400, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    {"401", GUIDE_AUTH_INCORRECT_KEY, NET_OK, 401, NULL, NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"403", GUIDE_FORBIDDEN_REGION, NET_OK, 403, NULL, NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"404", GUIDE_MODEL_NOT_FOUND, NET_OK, 404, NULL, NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"413", GUIDE_BAD_REQUEST, NET_OK, 413, NULL, NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"422", GUIDE_BAD_REQUEST, NET_OK, 422, NULL, NULL, false, 4, 0, RETRY_NO_STATUS, false},
    {"418", GUIDE_BAD_REQUEST, NET_OK, 418, NULL, NULL, false, 4, 0, RETRY_NO_STATUS, false},
    /* statuses retried */
    {"408", GUIDE_TIMEOUT, NET_OK, 408, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"409", GUIDE_BAD_REQUEST, NET_OK, 409, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"429 rate limit", GUIDE_RATE_LIMIT, NET_OK, 429, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"429 overloaded", GUIDE_OVERLOADED, NET_OK, 429, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"500", GUIDE_SERVER_ERROR, NET_OK, 500, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"502", GUIDE_GATEWAY, NET_OK, 502, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"503", GUIDE_OVERLOADED, NET_OK, 503, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"504", GUIDE_GATEWAY, NET_OK, 504, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"599", GUIDE_SERVER_ERROR, NET_OK, 599, NULL, NULL, false, 4, 0, RETRY_YES, true},
    /* transport results */
    {"dns", GUIDE_DNS, NET_DNS, 0, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"refused", GUIDE_CONNECT_REFUSED, NET_REFUSED, 0, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"connect", GUIDE_CONNECTION, NET_CONNECT, 0, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"other", GUIDE_CONNECTION, NET_OTHER, 0, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"proxy", GUIDE_PROXY, NET_PROXY, 0, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"connect timeout", GUIDE_TIMEOUT, NET_TIMEOUT_CONNECT, 0, NULL, NULL, false, 4, 0, RETRY_YES,
     true},
    {"idle timeout before content", GUIDE_TIMEOUT, NET_TIMEOUT_IDLE, 200, NULL, NULL, false, 4, 0,
     RETRY_YES, true},
    {"stream cut before content", GUIDE_STREAM_INTERRUPTED, NET_STREAM_CUT, 200, NULL, NULL, false,
     4, 0, RETRY_YES, true},
    {"malformed", GUIDE_MALFORMED_RESPONSE, NET_MALFORMED, 200, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    {"too large", GUIDE_MALFORMED_RESPONSE, NET_TOO_LARGE, 200, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    {"2xx given to classify", GUIDE_MALFORMED_RESPONSE, NET_OK, 200, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    /* errors inside a 200 stream, before any content */
    {"stream error", GUIDE_STREAM_ERROR, NET_OK, 200, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"stream error with code 400", GUIDE_STREAM_ERROR, NET_OK, 200, "400", NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    {"stream error with code 502", GUIDE_STREAM_ERROR, NET_OK, 200, "502", NULL, false, 4, 0,
     RETRY_YES, true},
    {"stream overloaded", GUIDE_OVERLOADED, NET_OK, 200, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"stream rate limit", GUIDE_RATE_LIMIT, NET_OK, 200, NULL, NULL, false, 4, 0, RETRY_YES, true},
    {"stream context length", GUIDE_CONTEXT_LENGTH, NET_OK, 200, NULL, NULL, false, 4, 0,
     RETRY_NO_STATUS, false},
    /* attempts */
    {"max_retries 0", GUIDE_SERVER_ERROR, NET_OK, 500, NULL, NULL, false, 0, 0, RETRY_NO_DISABLED,
     true},
    {"max_retries negative", GUIDE_SERVER_ERROR, NET_OK, 500, NULL, NULL, false, -1, 0,
     RETRY_NO_DISABLED, true},
    {"max_retries 0 on 400", GUIDE_BAD_REQUEST, NET_OK, 400, NULL, NULL, false, 0, 0,
     RETRY_NO_STATUS, false},
    {"last retry", GUIDE_SERVER_ERROR, NET_OK, 500, NULL, NULL, false, 4, 3, RETRY_YES, true},
    {"exhausted", GUIDE_SERVER_ERROR, NET_OK, 500, NULL, NULL, false, 4, 4, RETRY_NO_EXHAUSTED,
     true},
    {"exhausted with a server delay", GUIDE_RATE_LIMIT, NET_OK, 429, NULL, "retry-after: 3\n",
     false, 4, 7, RETRY_NO_EXHAUSTED, true},
    {"one retry allowed", GUIDE_DNS, NET_DNS, 0, NULL, NULL, false, 1, 1, RETRY_NO_EXHAUSTED, true},
};

static void test_verdicts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof verdict_cases / sizeof verdict_cases[0]; i++) {
        const verdict_case *c = &verdict_cases[i];
        failure f;
        failure_init(&f);
        f.entry = c->entry;
        f.net = c->net;
        f.status = c->status;
        f.err_code = xstrdup(c->err_code);
        http_headers h;
        hdrs_init(&h);
        parse_headers(&h, c->headers);
        retry_config cfg = RETRY_CONFIG_DEFAULT;
        cfg.max_retries = c->max_retries;
        retry_decision d = retry_decide(&cfg, &f, &h, c->retries_taken, c->got_content, NOW, 0.0);
        bool yes = c->verdict == RETRY_YES;
        int64_t backoff = yes ? INT64_C(1000) << c->retries_taken : 0;
        check_decision(c->name, d, c->verdict, backoff, yes ? DELAY_BACKOFF : DELAY_NONE,
                       c->retryable);
        /* Without headers at all the answer is the same when none were given. */
        if (!c->headers) {
            d = retry_decide(&cfg, &f, NULL, c->retries_taken, c->got_content, NOW, 0.0);
            check_decision(c->name, d, c->verdict, backoff, yes ? DELAY_BACKOFF : DELAY_NONE,
                           c->retryable);
        }
        hdrs_free(&h);
        failure_free(&f);
    }
}

/* ---- delays ---- */

typedef struct delay_case {
    const char *name;
    const char *headers;
    const char *message;
    double max_server_wait_s;
    /* expected */
    retry_verdict verdict;
    int64_t delay_ms;
    delay_source source;
} delay_case;

#define W 120.0

static const delay_case delay_cases[] = {
    {"nothing: backoff", NULL, NULL, W, RETRY_YES, 1000, DELAY_BACKOFF},
    /* retry-after-ms */
    {"retry-after-ms", "retry-after-ms: 1500\n", NULL, W, RETRY_YES, 1500, DELAY_RETRY_AFTER_MS},
    {"retry-after-ms fraction rounds up", "retry-after-ms: 1.5\n", NULL, W, RETRY_YES, 2,
     DELAY_RETRY_AFTER_MS},
    {"retry-after-ms tiny", "retry-after-ms: 0.0001\n", NULL, W, RETRY_YES, 1, DELAY_RETRY_AFTER_MS},
    {"retry-after-ms 0 falls through", "retry-after-ms: 0\nretry-after: 3\n", NULL, W, RETRY_YES,
     3000, DELAY_RETRY_AFTER},
    {"retry-after-ms negative falls through", "retry-after-ms: -5\nretry-after: 3\n", NULL, W,
     RETRY_YES, 3000, DELAY_RETRY_AFTER},
    {"retry-after-ms garbage falls through", "retry-after-ms: soon\nretry-after: 3\n", NULL, W,
     RETRY_YES, 3000, DELAY_RETRY_AFTER},
    {"retry-after-ms nan", "retry-after-ms: nan\n", NULL, W, RETRY_YES, 1000, DELAY_BACKOFF},
    {"retry-after-ms inf", "retry-after-ms: inf\n", NULL, W, RETRY_YES, 1000, DELAY_BACKOFF},
    {"retry-after-ms exponent", "retry-after-ms: 1e3\n", NULL, W, RETRY_YES, 1000, DELAY_BACKOFF},
    {"retry-after-ms absurd", "retry-after-ms: 1000000000001\n", NULL, W, RETRY_YES, 1000,
     DELAY_BACKOFF},
    {"retry-after-ms huge digits", "retry-after-ms: 99999999999999999999999999999\n", NULL, W,
     RETRY_YES, 1000, DELAY_BACKOFF},
    {"retry-after-ms equal to the limit", "retry-after-ms: 120000\n", NULL, W, RETRY_YES, 120000,
     DELAY_RETRY_AFTER_MS},
    {"retry-after-ms above the limit", "retry-after-ms: 120000.5\n", NULL, W, RETRY_NO_TOO_LONG,
     120001, DELAY_RETRY_AFTER_MS},
    /* retry-after seconds */
    {"retry-after seconds", "retry-after: 20\n", NULL, W, RETRY_YES, 20000, DELAY_RETRY_AFTER},
    {"retry-after float", "retry-after: 1.5\n", NULL, W, RETRY_YES, 1500, DELAY_RETRY_AFTER},
    {"retry-after float rounds up", "retry-after: 0.0001\n", NULL, W, RETRY_YES, 1,
     DELAY_RETRY_AFTER},
    {"retry-after equal to the limit", "retry-after: 120\n", NULL, W, RETRY_YES, 120000,
     DELAY_RETRY_AFTER},
    {"retry-after above the limit", "retry-after: 120.001\n", NULL, W, RETRY_NO_TOO_LONG, 120001,
     DELAY_RETRY_AFTER},
    {"retry-after an hour", "retry-after: 3600\n", NULL, W, RETRY_NO_TOO_LONG, 3600000,
     DELAY_RETRY_AFTER},
    {"retry-after 0 falls through", "retry-after: 0\n", NULL, W, RETRY_YES, 1000, DELAY_BACKOFF},
    {"retry-after garbage falls through", "retry-after: later\n", NULL, W, RETRY_YES, 1000,
     DELAY_BACKOFF},
    {"retry-after negative falls through", "retry-after: -3\n", NULL, W, RETRY_YES, 1000,
     DELAY_BACKOFF},
    {"retry-after absurd", "retry-after: 99999999999999\n", NULL, W, RETRY_YES, 1000,
     DELAY_BACKOFF},
    {"retry-after hex", "retry-after: 0x10\n", NULL, W, RETRY_YES, 1000, DELAY_BACKOFF},
    {"custom max_server_wait", "retry-after: 20\n", NULL, 10.0, RETRY_NO_TOO_LONG, 20000,
     DELAY_RETRY_AFTER},
    {"max_server_wait 0", "retry-after: 1\n", NULL, 0.0, RETRY_NO_TOO_LONG, 1000,
     DELAY_RETRY_AFTER},
    /* retry-after dates (now is Sun, 06 Nov 1994 08:49:37 GMT) */
    {"retry-after date", "retry-after: Sun, 06 Nov 1994 08:50:07 GMT\n", NULL, W, RETRY_YES, 30000,
     DELAY_RETRY_AFTER_DATE},
    {"retry-after date rfc850", "retry-after: Sunday, 06-Nov-94 08:49:47 GMT\n", NULL, W, RETRY_YES,
     10000, DELAY_RETRY_AFTER_DATE},
    {"retry-after date asctime", "retry-after: Sun Nov  6 08:51:37 1994\n", NULL, W, RETRY_YES,
     120000, DELAY_RETRY_AFTER_DATE},
    {"retry-after date too far", "retry-after: Sun, 06 Nov 1994 09:49:37 GMT\n", NULL, W,
     RETRY_NO_TOO_LONG, 3600000, DELAY_RETRY_AFTER_DATE},
    {"retry-after date now falls through", "retry-after: Sun, 06 Nov 1994 08:49:37 GMT\n", NULL, W,
     RETRY_YES, 1000, DELAY_BACKOFF},
    {"retry-after date past falls through",
     "retry-after: Sat, 05 Nov 1994 08:49:37 GMT\nretry-after-ms: x\n", NULL, W, RETRY_YES, 1000,
     DELAY_BACKOFF},
    {"retry-after date absurd", "retry-after: Fri, 31 Dec 9999 23:59:59 GMT\n", NULL, W, RETRY_YES,
     1000, DELAY_BACKOFF},
    /* x-ratelimit-reset-* */
    {"reset requests", "x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 1s\n", NULL,
     W, RETRY_YES, 1000, DELAY_RESET_REQUESTS},
    {"reset requests ms", "x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 20ms\n",
     NULL, W, RETRY_YES, 20, DELAY_RESET_REQUESTS},
    {"reset requests too long",
     "x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 6m0s\n", NULL, W,
     RETRY_NO_TOO_LONG, 360000, DELAY_RESET_REQUESTS},
    {"reset requests a day",
     "x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 23h18m29.144s\n", NULL, W,
     RETRY_NO_TOO_LONG, 83909144, DELAY_RESET_REQUESTS},
    {"reset requests while some remain",
     "x-ratelimit-remaining-requests: 5\nx-ratelimit-reset-requests: 1s\n", NULL, W, RETRY_YES,
     1000, DELAY_BACKOFF},
    {"reset tokens", "x-ratelimit-remaining-tokens: 0\nx-ratelimit-reset-tokens: 4m12.172s\n", NULL,
     1000.0, RETRY_YES, 252172, DELAY_RESET_TOKENS},
    {"reset tokens while some remain",
     "x-ratelimit-remaining-tokens: 10\nx-ratelimit-reset-tokens: 2s\n", NULL, W, RETRY_YES, 1000,
     DELAY_BACKOFF},
    {"requests before tokens",
     "x-ratelimit-remaining-tokens: 0\nx-ratelimit-reset-tokens: 2s\n"
     "x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 3s\n",
     NULL, W, RETRY_YES, 3000, DELAY_RESET_REQUESTS},
    {"bad requests reset falls through to tokens",
     "x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: soon\n"
     "x-ratelimit-remaining-tokens: 0\nx-ratelimit-reset-tokens: 2s\n",
     NULL, W, RETRY_YES, 2000, DELAY_RESET_TOKENS},
    {"zero reset falls through", "x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 0s\n",
     "Please try again in 2s.", W, RETRY_YES, 2000, DELAY_MESSAGE},
    {"remaining without reset", "x-ratelimit-remaining-requests: 0\n", NULL, W, RETRY_YES, 1000,
     DELAY_BACKOFF},
    /* the message */
    {"message", NULL,
     "Rate limit reached for gpt-4o-mini in organization org-123 on requests per min (RPM): Limit "
     "3, Used 3, Requested 1. Please try again in 20s. Visit "
     "https://platform.openai.com/account/rate-limits to learn more.",
     W, RETRY_YES, 20000, DELAY_MESSAGE},
    {"message ms", NULL, "Please try again in 120ms.", W, RETRY_YES, 120, DELAY_MESSAGE},
    {"message fraction", NULL, "Please try again in 26.604s.", W, RETRY_YES, 26604, DELAY_MESSAGE},
    {"message too long", NULL, "Please try again in 7h12m0.96s.", W, RETRY_NO_TOO_LONG, 25920960,
     DELAY_MESSAGE},
    {"message zero falls through", NULL, "Please try again in 0s.", W, RETRY_YES, 1000,
     DELAY_BACKOFF},
    {"message without delay", NULL, "Please try again later.", W, RETRY_YES, 1000, DELAY_BACKOFF},
    /* precedence */
    {"all sources: retry-after-ms first",
     "retry-after-ms: 700\nretry-after: 5\nx-ratelimit-remaining-requests: 0\n"
     "x-ratelimit-reset-requests: 9s\n",
     "Please try again in 11s.", W, RETRY_YES, 700, DELAY_RETRY_AFTER_MS},
    {"retry-after before resets",
     "retry-after: 5\nx-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 9s\n",
     "Please try again in 11s.", W, RETRY_YES, 5000, DELAY_RETRY_AFTER},
    {"resets before the message",
     "x-ratelimit-remaining-tokens: 0\nx-ratelimit-reset-tokens: 9s\n", "Please try again in 11s.",
     W, RETRY_YES, 9000, DELAY_RESET_TOKENS},
    {"too long stops the search", "retry-after: 500\n", "Please try again in 1s.", W,
     RETRY_NO_TOO_LONG, 500000, DELAY_RETRY_AFTER},
};

static void test_delays(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof delay_cases / sizeof delay_cases[0]; i++) {
        const delay_case *c = &delay_cases[i];
        failure f;
        failure_init(&f);
        f.entry = GUIDE_RATE_LIMIT;
        f.type = GUIDE_T_RATE_LIMIT;
        f.status = 429;
        f.err_message = xstrdup(c->message);
        http_headers h;
        hdrs_init(&h);
        parse_headers(&h, c->headers);
        retry_config cfg = RETRY_CONFIG_DEFAULT;
        cfg.max_server_wait_s = c->max_server_wait_s;
        retry_decision d = retry_decide(&cfg, &f, &h, 0, false, NOW, 0.0);
        check_decision(c->name, d, c->verdict, c->delay_ms, c->source, true);
        hdrs_free(&h);
        failure_free(&f);
    }
}

/* ---- backoff ---- */

static void test_backoff(void **state)
{
    (void)state;
    static const struct {
        double initial, max;
        int n;
        int64_t at_u0;   /* u = 0 */
        int64_t at_half; /* u = 0.5 */
    } rows[] = {
        {1, 32, 0, 1000, 875},     {1, 32, 1, 2000, 1750},    {1, 32, 2, 4000, 3500},
        {1, 32, 3, 8000, 7000},    {1, 32, 4, 16000, 14000},  {1, 32, 5, 32000, 28000},
        {1, 32, 6, 32000, 28000},  {1, 32, 7, 32000, 28000},  {1, 32, 40, 32000, 28000},
        {1, 32, 5000, 32000, 28000}, {0.5, 10, 0, 500, 438},  {0.5, 10, 4, 8000, 7000},
        {0.5, 10, 5, 10000, 8750}, {0.25, 0.3, 3, 300, 263},  {0, 32, 3, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        retry_config cfg = {10000, rows[i].initial, rows[i].max, 120};
        failure f;
        failure_init(&f);
        f.entry = GUIDE_SERVER_ERROR;
        f.status = 500;
        retry_decision d = retry_decide(&cfg, &f, NULL, rows[i].n, false, NOW, 0.0);
        check_decision("backoff u=0", d, RETRY_YES, rows[i].at_u0, DELAY_BACKOFF, true);
        d = retry_decide(&cfg, &f, NULL, rows[i].n, false, NOW, 0.5);
        check_decision("backoff u=0.5", d, RETRY_YES, rows[i].at_half, DELAY_BACKOFF, true);
        /* u -> 1: never below three quarters of the base, never above it */
        static const double us[] = {0.25, 0.999999, 0.9999999999999999};
        for (size_t k = 0; k < sizeof us / sizeof us[0]; k++) {
            d = retry_decide(&cfg, &f, NULL, rows[i].n, false, NOW, us[k]);
            assert_int_equal(d.source, DELAY_BACKOFF);
            assert_true(d.delay_ms * 4 >= rows[i].at_u0 * 3);
            assert_true(d.delay_ms <= rows[i].at_u0);
        }
    }
    /* Out-of-range randomness is clamped, not trusted. */
    retry_config cfg = RETRY_CONFIG_DEFAULT;
    failure f;
    failure_init(&f);
    f.entry = GUIDE_GATEWAY;
    f.status = 502;
    check_decision("u < 0", retry_decide(&cfg, &f, NULL, 1, false, NOW, -3.0), RETRY_YES, 2000,
                   DELAY_BACKOFF, true);
    check_decision("u > 1", retry_decide(&cfg, &f, NULL, 1, false, NOW, 7.0), RETRY_YES, 1500,
                   DELAY_BACKOFF, true);
    check_decision("u nan", retry_decide(&cfg, &f, NULL, 1, false, NOW, NAN), RETRY_YES,
                   2000, DELAY_BACKOFF, true);
    /* A config of garbage does not produce garbage delays. */
    retry_config bad = {4, -1.0, INFINITY, NAN};
    check_decision("bad config", retry_decide(&bad, &f, NULL, 1, false, NOW, 0.0), RETRY_YES, 0,
                   DELAY_BACKOFF, true);
    check_decision("NULL config", retry_decide(NULL, &f, NULL, 2, false, NOW, 0.0), RETRY_YES,
                   4000, DELAY_BACKOFF, true);
}

/* ---- Go durations ---- */

static void test_go_durations(void **state)
{
    (void)state;
    static const parse_row rows[] = {
        {"20ms", 0, 20},
        {"1s", 0, 1000},
        {"6m0s", 0, 360000},
        {"4m12.172s", 0, 252172},
        {"23h18m29.144s", 0, 83909144},
        {"1.5s", 0, 1500},
        {"0s", 0, 0},
        {"0", 0, 0},
        {"+1s", 0, 1000},
        {"500us", 0, 1},
        {"500\xC2\xB5s", 0, 1},
        {"500\xCE\xBCs", 0, 1},
        {"2ns", 0, 1},
        {"1ns", 0, 1},
        {"0.1ns", 0, 0},
        {"1000000ns", 0, 1},
        {"1000001ns", 0, 2},
        {"0.0001ms", 0, 1},
        {"1.0000001s", 0, 1001},
        {".5s", 0, 500},
        {"1.s", 0, 1000},
        {"1h", 0, 3600000},
        {"1h0m0s", 0, 3600000},
        {"1m1m", 0, 120000},
        {"2562047h", 0, INT64_C(9223369200000)},
        {"9223372036854775807ns", 0, INT64_C(9223372036855)},
        {"1.00000000000000000000000000001s", 0, 1000},
        /* rejects */
        {"", -1, 0},
        {"1", -1, 0},
        {"1x", -1, 0},
        {"s", -1, 0},
        {"ms", -1, 0},
        {".s", -1, 0},
        {".", -1, 0},
        {"-1s", -1, 0},
        {"-0s", -1, 0},
        {"-0", -1, 0},
        {"+", -1, 0},
        {"1S", -1, 0},
        {"1sm", -1, 0},
        {"1.2.3s", -1, 0},
        {"1m-1s", -1, 0},
        {" 1s", -1, 0},
        {"1s ", -1, 0},
        {"1 s", -1, 0},
        {"2562048h", -1, 0},
        {"9223372036854775808ns", -1, 0},
        {"9223372036854775807ns1ns", -1, 0},
        {"99999999999999999999s", -1, 0},
        {"106751.99116730064591d", -1, 0},
    };
    check_parse_rows("go duration", retry_parse_go_duration, rows, sizeof rows / sizeof rows[0]);
}

/* ---- HTTP dates ---- */

static void test_http_dates(void **state)
{
    (void)state;
    static const parse_row rows[] = {
        {"Sun, 06 Nov 1994 08:49:37 GMT", 0, T1994},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 0, T1994},
        {"Sun Nov  6 08:49:37 1994", 0, T1994},
        {"Thu, 01 Jan 1970 00:00:00 GMT", 0, 0},
        {"Wed, 21 Oct 2015 07:28:00 GMT", 0, INT64_C(1445412480000)},
        {"Tue, 29 Feb 2028 12:00:00 GMT", 0, INT64_C(1835438400000)},
        {"Thu, 31 Dec 2099 23:59:59 GMT", 0, INT64_C(4102444799000)},
        {"Thu Dec 31 23:59:59 2099", 0, INT64_C(4102444799000)},
        {"Saturday, 01-Jan-05 00:00:00 GMT", 0, INT64_C(1104537600000)},
        {"Saturday, 15-Jun-69 00:00:00 GMT", 0, INT64_C(3138480000000)},
        {"Monday, 15-Jun-70 00:00:00 GMT", 0, INT64_C(14256000000)},
        {"Sat, 31 Dec 2016 23:59:60 GMT", 0, INT64_C(1483228799000)},
        {"sun, 06 nov 1994 08:49:37 GMT", 0, T1994},
        {"Sun, 06 Nov 1994 08:49:37 GMT  ", 0, T1994},
        /* rejects */
        {"", -1, 0},
        {"20", -1, 0},
        {"Sun, 06 Nov 1994 08:49:37", -1, 0},
        {"Sun, 06 Nov 1994 08:49:37 PST", -1, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT junk", -1, 0},
        {"Sun, 31 Feb 1994 08:49:37 GMT", -1, 0},
        {"Mon, 29 Feb 2100 00:00:00 GMT", -1, 0},
        {"Sun, 00 Nov 1994 08:49:37 GMT", -1, 0},
        {"Sun, 06 Nov 1994 24:00:00 GMT", -1, 0},
        {"Sun, 06 Nov 1994 08:60:00 GMT", -1, 0},
        {"Sun, 06 Nov 1994 08:49:61 GMT", -1, 0},
        {"Sun, 06 Foo 1994 08:49:37 GMT", -1, 0},
        {"Xyz, 06 Nov 1994 08:49:37 GMT", -1, 0},
        {"Sun, 6 Nov 1994 08:49:37 GMT", -1, 0},
        {"Sun, 06 Nov 94 08:49:37 GMT", -1, 0},
        {"Sun, 06-Nov-94 08:49:37 GMT", -1, 0},
        {"Sunday, 06 Nov 1994 08:49:37 GMT", -1, 0},
        {"Sun Nov 6 08:49:37 1994", -1, 0},
        {"Sun Nov  6 08:49:37 94", -1, 0},
        {"Sun Nov  6 8:49:37 1994", -1, 0},
        {"Sun, 06 Nov 1994 08:49 GMT", -1, 0},
        {"Sun,", -1, 0},
        {"Sunday", -1, 0},
    };
    check_parse_rows("http date", retry_parse_http_date, rows, sizeof rows / sizeof rows[0]);
}

/* ---- delays in messages ---- */

static void test_message_delays(void **state)
{
    (void)state;
    static const parse_row rows[] = {
        {"Rate limit reached for gpt-4o-mini in organization org-123 on requests per min (RPM): "
         "Limit 3, Used 3, Requested 1. Please try again in 20s. Visit "
         "https://platform.openai.com/account/rate-limits to learn more.",
         0, 20000},
        {"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit "
         "30000, "
         "Used 29876, Requested 1200. Please try again in 2.152s. Visit "
         "https://platform.openai.com/account/rate-limits to learn more.",
         0, 2152},
        {"Please try again in 26.604s.", 0, 26604},
        {"try again in 120ms", 0, 120},
        {"Please try again in 6ms.", 0, 6},
        {"Try Again In 1m30s", 0, 90000},
        {"Please try again in 6m0s.", 0, 360000},
        {"Please try again in 1m20.16s.", 0, 80160},
        {"Please try again in 7h12m0.96s.", 0, 25920960},
        {"please try again in 2 seconds", 0, 2000},
        {"try again in 1 second.", 0, 1000},
        {"try again in 1.5 seconds", 0, 1500},
        {"try again in 20seconds", 0, 20000},
        {"try again in 3 sec", 0, 3000},
        {"try again in 2 minutes", 0, 120000},
        {"try again in 1 hour", 0, 3600000},
        {"try again in 250 milliseconds", 0, 250},
        {"try again in 120 ms", 0, 120},
        {"try again in 500\xC2\xB5s", 0, 1},
        {"try again in 20s\xE3\x80\x82", 0, 20000},
        {"try again in   4s", 0, 4000},
        {"try again in 0s", 0, 0},
        {"try again in a moment, or try again in 3s", 0, 3000},
        /* none */
        {"try again in a few minutes", -1, 0},
        {"Please try again later.", -1, 0},
        /* Gemini's and Azure's wording */
        {"Please retry in 38.6s.", 0, 38600},
        {"\nPlease retry in 58.821668433s.", 0, 58822},
        {"Please retry after 37 seconds. Please go here: https://aka.ms/oai/quotaincrease", 0,
         37000},
        {"retry in 5s", 0, 5000},
        {"retry after 9 seconds", 0, 9000},
        {"Please retry shortly", -1, 0},
        {"retry after a brief wait", -1, 0},
        {"retry inside 5s", -1, 0},
        {"try again in 5", -1, 0},
        {"try again in 5 apples", -1, 0},
        {"try again in 5 supercalifragilistic", -1, 0},
        {"try again in99s", -1, 0},
        {"try again in 99999999999h", -1, 0},
        {"try again in", -1, 0},
        {"try again in .", -1, 0},
        {"", -1, 0},
    };
    check_parse_rows("message", retry_parse_message_delay, rows, sizeof rows / sizeof rows[0]);
}

/* ---- the delays of other providers: RetryInfo, bare and Anthropic resets ---- */

typedef struct provider_delay_case {
    const char *name;
    const char *headers;
    const char *message;
    const char *retry_delay; /* google.rpc.RetryInfo */
    reset_unit unit;
    /* expected */
    retry_verdict verdict;
    int64_t delay_ms;
    delay_source source;
} provider_delay_case;

static const provider_delay_case provider_delay_cases[] = {
    {"RetryInfo", NULL, NULL, "38s", RESET_UNIT_GUESS, RETRY_YES, 38000, DELAY_RETRY_INFO},
    {"RetryInfo with a fraction", NULL, NULL, "45.837906927s", RESET_UNIT_GUESS, RETRY_YES, 45838,
     DELAY_RETRY_INFO},
    {"RetryInfo before the message", NULL, "Please retry in 51.606482386s.", "51s",
     RESET_UNIT_GUESS, RETRY_YES, 51000, DELAY_RETRY_INFO},
    {"RetryInfo garbage: the message", NULL, "Please retry in 51.606482386s.", "soon",
     RESET_UNIT_GUESS, RETRY_YES, 51607, DELAY_MESSAGE},
    {"retry-after before RetryInfo", "retry-after: 3\n", NULL, "38s", RESET_UNIT_GUESS, RETRY_YES,
     3000, DELAY_RETRY_AFTER},
    /* OpenRouter: epoch milliseconds */
    {"x-ratelimit-reset in epoch ms",
     "x-ratelimit-remaining: 0\nx-ratelimit-reset: 1700000030000\n", NULL, NULL,
     RESET_UNIT_EPOCH_MS, RETRY_YES, 30000, DELAY_RESET},
    {"x-ratelimit-reset epoch ms guessed",
     "x-ratelimit-remaining: 0\nx-ratelimit-reset: 1700000030000\n", NULL, NULL, RESET_UNIT_GUESS,
     RETRY_YES, 30000, DELAY_RESET},
    {"x-ratelimit-reset in the past",
     "x-ratelimit-remaining: 0\nx-ratelimit-reset: 1699999990000\n", NULL, NULL,
     RESET_UNIT_EPOCH_MS, RETRY_YES, 1000, DELAY_BACKOFF},
    {"x-ratelimit-reset a day ahead: too long",
     "x-ratelimit-remaining: 0\nx-ratelimit-reset: 1700086400000\n", NULL, NULL,
     RESET_UNIT_EPOCH_MS, RETRY_NO_TOO_LONG, 86400000, DELAY_RESET},
    /* Together: seconds left */
    {"x-ratelimit-reset in seconds", "x-ratelimit-remaining: 0\nx-ratelimit-reset: 2\n", NULL, NULL,
     RESET_UNIT_SECONDS, RETRY_YES, 2000, DELAY_RESET},
    {"x-ratelimit-reset seconds guessed", "x-ratelimit-remaining: 0\nx-ratelimit-reset: 1.5\n",
     NULL, NULL, RESET_UNIT_GUESS, RETRY_YES, 1500, DELAY_RESET},
    {"the unit decides: seconds, not epoch ms",
     "x-ratelimit-remaining: 0\nx-ratelimit-reset: 1700000030000\n", NULL, NULL, RESET_UNIT_SECONDS,
     RETRY_YES, 1000, DELAY_BACKOFF}, /* absurd as seconds: backoff */
    {"epoch seconds guessed", "x-ratelimit-remaining: 0\nx-ratelimit-reset: 1700000007\n", NULL,
     NULL, RESET_UNIT_GUESS, RETRY_YES, 7000, DELAY_RESET},
    {"x-ratelimit-reset while some remain", "x-ratelimit-remaining: 3\nx-ratelimit-reset: 2\n",
     NULL, NULL, RESET_UNIT_SECONDS, RETRY_YES, 1000, DELAY_BACKOFF},
    /* Anthropic: RFC 3339 */
    {"anthropic requests reset",
     "anthropic-ratelimit-requests-remaining: 0\n"
     "anthropic-ratelimit-requests-reset: 2023-11-14T22:13:25Z\n",
     NULL, NULL, RESET_UNIT_GUESS, RETRY_YES, 5000, DELAY_ANTHROPIC_RESET},
    {"anthropic output tokens reset with an offset",
     "anthropic-ratelimit-output-tokens-remaining: 0\n"
     "anthropic-ratelimit-output-tokens-reset: 2023-11-15T00:13:30.5+02:00\n",
     NULL, NULL, RESET_UNIT_GUESS, RETRY_YES, 10500, DELAY_ANTHROPIC_RESET},
    {"anthropic reset while tokens remain",
     "anthropic-ratelimit-tokens-remaining: 10\n"
     "anthropic-ratelimit-tokens-reset: 2023-11-14T22:13:25Z\n",
     NULL, NULL, RESET_UNIT_GUESS, RETRY_YES, 1000, DELAY_BACKOFF},
};

static void test_provider_delays(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof provider_delay_cases / sizeof provider_delay_cases[0]; i++) {
        const provider_delay_case *c = &provider_delay_cases[i];
        failure f;
        failure_init(&f);
        f.entry = GUIDE_RATE_LIMIT;
        f.type = GUIDE_T_RATE_LIMIT;
        f.status = 429;
        f.err_message = xstrdup(c->message);
        f.retry_delay = xstrdup(c->retry_delay);
        f.reset_unit = c->unit;
        http_headers h;
        hdrs_init(&h);
        parse_headers(&h, c->headers);
        retry_decision d = retry_decide(NULL, &f, &h, 0, false, NOW23, 0.0);
        check_decision(c->name, d, c->verdict, c->delay_ms, c->source, true);
        hdrs_free(&h);
        failure_free(&f);
    }
}

static void test_rfc3339(void **state)
{
    (void)state;
    static const parse_row rows[] = {
        {"2023-11-14T22:13:20Z", 0, INT64_C(1700000000000)},
        {"2023-11-14t22:13:20.123z", 0, INT64_C(1700000000123)},
        {"2023-11-14T22:13:20.1239Z", 0, INT64_C(1700000000123)},
        {"2023-11-15T00:13:20+02:00", 0, INT64_C(1700000000000)},
        {"2023-11-14T18:13:20-02:00", 0, INT64_C(1699992800000)},
        {"2024-02-29T00:00:00Z", 0, INT64_C(1709164800000)},
        {"2023-02-29T00:00:00Z", -1, 0},
        {"2023-11-14T22:13:20", -1, 0},
        {"2023-11-14 22:13:20Z", 0, INT64_C(1700000000000)},
        {"2023-11-14T22:13Z", -1, 0},
        {"2023-11-14T22:13:20.Z", -1, 0},
        {"2023-11-14T22:13:20Z trailing", -1, 0},
        {"2023-13-14T22:13:20Z", -1, 0},
        {"", -1, 0},
    };
    check_parse_rows("RFC 3339", retry_parse_rfc3339, rows, sizeof rows / sizeof rows[0]);
}

/* The gauge of the title bar, from whichever provider's headers came. */
static void test_gauge(void **state)
{
    (void)state;
    static const struct {
        const char *headers;
        reset_unit unit;
        const char *req_left, *req_limit, *tok_left, *tok_limit, *reset_text;
        int64_t reset_ms;
    } rows[] = {
        {"x-ratelimit-limit-requests: 60\nx-ratelimit-remaining-requests: 59\n"
         "x-ratelimit-reset-requests: 1s\n",
         RESET_UNIT_GUESS, "59", "60", NULL, NULL, "1s", 1000},
        {"x-ratelimit-limit: 1000\nx-ratelimit-remaining: 999\nx-ratelimit-reset: 1700000060000\n",
         RESET_UNIT_EPOCH_MS, "999", "1000", NULL, NULL, NULL, 60000},
        {"x-ratelimit-limit: 60\nx-ratelimit-remaining: 58\nx-ratelimit-reset: 4\n",
         RESET_UNIT_SECONDS, "58", "60", NULL, NULL, NULL, 4000},
        {"anthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 49\n"
         "anthropic-ratelimit-requests-reset: 2023-11-14T22:13:30Z\n"
         "anthropic-ratelimit-tokens-limit: 40000\nanthropic-ratelimit-tokens-remaining: 39000\n",
         RESET_UNIT_GUESS, "49", "50", "39000", "40000", NULL, 10000},
        {"", RESET_UNIT_GUESS, NULL, NULL, NULL, NULL, NULL, -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        http_headers h;
        hdrs_init(&h);
        parse_headers(&h, rows[i].headers);
        retry_gauge g;
        retry_gauge_read(&h, rows[i].unit, NOW23, &g);
#define SAME_(a, b) assert_true((a) == NULL ? (b) == NULL : (b) != NULL && strcmp(a, b) == 0)
        SAME_(rows[i].req_left, g.req_left);
        SAME_(rows[i].req_limit, g.req_limit);
        SAME_(rows[i].tok_left, g.tok_left);
        SAME_(rows[i].tok_limit, g.tok_limit);
        SAME_(rows[i].reset_text, g.reset_text);
#undef SAME_
        assert_int_equal(g.reset_ms, rows[i].reset_ms);
        hdrs_free(&h);
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(delay_source_name(DELAY_NONE), "none");
    assert_string_equal(delay_source_name(DELAY_RETRY_AFTER), "retry-after");
    assert_string_equal(delay_source_name(DELAY_RETRY_AFTER_DATE), "retry-after date");
    assert_string_equal(delay_source_name(DELAY_RESET_TOKENS), "x-ratelimit-reset-tokens");
    assert_string_equal(delay_source_name(DELAY_BACKOFF), "backoff");
    assert_string_equal(delay_source_name(DELAY__COUNT), "?");
    assert_string_equal(retry_verdict_text(RETRY_YES), "retrying");
    assert_string_equal(retry_verdict_text(RETRY_NO_QUOTA), "the quota is used up");
    assert_string_equal(retry_verdict_text(RETRY__COUNT), "?");
    for (int i = 0; i < DELAY__COUNT; i++)
        assert_true(strlen(delay_source_name((delay_source)i)) > 0);
    for (int i = 0; i < RETRY__COUNT; i++)
        assert_true(strlen(retry_verdict_text((retry_verdict)i)) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),   cmocka_unit_test(test_delays),
        cmocka_unit_test(test_backoff),    cmocka_unit_test(test_go_durations),
        cmocka_unit_test(test_http_dates), cmocka_unit_test(test_message_delays),
        cmocka_unit_test(test_names),      cmocka_unit_test(test_provider_delays),
        cmocka_unit_test(test_rfc3339),    cmocka_unit_test(test_gauge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
