/* The worker against a tiny HTTP server running in the test: canned responses
 * per path, so every outcome (stream, cut, stall, error status, cancel,
 * refused, keep-alive, back-pressure) is reproducible without tchat-mock. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"
#include "util.h"
#include "worker.h"

/* ------------------------------------------------------------------ */
/* Canned bodies                                                        */

static char *chunk(const char *delta_json)
{
    return xasprintf("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
                     "\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":null}]}\n\n",
                     delta_json);
}

static void add_chunk(buf *b, const char *delta_json)
{
    char *c = chunk(delta_json);
    buf_puts(b, c);
    free(c);
}

static void add_content(buf *b, const char *text)
{
    char *d = xasprintf("{\"content\":\"%s\"}", text);
    add_chunk(b, d);
    free(d);
}

#define FINISH_CHUNK                                                                          \
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"    \
    "\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
#define USAGE_CHUNK                                                                           \
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"     \
    "{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}}\n\n"
#define DONE_CHUNK "data: [DONE]\n\n"
#define STREAM_ERROR_JSON "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"code\":null}}"
#define RATE_LIMIT_JSON                                                                       \
    "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\","      \
    "\"code\":\"rate_limit_exceeded\"}}"
#define HTML_500 "<html><head><title>500 Internal Server Error</title></head><body>oops</body></html>"
#define LOGIN_HTML                                                                            \
    "<html><head><title>Sign in - Hotel Wi-Fi</title></head><body><form action=\"/login\">"  \
    "</form></body></html>\n"
/* Escape sequences, a bidi override and a C1 CSI in a header value and a finish reason. */
#define HOSTILE_HEADER "X-Evil: \x1b]0;pwned\x07" "a\xe2\x80\xae" "b\xc2\x9b" "31mc\t!\r\n"
#define HOSTILE_FINISH                                                                        \
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"                     \
    "\"st\\u001b]0;pwned\\u0007op\\u202e\\u0085\"}]}\n\n"
#define MODELS_JSON "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\"},{\"id\":\"gpt-4o-mini\"}]}"
#define COMPLETION_JSON                                                                       \
    "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,"  \
    "\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\"},\"finish_reason\":"        \
    "\"stop\"}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}"

#define REASONING_JSON                                                                        \
    "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,"  \
    "\"message\":{\"role\":\"assistant\",\"content\":\"Four.\",\"reasoning_content\":"         \
    "\"2+2\"},\"finish_reason\":\"stop\"}]}"
#define THINK_JSON                                                                            \
    "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,"  \
    "\"message\":{\"role\":\"assistant\",\"content\":\"<think>\\nhmm\\n</think>\\n\\nFour.\"},"   \
    "\"finish_reason\":\"stop\"}]}"

static void sse_hello(buf *b)
{
    add_content(b, "Hel");
    add_content(b, "lo");
    add_content(b, " world");
}

/* A long stream: n deltas of len characters each; the expected text goes to text. */
static void gen_stream(size_t n, size_t len, buf *sse, buf *text)
{
    char *piece = xmalloc(len + 1);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < len; k++)
            piece[k] = (char)('a' + (i * 7 + k) % 26);
        piece[len] = '\0';
        char num[24];
        int nl = snprintf(num, sizeof num, "%zu ", i);
        memcpy(piece, num, (size_t)nl < len ? (size_t)nl : len);
        add_content(sse, piece);
        buf_append(text, piece, len);
    }
    buf_puts(sse, FINISH_CHUNK USAGE_CHUNK DONE_CHUNK);
    free(piece);
}

static buf big_sse, big_text, huge_sse, huge_text;
static atomic_size_t huge_sent; /* bytes of /huge the server got into the socket */

/* ------------------------------------------------------------------ */
/* The server                                                           */

#define MAX_CONNS 512

typedef struct server {
    int lfd;
    int port;
    int stop_pipe[2];
    pthread_t accept_thread;
    pthread_mutex_t lock;
    pthread_t conns[MAX_CONNS];
    size_t nconns;
    char *last_request; /* head and body of the last /echo request, under lock */
    atomic_int accepts;
} server;

typedef struct conn {
    server *srv;
    int fd;
    int serial;        /* sent back as X-Conn: which connection served a request */
    char in[65536];
    size_t inlen;
} conn;

static server srv;

/* Waits for fd to be ready (events) or the server to stop. */
static bool srv_wait(server *s, int fd, short events)
{
    struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = s->stop_pipe[0], .events = POLLIN}};
    for (;;) {
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (p[1].revents & POLLIN))
            return false;
        if (p[0].revents)
            return true;
    }
}

