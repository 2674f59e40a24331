/* tchat-mock HTTP/1.1: reading requests from a connection and writing responses. */
#ifndef MOCK_HTTP_H
#define MOCK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define MOCK_MAX_HEAD (32 * 1024)        /* request line + headers */
#define MOCK_MAX_HEADERS 100
#define MOCK_MAX_BODY ((size_t)64 << 20)
#define MOCK_IDLE_MS (300 * 1000)        /* a silent client is dropped after this */

typedef struct mock_conn {
    int fd;
    char *in;            /* bytes received, from the current request on */
    size_t in_len, in_cap;
    size_t in_used;      /* bytes of in that belong to the request just read */
    bool gone;           /* the client went away or a write failed: stop and close */
    double req_ms;       /* when the current request arrived (monotonic ms) */
} mock_conn;

typedef struct mock_request {
    char *head;          /* owned copy of the request line and headers, split in place */
    const char *method;
    const char *target;  /* as sent, with any query */
    char *path;          /* owned: target without the query */
    int http_minor;      /* HTTP/1.x */
    const char *hname[MOCK_MAX_HEADERS];
    const char *hvalue[MOCK_MAX_HEADERS];
    size_t n_headers;
    const char *body;    /* points into the connection buffer until the next read */
    size_t body_len;
    bool keep_alive;
} mock_request;

typedef enum mock_read_result {
    MOCK_READ_OK,
    MOCK_READ_GONE,           /* EOF, error or idle timeout: close quietly */
    MOCK_READ_BAD,            /* 400 */
    MOCK_READ_HEAD_TOO_LARGE, /* 431 */
    MOCK_READ_BODY_TOO_LARGE, /* 413 */
    MOCK_READ_NO_LENGTH,      /* 411: chunked request bodies are not supported */
} mock_read_result;

/* Reads the next request. On anything but MOCK_READ_OK the connection must be closed
 * (after an error response); *why says what was wrong. r is freed with mock_request_free
 * in every case. */
mock_read_result mock_read_request(mock_conn *c, mock_request *r, const char **why);
void mock_request_free(mock_request *r);
/* The value of a request header (case-insensitive name), or NULL. */
const char *mock_request_header(const mock_request *r, const char *name);

/* Response headers in order; names compare case-insensitively. */
typedef struct mock_hdrs {
    char **name;
    char **value;
    size_t n, cap;
} mock_hdrs;

/* Replaces a header of that name or appends one; value NULL removes it. */
void mock_hdrs_set(mock_hdrs *h, const char *name, const char *value);
const char *mock_hdrs_get(const mock_hdrs *h, const char *name);
void mock_hdrs_free(mock_hdrs *h);

/* Writers return false once the client is gone (c->gone is then set). */
bool mock_send(mock_conn *c, const void *p, size_t n);
/* Status line and headers, adding openai-processing-ms when absent. */
bool mock_send_head(mock_conn *c, int status, const mock_hdrs *h);
/* One chunk of a chunked body (n > 0), and the terminating zero-length chunk. */
bool mock_send_chunk(mock_conn *c, const void *p, size_t n);
bool mock_send_last_chunk(mock_conn *c);
/* A complete response with Content-Length. */
bool mock_send_simple(mock_conn *c, int status, mock_hdrs *h, const char *content_type,
                      const void *body, size_t len);

/* Waits ms milliseconds; returns false early when the client closes the connection. */
bool mock_wait(mock_conn *c, long ms);
/* Keeps the connection open, sending nothing, until the client goes away. */
void mock_wait_gone(mock_conn *c);
/* Marks the connection for an abrupt close; with rst, the close sends a TCP reset. */
void mock_hangup(mock_conn *c, bool rst);

/* The reason phrase for a status code ("Unknown" when not known). */
const char *mock_reason(int status);

#endif
