/* The worker thread: owns libcurl. Jobs come in through a locked queue, events go
 * out through another, with one byte written to a wake fd so that the UI's
 * poll() wakes. Cancel is immediate (curl_multi_wakeup). */
#ifndef TCHAT_WORKER_H
#define TCHAT_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "util.h"

typedef enum { JOB_CHAT, JOB_MODELS, JOB_STATUS } job_kind;

/* A request. The worker takes ownership of the strings passed in (it copies them). */
typedef struct worker_job {
    job_kind kind;
    const char *url;          /* full URL */
    const char *body;         /* POST body; NULL: GET */
    const char *api_key;      /* NULL or "": no key header */
    const char *auth_header;  /* NULL: the key goes as "Authorization: Bearer KEY"; else the
                                 header that carries it as it is ("api-key") */
    const char *organization; /* optional OpenAI-Organization */
    const char *project;      /* optional OpenAI-Project */
    const http_header *extra_headers; /* the profile's own, sent after tchat's; one named like
                                         a header tchat writes (Authorization, Accept...)
                                         replaces it */
    size_t nextra_headers;
    const char *ca_bundle;    /* optional CAINFO */
    bool stream;              /* JOB_CHAT: expect SSE (a JSON body is still accepted) */
    double connect_timeout_s;
    double idle_timeout_s;    /* silence that ends the transfer once the reply has begun */
    double first_token_timeout_s; /* JOB_CHAT: > 0: until the first byte of the reply (not a
                                     header, not an SSE comment or blank line: a keep-alive),
                                     the transfer ends this long after it started, whatever
                                     came, and idle_timeout does not apply; 0: idle_timeout
                                     from the connection on, as for the other jobs */
} worker_job;

typedef enum {
    WEV_RESPONSE,  /* status and headers of a response have arrived (before any body) */
    WEV_CONTENT,   /* text: sanitised content (consecutive deltas are merged) */
    WEV_REFUSAL,   /* text: sanitised refusal text */
    WEV_REASONING, /* text: sanitised reasoning (a reasoning field, or a leading <think>
                      block of the content: think.h), merged like content */
    WEV_HELD,      /* held: true when the server holds the request (a response began, and
                      only SSE keep-alives came since); false when the reply then begins */
    WEV_FINISH,    /* text: finish_reason */
    WEV_USAGE,     /* tokens */
    WEV_DONE,      /* the job succeeded; body: whole body for JOB_MODELS / JOB_STATUS */
    WEV_FAILED,    /* the job failed; net, status, headers, body (capped), detail, in_stream */
} worker_event_kind;

typedef struct worker_event {
    worker_event_kind kind;
    uint64_t job;             /* the id worker_submit returned */
    job_kind job_kind;
    buf text;                 /* WEV_CONTENT / WEV_REFUSAL / WEV_REASONING / WEV_FINISH */
    long prompt_tokens, completion_tokens, total_tokens;
    long status;              /* WEV_RESPONSE, WEV_FAILED */
    http_headers headers;     /* WEV_RESPONSE, WEV_FAILED */
    net_result net;           /* WEV_FAILED */
    buf body;                 /* WEV_FAILED: error body or stream error JSON; WEV_DONE */
    char *detail;             /* WEV_FAILED: libcurl's message, or ours */
    bool in_stream;           /* WEV_FAILED: error inside a 200 stream */
    bool got_content;         /* WEV_FAILED: some content (or reasoning) had arrived */
    bool held;                /* WEV_HELD */
    int64_t wall_ms;          /* when the event was posted */
    struct worker_event *next;
} worker_event;

typedef struct worker worker;

/* Starts the thread. Returns NULL with a message in err on failure. */
worker *worker_new(char *err, size_t errlen);
/* Stops the thread (cancelling everything), joins it and frees all. */
void worker_free(worker *w);
/* Readable when events are waiting; drain it with worker_drain. */
int worker_wake_fd(const worker *w);
/* Queues a job; returns its id (never 0). */
uint64_t worker_submit(worker *w, const worker_job *job);
/* Cancels a job: it ends with WEV_FAILED, net NET_CANCELLED, at once. */
void worker_cancel(worker *w, uint64_t job);
/* Takes every waiting event, oldest first (a list linked by next), and empties
 * the wake fd. Free each with worker_event_free. NULL when none. */
worker_event *worker_drain(worker *w);
void worker_event_free(worker_event *ev);
/* Unconsumed reply text above this pauses the transfers until worker_drain:
 * memory stays flat however fast the server sends and however slowly the
 * terminal draws. */
#define WORKER_TEXT_QUEUE_CAP ((size_t)1 << 20)
/* The most bytes of an error body kept. */
#define WORKER_ERROR_BODY_CAP (64 * 1024)

#endif