static bool send_all(conn *c, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        if (!srv_wait(c->srv, c->fd, POLLOUT))
            return false;
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool send_str(conn *c, const char *s)
{
    return send_all(c, s, strlen(s));
}

/* Sends a complete response with Content-Length: the connection stays usable. */
static bool respond(conn *c, const char *status, const char *headers, const char *body, size_t len)
{
    char *head = xasprintf("HTTP/1.1 %s\r\n%sX-Conn: %d\r\nContent-Length: %zu\r\n\r\n", status,
                           headers, c->serial, len);
    bool ok = send_str(c, head) && send_all(c, body, len);
    free(head);
    return ok;
}

/* Blocks until the client closes the connection (or the server stops). */
static void wait_client_close(conn *c)
{
    char tmp[4096];
    while (srv_wait(c->srv, c->fd, POLLIN)) {
        ssize_t n = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return;
    }
}

#define SSE_HEADERS "Content-Type: text/event-stream\r\n"

/* One chunk of a chunked body. */
static bool send_chunk(conn *c, const char *data)
{
    char *head = xasprintf("%zx\r\n", strlen(data));
    bool ok = send_str(c, head) && send_str(c, data) && send_str(c, "\r\n");
    free(head);
    return ok;
}

/* A chunked event stream that holds: a keep-alive every 100 ms for hold_ms (for ever when
 * negative) after `first` (sent at once when not NULL), then `rest` and the end. */
static bool stream_held(conn *c, const char *first, int hold_ms, const char *rest)
{
    if (!send_str(c, "HTTP/1.1 200 OK\r\n" SSE_HEADERS "Transfer-Encoding: chunked\r\n\r\n"))
        return false;
    if (first && !send_chunk(c, first))
        return false;
    int64_t end = clock_mono_ms() + hold_ms;
    while (hold_ms < 0 || clock_mono_ms() < end) {
        if (!send_chunk(c, ": keep-alive\n\n"))
            return false;
        struct pollfd p = {.fd = c->srv->stop_pipe[0], .events = POLLIN};
        if (poll(&p, 1, 100) != 0)
            return false;
    }
    return send_chunk(c, rest) && send_str(c, "0\r\n\r\n");
}
#define JSON_HEADERS "Content-Type: application/json\r\n"

/* Answers one request; returns whether the connection may serve another. */
static bool handle(conn *c, const char *path)
{
    buf b;
    buf_init(&b);
    bool keep = true;

    if (strcmp(path, "/sse-ok") == 0 || strcmp(path, "/echo") == 0) {
        sse_hello(&b);
        buf_puts(&b, FINISH_CHUNK USAGE_CHUNK DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/sse-split") == 0) {
        sse_hello(&b);
        buf_puts(&b, FINISH_CHUNK USAGE_CHUNK DONE_CHUNK);
        /* CRLF line ends, each byte its own segment: a CR and its LF arrive apart. */
        buf crlf;
        buf_init(&crlf);
        for (size_t i = 0; i < b.len; i++) {
            if (b.data[i] == '\n')
                buf_putc(&crlf, '\r');
            buf_putc(&crlf, b.data[i]);
        }
        char *head = xasprintf("HTTP/1.1 200 OK\r\n" SSE_HEADERS "Content-Length: %zu\r\n\r\n",
                               crlf.len);
        keep = send_str(c, head);
        free(head);
        for (size_t i = 0; keep && i < crlf.len; i++)
            keep = send_all(c, crlf.data + i, 1);
        buf_free(&crlf);
    } else if (strcmp(path, "/refusal") == 0) {
        add_chunk(&b, "{\"refusal\":\"I can\"}");
        add_chunk(&b, "{\"refusal\":\"not\"}");
        buf_puts(&b, FINISH_CHUNK DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/comments") == 0) {
        /* keep-alive comments, a multi-line event, no space after the colon */
        buf_puts(&b, ": keep-alive\n\n: OPENROUTER PROCESSING\n\n");
        add_content(&b, "one");
        buf_puts(&b, "data:{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" two\"}}]}\n\n");
        buf_puts(&b, FINISH_CHUNK DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/escapes") == 0) {
        add_content(&b, "a\\u001b[31mred\\u001b[0m\\u0007b");
        /* an escape sequence split across two deltas */
        add_content(&b, "x\\u001b[3");
        add_content(&b, "1my\\t\\u00e9");
        buf_puts(&b, FINISH_CHUNK DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/429") == 0) {
        keep = respond(c, "429 Too Many Requests",
                       JSON_HEADERS "Retry-After: 3\r\nx-request-id: req_abc123\r\n"
                                    "x-ratelimit-remaining-requests: 0\r\n",
                       RATE_LIMIT_JSON, strlen(RATE_LIMIT_JSON));
    } else if (strcmp(path, "/500-html") == 0) {
        keep = respond(c, "500 Internal Server Error", "Content-Type: text/html\r\n", HTML_500,
                       strlen(HTML_500));
    } else if (strcmp(path, "/500-huge") == 0) {
        size_t n = (size_t)3 << 20;
        char *big = xmalloc(n);
        memset(big, 'x', n);
        keep = respond(c, "500 Internal Server Error", "Content-Type: text/plain\r\n", big, n);
        free(big);
    } else if (strcmp(path, "/reasoning") == 0) {
        add_chunk(&b, "{\"role\":\"assistant\",\"content\":\"\",\"reasoning_content\":null}");
        add_chunk(&b, "{\"reasoning_content\":\"Two and \"}");
        add_chunk(&b, "{\"reasoning\":\"two\\u001b[2J.\"}"); /* OpenRouter's name, and an escape */
        add_chunk(&b, "{\"content\":\"Four\",\"reasoning_content\":\"\"}");
        buf_puts(&b, FINISH_CHUNK DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/think") == 0) {
        /* The tags split across deltas, as llama.cpp streams them. */
        add_content(&b, "<th");
        add_content(&b, "ink>\\nLet me see</t");
        add_content(&b, "hink>\\n");
        add_content(&b, "\\nFour.");
        buf_puts(&b, FINISH_CHUNK DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/think-unclosed") == 0) {
        add_content(&b, "<think>still thinking</thi");
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/reasoning-json") == 0) {
        keep = respond(c, "200 OK", JSON_HEADERS, REASONING_JSON, strlen(REASONING_JSON));
    } else if (strcmp(path, "/think-json") == 0) {
        keep = respond(c, "200 OK", JSON_HEADERS, THINK_JSON, strlen(THINK_JSON));
    } else if (strcmp(path, "/hold") == 0) {
        stream_held(c, NULL, -1, "");
        keep = false;
    } else if (strcmp(path, "/hold-then-ok") == 0) {
        sse_hello(&b);
        buf_puts(&b, FINISH_CHUNK DONE_CHUNK);
        keep = stream_held(c, NULL, 1500, buf_str(&b));
    } else if (strcmp(path, "/event-then-keepalives") == 0) {
        add_content(&b, "Hel");
        char *first = xstrdup(buf_str(&b));
        buf_reset(&b);
        add_content(&b, "lo");
        buf_puts(&b, FINISH_CHUNK DONE_CHUNK);
        keep = stream_held(c, first, 1500, buf_str(&b));
        free(first);
    } else if (strcmp(path, "/stall") == 0) {
        send_str(c, "HTTP/1.1 200 OK\r\n" SSE_HEADERS "Transfer-Encoding: chunked\r\n\r\n");
        wait_client_close(c);
        keep = false;
    } else if (strcmp(path, "/nothing") == 0) {
        wait_client_close(c);
        keep = false;
    } else if (strcmp(path, "/drop") == 0) {
        add_content(&b, "Hel");
        add_content(&b, "lo");
        send_str(c, "HTTP/1.1 200 OK\r\n" SSE_HEADERS "Content-Length: 100000\r\n\r\n");
        send_all(c, b.data, b.len);
        keep = false;
    } else if (strcmp(path, "/drop-eof") == 0) {
        add_content(&b, "Hel");
        add_content(&b, "lo");
        buf_puts(&b, "data: {\"choices\":[{\"ind"); /* cut inside an event */
        send_str(c, "HTTP/1.1 200 OK\r\n" SSE_HEADERS "Connection: close\r\n\r\n");
        send_all(c, b.data, b.len);
        keep = false;
    } else if (strcmp(path, "/no-done") == 0) {
        sse_hello(&b);
        buf_puts(&b, FINISH_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/empty-stream") == 0) {
        keep = respond(c, "200 OK", SSE_HEADERS, "", 0);
    } else if (strcmp(path, "/stream-error") == 0) {
        add_content(&b, "Hi");
        buf_puts(&b, "data: " STREAM_ERROR_JSON "\n\n");
        add_content(&b, "never shown");
        buf_puts(&b, DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/event-error") == 0) {
        buf_puts(&b, "event: error\ndata: " STREAM_ERROR_JSON "\n\n");
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/malformed") == 0) {
        add_content(&b, "ok");
        buf_puts(&b, "data: {not json\x1b[31m at all}\n\n" DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/after-done") == 0) {
        add_content(&b, "end");
        buf_puts(&b, DONE_CHUNK);
        add_content(&b, "ignored");
        keep = respond(c, "200 OK", SSE_HEADERS, b.data, b.len);
    } else if (strcmp(path, "/long-line") == 0) {
        size_t n = (size_t)9 << 20;
        char *big = xmalloc(n);
        memcpy(big, "data: ", 6);
        memset(big + 6, 'a', n - 6);
        keep = respond(c, "200 OK", SSE_HEADERS, big, n);
        free(big);
    } else if (strcmp(path, "/json") == 0) {
        keep = respond(c, "200 OK", JSON_HEADERS, COMPLETION_JSON, strlen(COMPLETION_JSON));
    } else if (strcmp(path, "/json-error") == 0) {
        keep = respond(c, "200 OK", JSON_HEADERS, STREAM_ERROR_JSON, strlen(STREAM_ERROR_JSON));
    } else if (strcmp(path, "/json-bad") == 0) {
        keep = respond(c, "200 OK", JSON_HEADERS, "<html>not json</html>", 21);
    } else if (strcmp(path, "/login-page") == 0) {
        keep = respond(c, "200 OK", "Content-Type: text/html; charset=utf-8\r\n", LOGIN_HTML,
                       strlen(LOGIN_HTML));
    } else if (strcmp(path, "/login-page-untyped") == 0) {
        /* No content type at all: the first byte that is not blank gives it away. */
        static const char page[] = " \r\n" LOGIN_HTML;
        keep = respond(c, "200 OK", "", page, sizeof page - 1);
    } else if (strcmp(path, "/hostile") == 0) {
        add_content(&b, "ok");
        buf_puts(&b, HOSTILE_FINISH DONE_CHUNK);
        keep = respond(c, "200 OK", SSE_HEADERS HOSTILE_HEADER, b.data, b.len);
    } else if (strncmp(path, "tchat-proxy-auth.invalid:", 25) == 0) {
        /* CONNECT through this server as a proxy that wants credentials. */
        keep = respond(c, "407 Proxy Authentication Required",
                       "Proxy-Authenticate: Basic realm=\"test\"\r\n", "", 0);
    } else if (strcmp(path, "/sse-as-text") == 0) {
        add_content(&b, "Hi");
        buf_puts(&b, DONE_CHUNK);
        keep = respond(c, "200 OK", "Content-Type: text/plain\r\n", b.data, b.len);
    } else if (strcmp(path, "/models") == 0) {
        keep = respond(c, "200 OK", JSON_HEADERS, MODELS_JSON, strlen(MODELS_JSON));
    } else if (strcmp(path, "/models-404") == 0) {
        keep = respond(c, "404 Not Found", JSON_HEADERS, "{\"error\":\"nope\"}", 16);
    } else if (strcmp(path, "/continue") == 0) {
        send_str(c, "HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n");
        keep = respond(c, "200 OK", JSON_HEADERS "X-Final: 1\r\n", MODELS_JSON,
                       strlen(MODELS_JSON));
    } else if (strcmp(path, "/big") == 0) {
        keep = respond(c, "200 OK", SSE_HEADERS, big_sse.data, big_sse.len);
    } else if (strcmp(path, "/huge") == 0) {
        char *head = xasprintf("HTTP/1.1 200 OK\r\n" SSE_HEADERS "Content-Length: %zu\r\n\r\n",
                               huge_sse.len);
        keep = send_str(c, head);
        free(head);
        atomic_store(&huge_sent, 0);
        for (size_t off = 0; keep && off < huge_sse.len; off += 65536) {
            size_t n = huge_sse.len - off < 65536 ? huge_sse.len - off : 65536;
            keep = send_all(c, huge_sse.data + off, n);
            atomic_store(&huge_sent, off + n);
        }
    } else {
        keep = respond(c, "404 Not Found", "Content-Type: text/plain\r\n", "no such path", 12);
    }
    buf_free(&b);
    return keep;
}

/* Reads one request into c->in; returns its total length (head + body) or 0 at EOF. */
static size_t read_request(conn *c, size_t *head_len)
{
    for (;;) {
        char *end = NULL;
        for (size_t i = 0; i + 4 <= c->inlen && !end; i++)
            if (memcmp(c->in + i, "\r\n\r\n", 4) == 0)
                end = c->in + i;
        if (end) {
            *head_len = (size_t)(end - c->in) + 4;
            size_t body = 0;
            for (char *p = c->in; p < end; p++)
                if (str_ncasecmp(p, "\r\ncontent-length:", 17) == 0)
                    body = strtoul(p + 17, NULL, 10);
            if (*head_len + body <= c->inlen)
                return *head_len + body;
        }
        if (c->inlen == sizeof c->in)
            return 0;
        if (!srv_wait(c->srv, c->fd, POLLIN))
            return 0;
        ssize_t n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return 0;
        c->inlen += (size_t)n;
    }
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
        if (c->inlen == 0 && srv_wait(c->srv, c->fd, POLLIN)) {
            ssize_t n = recv(c->fd, c->in, sizeof c->in, MSG_DONTWAIT);
            if (n <= 0)
                break;
            c->inlen = (size_t)n;
            if (c->in[0] == 0x16) { /* a TLS ClientHello: answer in plain text */
                send_str(c, "HTTP/1.1 400 Bad Request\r\n\r\n");
                break;
            }
        }
        size_t head_len;
        size_t total = read_request(c, &head_len);
        if (!total)
            break;
        char path[256] = "";
        const char *sp = memchr(c->in, ' ', head_len);
        if (sp) {
            size_t pl = strcspn(sp + 1, " \r\n");
            snprintf(path, sizeof path, "%.*s", (int)(pl < 255 ? pl : 255), sp + 1);
        }
        if (strcmp(path, "/echo") == 0) {
            pthread_mutex_lock(&c->srv->lock);
            free(c->srv->last_request);
            c->srv->last_request = xstrndup(c->in, total);
            pthread_mutex_unlock(&c->srv->lock);
        }
        memmove(c->in, c->in + total, c->inlen - total);
        c->inlen -= total;
        if (!handle(c, path))
            break;
    }
    close(c->fd);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    server *s = arg;
    while (srv_wait(s, s->lfd, POLLIN)) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        conn *c = xcalloc(1, sizeof *c);
        c->serial = atomic_fetch_add(&s->accepts, 1) + 1;
        c->srv = s;
        c->fd = fd;
        pthread_mutex_lock(&s->lock);
        if (s->nconns < MAX_CONNS && pthread_create(&s->conns[s->nconns], NULL, conn_main, c) == 0) {
            s->nconns++;
        } else {
            close(fd);
            free(c);
        }
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0
        || getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static void server_start(server *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    atomic_init(&s->accepts, 0);
    assert_int_equal(pipe(s->stop_pipe), 0);
    s->lfd = listen_any(&s->port);
    assert_true(s->lfd >= 0);
    assert_int_equal(listen(s->lfd, 64), 0);
    assert_int_equal(pthread_create(&s->accept_thread, NULL, accept_main, s), 0);
}

static void server_stop(server *s)
{
    assert_int_equal(write(s->stop_pipe[1], "x", 1), 1);
    pthread_join(s->accept_thread, NULL);
    pthread_mutex_lock(&s->lock);
    size_t n = s->nconns;
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++)
        pthread_join(s->conns[i], NULL);
    close(s->lfd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    free(s->last_request);
    pthread_mutex_destroy(&s->lock);
}

static char *last_request(void)
{
    pthread_mutex_lock(&srv.lock);
    char *r = xstrdup(srv.last_request);
    pthread_mutex_unlock(&srv.lock);
    return r;
}

/* ------------------------------------------------------------------ */
/* Collecting events                                                    */

typedef struct result {
    uint64_t id;
    char kinds[64];           /* collapsed: R response, C content, r refusal, T reasoning,
                                 H held, F finish, U usage, D done, X failed */
    int nevents[WEV_FAILED + 1];
    buf text, refusal, reasoning, body, finish;
    char held[8];             /* each WEV_HELD: '1' held, '0' no longer */
    http_headers headers;     /* of the last WEV_RESPONSE / WEV_FAILED */
    net_result net;
    long status;
    bool in_stream, got_content, terminal, after_terminal;
    bool ignore;              /* collect() does not wait for this one */
    char *detail;
    long prompt_tokens, completion_tokens, total_tokens;
    int64_t end_mono_ms;
} result;

static void result_init(result *r, uint64_t id)
{
    memset(r, 0, sizeof *r);
    r->id = id;
    r->net = NET__COUNT;
    hdrs_init(&r->headers);
}

static void result_free(result *r)
{
    buf_free(&r->text);
    buf_free(&r->refusal);
    buf_free(&r->reasoning);
    buf_free(&r->body);
    buf_free(&r->finish);
    hdrs_free(&r->headers);
    free(r->detail);
}

static void result_add(result *r, const worker_event *ev)
{
    static const char letters[] = {
        [WEV_RESPONSE] = 'R', [WEV_CONTENT] = 'C', [WEV_REFUSAL] = 'r', [WEV_REASONING] = 'T',
        [WEV_HELD] = 'H',     [WEV_FINISH] = 'F',  [WEV_USAGE] = 'U',   [WEV_DONE] = 'D',
        [WEV_FAILED] = 'X'};
    assert_true(ev->wall_ms > 0);
    assert_true((unsigned)ev->kind <= WEV_FAILED);
    if (r->terminal)
        r->after_terminal = true;
    r->nevents[ev->kind]++;
    size_t kl = strlen(r->kinds);
    if ((kl == 0 || r->kinds[kl - 1] != letters[ev->kind]) && kl + 1 < sizeof r->kinds)
        r->kinds[kl] = letters[ev->kind];
    switch (ev->kind) {
    case WEV_RESPONSE:
        r->status = ev->status;
        hdrs_copy(&r->headers, &ev->headers);
        break;
    case WEV_CONTENT:
        assert_true(ev->text.len > 0);
        buf_append(&r->text, ev->text.data, ev->text.len);
        break;
    case WEV_REFUSAL:
        buf_append(&r->refusal, ev->text.data, ev->text.len);
        break;
    case WEV_REASONING:
        assert_true(ev->text.len > 0);
        buf_append(&r->reasoning, ev->text.data, ev->text.len);
        break;
    case WEV_HELD:
        if (strlen(r->held) + 1 < sizeof r->held)
            r->held[strlen(r->held)] = ev->held ? '1' : '0';
        break;
    case WEV_FINISH:
        buf_append(&r->finish, ev->text.data, ev->text.len);
        break;
    case WEV_USAGE:
        r->prompt_tokens = ev->prompt_tokens;
        r->completion_tokens = ev->completion_tokens;
        r->total_tokens = ev->total_tokens;
        break;
    case WEV_DONE:
        r->net = NET_OK;
        buf_append(&r->body, ev->body.data, ev->body.len);
        r->terminal = true;
        break;
    case WEV_FAILED:
        r->net = ev->net;
        r->status = ev->status;
        hdrs_copy(&r->headers, &ev->headers);
        buf_append(&r->body, ev->body.data, ev->body.len);
        r->in_stream = ev->in_stream;
        r->got_content = ev->got_content;
        free(r->detail);
        r->detail = xstrdup(ev->detail);
        r->terminal = true;
        break;
    }
    if (r->terminal && !r->end_mono_ms)
        r->end_mono_ms = clock_mono_ms();
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Drains events into rs (matched by job id) until all are terminal or
 * timeout_ms passes. render_ms simulates a consumer that takes that long per
 * batch (a UI drawing a frame). Returns the number of non-empty drains. */
static int collect(worker *w, result *rs, size_t n, int timeout_ms, int render_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    int drains = 0;
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < n; i++)
            all = all && (rs[i].terminal || rs[i].ignore);
        if (all)
            return drains;
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return drains;
        struct pollfd p = {.fd = worker_wake_fd(w), .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        worker_event *ev = worker_drain(w);
        if (ev)
            drains++;
        while (ev) {
            worker_event *next = ev->next;
            bool matched = false;
            for (size_t i = 0; i < n; i++)
                if (rs[i].id == ev->job) {
                    result_add(&rs[i], ev);
                    matched = true;
                }
            assert_true(matched);
            worker_event_free(ev);
            ev = next;
        }
        if (render_ms)
            sleep_ms(render_ms);
    }
}

static worker_job job_for(const char *path, job_kind kind, bool stream)
{
    static char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path);
    worker_job j = {
        .kind = kind,
        .url = url,
        .body = kind == JOB_CHAT ? "{\"model\":\"m\",\"messages\":[]}" : NULL,
        .stream = stream,
        .connect_timeout_s = 5,
        .idle_timeout_s = 30,
    };
    return j;
}

static worker *new_worker(void)
{
    char err[256] = "";
    worker *w = worker_new(err, sizeof err);
    if (!w)
        fail_msg("worker_new: %s", err);
    return w;
}

/* ------------------------------------------------------------------ */
/* The table                                                            */

typedef struct wcase {
    const char *name;
    const char *path;
    job_kind kind;
    bool stream;
    const char *kinds;       /* collapsed event sequence */
    net_result net;          /* NET_OK for WEV_DONE too */
    long status;
    const char *text;        /* all content, exactly */
    const char *refusal;     /* all refusal text, exactly */
    const char *body;        /* WEV_DONE / WEV_FAILED body; NULL: empty */
    bool in_stream;
    bool got_content;
    const char *header;      /* a header that must be captured, and its value */
    const char *header_value;
    const char *detail_has;  /* substring of the failure detail */
} wcase;

static const wcase cases[] = {
    {"stream ok", "/sse-ok", JOB_CHAT, true, "RCFUD", NET_OK, 200, "Hello world", "", NULL,
     false, false, "content-type", "text/event-stream", NULL},
    {"CRLF split across single-byte writes", "/sse-split", JOB_CHAT, true, "RCFUD", NET_OK, 200,
     "Hello world", "", NULL, false, false, NULL, NULL, NULL},
    {"refusal", "/refusal", JOB_CHAT, true, "RrFD", NET_OK, 200, "", "I cannot", NULL, false,
     false, NULL, NULL, NULL},
    {"comments and data without space", "/comments", JOB_CHAT, true, "RCFD", NET_OK, 200,
     "one two", "", NULL, false, false, NULL, NULL, NULL},
    {"escape sequences stripped", "/escapes", JOB_CHAT, true, "RCFD", NET_OK, 200,
     "aredbxy\t\xc3\xa9", "", NULL, false, false, NULL, NULL, NULL},
    {"429 with retry-after", "/429", JOB_CHAT, true, "RX", NET_OK, 429, "", "", RATE_LIMIT_JSON,
     false, false, "retry-after", "3", NULL},
    {"429 request id", "/429", JOB_CHAT, true, "RX", NET_OK, 429, "", "", RATE_LIMIT_JSON, false,
     false, "x-request-id", "req_abc123", NULL},
    {"500 html page", "/500-html", JOB_CHAT, true, "RX", NET_OK, 500, "", "", HTML_500, false,
     false, "content-type", "text/html", NULL},
    {"stream cut by the server", "/drop", JOB_CHAT, true, "RCX", NET_STREAM_CUT, 200, "Hello", "",
     NULL, false, true, NULL, NULL, NULL},
    {"stream ends inside an event", "/drop-eof", JOB_CHAT, true, "RCX", NET_STREAM_CUT, 200,
     "Hello", "", NULL, false, true, NULL, NULL, "end marker"},
    {"stream without [DONE]", "/no-done", JOB_CHAT, true, "RCFX", NET_STREAM_CUT, 200,
     "Hello world", "", NULL, false, true, NULL, NULL, "end marker"},
    {"empty stream", "/empty-stream", JOB_CHAT, true, "RX", NET_STREAM_CUT, 200, "", "", NULL,
     false, false, NULL, NULL, NULL},
    {"error object inside the stream", "/stream-error", JOB_CHAT, true, "RCX", NET_OK, 200, "Hi",
     "", STREAM_ERROR_JSON, true, true, NULL, NULL, NULL},
    {"event: error", "/event-error", JOB_CHAT, true, "RX", NET_OK, 200, "", "",
     STREAM_ERROR_JSON, true, false, NULL, NULL, NULL},
    {"malformed chunk", "/malformed", JOB_CHAT, true, "RCX", NET_MALFORMED, 200, "ok", "", NULL,
     true, true, NULL, NULL, "not a chat completion chunk: {not json at all}"},
    {"data after [DONE] ignored", "/after-done", JOB_CHAT, true, "RCD", NET_OK, 200, "end", "",
     NULL, false, false, NULL, NULL, NULL},
    {"line over the cap", "/long-line", JOB_CHAT, true, "RX", NET_TOO_LARGE, 200, "", "", NULL,
     true, false, NULL, NULL, "longer than"},
    {"plain completion", "/json", JOB_CHAT, false, "RCFUD", NET_OK, 200, "Hi there", "", NULL,
     false, false, NULL, NULL, NULL},
    {"stream asked, JSON answered", "/json", JOB_CHAT, true, "RCFUD", NET_OK, 200, "Hi there", "",
     NULL, false, false, NULL, NULL, NULL},
    {"error object in a 200 JSON body", "/json-error", JOB_CHAT, false, "RX", NET_OK, 200, "", "",
     STREAM_ERROR_JSON, true, false, NULL, NULL, NULL},
    {"200 body that is not JSON", "/json-bad", JOB_CHAT, false, "RX", NET_MALFORMED, 200, "", "",
     "<html>not json</html>", false, false, NULL, NULL, "<html>not json</html>"},
    {"login page while streaming: malformed, with the page for its title", "/login-page",
     JOB_CHAT, true, "RX", NET_MALFORMED, 200, "", "", LOGIN_HTML, false, false, "content-type",
     "text/html; charset=utf-8", "web page"},
    {"login page without streaming: the same", "/login-page", JOB_CHAT, false, "RX",
     NET_MALFORMED, 200, "", "", LOGIN_HTML, false, false, NULL, NULL, "web page"},
    {"untyped page while streaming: told by its first byte", "/login-page-untyped", JOB_CHAT,
     true, "RX", NET_MALFORMED, 200, "", "", " \r\n" LOGIN_HTML, false, false, NULL, NULL,
     "web page"},
    {"hostile header value cleaned", "/hostile", JOB_CHAT, true, "RCFD", NET_OK, 200, "ok", "",
     NULL, false, false, "x-evil", "abc !", NULL},
    {"stream with a wrong content type", "/sse-as-text", JOB_CHAT, true, "RCD", NET_OK, 200,
     "Hi", "", NULL, false, false, NULL, NULL, NULL},
    {"models", "/models", JOB_MODELS, false, "RD", NET_OK, 200, "", "", MODELS_JSON, false, false,
     "content-type", "application/json", NULL},
    {"models 404", "/models-404", JOB_MODELS, false, "RX", NET_OK, 404, "", "",
     "{\"error\":\"nope\"}", false, false, NULL, NULL, NULL},
    {"status page", "/models", JOB_STATUS, false, "RD", NET_OK, 200, "", "", MODELS_JSON, false,
     false, NULL, NULL, NULL},
    {"100 Continue then the response", "/continue", JOB_MODELS, false, "RD", NET_OK, 200, "", "",
     MODELS_JSON, false, false, "x-final", "1", NULL},
};

static void check_case(const wcase *c, const result *r)
{
    print_message("case: %s\n", c->name);
    assert_true(r->terminal);
    assert_false(r->after_terminal);
    assert_string_equal(r->kinds, c->kinds);
    assert_int_equal(r->net, c->net);
    assert_int_equal(r->status, c->status);
    assert_string_equal(buf_str(&r->text), c->text);
    assert_string_equal(buf_str(&r->refusal), c->refusal);
    assert_string_equal(buf_str(&r->body), c->body ? c->body : "");
    assert_int_equal(r->in_stream, c->in_stream);
    assert_int_equal(r->got_content, c->got_content); /* false unless WEV_FAILED says so */
    assert_null(memchr(buf_str(&r->text), 0x1b, r->text.len));
    if (c->header) {
        const char *v = hdrs_get(&r->headers, c->header);
        assert_non_null(v);
        assert_string_equal(v, c->header_value);
    }
    if (c->detail_has) {
        assert_non_null(r->detail);
        if (!strstr(r->detail, c->detail_has))
            fail_msg("detail \"%s\" lacks \"%s\"", r->detail, c->detail_has);
    }
}

static void test_cases(void **state)
{
    worker *w = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const wcase *c = &cases[i];
        worker_job j = job_for(c->path, c->kind, c->stream);
        result r;
        result_init(&r, worker_submit(w, &j));
        assert_true(r.id != 0);
        collect(w, &r, 1, 20000, 0);
        check_case(c, &r);
        result_free(&r);
    }
}

/* Every case at once on one worker: transfers run side by side. */
static void test_cases_concurrent(void **state)
{
    worker *w = *state;
    enum { N = sizeof cases / sizeof cases[0] };
    result rs[N];
    for (size_t i = 0; i < N; i++) {
        worker_job j = job_for(cases[i].path, cases[i].kind, cases[i].stream);
        result_init(&rs[i], worker_submit(w, &j));
    }
    collect(w, rs, N, 30000, 0);
    for (size_t i = 0; i < N; i++) {
        check_case(&cases[i], &rs[i]);
        result_free(&rs[i]);
    }
}

static void test_usage_and_finish(void **state)
{
    worker *w = *state;
    /* A finish reason is kept with the reply and written to files: it arrives clean. */
    worker_job hostile = job_for("/hostile", JOB_CHAT, true);
    result r;
    result_init(&r, worker_submit(w, &hostile));
    collect(w, &r, 1, 5000, 0);
    assert_string_equal(r.kinds, "RCFD");
    assert_string_equal(buf_str(&r.finish), "stop");
    result_free(&r);

    worker_job j = job_for("/sse-ok", JOB_CHAT, true);
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 5000, 0);
    assert_string_equal(r.kinds, "RCFUD");
    assert_string_equal(buf_str(&r.finish), "stop");
    assert_int_equal(r.prompt_tokens, 5);
    assert_int_equal(r.completion_tokens, 3);
    assert_int_equal(r.total_tokens, 8);
    assert_int_equal(r.nevents[WEV_RESPONSE], 1);
    assert_int_equal(r.nevents[WEV_DONE], 1);
    result_free(&r);
}

static void test_error_body_capped(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/500-huge", JOB_CHAT, true);
    result r;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 10000, 0);
    assert_string_equal(r.kinds, "RX");
    assert_int_equal(r.net, NET_OK);
    assert_int_equal(r.status, 500);
    assert_int_equal(r.body.len, WORKER_ERROR_BODY_CAP);
    result_free(&r);
}

/* ------------------------------------------------------------------ */
/* Cancel, timeouts, refused                                            */

static void test_cancel_streaming(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/stall", JOB_CHAT, true);
    result r;
    result_init(&r, worker_submit(w, &j));
    /* wait for the response headers, then cancel */
    int64_t deadline = clock_mono_ms() + 5000;
    while (!r.nevents[WEV_RESPONSE] && clock_mono_ms() < deadline) {
        struct pollfd p = {.fd = worker_wake_fd(w), .events = POLLIN};
        if (poll(&p, 1, 100) > 0)
            for (worker_event *ev = worker_drain(w), *next; ev; ev = next) {
                next = ev->next;
                result_add(&r, ev);
                worker_event_free(ev);
            }
    }
    assert_int_equal(r.nevents[WEV_RESPONSE], 1);
    int64_t t0 = clock_mono_ms();
    worker_cancel(w, r.id);
    collect(w, &r, 1, 2000, 0);
    assert_true(r.terminal);
    assert_int_equal(r.net, NET_CANCELLED);
    assert_int_equal(r.status, 200);
    assert_false(r.got_content);
    assert_true(r.end_mono_ms - t0 < 200);
    assert_string_equal(r.kinds, "RX");
    result_free(&r);
}

static void test_cancel_before_response(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/nothing", JOB_CHAT, true);
    result r;
    result_init(&r, worker_submit(w, &j));
    /* give the request time to reach the server: nothing must arrive meanwhile */
    struct pollfd p = {.fd = worker_wake_fd(w), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 100), 0);
    int64_t t0 = clock_mono_ms();
    worker_cancel(w, r.id);
    collect(w, &r, 1, 2000, 0);
    assert_int_equal(r.net, NET_CANCELLED);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.kinds, "X");
    assert_true(r.end_mono_ms - t0 < 200);
    result_free(&r);
}

static void test_cancel_at_once(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/nothing", JOB_CHAT, true);
    result r;
    int64_t t0 = clock_mono_ms();
    result_init(&r, worker_submit(w, &j));
    worker_cancel(w, r.id); /* usually before the thread has taken the job */
    collect(w, &r, 1, 2000, 0);
    assert_int_equal(r.net, NET_CANCELLED);
    assert_string_equal(r.kinds, "X");
    assert_true(r.end_mono_ms - t0 < 200);
    result_free(&r);
}

static void test_cancel_unknown_or_finished(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/models", JOB_MODELS, false);
    result r;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 5000, 0);
    assert_string_equal(r.kinds, "RD");
    worker_cancel(w, r.id);        /* finished */
    worker_cancel(w, r.id + 1000); /* never submitted */
    worker_cancel(w, 0);
    struct pollfd p = {.fd = worker_wake_fd(w), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 150), 0);
    assert_null(worker_drain(w));
    result_free(&r);
}

static void test_idle_timeout(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/stall", JOB_CHAT, true);
    j.idle_timeout_s = 1;
    result r;
    int64_t t0 = clock_mono_ms();
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 6000, 0);
    assert_string_equal(r.kinds, "RX");
    assert_int_equal(r.net, NET_TIMEOUT_IDLE);
    assert_int_equal(r.status, 200);
    assert_true(r.end_mono_ms - t0 >= 900);
    assert_non_null(r.detail);
    result_free(&r);
}

static void test_idle_timeout_before_headers(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/nothing", JOB_CHAT, true);
    j.idle_timeout_s = 0.5; /* rounds up to 1 s */
    result r;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 6000, 0);
    assert_string_equal(r.kinds, "X");
    /* connected but silent: an idle timeout, not a connect timeout */
    assert_int_equal(r.net, NET_TIMEOUT_IDLE);
    assert_int_equal(r.status, 0);
    result_free(&r);
}

