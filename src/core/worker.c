#include "worker.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "api.h"
#include "sanitize.h"
#include "sse.h"
#include "think.h"

#ifndef TCHAT_VERSION
#define TCHAT_VERSION "0"
#endif

#define OUT_TEXT_LIMIT WORKER_TEXT_QUEUE_CAP
/* Per-event bookkeeping charged against OUT_TEXT_LIMIT, so that a stream of
 * tiny non-text events cannot grow the queue without bound either. */
#define EVENT_OVERHEAD 64
#define CHAT_JSON_CAP ((size_t)64 << 20)
#define SMALL_BODY_CAP ((size_t)4 << 20)
/* A non-2xx body is read to its end (keeping the first WORKER_ERROR_BODY_CAP
 * bytes) so the connection stays reusable, but not past this. */
#define ERROR_READ_LIMIT ((size_t)1 << 20)
#define EASY_POOL_MAX 4
#define POLL_CAP_MS 1000
#define DETAIL_SNIPPET 80
/* A finish reason is a short word ("stop", "length"); a server's is kept to this. */
#define FINISH_REASON_CAP 64

typedef enum {
    MODE_NONE,    /* no body byte yet, response not decided */
    MODE_SSE,     /* 2xx event stream */
    MODE_COLLECT, /* 2xx body kept whole (JSON completion, models, status page) */
    MODE_ERROR,   /* non-2xx body kept up to WORKER_ERROR_BODY_CAP */
    MODE_PAGE,    /* a 2xx chat answer that is a web page (a captive portal, a proxy's login):
                     kept like an error body, then a malformed response with its <title> */
} body_mode;

typedef struct job {
    struct worker *w;
    uint64_t id;
    job_kind kind;
    char *url, *post_body, *api_key, *auth_header, *organization, *project, *ca_bundle;
    http_header *extra; /* the profile's own headers (values wiped when freed) */
    size_t nextra;
    bool stream;
    double connect_timeout_s, idle_timeout_s, first_token_timeout_s;

    CURL *easy;
    bool added;               /* easy is in the multi handle */
    struct curl_slist *req_headers;
    char errbuf[CURL_ERROR_SIZE];

    http_headers headers;
    long status;              /* of the last status line seen */
    bool response_posted;     /* WEV_RESPONSE sent: later header lines are trailers */
    body_mode mode;
    size_t body_cap;
    size_t body_seen;         /* every body byte received, kept or not */
    buf body;

    sse_decoder sse;
    bool sse_inited;
    sanitizer san_content, san_refusal, san_reasoning;
    think_split think;        /* a leading <think> block of the content, split off */
    buf scratch;              /* sanitised text not yet posted */
    worker_event_kind scratch_kind;

    bool got_content;
    bool first_real;          /* a byte of the reply has come (not a header, not a keep-alive) */
    bool held;                /* WEV_HELD(true) was posted and the reply has not begun */
    bool sniffed;             /* MODE_SSE: the first non-blank body byte has been looked at */
    bool done_seen;           /* data: [DONE] */
    bool finished;            /* the terminal event was posted; later bytes are ignored */
    bool abort_xfer;          /* we stopped the transfer: the write callback returns 0 */
    bool pause_next;          /* the out-queue is full: check before taking more bytes */
    bool paused;

    /* Our own clocks (monotonic ms), rather than libcurl's low-speed check, which
     * averages over several seconds and counts keep-alives as progress. */
    int64_t start_ms;
    int64_t last_activity_ms;
    bool connected;           /* the idle clock runs only once connected */
    curl_off_t last_upload;

    struct job *next;
} job;

struct worker {
    pthread_t thread;
    CURLM *multi;
    int wake_rd, wake_wr;     /* the same fd with eventfd */
    atomic_bool stop;
    atomic_uint_fast64_t next_id;

    pthread_mutex_t lock;
    /* Under lock: */
    job *in_head, *in_tail;   /* submitted, not yet taken by the thread */
    uint64_t *cancels;
    size_t ncancels, cancels_cap;
    worker_event *out_head, *out_tail;
    size_t unconsumed;        /* bytes posted since the last drain */
    bool any_paused;          /* a transfer waits for a drain */

    /* Worker thread only: */
    job *active;
    CURL *pool[EASY_POOL_MAX];
    int npool;
};

/* ---- wake fd ---- */

