/* tchat-mock HTTP/1.1: reading requests from a connection and writing responses. */
#include "mock_http.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "mock_util.h"

/* ---- reading ---- */

static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Waits for the socket to be readable; false on timeout or error. */
static bool wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        int n = poll(&p, 1, timeout_ms);
        if (n > 0)
            return true;
        if (n == 0 || errno != EINTR)
            return false;
    }
}

/* Receives more bytes into c->in; false on EOF, error or idle timeout. */
static bool fill(mock_conn *c, size_t want_cap)
{
    if (c->in_cap < want_cap) {
        c->in = mock_xrealloc(c->in, want_cap);
        c->in_cap = want_cap;
    }
    if (c->in_len >= c->in_cap)
        return false;
    if (!wait_readable(c->fd, MOCK_IDLE_MS))
        return false;
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            return true;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return false;
    }
}

/* Index just past the blank line that ends the head, or 0 while it is incomplete.
 * Bare LF line ends are accepted too. */
static size_t head_end(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\n')
            continue;
        if (i + 1 < len && p[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static bool has_token(const char *list, const char *token)
{
    size_t tl = strlen(token);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == tl && strncasecmp(start, token, tl) == 0)
            return true;
    }
    return false;
}

static mock_read_result parse_head(mock_request *r, char *head, const char **why,
                                   size_t *content_length)
{
    char *line = head;
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    size_t ll = strlen(line);
    if (ll && line[ll - 1] == '\r')
        line[--ll] = '\0';

    /* request-line = method SP request-target SP HTTP-version */
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) {
        *why = "malformed request line";
        return MOCK_READ_BAD;
    }
    *sp1 = *sp2 = '\0';
    r->method = line;
    r->target = sp1 + 1;
    const char *version = sp2 + 1;
    if (sp1 == line) {
        *why = "empty method";
        return MOCK_READ_BAD;
    }
    for (const char *p = r->method; *p; p++)
        if (!is_tchar((unsigned char)*p)) {
            *why = "invalid method";
            return MOCK_READ_BAD;
        }
    /* The absolute form a client sends through a proxy (http_proxy pointed at the mock)
     * is answered as its path, as the origin server would answer it. */
    const char *origin = r->target;
    if (strncasecmp(origin, "http://", 7) == 0) {
        size_t auth = strcspn(origin + 7, "/?#");
        origin = origin[7 + auth] == '/' ? origin + 7 + auth : "/";
    }
    if (origin[0] != '/') {
        *why = "request target must start with / (or be an http:// URL)";
        return MOCK_READ_BAD;
    }
    for (const unsigned char *p = (const unsigned char *)r->target; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) {
            *why = "control character in request target";
            return MOCK_READ_BAD;
        }
    if (strcmp(version, "HTTP/1.1") == 0) {
        r->http_minor = 1;
    } else if (strcmp(version, "HTTP/1.0") == 0) {
        r->http_minor = 0;
    } else {
        *why = "unsupported HTTP version";
        return MOCK_READ_BAD;
    }
    r->path = mock_xstrndup(origin, strcspn(origin, "?#"));

    bool have_length = false;
    bool chunked = false;
    for (line = nl ? nl + 1 : NULL; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (ll == 0)
            break;
        if (line[0] == ' ' || line[0] == '\t') {
            *why = "obsolete header line folding";
            return MOCK_READ_BAD;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line) {
            *why = "header line without a name";
            return MOCK_READ_BAD;
        }
        *colon = '\0';
        for (const char *p = line; *p; p++)
            if (!is_tchar((unsigned char)*p)) {
                *why = "invalid header name";
                return MOCK_READ_BAD;
            }
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        char *end = value + strlen(value);
        while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        for (const unsigned char *p = (const unsigned char *)value; *p; p++)
            if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
                *why = "control character in a header value";
                return MOCK_READ_BAD;
            }
        if (r->n_headers == MOCK_MAX_HEADERS) {
            *why = "too many header fields";
            return MOCK_READ_HEAD_TOO_LARGE;
        }
        r->hname[r->n_headers] = line;
        r->hvalue[r->n_headers] = value;
        r->n_headers++;

        if (strcasecmp(line, "content-length") == 0) {
            size_t n = 0;
            if (!*value || strlen(value) > 18 || strspn(value, "0123456789") != strlen(value)) {
                *why = "invalid Content-Length";
                return MOCK_READ_BAD;
            }
            n = (size_t)strtoull(value, NULL, 10);
            if (have_length && n != *content_length) {
                *why = "conflicting Content-Length headers";
                return MOCK_READ_BAD;
            }
            have_length = true;
            *content_length = n;
        } else if (strcasecmp(line, "transfer-encoding") == 0) {
            chunked = true;
        }
    }
    if (chunked) {
        *why = "Transfer-Encoding in requests is not supported; send Content-Length";
        return MOCK_READ_NO_LENGTH;
    }
    if (*content_length > MOCK_MAX_BODY) {
        *why = "request body larger than 64 MiB";
        return MOCK_READ_BODY_TOO_LARGE;
    }
    const char *conn = mock_request_header(r, "connection");
    if (r->http_minor == 1)
        r->keep_alive = !(conn && has_token(conn, "close"));
    else
        r->keep_alive = conn && has_token(conn, "keep-alive");
    return MOCK_READ_OK;
}