/* Reasoning from the fields of DeepSeek and OpenRouter, and from a leading <think> block
 * of the content, streamed or not: sanitised like content, apart from it. */
static void test_reasoning(void **state)
{
    static const struct {
        const char *name, *path;
        bool stream;
        const char *kinds;
        net_result net;
        const char *reasoning, *text;
    } rc[] = {
        {"reasoning_content, then reasoning", "/reasoning", true, "RTCFD", NET_OK,
         "Two and two.", "Four"},
        {"a <think> block split across deltas", "/think", true, "RTCFD", NET_OK, "Let me see",
         "Four."},
        {"a block cut short stays reasoning, the held tag with it", "/think-unclosed", true,
         "RTX", NET_STREAM_CUT, "still thinking</thi", ""},
        {"message.reasoning_content of a completion", "/reasoning-json", false, "RTCFD", NET_OK,
         "2+2", "Four."},
        {"a <think> block in a completion", "/think-json", false, "RTCFD", NET_OK, "hmm\n",
         "Four."},
    };
    worker *w = *state;
    for (size_t i = 0; i < sizeof rc / sizeof rc[0]; i++) {
        print_message("case: %s\n", rc[i].name);
        worker_job j = job_for(rc[i].path, JOB_CHAT, rc[i].stream);
        result r;
        result_init(&r, worker_submit(w, &j));
        collect(w, &r, 1, 5000, 0);
        assert_string_equal(r.kinds, rc[i].kinds);
        assert_int_equal(r.net, rc[i].net);
        assert_string_equal(buf_str(&r.reasoning), rc[i].reasoning);
        assert_string_equal(buf_str(&r.text), rc[i].text);
        if (r.net != NET_OK)
            assert_true(r.got_content); /* reasoning is part of the reply: not retried */
        result_free(&r);
    }
}