static int wake_open(worker *w, char *err, size_t errlen)
{
#ifdef __linux__
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    w->wake_rd = w->wake_wr = fd;
#else
    int p[2];
    if (pipe(p) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    w->wake_rd = p[0];
    w->wake_wr = p[1];
#endif
    return 0;
}

static void wake_close(worker *w)
{
    if (w->wake_wr >= 0 && w->wake_wr != w->wake_rd)
        close(w->wake_wr);
    if (w->wake_rd >= 0)
        close(w->wake_rd);
    w->wake_rd = w->wake_wr = -1;
}

/* Called under lock when the out-queue goes from empty to non-empty. */
static void wake_signal(worker *w)
{
#ifdef __linux__
    uint64_t one = 1;
    ssize_t r = write(w->wake_wr, &one, sizeof one);
#else
    char c = 1;
    ssize_t r = write(w->wake_wr, &c, 1);
#endif
    (void)r; /* EAGAIN: already readable, which is all that matters */
}

static void wake_clear(worker *w)
{
    char tmp[64];
    while (read(w->wake_rd, tmp, sizeof tmp) > 0)
        ;
}

/* ---- events ---- */

static worker_event *event_new(const job *j, worker_event_kind kind)
{
    worker_event *ev = xcalloc(1, sizeof *ev);
    ev->kind = kind;
    ev->job = j->id;
    ev->job_kind = j->kind;
    ev->wall_ms = clock_wall_ms();
    return ev;
}

void worker_event_free(worker_event *ev)
{
    if (!ev)
        return;
    buf_free(&ev->text);
    buf_free(&ev->body);
    hdrs_free(&ev->headers);
    free(ev->detail);
    free(ev);
}

static void events_free(worker_event *ev)
{
    while (ev) {
        worker_event *next = ev->next;
        worker_event_free(ev);
        ev = next;
    }
}

/* Appends ev to the out-queue (taking it). Returns true when the queue holds
 * more unconsumed data than allowed. */
static bool post(worker *w, worker_event *ev)
{
    size_t cost = ev->text.len + ev->body.len + EVENT_OVERHEAD;
    pthread_mutex_lock(&w->lock);
    ev->next = NULL;
    if (w->out_tail)
        w->out_tail->next = ev;
    else
        w->out_head = ev;
    w->out_tail = ev;
    if (w->out_head == ev)
        wake_signal(w);
    w->unconsumed += cost;
    bool full = w->unconsumed > OUT_TEXT_LIMIT;
    pthread_mutex_unlock(&w->lock);
    return full;
}

/* Posts sanitised text, merging it into the last queued event when that is the
 * same kind of text of the same job: a fast stream then costs the consumer a
 * handful of events, not one per delta. Empties text. */
static bool post_text(worker *w, job *j, worker_event_kind kind, buf *text)
{
    size_t n = text->len;
    pthread_mutex_lock(&w->lock);
    worker_event *t = w->out_tail;
    if (t && t->kind == kind && t->job == j->id) {
        buf_append(&t->text, text->data, n);
        buf_reset(text);
    } else {
        worker_event *ev = event_new(j, kind);
        ev->text = *text; /* the buffer moves into the event */
        buf_init(text);
        if (t)
            t->next = ev;
        else
            w->out_head = ev;
        w->out_tail = ev;
        if (w->out_head == ev)
            wake_signal(w);
        n += EVENT_OVERHEAD;
    }
    w->unconsumed += n;
    bool full = w->unconsumed > OUT_TEXT_LIMIT;
    pthread_mutex_unlock(&w->lock);
    return full;
}

/* ---- jobs ---- */

static job *job_new(worker *w, const worker_job *src, uint64_t id)
{
    job *j = xcalloc(1, sizeof *j);
    j->w = w;
    j->id = id;
    j->kind = src->kind;
    j->url = xstrdup(src->url ? src->url : "");
    j->post_body = xstrdup(src->body);
    j->api_key = xstrdup(src->api_key);
    j->auth_header = xstrdup(src->auth_header);
    if (src->nextra_headers) {
        j->extra = xmalloc_array(src->nextra_headers, sizeof *j->extra);
        for (size_t i = 0; i < src->nextra_headers; i++) {
            j->extra[i].name = xstrdup(src->extra_headers[i].name);
            j->extra[i].value = xstrdup(src->extra_headers[i].value);
        }
        j->nextra = src->nextra_headers;
    }
    j->organization = xstrdup(src->organization);
    j->project = xstrdup(src->project);
    j->ca_bundle = xstrdup(src->ca_bundle);
    j->stream = src->stream;
    j->connect_timeout_s = src->connect_timeout_s;
    j->idle_timeout_s = src->idle_timeout_s;
    j->first_token_timeout_s = src->kind == JOB_CHAT ? src->first_token_timeout_s : 0;
    hdrs_init(&j->headers);
    buf_init(&j->body);
    buf_init(&j->scratch);
    sanitize_init(&j->san_content);
    sanitize_init(&j->san_refusal);
    sanitize_init(&j->san_reasoning);
    think_init(&j->think);
    return j;
}

static void free_secret(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = '\0';
        free(s);
    }
}

/* Frees a job that is not (or no longer) in the multi handle. */
static void job_free(job *j)
{
    free(j->url);
    free(j->post_body);
    free_secret(j->api_key);
    free(j->auth_header);
    for (size_t i = 0; i < j->nextra; i++) {
        free(j->extra[i].name);
        free_secret(j->extra[i].value);
    }
    free(j->extra);
    free(j->organization);
    free(j->project);
    free(j->ca_bundle);
    curl_slist_free_all(j->req_headers);
    hdrs_free(&j->headers);
    buf_free(&j->body);
    buf_free(&j->scratch);
    if (j->sse_inited)
        sse_done(&j->sse);
    free(j);
}

static void flush_text(job *j)
{
    if (j->scratch.len && post_text(j->w, j, j->scratch_kind, &j->scratch))
        j->pause_next = true;
}

static sanitizer *text_sanitizer(job *j, worker_event_kind kind)
{
    return kind == WEV_CONTENT     ? &j->san_content
           : kind == WEV_REASONING ? &j->san_reasoning
                                   : &j->san_refusal;
}

static void add_text(job *j, worker_event_kind kind, const char *s, size_t n)
{
    if (j->scratch_kind != kind)
        flush_text(j);
    j->scratch_kind = kind;
    sanitize_feed(text_sanitizer(j, kind), s, n, &j->scratch);
}

