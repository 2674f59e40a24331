/* The classifier: (transport result, HTTP status, headers, body) -> guide entry
 * and library type, as docs/errors.md#entries describes. Pure: no I/O, no clock. */
#ifndef TCHAT_CLASSIFY_H
#define TCHAT_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "guide.h"
#include "http.h"

typedef enum { LIMIT_UNKNOWN, LIMIT_REQUESTS, LIMIT_TOKENS } limit_kind;

typedef struct classify_input {
    net_result net;             /* NET_OK when an HTTP status was received */
    long status;                /* 0 when none */
    const http_headers *headers;/* may be NULL */
    const char *body;           /* error body (capped), or the data of a stream error event; may be NULL */
    size_t body_len;
    bool in_stream;             /* the error came inside a 200 SSE stream */
    const char *detail;         /* transport message (libcurl's error buffer), may be NULL */
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
} failure;

void failure_init(failure *f);
void failure_free(failure *f);
void failure_copy(failure *dst, const failure *src);

/* Fills out (which must be initialised; previous contents are freed). */
void classify(const classify_input *in, failure *out);

/* Helpers the classifier is built from, exposed for tests and the UI. */
/* Parses an OpenAI error envelope ({"error": {...}}, or a bare {"message": ...},
 * or {"error": "text"}). Returns true if one was found. */
bool classify_parse_envelope(const char *body, size_t len, failure *out);
/* The text of <title> in an HTML body, whitespace collapsed; NULL if none. Caller frees. */
char *classify_html_title(const char *body, size_t len);

#endif
