/* The classifier: (transport result, HTTP status, headers, body) -> guide entry
 * and library type, as docs/errors.md#entries describes. Pure: no I/O, no clock. */
#ifndef TCHAT_CLASSIFY_H
#define TCHAT_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "guide.h"
#include "http.h"

typedef enum { LIMIT_UNKNOWN, LIMIT_REQUESTS, LIMIT_TOKENS } limit_kind;

/* How a bare x-ratelimit-reset counts: providers disagree (OpenRouter sends the epoch time
 * in milliseconds, Together the seconds left). GUESS goes by the value's shape. */
typedef enum { RESET_UNIT_GUESS, RESET_UNIT_EPOCH_MS, RESET_UNIT_SECONDS } reset_unit;

/* Something the entry's steps cannot know, said as one more step. */
typedef enum { HINT_NONE, HINT_OLLAMA_PULL } classify_hint;

typedef struct classify_input {
    net_result net;             /* NET_OK when an HTTP status was received */
    long status;                /* 0 when none */
    const http_headers *headers;/* may be NULL */
    const char *body;           /* error body (capped), or the data of a stream error event; may be NULL */
    size_t body_len;
    bool in_stream;             /* the error came inside a 200 SSE stream */
    const char *detail;         /* transport message (libcurl's error buffer), may be NULL */
    const char *provider;       /* the profile's provider ("openrouter", "together", ...), or
                                   NULL when none is set */
    const char *base_url;       /* the endpoint, for what the provider leaves open; may be NULL */
} classify_input;

/* A classified failure. All strings are owned (malloc'd) or NULL. */
typedef struct failure {
    guide_entry entry;
    guide_type type;
    net_result net;
    long status;
    char *err_type;      /* error.type from the envelope */
    char *err_code;      /* error.code (numbers are printed as text) */
    char *err_param;     /* error.param */
    char *err_message;   /* error.message, sanitised for display */
    char *html_title;    /* <title> of an HTML body (gateway pages) */
    char *request_id;    /* x-request-id */
    char *detail;        /* transport detail */
    limit_kind limit;    /* which limit a rate-limit hit */
    char *provider;      /* classify_input.provider, copied */
    reset_unit reset_unit; /* how this endpoint's bare x-ratelimit-reset counts */
    char *upstream;        /* the provider behind a router (OpenRouter's metadata.provider_name) */
    char *flagged;         /* the categories a moderation flagged, ", "-joined */
    char *model_name;      /* the model a local server says it lacks (Ollama) */
    char *resumes;         /* when a spending limit lifts, as the server wrote it */
    char *retry_delay;     /* google.rpc.RetryInfo's retryDelay ("38s"), unparsed */
    long n_prompt_tokens, n_ctx; /* llama.cpp's prompt size and context, 0 when not given */
    long quota_limit; /* the smallest quotaValue of Google's QuotaFailure, -1 when none */
    classify_hint hint;
} failure;

/* X(field): every owned string of a failure, so that freeing, copying and masking the
 * key cannot miss one. */
#define FAILURE_STRINGS(X) \
    X(err_type)            \
    X(err_code)            \
    X(err_param)           \
    X(err_message)         \
    X(html_title)          \
    X(request_id)          \
    X(detail)              \
    X(provider)            \
    X(upstream)            \
    X(flagged)             \
    X(model_name)          \
    X(resumes)             \
    X(retry_delay)

void failure_init(failure *f);
void failure_free(failure *f);
void failure_copy(failure *dst, const failure *src);

/* Fills out (which must be initialised; previous contents are freed). */
void classify(const classify_input *in, failure *out);
/* The quota family: the account cannot pay (quota, credits, spend-cap, billing-inactive). */
bool classify_is_billing(guide_entry e);
/* The unit of a bare x-ratelimit-reset: by provider ("openrouter": epoch ms, "together":
 * seconds), else by the base URL's host, else RESET_UNIT_GUESS. Either may be NULL. */
reset_unit classify_reset_unit(const char *provider, const char *base_url);

/* Helpers the classifier is built from, exposed for tests and the UI. */
/* Parses an OpenAI error envelope ({"error": {...}}, or a bare {"message": ...},
 * or {"error": "text"}). Returns true if one was found. */
bool classify_parse_envelope(const char *body, size_t len, failure *out);
/* The text of <title> in an HTML body, whitespace collapsed; NULL if none. Caller frees. */
char *classify_html_title(const char *body, size_t len);

#endif