static void on_think(void *ud, bool reasoning, const char *p, size_t n)
{
    add_text(ud, reasoning ? WEV_REASONING : WEV_CONTENT, p, n);
}

/* The end of the model's text: what the <think> splitter held back goes out, and
 * incomplete UTF-8 left in a sanitizer becomes U+FFFD. */
static void end_text(job *j)
{
    think_finish(&j->think, on_think, j);
    static const worker_event_kind kinds[] = {WEV_REASONING, WEV_CONTENT, WEV_REFUSAL};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        add_text(j, kinds[i], "", 0);
        sanitize_finish(text_sanitizer(j, kinds[i]), &j->scratch);
    }
    flush_text(j);
}

static void job_post(job *j, worker_event *ev)
{
    flush_text(j);
    if (post(j->w, ev))
        j->pause_next = true;
}

static void job_done(job *j, bool with_body)
{
    end_text(j);
    worker_event *ev = event_new(j, WEV_DONE);
    if (with_body) {
        ev->body = j->body;
        buf_init(&j->body);
    }
    j->finished = true;
    job_post(j, ev);
}

/* Posts WEV_FAILED. detail is taken (malloc'd) or NULL. */
static void job_fail(job *j, net_result net, char *detail, bool in_stream, const char *body,
                     size_t body_len)
{
    end_text(j);
    worker_event *ev = event_new(j, WEV_FAILED);
    ev->net = net;
    ev->status = j->status;
    hdrs_copy(&ev->headers, &j->headers);
    if (body && body_len)
        buf_append(&ev->body, body, body_len);
    ev->detail = detail;
    ev->in_stream = in_stream;
    ev->got_content = j->got_content;
    j->finished = true;
    job_post(j, ev);
}

static char *snippet_detail(const char *prefix, const char *data, size_t len)
{
    char *clean = sanitize_string(data, len < DETAIL_SNIPPET ? len : DETAIL_SNIPPET);
    char *s = xasprintf("%s%s", prefix, clean);
    free(clean);
    return s;
}

/* ---- stream parsing ---- */

static void on_api_event(void *ud, const api_event *ev)
{
    job *j = ud;
    if (j->finished || j->done_seen)
        return;
    worker_event *out;
    switch (ev->kind) {
    case API_EV_CONTENT:
        if (ev->len) {
            j->got_content = true;
            think_feed(&j->think, ev->text, ev->len, on_think, j);
        }
        break;
    case API_EV_REFUSAL:
    case API_EV_REASONING:
        if (ev->len) {
            j->got_content = true;
            add_text(j, ev->kind == API_EV_REFUSAL ? WEV_REFUSAL : WEV_REASONING, ev->text,
                     ev->len);
        }
        break;
    case API_EV_FINISH: {
        /* Kept with the reply and written to conversation files and exports. */
        char *fin = sanitize_line(ev->text ? ev->text : "", ev->text ? ev->len : 0,
                                  FINISH_REASON_CAP);
        out = event_new(j, WEV_FINISH);
        buf_puts(&out->text, fin);
        free(fin);
        job_post(j, out);
        break;
    }
    case API_EV_USAGE:
        out = event_new(j, WEV_USAGE);
        out->prompt_tokens = ev->prompt_tokens;
        out->completion_tokens = ev->completion_tokens;
        out->total_tokens = ev->total_tokens;
        job_post(j, out);
        break;
    case API_EV_MODEL:
        break;
    case API_EV_DONE:
        j->done_seen = true;
        break;
    case API_EV_ERROR:
        job_fail(j, NET_OK, NULL, true, ev->text, ev->text ? ev->len : 0);
        j->abort_xfer = true;
        break;
    }
}

/* The reply began after the server held it: said before anything of the reply. */
static void end_hold(job *j)
{
    if (j->held && !j->finished) {
        j->held = false;
        job_post(j, event_new(j, WEV_HELD));
    }
}

static int on_sse_event(void *ud, const sse_event *ev)
{
    job *j = ud;
    end_hold(j);
    if (api_parse_stream_event(ev->event, ev->event_len, ev->data, ev->data_len, on_api_event, j)
        < 0) {
        if (!j->finished) {
            job_fail(j, NET_MALFORMED,
                     snippet_detail("the stream held something that is not a chat completion "
                                    "chunk: ",
                                    ev->data, ev->data_len),
                     true, NULL, 0);
            j->abort_xfer = true;
        }
        return 1;
    }
    if (j->done_seen && !j->finished) {
        /* Reported at once: the reply is complete even if the server is slow
         * to end the body. What follows is read and ignored, which keeps the
         * connection reusable. */
        job_done(j, false);
        return 1;
    }
    return j->finished;
}

/* ---- libcurl callbacks ---- */

static bool is_2xx(long status)
{
    return status >= 200 && status <= 299;
}