/* A chat whose reply does not begin: keep-alives reset no clock, so idle_timeout (1 s)
 * does not end the wait, and first_token_timeout (2 s) does, from the request's start. */
static void test_first_token_timeout(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/hold", JOB_CHAT, true);
    j.idle_timeout_s = 1;
    j.first_token_timeout_s = 2;
    result r;
    int64_t t0 = clock_mono_ms();
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 8000, 0);
    assert_string_equal(r.kinds, "RHX");
    assert_string_equal(r.held, "1");
    assert_int_equal(r.net, NET_TIMEOUT_FIRST_TOKEN);
    assert_int_equal(r.status, 200);
    assert_false(r.got_content);
    int64_t took = r.end_mono_ms - t0;
    if (took < 1900 || took > 3500)
        fail_msg("ended after %lld ms, not at the 2 s first-token timeout", (long long)took);
    assert_non_null(strstr(r.detail, "only keep-alives for 2 s"));
    result_free(&r);

    /* Headers, then nothing at all: the same timeout, said otherwise. */
    j = job_for("/stall", JOB_CHAT, true);
    j.idle_timeout_s = 1;
    j.first_token_timeout_s = 2;
    t0 = clock_mono_ms();
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 8000, 0);
    assert_string_equal(r.kinds, "RX");
    assert_int_equal(r.net, NET_TIMEOUT_FIRST_TOKEN);
    assert_true(r.end_mono_ms - t0 >= 1900);
    assert_non_null(strstr(r.detail, "no reply began within 2 s"));
    result_free(&r);

    /* No headers either. */
    j = job_for("/nothing", JOB_CHAT, true);
    j.idle_timeout_s = 1;
    j.first_token_timeout_s = 1.5;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 8000, 0);
    assert_string_equal(r.kinds, "X");
    assert_int_equal(r.net, NET_TIMEOUT_FIRST_TOKEN);
    result_free(&r);
}

