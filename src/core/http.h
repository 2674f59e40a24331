/* Response headers as captured by the worker, and the transport outcome of a request. */
#ifndef TCHAT_HTTP_H
#define TCHAT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* How a transfer ended, independent of libcurl so that the classifier and the
 * retry policy can be tested without it. NET_OK means an HTTP response (any
 * status) was received completely. */
#define NET_RESULTS(X)                                                                 \
    X(NET_OK, "ok")                                                                    \
    X(NET_DNS, "dns")                     /* could not resolve host */                 \
    X(NET_REFUSED, "connect-refused")     /* nobody listening */                      \
    X(NET_CONNECT, "connect")             /* other connect failure, reset, send/recv */ \
    X(NET_TLS, "tls")                     /* certificate or handshake problem */      \
    X(NET_PROXY, "proxy")                 /* proxy could not be used */               \
    X(NET_TIMEOUT_CONNECT, "connect-timeout")                                         \
    X(NET_TIMEOUT_IDLE, "idle-timeout")   /* no byte for idle_timeout seconds */      \
    X(NET_TIMEOUT_FIRST_TOKEN, "first-token-timeout") /* the reply did not begin in time */ \
    X(NET_STREAM_CUT, "stream-cut")       /* body ended before data: [DONE] */        \
    X(NET_MALFORMED, "malformed")         /* 2xx body we could not parse */           \
    X(NET_TOO_LARGE, "too-large")         /* an SSE line over the cap */              \
    X(NET_CANCELLED, "cancelled")                                                      \
    X(NET_OTHER, "other")

#define NET_ENUM_(id, name) id,
typedef enum { NET_RESULTS(NET_ENUM_) NET__COUNT } net_result;
#undef NET_ENUM_

const char *net_result_name(net_result r);

/* Captured headers; names are stored lowercased, values trimmed. */
typedef struct http_header {
    char *name;
    char *value;
} http_header;

typedef struct http_headers {
    http_header *v;
    size_t n;
    size_t cap;
} http_headers;

void hdrs_init(http_headers *h);
void hdrs_clear(http_headers *h); /* drop all, keep memory */
void hdrs_free(http_headers *h);
void hdrs_add(http_headers *h, const char *name, size_t name_len, const char *value, size_t value_len);
/* Parses one raw header line ("Name: value", line end removed); a status line ("HTTP/...")
 * clears what was captured so far, as a redirect or a 100-continue starts over.
 * The line comes from the network: name and value are sanitised (src/core/sanitize.h) to
 * one line of at most 4 KiB each before they are kept.
 * Returns the status code for a status line, 0 otherwise. */
int hdrs_parse_line(http_headers *h, const char *line, size_t len);
/* Value of the last header with that name (case-insensitive), or NULL. */
const char *hdrs_get(const http_headers *h, const char *name);
void hdrs_copy(http_headers *dst, const http_headers *src);

#endif