static void choose_mode(job *j)
{
    if (j->mode != MODE_NONE)
        return;
    if (!is_2xx(j->status)) {
        j->mode = MODE_ERROR;
        j->body_cap = WORKER_ERROR_BODY_CAP;
        return;
    }
    if (j->kind != JOB_CHAT) {
        j->mode = MODE_COLLECT;
        j->body_cap = SMALL_BODY_CAP;
        return;
    }
    const char *ct = hdrs_get(&j->headers, "content-type");
    if (ct && str_contains_nocase(ct, "text/html")) {
        j->mode = MODE_PAGE;
        j->body_cap = WORKER_ERROR_BODY_CAP;
        return;
    }
    bool sse = ct && str_contains_nocase(ct, "text/event-stream");
    if (!sse && j->stream && !(ct && str_contains_nocase(ct, "json")))
        sse = true;
    if (sse) {
        j->mode = MODE_SSE;
        sse_init(&j->sse, 0);
        j->sse_inited = true;
    } else {
        j->mode = MODE_COLLECT;
        j->body_cap = CHAT_JSON_CAP;
    }
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    job *j = ud;
    size_t n = size * nmemb;
    if (j->abort_xfer)
        return 0;
    j->last_activity_ms = clock_mono_ms();
    if (j->response_posted)
        return n; /* trailers */
    size_t len = n;
    while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
        len--;
    if (len == 0) {
        /* The end of a header block; 1xx blocks are followed by the real one. */
        if (j->status >= 200) {
            j->response_posted = true;
            choose_mode(j);
            worker_event *ev = event_new(j, WEV_RESPONSE);
            ev->status = j->status;
            hdrs_copy(&ev->headers, &j->headers);
            job_post(j, ev);
        }
        return n;
    }
    int status = hdrs_parse_line(&j->headers, p, len);
    if (status)
        j->status = status;
    return n;
}

/* True when the transfer must wait for the consumer. Checked under the lock so
 * that a drain in between is never missed. */
static bool should_pause(job *j)
{
    worker *w = j->w;
    pthread_mutex_lock(&w->lock);
    bool full = w->unconsumed > OUT_TEXT_LIMIT;
    if (full)
        w->any_paused = true;
    pthread_mutex_unlock(&w->lock);
    return full;
}

/* Whether a 2xx body that should be an event stream or JSON is a web page: its first
 * byte that is not white space is '<'. MODE_SSE looks once, at the first such byte. */
static bool looks_like_page(const char *p, size_t n, bool *decided)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (decided)
            *decided = true;
        return c == '<';
    }
    return false;
}

static bool sniff_page(job *j, const char *p, size_t n)
{
    return looks_like_page(p, n, &j->sniffed);
}

/* A chat request answered by a web page: a malformed response, with the page (capped) as
 * the body so that the classifier quotes its <title>. */
static void fail_page(job *j)
{
    size_t len = j->body.len < WORKER_ERROR_BODY_CAP ? j->body.len : WORKER_ERROR_BODY_CAP;
    job_fail(j, NET_MALFORMED,
             xstrdup("the response is a web page, not a chat completion (a captive portal or "
                     "a proxy's login page?)"),
             false, j->body.data, len);
}

/* After body bytes: keep-alives (SSE comments and blank lines) before the first event are
 * held bytes, which reset no clock; WEV_HELD says so once. Any other byte is the reply's:
 * from the first one on, the idle clock runs. */
static void note_activity(job *j, int64_t now)
{
    if (j->finished)
        return;
    if (!j->first_real && j->mode == MODE_SSE && !j->sse.fields) {
        if (!j->held) {
            j->held = true;
            worker_event *ev = event_new(j, WEV_HELD);
            ev->held = true;
            job_post(j, ev);
        }
        return;
    }
    j->first_real = true;
    end_hold(j);
    j->last_activity_ms = now;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    job *j = ud;
    size_t n = size * nmemb;
    if (j->abort_xfer)
        return 0;
    if (j->finished)
        return n;
    if (j->pause_next) {
        j->pause_next = false;
        if (should_pause(j)) {
            j->paused = true;
            return CURL_WRITEFUNC_PAUSE;
        }
    }
    int64_t now = clock_mono_ms();
    if (j->mode == MODE_NONE) {
        if (!j->status) {
            long code = 0;
            curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
            j->status = code;
        }
        choose_mode(j);
    }
    j->body_seen = n > SIZE_MAX - j->body_seen ? SIZE_MAX : j->body_seen + n;

    if (j->mode == MODE_SSE && !j->sniffed && sniff_page(j, p, n)) {
        /* No event stream starts with '<': a web page came instead. */
        sse_done(&j->sse);
        j->sse_inited = false;
        j->mode = MODE_PAGE;
        j->body_cap = WORKER_ERROR_BODY_CAP;
    }

    switch (j->mode) {
    case MODE_SSE: {
        sse_status st = sse_feed(&j->sse, p, n, on_sse_event, j);
        if (st == SSE_LINE_TOO_LONG && !j->finished) {
            job_fail(j, NET_TOO_LARGE,
                     xasprintf("a line of the event stream is longer than %zu bytes",
                               (size_t)SSE_DEFAULT_MAX_LINE),
                     true, NULL, 0);
            j->abort_xfer = true;
        }
        flush_text(j);
        break;
    }
    case MODE_COLLECT:
        if (j->body.len + n > j->body_cap) {
            job_fail(j, NET_TOO_LARGE,
                     xasprintf("the response body is larger than %zu bytes", j->body_cap), false,
                     NULL, 0);
            j->abort_xfer = true;
            break;
        }
        buf_append(&j->body, p, n);
        break;
    case MODE_ERROR:
    case MODE_PAGE:
        if (j->body.len < j->body_cap) {
            size_t keep = j->body_cap - j->body.len;
            buf_append(&j->body, p, n < keep ? n : keep);
        }
        if (j->body_seen > ERROR_READ_LIMIT) {
            if (j->mode == MODE_PAGE)
                fail_page(j);
            else
                job_fail(j, NET_OK, NULL, false, j->body.data, j->body.len);
            j->abort_xfer = true;
        }
        break;
    case MODE_NONE:
        break;
    }
    note_activity(j, now);
    return j->abort_xfer ? 0 : n;
}