/* Held for 1.5 s, longer than idle_timeout, then the reply: it arrives whole; WEV_HELD said
 * when the holding began and when it ended. After the first event, keep-alives are bytes
 * like any other: they keep the idle clock from running out. */
static void test_held_then_reply(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/hold-then-ok", JOB_CHAT, true);
    j.idle_timeout_s = 1;
    j.first_token_timeout_s = 10;
    result r;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 8000, 0);
    assert_string_equal(r.kinds, "RHCFD");
    assert_string_equal(r.held, "10");
    assert_string_equal(buf_str(&r.text), "Hello world");
    result_free(&r);

    j = job_for("/event-then-keepalives", JOB_CHAT, true);
    j.idle_timeout_s = 1;
    j.first_token_timeout_s = 10;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 8000, 0);
    assert_string_equal(r.kinds, "RCFD");
    assert_string_equal(r.held, "");
    assert_string_equal(buf_str(&r.text), "Hello");
    result_free(&r);

    /* Models and status pages know no first-token timeout: idle_timeout as ever. */
    j = job_for("/nothing", JOB_MODELS, false);
    j.idle_timeout_s = 1;
    j.first_token_timeout_s = 30;
    int64_t t0 = clock_mono_ms();
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 8000, 0);
    assert_int_equal(r.net, NET_TIMEOUT_IDLE);
    assert_true(r.end_mono_ms - t0 < 5000);
    result_free(&r);
}