mock_read_result mock_read_request(mock_conn *c, mock_request *r, const char **why)
{
    memset(r, 0, sizeof *r);
    *why = "";
    /* Drop the previous request; keep any pipelined bytes that followed it. */
    if (c->in_used) {
        memmove(c->in, c->in + c->in_used, c->in_len - c->in_used);
        c->in_len -= c->in_used;
        c->in_used = 0;
    }
    size_t end;
    for (;;) {
        /* Empty lines before a request line are allowed (RFC 9112 2.2). */
        size_t lead = 0;
        while (lead < c->in_len && (c->in[lead] == '\r' || c->in[lead] == '\n'))
            lead++;
        if (lead) {
            memmove(c->in, c->in + lead, c->in_len - lead);
            c->in_len -= lead;
        }
        /* A TLS handshake record (https:// to this plain-HTTP server): answered with a
         * plain 400, as real HTTP servers do, which is what clients see as "wrong
         * version number". */
        if (c->in_len && (unsigned char)c->in[0] == 0x16) {
            *why = "a TLS handshake sent to a plain-HTTP port";
            return MOCK_READ_BAD;
        }
        end = head_end(c->in, c->in_len);
        if (end)
            break;
        if (c->in_len >= MOCK_MAX_HEAD) {
            *why = "request head larger than 32 KiB";
            return MOCK_READ_HEAD_TOO_LARGE;
        }
        if (!fill(c, c->in_cap ? c->in_cap : MOCK_MAX_HEAD + 1))
            return MOCK_READ_GONE;
    }
    if (end > MOCK_MAX_HEAD) {
        *why = "request head larger than 32 KiB";
        return MOCK_READ_HEAD_TOO_LARGE;
    }
    c->req_ms = mock_mono_ms();
    if (memchr(c->in, '\0', end)) {
        *why = "NUL byte in the request head";
        return MOCK_READ_BAD;
    }
    r->head = mock_xstrndup(c->in, end);
    size_t cl = 0;
    mock_read_result res = parse_head(r, r->head, why, &cl);
    if (res != MOCK_READ_OK)
        return res;

    size_t need = end + cl;
    if (c->in_len < need) {
        const char *expect = mock_request_header(r, "expect");
        if (expect && strcasecmp(expect, "100-continue") == 0) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            if (!mock_send(c, cont, sizeof cont - 1))
                return MOCK_READ_GONE;
        }
    }
    while (c->in_len < need)
        if (!fill(c, need > c->in_cap ? need : c->in_cap))
            return MOCK_READ_GONE;
    r->body = c->in + end;
    r->body_len = cl;
    c->in_used = need;
    return MOCK_READ_OK;
}

void mock_request_free(mock_request *r)
{
    free(r->head);
    free(r->path);
    memset(r, 0, sizeof *r);
}

const char *mock_request_header(const mock_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->hname[i], name) == 0)
            return r->hvalue[i];
    return NULL;
}

/* ---- response headers ---- */

void mock_hdrs_set(mock_hdrs *h, const char *name, const char *value)
{
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->name[i], name) != 0)
            continue;
        if (value) {
            free(h->value[i]);
            h->value[i] = mock_xstrdup(value);
        } else {
            free(h->name[i]);
            free(h->value[i]);
            memmove(&h->name[i], &h->name[i + 1], (h->n - i - 1) * sizeof *h->name);
            memmove(&h->value[i], &h->value[i + 1], (h->n - i - 1) * sizeof *h->value);
            h->n--;
        }
        return;
    }
    if (!value)
        return;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->name = mock_xrealloc(h->name, h->cap * sizeof *h->name);
        h->value = mock_xrealloc(h->value, h->cap * sizeof *h->value);
    }
    h->name[h->n] = mock_xstrdup(name);
    h->value[h->n] = mock_xstrdup(value);
    h->n++;
}