/* ---- setting a transfer up ---- */

/* Appends "Name: value" with CR and LF dropped from value, so a stray newline
 * in a configured key cannot inject a header. */
static bool add_header(struct curl_slist **list, const char *name, const char *value)
{
    buf b;
    buf_init(&b);
    buf_puts(&b, name);
    buf_puts(&b, ": ");
    for (const char *p = value; *p; p++)
        if (*p != '\r' && *p != '\n')
            buf_putc(&b, *p);
    struct curl_slist *n = curl_slist_append(*list, b.data);
    if (b.data) /* may hold the key */
        memset(b.data, 0, b.len);
    buf_free(&b);
    if (!n)
        return false;
    *list = n;
    return true;
}

static bool nonempty(const char *s)
{
    return s && *s;
}

/* Whether the profile's own headers name this one (then tchat's is left out). */
static bool job_extra_has(const job *j, const char *name)
{
    for (size_t i = 0; i < j->nextra; i++)
        if (str_casecmp(j->extra[i].name, name) == 0)
            return true;
    return false;
}

/* Adds tchat's header unless the profile gives one of the same name. */
static bool add_own_header(job *j, const char *name, const char *value)
{
    return job_extra_has(j, name) || add_header(&j->req_headers, name, value);
}

static bool job_build_headers(job *j)
{
    struct curl_slist **l = &j->req_headers;
    if (j->post_body && !add_header(l, "Content-Type", "application/json"))
        return false;
    if (!add_own_header(j, "Accept",
                        j->kind == JOB_CHAT && j->stream ? "text/event-stream"
                                                         : "application/json"))
        return false;
    if (nonempty(j->api_key)) {
        char *v = j->auth_header ? xstrdup(j->api_key) : xasprintf("Bearer %s", j->api_key);
        bool ok = add_own_header(j, j->auth_header ? j->auth_header : "Authorization", v);
        free_secret(v);
        if (!ok)
            return false;
    }
    if (nonempty(j->organization) && !add_own_header(j, "OpenAI-Organization", j->organization))
        return false;
    if (nonempty(j->project) && !add_own_header(j, "OpenAI-Project", j->project))
        return false;
    for (size_t i = 0; i < j->nextra; i++)
        if (!add_header(l, j->extra[i].name, j->extra[i].value))
            return false;
    /* "Expect:" with nothing after it removes the header: no 100-continue round trip. */
    struct curl_slist *n = curl_slist_append(*l, "Expect:");
    if (!n)
        return false;
    *l = n;
    return true;
}

static bool job_setup(worker *w, job *j)
{
    if (w->npool > 0)
        j->easy = w->pool[--w->npool];
    else
        j->easy = curl_easy_init();
    if (!j->easy || !job_build_headers(j))
        return false;
    CURL *e = j->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                          \
    do {                                                                                       \
        if (rc == CURLE_OK)                                                                    \
            rc = curl_easy_setopt(e, opt, val);                                                \
    } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_URL, j->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    SET(CURLOPT_PRIVATE, (void *)j);
    SET(CURLOPT_ERRORBUFFER, j->errbuf);
    SET(CURLOPT_HTTPHEADER, j->req_headers);
    SET(CURLOPT_USERAGENT, "tchat/" TCHAT_VERSION);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L); /* a proxy's CONNECT reply is not the response */
    SET(CURLOPT_TCP_KEEPALIVE, 1L);            /* reasoning models can sit silent for minutes */
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)j);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, (void *)j);
    if (j->post_body) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(j->post_body));
        SET(CURLOPT_POSTFIELDS, j->post_body);
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
    if (j->connect_timeout_s > 0) {
        double ms = ceil(j->connect_timeout_s * 1000);
        SET(CURLOPT_CONNECTTIMEOUT_MS, ms >= (double)LONG_MAX ? LONG_MAX : (long)ms);
    }
    if (j->kind == JOB_STATUS)
        SET(CURLOPT_TIMEOUT, 10L);
    if (nonempty(j->ca_bundle))
        SET(CURLOPT_CAINFO, j->ca_bundle);
#undef SET
    if (rc != CURLE_OK) {
        snprintf(j->errbuf, sizeof j->errbuf, "%s", curl_easy_strerror(rc));
        return false;
    }
    j->start_ms = j->last_activity_ms = clock_mono_ms();
    if (curl_multi_add_handle(w->multi, e) != CURLM_OK)
        return false;
    j->added = true;
    return true;
}

/* Takes the job out of the multi handle, keeps its easy handle for reuse and frees it. */
static void job_release(worker *w, job *j)
{
    if (j->easy) {
        if (j->added)
            curl_multi_remove_handle(w->multi, j->easy);
        if (w->npool < EASY_POOL_MAX) {
            curl_easy_reset(j->easy);
            w->pool[w->npool++] = j->easy;
        } else {
            curl_easy_cleanup(j->easy);
        }
        j->easy = NULL;
    }
    job_free(j);
}

/* ---- ending a transfer ---- */

/* The proxy variable libcurl would use for url, or NULL (a heuristic: libcurl
 * 7.88 cannot tell whether it used a proxy). */