static void test_refused(void **state)
{
    worker *w = *state;
    int port = 0;
    int fd = listen_any(&port); /* bound, never listening: connects are refused */
    assert_true(fd >= 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/chat/completions", port);
    worker_job j = job_for("/", JOB_CHAT, true);
    j.url = url;
    result r;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 5000, 0);
    close(fd);
    assert_string_equal(r.kinds, "X");
    assert_int_equal(r.net, NET_REFUSED);
    assert_int_equal(r.status, 0);
    assert_non_null(r.detail);
    assert_true(strlen(r.detail) > 0);
    result_free(&r);
}

/* A handle whose last transfer failed in name resolution is reused for the next
 * job: that job must run (libcurl refuses some options on such a handle). The
 * .invalid top-level domain never resolves. */
static void test_reuse_after_dns_failure(void **state)
{
    worker *w = *state;
    worker_job bad = job_for("/", JOB_STATUS, false);
    bad.url = "http://tchat-test.invalid/api/v2/status.json";
    result r;
    result_init(&r, worker_submit(w, &bad));
    collect(w, &r, 1, 15000, 0);
    assert_string_equal(r.kinds, "X");
    assert_true(r.net == NET_DNS || r.net == NET_CONNECT || r.net == NET_TIMEOUT_CONNECT);
    result_free(&r);

    worker_job ok = job_for("/sse-ok", JOB_CHAT, true);
    result_init(&r, worker_submit(w, &ok));
    collect(w, &r, 1, 5000, 0);
    assert_non_null(strchr(r.kinds, 'D'));
    assert_null(strchr(r.kinds, 'X'));
    assert_true(r.text.len > 0);
    result_free(&r);
}

