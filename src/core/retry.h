/* The retry policy (docs/errors.md#retry-policy) as a pure function of the failure, the headers,
 * the history and a random number. */
#ifndef TCHAT_RETRY_H
#define TCHAT_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "http.h"

typedef struct retry_config {
    int max_retries;          /* default 4 (5 attempts); 0 disables auto-retry */
    double initial_s;         /* backoff start, default 1 s */
    double max_delay_s;       /* backoff cap, default 32 s */
    double max_server_wait_s; /* longest server-given delay honoured, default 120 s */
} retry_config;

#define RETRY_CONFIG_DEFAULT {4, 1.0, 32.0, 120.0}

/* Where a delay came from: X(enum, short name for the panel) */
#define DELAY_SOURCES(X)                                  \
    X(DELAY_NONE, "none")                                 \
    X(DELAY_RETRY_AFTER_MS, "retry-after-ms")             \
    X(DELAY_RETRY_AFTER, "retry-after")                   \
    X(DELAY_RETRY_AFTER_DATE, "retry-after date")         \
    X(DELAY_RESET_REQUESTS, "x-ratelimit-reset-requests") \
    X(DELAY_RESET_TOKENS, "x-ratelimit-reset-tokens")     \
    X(DELAY_RESET, "x-ratelimit-reset")                   \
    X(DELAY_ANTHROPIC_RESET, "anthropic-ratelimit-reset") \
    X(DELAY_RETRY_INFO, "retryDelay")                     \
    X(DELAY_MESSAGE, "error message")                     \
    X(DELAY_BACKOFF, "backoff")

#define DELAY_ENUM_(id, name) id,
typedef enum { DELAY_SOURCES(DELAY_ENUM_) DELAY__COUNT } delay_source;
#undef DELAY_ENUM_

/* Why no automatic retry happens. */
#define RETRY_VERDICTS(X)                                                      \
    X(RETRY_YES, "retrying")                                                   \
    X(RETRY_NO_STATUS, "this error does not go away by retrying")              \
    X(RETRY_NO_QUOTA, "the quota is used up")                                  \
    X(RETRY_NO_BILLING, "the balance or the spending limit must change first") \
    X(RETRY_NO_TLS, "a certificate error does not go away by retrying")        \
    X(RETRY_NO_CANCELLED, "cancelled")                                         \
    X(RETRY_NO_CONTENT, "part of the reply had already arrived")               \
    X(RETRY_NO_HEADER, "the server said not to retry (x-should-retry)")        \
    X(RETRY_NO_DISABLED, "automatic retries are off (max_retries 0)")          \
    X(RETRY_NO_EXHAUSTED, "no retries left")                                   \
    X(RETRY_NO_TOO_LONG, "the server asked for a wait longer than max_server_wait")

#define RETRY_ENUM_(id, text) id,
typedef enum { RETRY_VERDICTS(RETRY_ENUM_) RETRY__COUNT } retry_verdict;
#undef RETRY_ENUM_

typedef struct retry_decision {
    retry_verdict verdict;   /* RETRY_YES: retry automatically after delay_ms */
    int64_t delay_ms;        /* the delay (for RETRY_NO_TOO_LONG: the time until the reset) */
    delay_source source;     /* where delay_ms came from (DELAY_NONE when there is none) */
    bool retryable;          /* the failure is of a kind that F5 may sensibly retry */
} retry_decision;

/* retries_taken: automatic retries already made for this prompt (0 after the
 * first failure). got_content: some of the reply had arrived. now_wall_ms: for
 * retry-after HTTP-dates. u: uniform random in [0, 1) for the jitter. */
retry_decision retry_decide(const retry_config *cfg, const failure *f, const http_headers *h,
                            int retries_taken, bool got_content, int64_t now_wall_ms, double u);

const char *delay_source_name(delay_source s);
const char *retry_verdict_text(retry_verdict v);

/* Go durations as in x-ratelimit-reset-*: "20ms", "1s", "6m0s", "4m12.172s",
 * "23h18m29.144s", also "1.5s", "0s", "500us"/"500µs", "2ns". Returns 0 and the
 * value rounded up to whole ms, or -1. */
int retry_parse_go_duration(const char *s, int64_t *ms);
/* RFC 9110 HTTP-date (IMF-fixdate, RFC 850 and asctime forms) to epoch ms; 0 or -1. */
int retry_parse_http_date(const char *s, int64_t *epoch_ms);
/* "Please try again in 26.604s" / "in 120ms" / "in 1m30s", also "Please retry in 38.6s"
 * (Gemini) and "Please retry after 37 seconds" (Azure) inside a message; 0 or -1. */
int retry_parse_message_delay(const char *msg, int64_t *ms);
/* RFC 3339 date-time ("2026-09-01T00:00:00Z", "...T12:00:00.5+02:00") to epoch ms; 0 or -1. */
int retry_parse_rfc3339(const char *s, int64_t *epoch_ms);
/* The time left until a rate-limit reset header's moment, in ms: a Go duration ("6m0s"), an
 * RFC 3339 time, or a number read in unit (RESET_UNIT_GUESS: from 10^12 epoch ms, from 10^9
 * epoch seconds, else seconds left). 0 and the time left (0 when past), or -1. */
int retry_parse_reset(const char *value, reset_unit unit, int64_t now_wall_ms, int64_t *ms);
/* The rate-limit gauge of the last response, whichever provider's headers it carries
 * (OpenAI's x-ratelimit-*-requests/-tokens, OpenRouter's and Together's bare
 * x-ratelimit-*, Anthropic's anthropic-ratelimit-*). Strings point into h; NULL when
 * absent. reset_ms is -1 when no reset header parses. */
typedef struct retry_gauge {
    const char *req_left, *req_limit, *tok_left, *tok_limit;
    const char *reset_text; /* the reset as sent when it is a Go duration ("1s") */
    int64_t reset_ms;
} retry_gauge;
void retry_gauge_read(const http_headers *h, reset_unit unit, int64_t now_wall_ms, retry_gauge *g);

#endif