static const char *proxy_env_for(const char *url)
{
    static const char *const http_vars[] = {"http_proxy", "all_proxy", "ALL_PROXY", NULL};
    static const char *const https_vars[] = {"https_proxy", "HTTPS_PROXY", "all_proxy",
                                             "ALL_PROXY", NULL};
    const char *const *vars = str_ncasecmp(url, "https:", 6) == 0 ? https_vars : http_vars;
    const char *var = NULL;
    for (int i = 0; vars[i]; i++) {
        const char *v = getenv(vars[i]);
        if (nonempty(v)) {
            var = vars[i];
            break;
        }
    }
    if (!var)
        return NULL;

    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t hl = strcspn(h, "/?#");
    const char *at = memchr(h, '@', hl);
    if (at) {
        hl -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    if (*h == '[') {
        const char *close = memchr(h, ']', hl);
        h++;
        hl = close ? (size_t)(close - h) : hl - 1;
    } else {
        const char *colon = memchr(h, ':', hl);
        if (colon)
            hl = (size_t)(colon - h);
    }

    const char *np = getenv("no_proxy");
    if (!nonempty(np))
        np = getenv("NO_PROXY");
    if (!nonempty(np))
        return var;
    while (*np) {
        size_t el = strcspn(np, ",");
        const char *e = np;
        size_t len = el;
        while (len && (*e == ' ' || *e == '.')) {
            e++;
            len--;
        }
        while (len && e[len - 1] == ' ')
            len--;
        if (len == 1 && *e == '*')
            return NULL;
        if (len && len <= hl && str_ncasecmp(h + hl - len, e, len) == 0
            && (len == hl || h[hl - len - 1] == '.'))
            return NULL;
        np += el;
        if (*np == ',')
            np++;
    }
    return var;
}

static bool is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return true;
    default:
        return false;
    }
}

/* What kind of transport failure rc is, for a transfer without a usable response. */
static net_result transport_result(job *j, CURLcode rc, const char *msg, bool have_response)
{
    long connect_code = 0;
    curl_easy_getinfo(j->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
    if (!have_response && connect_code >= 300) {
        /* The proxy answered CONNECT with an error of its own; its status is kept, since
         * 407 asks for the proxy's credentials. */
        j->status = connect_code;
        return NET_PROXY;
    }
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return NET_DNS;
    case CURLE_COULDNT_RESOLVE_PROXY:
#if LIBCURL_VERSION_NUM >= 0x074900
    case CURLE_PROXY:
#endif
        return NET_PROXY;
    case CURLE_COULDNT_CONNECT: {
        long os_errno = 0;
        curl_easy_getinfo(j->easy, CURLINFO_OS_ERRNO, &os_errno);
        if (proxy_env_for(j->url))
            return NET_PROXY; /* with a proxy, the proxy is all libcurl connects to */
        if (os_errno == ECONNREFUSED || strstr(msg, "refused"))
            return NET_REFUSED;
        return NET_CONNECT;
    }
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connect_us = 0;
        curl_easy_getinfo(j->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
        return !j->status && connect_us == 0 ? NET_TIMEOUT_CONNECT : NET_TIMEOUT_IDLE;
    }
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return have_response ? NET_STREAM_CUT : NET_CONNECT;
    default:
        return is_tls_error(rc) ? NET_TLS : NET_OTHER;
    }
}

static void complete_error(job *j, CURLcode rc)
{
    const char *msg = j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc);
    bool have_response = j->response_posted;
    char *extra = NULL;

    if (have_response && !is_2xx(j->status)) {
        /* The status line says what went wrong; a cut or stalled error body
         * does not change that. */
        job_fail(j, NET_OK, xstrdup(msg), false, j->body.data, j->body.len);
        return;
    }
    if (have_response && j->mode == MODE_PAGE) {
        fail_page(j); /* a page, whole or not, is no reply */
        return;
    }

    net_result net = transport_result(j, rc, msg, have_response);
    if (net == NET_TLS && !str_contains_nocase(msg, "wrong version number")) {
        /* A certificate problem names the CA bundle it was checked against (a server that
         * answered in plain HTTP, "wrong version number", had no certificate to check). */
        const char *ca = j->ca_bundle;
#if LIBCURL_VERSION_NUM >= 0x075400
        char *info = NULL;
        if (!nonempty(ca) && curl_easy_getinfo(j->easy, CURLINFO_CAINFO, &info) == CURLE_OK)
            ca = info;
#endif
        extra = xasprintf("%s; CA bundle: %s", msg, nonempty(ca) ? ca : "libcurl's default");
    } else if (net == NET_PROXY) {
        const char *var = proxy_env_for(j->url);
        extra = var ? xasprintf("%s (proxy from %s)", msg, var) : xstrdup(msg);
    } else {
        extra = xstrdup(msg);
    }
    if (net == NET_STREAM_CUT && j->sse_inited)
        sse_finish(&j->sse);
    job_fail(j, net, extra, false, NULL, 0);
}

