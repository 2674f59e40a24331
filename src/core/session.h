/* The session: one conversation and the state machine of its current request
 * (docs/protocol.md#threads). No curses, no I/O of its own: it is driven by
 * worker events and a clock, so the UI, the one-shot runner and the tests
 * (with a fake clock and scripted events) all use the same code.
 *
 *   idle -> sending -> streaming -> idle (done)
 *             |            |
 *             +-> waiting(deadline) -> sending ...   (retry policy says yes)
 *             +-> failed                             (no retry: prompt and partial reply kept)
 */
#ifndef TCHAT_SESSION_H
#define TCHAT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "classify.h"
#include "provider.h"
#include "retry.h"
#include "util.h"
#include "worker.h"
#include "xheaders.h"

struct config;

#define SESSION_STATES(X)          \
    X(SESSION_IDLE, "idle")        \
    X(SESSION_SENDING, "sending")  \
    X(SESSION_STREAMING, "streaming") \
    X(SESSION_WAITING, "waiting")  \
    X(SESSION_FAILED, "failed")

#define SESSION_ENUM_(id, name) id,
typedef enum { SESSION_STATES(SESSION_ENUM_) SESSION__COUNT } session_state;
#undef SESSION_ENUM_
const char *session_state_name(session_state s);

enum {
    MSG_FAILED = 1u << 0,      /* a prompt whose request failed (kept, one key from resent) */
    MSG_INTERRUPTED = 1u << 1, /* a reply cut short (error or cancel) */
    MSG_REFUSAL = 1u << 2,     /* the reply is a refusal */
    MSG_PENDING = 1u << 3,     /* a prompt being sent / a reply being written */
};

typedef struct chat_msg {
    uint64_t id;              /* unique in the process: views cache by it */
    api_role role;
    buf text;                 /* sanitised UTF-8 */
    buf reasoning;            /* assistant: the model's reasoning, sanitised; kept and saved,
                                 never sent back to the server */
    bool thinking;            /* the reasoning is coming and the answer has not begun */
    int64_t think_start_ms;   /* wall time the reasoning began (0: unknown) */
    int64_t think_ms;         /* from then to the answer's beginning (or the reply's end); -1
                                 while thinking or when unknown */
    unsigned flags;
    char *finish_reason;      /* assistant: "stop", "length", "content_filter"... or NULL */
    int64_t wall_ms;          /* when it was sent / when the reply began */
    guide_entry error;        /* with MSG_FAILED or MSG_INTERRUPTED: why */
} chat_msg;

/* One attempt of the current prompt, for the panel, F8 and the support report. */
typedef struct session_attempt {
    int64_t start_wall_ms;
    int64_t end_wall_ms;
    failure fail;             /* why it failed (unset when ok) */
    bool ok;
    bool closed;              /* the attempt has ended (ok or failed) */
    retry_decision decision;
} session_attempt;

/* How the session reaches the network: the worker, or a fake in tests. */
typedef struct session_transport {
    uint64_t (*submit)(void *ud, const worker_job *job);
    void (*cancel)(void *ud, uint64_t job);
    void *ud;
} session_transport;

/* Notifications, all optional. Called from session functions, on the caller's thread. */
typedef struct session_observer {
    void (*content)(void *ud, const char *text, size_t len); /* reply text appended */
    void (*refusal)(void *ud, const char *text, size_t len);
    void (*reasoning)(void *ud, const char *text, size_t len); /* reasoning appended */
    /* An attempt failed; d says whether (and when) it is retried. */
    void (*failed)(void *ud, const failure *f, const retry_decision *d, int attempt, int attempts_max);
    void (*state)(void *ud, session_state from, session_state to);
    /* The key is about to go unencrypted (http://) to host, which allow_insecure_http
     * permits: once per session, before the first such request. */
    void (*key_in_clear)(void *ud, const char *host);
    void *ud;
} session_observer;

/* What a request needs from the configuration (copied by session_configure). */
typedef struct session_params {
    char *base_url, *api_key, *organization, *project, *model, *system, *ca_bundle;
    provider_id provider; /* the profile's provider, "auto" resolved (cfg_provider) */
    char *api_version;    /* Azure's deployments API: the api-version query */
    xhdr_list extra;      /* the profile's extra headers */
    char **secrets;       /* the values of its secret headers, and the token after a
                             scheme ("Bearer TOKEN"): masked like the key */
    size_t nsecrets;
    double temperature;
    long max_tokens;
    bool stream;
    bool key_required;        /* the endpoint needs a key: without one, fail with no-key */
    bool send_key;            /* false (needs_key false set by the user): no key header at all */
    bool allow_insecure_http; /* the key may go over plain http:// to another machine */
    double connect_timeout_s, idle_timeout_s, first_token_timeout_s;
    size_t max_reply_bytes;   /* a longer reply (its reasoning counted) is stopped, kept and
                                 explained; 0: no limit
                                 (stream_only sessions keep nothing, so never stop) */
    retry_config retry;
} session_params;