const char *mock_hdrs_get(const mock_hdrs *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->name[i], name) == 0)
            return h->value[i];
    return NULL;
}

void mock_hdrs_free(mock_hdrs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->name[i]);
        free(h->value[i]);
    }
    free(h->name);
    free(h->value);
    memset(h, 0, sizeof *h);
}

/* ---- writing ---- */

static bool send_iov(mock_conn *c, struct iovec *iov, int n)
{
    if (c->gone)
        return false;
    while (n > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            c->gone = true;
            return false;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return true;
}

bool mock_send(mock_conn *c, const void *p, size_t n)
{
    struct iovec iov = {.iov_base = (void *)p, .iov_len = n};
    return n == 0 || send_iov(c, &iov, 1);
}

bool mock_send_head(mock_conn *c, int status, const mock_hdrs *h)
{
    mock_buf b = {0};
    mock_buf_printf(&b, "HTTP/1.1 %d %s\r\n", status, mock_reason(status));
    bool have_ms = false;
    for (size_t i = 0; i < h->n; i++) {
        mock_buf_printf(&b, "%s: %s\r\n", h->name[i], h->value[i]);
        have_ms |= strcasecmp(h->name[i], "openai-processing-ms") == 0;
    }
    if (!have_ms) {
        double ms = mock_mono_ms() - c->req_ms;
        mock_buf_printf(&b, "openai-processing-ms: %ld\r\n", ms > 0 ? (long)ms : 0L);
    }
    mock_buf_adds(&b, "\r\n");
    bool ok = mock_send(c, b.data, b.len);
    mock_buf_free(&b);
    return ok;
}

bool mock_send_chunk(mock_conn *c, const void *p, size_t n)
{
    if (n == 0)
        return !c->gone; /* a zero-length chunk would end the body */
    char size[32];
    int sl = snprintf(size, sizeof size, "%zx\r\n", n);
    struct iovec iov[3] = {
        {.iov_base = size, .iov_len = (size_t)sl},
        {.iov_base = (void *)p, .iov_len = n},
        {.iov_base = (void *)"\r\n", .iov_len = 2},
    };
    return send_iov(c, iov, 3);
}

bool mock_send_last_chunk(mock_conn *c)
{
    return mock_send(c, "0\r\n\r\n", 5);
}

bool mock_send_simple(mock_conn *c, int status, mock_hdrs *h, const char *content_type,
                      const void *body, size_t len)
{
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", len);
    if (content_type && !mock_hdrs_get(h, "content-type"))
        mock_hdrs_set(h, "content-type", content_type);
    mock_hdrs_set(h, "content-length", cl);
    return mock_send_head(c, status, h) && mock_send(c, body, len);
}

bool mock_wait(mock_conn *c, long ms)
{
    double deadline = mock_mono_ms() + (double)ms;
    for (;;) {
        double left = deadline - mock_mono_ms();
        if (left <= 0)
            return true;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        char byte;
        ssize_t got = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            c->gone = true;
            return false;
        }
        if (got > 0) {
            /* The client sent more (a pipelined request): poll would spin, so just sleep. */
            left = deadline - mock_mono_ms();
            mock_sleep_ms(left > 0 ? (long)left + 1 : 0);
            return true;
        }
    }
}

void mock_wait_gone(mock_conn *c)
{
    char scratch[4096];
    while (!c->gone) {
        if (!wait_readable(c->fd, -1)) {
            c->gone = true;
            break;
        }
        ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            c->gone = true;
    }
}

void mock_hangup(mock_conn *c, bool rst)
{
    if (rst) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    c->gone = true;
}

const char *mock_reason(int status)
{
    static const struct {
        int code;
        const char *text;
    } reasons[] = {
        {100, "Continue"}, {200, "OK"}, {201, "Created"}, {202, "Accepted"},
        {204, "No Content"}, {301, "Moved Permanently"}, {302, "Found"},
        {304, "Not Modified"}, {307, "Temporary Redirect"}, {308, "Permanent Redirect"},
        {400, "Bad Request"}, {401, "Unauthorized"}, {402, "Payment Required"},
        {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
        {407, "Proxy Authentication Required"}, {408, "Request Timeout"}, {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"}, {413, "Payload Too Large"},
        {415, "Unsupported Media Type"}, {418, "I'm a teapot"},
        {422, "Unprocessable Entity"}, {425, "Too Early"}, {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
        {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
        {504, "Gateway Timeout"}, {520, "Unknown Error"}, {521, "Web Server Is Down"},
        {522, "Connection Timed Out"}, {524, "A Timeout Occurred"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].code == status)
            return reasons[i].text;
    return "Unknown";
}