static void complete_ok(job *j)
{
    if (!j->status) {
        long code = 0;
        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
        j->status = code;
    }
    if (!j->status) {
        job_fail(j, NET_OTHER, xstrdup("no HTTP response"), false, NULL, 0);
        return;
    }
    choose_mode(j);
    switch (j->mode) {
    case MODE_SSE:
        sse_finish(&j->sse);
        /* [DONE] would have finished the job already. */
        job_fail(j, NET_STREAM_CUT, xstrdup("the stream ended before its end marker"), false,
                 NULL, 0);
        return;
    case MODE_COLLECT:
        if (j->kind != JOB_CHAT) {
            job_done(j, true);
            return;
        }
        if (api_parse_completion(j->body.data ? j->body.data : "", j->body.len, on_api_event, j)
            < 0) {
            if (!j->finished) {
                /* A page sent as JSON: its <title> is the server's words. */
                bool page = looks_like_page(j->body.data, j->body.len, NULL);
                size_t keep = j->body.len < WORKER_ERROR_BODY_CAP ? j->body.len
                                                                  : WORKER_ERROR_BODY_CAP;
                job_fail(j, NET_MALFORMED,
                         snippet_detail("the response is not a chat completion: ",
                                        buf_str(&j->body), j->body.len),
                         false, page ? j->body.data : NULL, page ? keep : 0);
            }
            return;
        }
        if (!j->finished)
            job_done(j, false);
        return;
    case MODE_ERROR:
        job_fail(j, NET_OK, NULL, false, j->body.data, j->body.len);
        return;
    case MODE_PAGE:
        fail_page(j);
        return;
    case MODE_NONE:
        break;
    }
}

static void job_complete(worker *w, job *j, CURLcode rc)
{
    if (!j->finished) {
        if (rc == CURLE_OK)
            complete_ok(j);
        else
            complete_error(j, rc);
    }
    job_release(w, j);
}

static void cancel_job(worker *w, job *j)
{
    if (!j->finished)
        job_fail(j, NET_CANCELLED, xstrdup("cancelled"), false, NULL, 0);
    job_release(w, j);
}

/* ---- the thread ---- */

static bool in_ids(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* Takes new jobs and cancel requests together, so that a cancel always finds
 * its job either here or already running. */
static void take_input(worker *w)
{
    pthread_mutex_lock(&w->lock);
    job *fresh = w->in_head;
    w->in_head = w->in_tail = NULL;
    uint64_t *cancels = w->cancels;
    size_t ncancels = w->ncancels;
    w->cancels = NULL;
    w->ncancels = w->cancels_cap = 0;
    pthread_mutex_unlock(&w->lock);

    while (fresh) {
        job *j = fresh;
        fresh = j->next;
        j->next = NULL;
        if (in_ids(cancels, ncancels, j->id)) {
            cancel_job(w, j);
            continue;
        }
        if (!job_setup(w, j)) {
            job_fail(j, NET_OTHER,
                     xasprintf("could not set up the transfer%s%s", j->errbuf[0] ? ": " : "",
                               j->errbuf),
                     false, NULL, 0);
            job_release(w, j);
            continue;
        }
        j->next = w->active;
        w->active = j;
    }

    for (job **pp = &w->active; *pp;) {
        job *j = *pp;
        /* A finished job (its [DONE] seen) is left to read its last bytes. */
        if (!j->finished && in_ids(cancels, ncancels, j->id)) {
            *pp = j->next;
            cancel_job(w, j);
        } else {
            pp = &j->next;
        }
    }
    free(cancels);
}

static void resume_paused(worker *w)
{
    pthread_mutex_lock(&w->lock);
    bool resume = w->any_paused && w->unconsumed <= OUT_TEXT_LIMIT;
    if (resume)
        w->any_paused = false;
    pthread_mutex_unlock(&w->lock);
    if (!resume)
        return;
    for (job *j = w->active; j; j = j->next)
        if (j->paused) {
            j->paused = false;
            j->last_activity_ms = clock_mono_ms(); /* the wait was ours, not the server's */
            curl_easy_pause(j->easy, CURLPAUSE_CONT);
        }
}

static void collect_done(worker *w)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(w->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *e = m->easy_handle;
        CURLcode rc = m->data.result;
        for (job **pp = &w->active; *pp; pp = &(*pp)->next)
            if ((*pp)->easy == e) {
                job *j = *pp;
                *pp = j->next;
                job_complete(w, j, rc);
                break;
            }
    }
}

/* Milliseconds of a timeout in seconds, capped far from overflow. */
static int64_t timeout_ms(double s)
{
    double ms = ceil(s * 1000);
    return ms >= (double)INT64_MAX / 4 ? INT64_MAX / 4 : (int64_t)ms;
}

/* Until the reply's first byte, a chat waits first_token_timeout from its start, whatever
 * came meanwhile (headers, keep-alives). Returns the ms left, <= 0 when it has passed. */
static int64_t first_token_left(const job *j, int64_t now)
{
    return j->start_ms + timeout_ms(j->first_token_timeout_s) - now;
}

static void fail_first_token(job *j)
{
    double s = j->first_token_timeout_s;
    job_fail(j, NET_TIMEOUT_FIRST_TOKEN,
             j->held ? xasprintf("the server sent only keep-alives for %g s (first-token "
                                 "timeout)",
                                 s)
                     : xasprintf("no reply began within %g s (first-token timeout)", s),
             false, NULL, 0);
}

/* Ends the jobs whose reply has not begun within their first-token timeout, or that have
 * been silent for their idle timeout. Returns the ms until the next deadline, or -1 when
 * there is none. */