typedef struct tls_case {
    const char *name;
    const char *ca_bundle;
    const char *detail_has;
    const char *detail_lacks; /* or NULL */
} tls_case;

/* https:// against the plain-text server: the handshake fails. A certificate problem
 * names the CA bundle; a server that answers in plain HTTP had no certificate to check. */
static void test_tls(void **state)
{
    worker *w = *state;
    static const tls_case tcases[] = {
        {"plain HTTP answer, default CA bundle", NULL, "wrong version number", "CA bundle"},
        {"profile CA bundle that is missing", "/nonexistent/ca.pem",
         "; CA bundle: /nonexistent/ca.pem", NULL},
    };
    char url[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/sse-ok", srv.port);
    for (size_t i = 0; i < sizeof tcases / sizeof tcases[0]; i++) {
        print_message("case: %s\n", tcases[i].name);
        worker_job j = job_for("/", JOB_CHAT, true);
        j.url = url;
        j.ca_bundle = tcases[i].ca_bundle;
        result r;
        result_init(&r, worker_submit(w, &j));
        collect(w, &r, 1, 5000, 0);
        assert_string_equal(r.kinds, "X");
        assert_int_equal(r.net, NET_TLS);
        assert_int_equal(r.status, 0);
        if (!strstr(r.detail, tcases[i].detail_has))
            fail_msg("detail \"%s\" lacks \"%s\"", r.detail, tcases[i].detail_has);
        if (tcases[i].detail_lacks && strstr(r.detail, tcases[i].detail_lacks))
            fail_msg("detail \"%s\" has \"%s\"", r.detail, tcases[i].detail_lacks);
        result_free(&r);
    }
}

static void test_proxy_env(void **state)
{
    worker *w = *state;
    int port = 0;
    int fd = listen_any(&port);
    assert_true(fd >= 0);
    char proxy[128];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", port);
    setenv("http_proxy", proxy, 1);
    worker_job j = job_for("/sse-ok", JOB_CHAT, true);
    result r;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 5000, 0);
    unsetenv("http_proxy");
    close(fd);
    assert_int_equal(r.net, NET_PROXY);
    assert_non_null(strstr(r.detail, "http_proxy"));
    result_free(&r);
}

/* https:// through a proxy that answers CONNECT with 407: a proxy failure that keeps
 * the status, so that it is explained as the proxy's demand for credentials. */
static void test_proxy_auth(void **state)
{
    worker *w = *state;
    char proxy[128];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", srv.port);
    setenv("https_proxy", proxy, 1);
    worker_job j = job_for("/", JOB_CHAT, true);
    j.url = "https://tchat-proxy-auth.invalid/v1/chat/completions";
    result r;
    result_init(&r, worker_submit(w, &j));
    collect(w, &r, 1, 5000, 0);
    unsetenv("https_proxy");
    assert_string_equal(r.kinds, "X");
    assert_int_equal(r.net, NET_PROXY);
    assert_int_equal(r.status, 407);
    assert_non_null(strstr(r.detail, "https_proxy"));
    result_free(&r);
}

/* ------------------------------------------------------------------ */
/* Connections and requests                                             */

static void test_keep_alive(void **state)
{
    (void)state;
    worker *w = new_worker(); /* no connection left over from other tests */
    char first[16] = "";
    for (int i = 0; i < 3; i++) {
        worker_job j = job_for(i == 1 ? "/sse-ok" : "/models", i == 1 ? JOB_CHAT : JOB_MODELS,
                               i == 1);
        result r;
        result_init(&r, worker_submit(w, &j));
        collect(w, &r, 1, 5000, 0);
        assert_int_equal(r.net, NET_OK);
        const char *conn_serial = hdrs_get(&r.headers, "x-conn");
        assert_non_null(conn_serial);
        if (i == 0)
            snprintf(first, sizeof first, "%s", conn_serial);
        assert_string_equal(conn_serial, first); /* served on the same connection */
        result_free(&r);
    }
    worker_free(w);
}

static void test_concurrent_jobs(void **state)
{
    worker *w = *state;
    worker_job a = job_for("/stall", JOB_CHAT, true);
    result rs[2];
    result_init(&rs[0], worker_submit(w, &a));
    worker_job b = job_for("/models", JOB_STATUS, false);
    result_init(&rs[1], worker_submit(w, &b));
    assert_true(rs[1].id > rs[0].id);
    rs[0].ignore = true;
    collect(w, rs, 2, 5000, 0);
    assert_string_equal(rs[1].kinds, "RD"); /* done while the other one still runs */
    assert_false(rs[0].terminal);
    rs[0].ignore = false;
    worker_cancel(w, rs[0].id);
    collect(w, rs, 2, 5000, 0);
    assert_int_equal(rs[0].net, NET_CANCELLED);
    result_free(&rs[0]);
    result_free(&rs[1]);
}

typedef struct hcase {
    const char *name;
    worker_job job;
    const char *want[8];   /* lines the request must hold */
    const char *unwanted[4];
} hcase;