typedef struct session {
    session_params p;
    session_transport tr;
    session_observer obs;

    chat_msg *msgs;
    size_t nmsgs, capmsgs;

    session_state state;
    uint64_t job;             /* current job id, 0 when none */
    size_t prompt_index;      /* the user message being answered */
    bool has_reply;           /* msgs[nmsgs-1] is this prompt's assistant reply */
    bool got_content;         /* reply text (content, refusal or reasoning) has arrived */
    bool held;                /* the server holds the request: keep-alives only so far */
    int retries_taken;        /* automatic retries made for this prompt */
    int64_t deadline_ms;      /* SESSION_WAITING: monotonic time of the next attempt;
                                 SESSION_FAILED with RETRY_NO_TOO_LONG: when the limit resets */
    failure last_failure;     /* valid when has_failure */
    bool has_failure;
    retry_decision last_decision;

    long resp_status;
    http_headers resp_headers; /* of the last response (rate-limit gauge) */
    long usage_prompt, usage_completion, usage_total; /* of the last reply; -1 unknown */

    char *last_body;           /* the request body of the last attempt (for the support report) */

    session_attempt *attempts; /* of the current prompt */
    size_t nattempts, capattempts;

    bool warned_in_clear;     /* key_in_clear was called */
    bool stream_only;         /* reply text goes to the observer only, not into msgs (one-shot:
                                 memory stays flat however long the reply) */
    int64_t (*wall_clock)(void);   /* clock_wall_ms by default */
    double (*random01)(void *ud);  /* uniform [0,1), for the jitter */
    void *random_ud;
    uint64_t rng;
} session;

void session_init(session *s, const session_transport *tr, const session_observer *obs);
void session_done(session *s);
/* Copies what requests need from the current profile of c. */
void session_configure(session *s, const struct config *c);
void session_params_free(session_params *p);
/* The URL a chat request of these parameters goes to (provider_chat_url). Caller frees. */
char *session_chat_url(const session_params *p);
/* Masks every secret of the parameters (the key, the base URL's password, secret extra
 * headers) in text. */
void session_redact(const session_params *p, buf *text);

/* Sends a prompt. Returns 0, or -1 when a request is already in flight. */
int session_submit(session *s, const char *prompt, int64_t now_ms);
/* Handles one worker event (events of other jobs are ignored). */
void session_handle(session *s, const worker_event *ev, int64_t now_ms);
/* Starts the next attempt when a countdown has run out. */
void session_tick(session *s, int64_t now_ms);
/* Milliseconds until session_tick has work, or -1 when no timer is needed. */
int64_t session_next_timeout(const session *s, int64_t now_ms);
/* F5: retry now (during a countdown, or after a failure), or regenerate the last reply. */
int session_retry_now(session *s, int64_t now_ms);
/* Esc: cancel the request or the countdown; the prompt and any partial reply stay. */
void session_cancel(session *s, int64_t now_ms);
/* Appends a finished message (a conversation loaded from disk). Only when not busy. */
int session_append(session *s, api_role role, const char *text, size_t len);
/* The same, returning the new message so that a loaded conversation can restore
 * its flags, error, finish reason and time (valid until the next message is
 * added). NULL when busy. */
chat_msg *session_append_msg(session *s, api_role role, const char *text, size_t len);
/* Starts a new, empty conversation (only when idle or failed). */
void session_clear(session *s);

bool session_busy(const session *s); /* sending, streaming or waiting */
/* The reply being written is reasoning and its answer has not begun. */
bool session_thinking(const session *s);
/* Streaming, and what is shown counts seconds: the server holds the request, or the model
 * is thinking. */
bool session_waits_visibly(const session *s);
/* True when a request would carry the key unencrypted: the profile sends a key, has one,
 * and its base URL is http:// to a host that is not this machine (the insecure-http
 * entry, unless allow_insecure_http). */
bool session_key_in_clear(const session *s);
/* The same test for any request: key sent (send_key and a key) over http:// to a host
 * that is not this machine. */
bool session_sends_key_in_clear(const char *base_url, const char *key, bool send_key);
/* The attempt number in progress or last made (1-based) and the most attempts. */
int session_attempt_number(const session *s);
int session_attempts_max(const session *s);

#endif