static long check_idle(worker *w)
{
    int64_t now = clock_mono_ms();
    int64_t next = -1;
    for (job **pp = &w->active; *pp;) {
        job *j = *pp;
        if (j->finished || j->paused) {
            pp = &j->next;
            continue;
        }
        if (!j->first_real && j->first_token_timeout_s > 0) {
            int64_t left = first_token_left(j, now);
            if (left <= 0) {
                *pp = j->next;
                fail_first_token(j);
                job_release(w, j);
                continue;
            }
            if (next < 0 || left < next)
                next = left;
            pp = &j->next;
            continue;
        }
        if (!(j->idle_timeout_s > 0)) {
            pp = &j->next;
            continue;
        }
        if (!j->connected) {
            /* Until then the connect timeout is in charge. */
            curl_off_t conn_us = 0, pre_us = 0;
            curl_easy_getinfo(j->easy, CURLINFO_CONNECT_TIME_T, &conn_us);
            curl_easy_getinfo(j->easy, CURLINFO_PRETRANSFER_TIME_T, &pre_us);
            if (conn_us <= 0 && pre_us <= 0) {
                pp = &j->next;
                continue;
            }
            j->connected = true;
            int64_t at = j->start_ms + (int64_t)((conn_us > 0 ? conn_us : pre_us) / 1000);
            if (at > j->last_activity_ms)
                j->last_activity_ms = at;
        }
        curl_off_t up = 0;
        curl_easy_getinfo(j->easy, CURLINFO_SIZE_UPLOAD_T, &up);
        if (up != j->last_upload) {
            j->last_upload = up;
            j->last_activity_ms = now;
        }
        int64_t left = j->last_activity_ms + timeout_ms(j->idle_timeout_s) - now;
        if (left <= 0) {
            *pp = j->next;
            job_fail(j, NET_TIMEOUT_IDLE,
                     xasprintf("no data received for %g s (idle timeout)", j->idle_timeout_s),
                     false, NULL, 0);
            job_release(w, j);
            continue;
        }
        if (next < 0 || left < next)
            next = left;
        pp = &j->next;
    }
    return next > LONG_MAX ? LONG_MAX : (long)next;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    while (!atomic_load(&w->stop)) {
        take_input(w);
        resume_paused(w);
        int running = 0;
        curl_multi_perform(w->multi, &running);
        collect_done(w);
        long idle = check_idle(w);
        if (atomic_load(&w->stop))
            break;
        long timeout = -1;
        curl_multi_timeout(w->multi, &timeout);
        if (timeout < 0 || timeout > POLL_CAP_MS)
            timeout = POLL_CAP_MS;
        if (idle >= 0 && idle < timeout)
            timeout = idle;
        if (timeout > 0)
            curl_multi_poll(w->multi, NULL, 0, (int)timeout, NULL);
    }
    while (w->active) {
        job *j = w->active;
        w->active = j->next;
        job_release(w, j);
    }
    while (w->npool > 0)
        curl_easy_cleanup(w->pool[--w->npool]);
    return NULL;
}

/* ---- the API ---- */

worker *worker_new(char *err, size_t errlen)
{
    worker *w = xcalloc(1, sizeof *w);
    w->wake_rd = w->wake_wr = -1;
    atomic_init(&w->stop, false);
    atomic_init(&w->next_id, 1);
    if (wake_open(w, err, errlen) < 0) {
        free(w);
        return NULL;
    }
    w->multi = curl_multi_init();
    if (!w->multi) {
        snprintf(err, errlen, "curl_multi_init failed");
        wake_close(w);
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);

    /* The thread inherits a full signal mask: signals go to the UI thread's signal fd. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "pthread_create: %s", strerror(rc));
        pthread_mutex_destroy(&w->lock);
        curl_multi_cleanup(w->multi);
        wake_close(w);
        free(w);
        return NULL;
    }
    return w;
}

void worker_free(worker *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, true);
    curl_multi_wakeup(w->multi);
    pthread_join(w->thread, NULL);

    while (w->in_head) {
        job *j = w->in_head;
        w->in_head = j->next;
        job_free(j);
    }
    free(w->cancels);
    events_free(w->out_head);
    curl_multi_cleanup(w->multi);
    pthread_mutex_destroy(&w->lock);
    wake_close(w);
    free(w);
}

int worker_wake_fd(const worker *w)
{
    return w->wake_rd;
}

uint64_t worker_submit(worker *w, const worker_job *src)
{
    uint64_t id;
    do
        id = atomic_fetch_add(&w->next_id, 1);
    while (id == 0);
    job *j = job_new(w, src, id);
    pthread_mutex_lock(&w->lock);
    if (w->in_tail)
        w->in_tail->next = j;
    else
        w->in_head = j;
    w->in_tail = j;
    pthread_mutex_unlock(&w->lock);
    curl_multi_wakeup(w->multi);
    return id;
}

void worker_cancel(worker *w, uint64_t id)
{
    if (id == 0)
        return;
    pthread_mutex_lock(&w->lock);
    if (w->ncancels == w->cancels_cap) {
        w->cancels_cap = w->cancels_cap ? w->cancels_cap * 2 : 4;
        w->cancels = xrealloc_array(w->cancels, w->cancels_cap, sizeof *w->cancels);
    }
    w->cancels[w->ncancels++] = id;
    pthread_mutex_unlock(&w->lock);
    curl_multi_wakeup(w->multi);
}

worker_event *worker_drain(worker *w)
{
    pthread_mutex_lock(&w->lock);
    worker_event *list = w->out_head;
    w->out_head = w->out_tail = NULL;
    w->unconsumed = 0;
    wake_clear(w);
    bool paused = w->any_paused;
    pthread_mutex_unlock(&w->lock);
    if (paused)
        curl_multi_wakeup(w->multi);
    return list;
}