static void test_request_headers(void **state)
{
    worker *w = *state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/echo", srv.port);
    static const http_header extra[] = {
        {"HTTP-Referer", "https://example.org"},
        {"X-Title", "tchat\r\nX-Injected: 1"},
    };
    static const http_header replace_auth[] = {{"authorization", "Basic dXNlcjpwdw=="}};
    const hcase hcases[] = {
        {"Azure: the key as api-key, no Authorization",
         {.kind = JOB_CHAT, .url = url, .body = "{}", .api_key = "az-key-123",
          .auth_header = "api-key", .stream = true, .connect_timeout_s = 5, .idle_timeout_s = 30},
         {"\r\napi-key: az-key-123\r\n", NULL},
         {"Authorization", "Bearer", NULL, NULL}},
        {"extra headers after tchat's, CR and LF dropped",
         {.kind = JOB_CHAT, .url = url, .body = "{}", .api_key = "sk-test", .stream = true,
          .extra_headers = extra, .nextra_headers = 2, .connect_timeout_s = 5,
          .idle_timeout_s = 30},
         {"\r\nAuthorization: Bearer sk-test\r\n", "\r\nHTTP-Referer: https://example.org\r\n",
          "\r\nX-Title: tchatX-Injected: 1\r\n", NULL},
         {"\r\nX-Injected", NULL, NULL, NULL}},
        {"an extra header replaces tchat's of the same name",
         {.kind = JOB_MODELS, .url = url, .api_key = "sk-test", .extra_headers = replace_auth,
          .nextra_headers = 1, .connect_timeout_s = 5, .idle_timeout_s = 30},
         {"\r\nauthorization: Basic dXNlcjpwdw==\r\n", NULL},
         {"Bearer", NULL, NULL, NULL}},
        {"chat with key, org and project",
         {.kind = JOB_CHAT, .url = url, .body = "{\"model\":\"m\"}", .api_key = "sk-test\n",
          .organization = "org-1", .project = "proj-1", .stream = true, .connect_timeout_s = 5,
          .idle_timeout_s = 30},
         {"POST /echo HTTP/1.1\r\n", "\r\nAuthorization: Bearer sk-test\r\n",
          "\r\nContent-Type: application/json\r\n", "\r\nAccept: text/event-stream\r\n",
          "\r\nOpenAI-Organization: org-1\r\n", "\r\nOpenAI-Project: proj-1\r\n",
          "\r\nUser-Agent: tchat/", "\r\n\r\n{\"model\":\"m\"}"},
         {"Expect:", "Accept-Encoding", NULL, NULL}},
        {"models without a key",
         {.kind = JOB_MODELS, .url = url, .api_key = "", .connect_timeout_s = 5,
          .idle_timeout_s = 30},
         {"GET /echo HTTP/1.1\r\n", "\r\nAccept: application/json\r\n", NULL},
         {"Authorization", "OpenAI-Organization", "Content-Type", NULL}},
        {"non-stream chat",
         {.kind = JOB_CHAT, .url = url, .body = "{}", .api_key = NULL, .stream = false,
          .connect_timeout_s = 5, .idle_timeout_s = 30},
         {"POST /echo HTTP/1.1\r\n", "\r\nAccept: application/json\r\n", NULL},
         {"Authorization", "Expect:", NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof hcases / sizeof hcases[0]; i++) {
        const hcase *h = &hcases[i];
        print_message("case: %s\n", h->name);
        result r;
        result_init(&r, worker_submit(w, &h->job));
        collect(w, &r, 1, 5000, 0);
        assert_true(r.terminal);
        char *req = last_request();
        assert_non_null(req);
        for (size_t k = 0; k < 8 && h->want[k]; k++)
            if (!strstr(req, h->want[k]))
                fail_msg("request lacks \"%s\":\n%s", h->want[k], req);
        for (size_t k = 0; k < 4 && h->unwanted[k]; k++)
            if (strstr(req, h->unwanted[k]))
                fail_msg("request holds \"%s\":\n%s", h->unwanted[k], req);
        free(req);
        result_free(&r);
    }
}

/* ------------------------------------------------------------------ */
/* Volume                                                               */

static void test_big_stream_coalesced(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/big", JOB_CHAT, true);
    result r;
    result_init(&r, worker_submit(w, &j));
    int64_t t0 = clock_mono_ms();
    int drains = collect(w, &r, 1, 60000, 5);
    int64_t ms = clock_mono_ms() - t0;
    print_message("big: %zu bytes of SSE in %lld ms, %d drains, %d content events\n", big_sse.len,
                  (long long)ms, drains, r.nevents[WEV_CONTENT]);
    assert_string_equal(r.kinds, "RCFUD");
    assert_int_equal(r.text.len, big_text.len);
    assert_memory_equal(r.text.data, big_text.data, big_text.len);
    /* one content event per drain at most: far fewer than the deltas */
    assert_true(r.nevents[WEV_CONTENT] <= drains);
    assert_true(r.nevents[WEV_CONTENT] < 1000);
    result_free(&r);
}

/* A consumer that stops draining: the worker pauses the transfer instead of
 * queueing everything, and resumes when drained. */
static void test_back_pressure(void **state)
{
    worker *w = *state;
    worker_job j = job_for("/huge", JOB_CHAT, true);
    result r;
    result_init(&r, worker_submit(w, &j));
    struct pollfd p = {.fd = worker_wake_fd(w), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1);
    /* The consumer is busy. Wait until the server can send no more: the worker
     * has stopped reading. (The stream is far larger than the socket buffers.) */
    size_t sent = 0;
    int64_t deadline = clock_mono_ms() + 30000;
    for (int stable = 0; stable < 10 && clock_mono_ms() < deadline;) {
        sleep_ms(50);
        size_t now = atomic_load(&huge_sent);
        stable = now == sent ? stable + 1 : 0;
        sent = now;
    }
    size_t queued = 0;
    for (worker_event *ev = worker_drain(w), *next; ev; ev = next) {
        next = ev->next;
        queued += ev->text.len;
        result_add(&r, ev);
        worker_event_free(ev);
    }
    print_message("queued while not drained: %zu of %zu bytes; server sent %zu of %zu\n", queued,
                  huge_text.len, sent, huge_sse.len);
    /* paused as soon as more than WORKER_TEXT_QUEUE_CAP waited, give or take one read */
    assert_true(queued >= WORKER_TEXT_QUEUE_CAP - 4096);
    assert_true(queued <= WORKER_TEXT_QUEUE_CAP + ((size_t)256 << 10));
    assert_true(sent < huge_sse.len);
    assert_false(r.terminal);
    collect(w, &r, 1, 60000, 0);
    assert_string_equal(r.kinds, "RCFUD");
    assert_int_equal(r.text.len, huge_text.len);
    assert_memory_equal(r.text.data, huge_text.data, huge_text.len);
    result_free(&r);
}

static void test_free_with_running_jobs(void **state)
{
    (void)state;
    worker *w = new_worker();
    worker_job a = job_for("/stall", JOB_CHAT, true);
    worker_job b = job_for("/nothing", JOB_CHAT, true);
    worker_job c = job_for("/huge", JOB_CHAT, true);
    assert_true(worker_submit(w, &a) != 0);
    assert_true(worker_submit(w, &b) != 0);
    assert_true(worker_submit(w, &c) != 0);
    struct pollfd p = {.fd = worker_wake_fd(w), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1);
    worker_free(w); /* events never drained, jobs running: all freed */
}

static void test_ids_distinct(void **state)
{
    worker *w = *state;
    uint64_t ids[4];
    for (int i = 0; i < 4; i++) {
        worker_job j = job_for("/nothing", JOB_CHAT, true);
        ids[i] = worker_submit(w, &j);
        assert_true(ids[i] != 0);
        for (int k = 0; k < i; k++)
            assert_true(ids[k] != ids[i]);
    }
    result rs[4];
    for (int i = 0; i < 4; i++) {
        result_init(&rs[i], ids[i]);
        worker_cancel(w, ids[i]);
    }
    collect(w, rs, 4, 2000, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rs[i].net, NET_CANCELLED);
        result_free(&rs[i]);
    }
}

/* ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    server_start(&srv);
    buf_init(&big_sse);
    buf_init(&big_text);
    buf_init(&huge_sse);
    buf_init(&huge_text);
    gen_stream(40000, 100, &big_sse, &big_text);      /* 4 MB of text in 40k deltas */
    gen_stream(6000, 4000, &huge_sse, &huge_text);    /* 24 MB of text */
    *state = new_worker();
    return 0;
}

static int group_teardown(void **state)
{
    worker_free(*state);
    server_stop(&srv);
    buf_free(&big_sse);
    buf_free(&big_text);
    buf_free(&huge_sse);
    buf_free(&huge_text);
    return 0;
}

int main(void)
{
    /* Proxies from the environment would route 127.0.0.1 elsewhere. */
    static const char *const proxy_vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
                                             "all_proxy",  "ALL_PROXY",   "no_proxy",
                                             "NO_PROXY"};
    for (size_t i = 0; i < sizeof proxy_vars / sizeof proxy_vars[0]; i++)
        unsetenv(proxy_vars[i]);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_cases_concurrent),
        cmocka_unit_test(test_usage_and_finish),
        cmocka_unit_test(test_error_body_capped),
        cmocka_unit_test(test_cancel_streaming),
        cmocka_unit_test(test_cancel_before_response),
        cmocka_unit_test(test_cancel_at_once),
        cmocka_unit_test(test_cancel_unknown_or_finished),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_idle_timeout_before_headers),
        cmocka_unit_test(test_reasoning),
        cmocka_unit_test(test_first_token_timeout),
        cmocka_unit_test(test_held_then_reply),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_reuse_after_dns_failure),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_proxy_env),
        cmocka_unit_test(test_proxy_auth),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_concurrent_jobs),
        cmocka_unit_test(test_request_headers),
        cmocka_unit_test(test_big_stream_coalesced),
        cmocka_unit_test(test_back_pressure),
        cmocka_unit_test(test_free_with_running_jobs),
        cmocka_unit_test(test_ids_distinct),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
