#include "session.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "redact.h"
#include "think.h"
#include "url.h"

const char *session_state_name(session_state st)
{
#define SESSION_NAME_(id, name) [id] = name,
    static const char *const names[] = {SESSION_STATES(SESSION_NAME_)};
#undef SESSION_NAME_
    return (unsigned)st < SESSION__COUNT ? names[st] : "?";
}

/* xorshift64*: the jitter needs no more than this, and tests replace it. */
static double default_random(void *ud)
{
    uint64_t *x = ud;
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return (double)((*x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

void session_init(session *s, const session_transport *tr, const session_observer *obs)
{
    memset(s, 0, sizeof *s);
    s->tr = *tr;
    if (obs)
        s->obs = *obs;
    failure_init(&s->last_failure);
    hdrs_init(&s->resp_headers);
    s->usage_prompt = s->usage_completion = s->usage_total = -1;
    s->p.retry = (retry_config)RETRY_CONFIG_DEFAULT;
    s->p.stream = true;
    s->p.send_key = true;
    s->p.temperature = -1;
    s->p.connect_timeout_s = 10;
    s->p.idle_timeout_s = 120;
    s->p.first_token_timeout_s = 600;
    s->wall_clock = clock_wall_ms;
    s->rng = (uint64_t)clock_wall_ms() * 2654435761u ^ (uint64_t)(uintptr_t)s;
    if (!s->rng)
        s->rng = 1;
    s->random01 = default_random;
    s->random_ud = &s->rng;
}

static void msg_free(chat_msg *m)
{
    buf_free(&m->text);
    buf_free(&m->reasoning);
    free(m->finish_reason);
}

static void attempts_clear(session *s)
{
    for (size_t i = 0; i < s->nattempts; i++)
        failure_free(&s->attempts[i].fail);
    s->nattempts = 0;
}

void session_params_free(session_params *p)
{
    free(p->base_url);
    if (p->api_key)
        explicit_bzero(p->api_key, strlen(p->api_key));
    free(p->api_key);
    free(p->api_version);
    xhdr_free(&p->extra);
    for (size_t i = 0; i < p->nsecrets; i++) {
        explicit_bzero(p->secrets[i], strlen(p->secrets[i]));
        free(p->secrets[i]);
    }
    free(p->secrets);
    p->secrets = NULL;
    p->nsecrets = 0;
    p->api_version = NULL;
    free(p->organization);
    free(p->project);
    free(p->model);
    free(p->system);
    free(p->ca_bundle);
    p->base_url = p->api_key = p->organization = p->project = p->model = p->system = p->ca_bundle =
        NULL;
}

void session_done(session *s)
{
    for (size_t i = 0; i < s->nmsgs; i++)
        msg_free(&s->msgs[i]);
    free(s->msgs);
    attempts_clear(s);
    free(s->attempts);
    failure_free(&s->last_failure);
    hdrs_free(&s->resp_headers);
    free(s->last_body);
    session_params_free(&s->p);
}

void session_configure(session *s, const config *c)
{
    session_params_free(&s->p);
    session_params *p = &s->p;
    p->base_url = xstrdup(cfg_str(c, OPT_BASE_URL));
    p->api_key = xstrdup(cfg_str(c, OPT_API_KEY));
    p->organization = xstrdup(cfg_str(c, OPT_ORGANIZATION));
    p->project = xstrdup(cfg_str(c, OPT_PROJECT));
    p->model = xstrdup(cfg_str(c, OPT_MODEL));
    p->system = xstrdup(cfg_str(c, OPT_SYSTEM));
    p->ca_bundle = xstrdup(cfg_str(c, OPT_CA_BUNDLE));
    p->temperature = cfg_double(c, OPT_TEMPERATURE);
    p->max_tokens = cfg_int(c, OPT_MAX_TOKENS);
    p->stream = cfg_bool(c, OPT_STREAM);
    p->provider = cfg_provider(c);
    p->api_version = xstrdup(cfg_str(c, OPT_API_VERSION));
    cfg_extra_headers(c, &p->extra);
    const char *secrets[2 * XHDR_MAX];
    p->nsecrets = xhdr_secrets(&p->extra, secrets, sizeof secrets / sizeof *secrets);
    p->secrets = p->nsecrets ? xmalloc_array(p->nsecrets, sizeof *p->secrets) : NULL;
    for (size_t i = 0; i < p->nsecrets; i++)
        p->secrets[i] = xstrdup(secrets[i]);
    /* needs_key comes from the user, or the provider's preset (a local server needs none;
     * "auto" on loopback is "local"): an explicit provider needs its key even on loopback. */
    p->key_required = cfg_bool(c, OPT_NEEDS_KEY);
    p->send_key = cfg_sends_key(c);
    p->allow_insecure_http = cfg_bool(c, OPT_ALLOW_INSECURE_HTTP);
    p->connect_timeout_s = cfg_double(c, OPT_CONNECT_TIMEOUT);
    p->idle_timeout_s = cfg_double(c, OPT_IDLE_TIMEOUT);
    p->first_token_timeout_s = cfg_double(c, OPT_FIRST_TOKEN_TIMEOUT);
    p->retry.max_retries = (int)cfg_int(c, OPT_MAX_RETRIES);
    p->retry.initial_s = cfg_double(c, OPT_BACKOFF_INITIAL);
    p->retry.max_delay_s = cfg_double(c, OPT_BACKOFF_MAX);
    p->retry.max_server_wait_s = cfg_double(c, OPT_MAX_SERVER_WAIT);
    p->max_reply_bytes = (size_t)(cfg_double(c, OPT_MAX_REPLY_MB) * 1024 * 1024);
}

static chat_msg *msg_push(session *s, api_role role)
{
    if (s->nmsgs == s->capmsgs) {
        s->capmsgs = s->capmsgs ? s->capmsgs * 2 : 16;
        s->msgs = xrealloc_array(s->msgs, s->capmsgs, sizeof *s->msgs);
    }
    static uint64_t next_id;
    chat_msg *m = &s->msgs[s->nmsgs++];
    memset(m, 0, sizeof *m);
    m->id = ++next_id;
    m->role = role;
    buf_init(&m->text);
    buf_init(&m->reasoning);
    m->think_ms = -1;
    m->wall_ms = s->wall_clock();
    m->error = GUIDE__COUNT;
    return m;
}

static void set_state(session *s, session_state to)
{
    session_state from = s->state;
    s->state = to;
    if (from != to && s->obs.state)
        s->obs.state(s->obs.ud, from, to);
}

static chat_msg *reply_msg(session *s)
{
    return s->has_reply ? &s->msgs[s->nmsgs - 1] : NULL;
}

/* Whether the prompt at i has an answer after it: a reply with text, not only reasoning. */
static bool answered(const session *s, size_t i)
{
    return i + 1 < s->nmsgs && s->msgs[i + 1].role == API_ROLE_ASSISTANT &&
           s->msgs[i + 1].text.len > 0;
}

/* The messages the model sees: the system prompt, then the conversation without
 * prompts that never got an answer (other than the one being sent), so that two user
 * messages never follow each other, and without replies that have no text. */
static char *build_body(session *s)
{
    api_message *v = xmalloc_array(s->nmsgs + 1, sizeof *v);
    size_t n = 0;
    if (s->p.system && *s->p.system)
        v[n++] = (api_message){API_ROLE_SYSTEM, s->p.system};
    for (size_t i = 0; i <= s->prompt_index && i < s->nmsgs; i++) {
        const chat_msg *m = &s->msgs[i];
        if (i != s->prompt_index && m->role == API_ROLE_USER &&
            ((m->flags & MSG_FAILED) || !answered(s, i)))
            continue;
        if (m->role == API_ROLE_ASSISTANT && m->text.len == 0)
            continue;
        v[n++] = (api_message){m->role, buf_str(&m->text)};
    }
    api_request req = {
        .model = s->p.model,
        .messages = v,
        .nmessages = n,
        .stream = s->p.stream,
        .temperature = s->p.temperature,
        .max_tokens = s->p.max_tokens,
    };
    char *body = api_build_chat_body(&req);
    free(v);
    return body;
}

static session_attempt *attempt_push(session *s)
{
    if (s->nattempts == s->capattempts) {
        s->capattempts = s->capattempts ? s->capattempts * 2 : 8;
        s->attempts = xrealloc_array(s->attempts, s->capattempts, sizeof *s->attempts);
    }
    session_attempt *a = &s->attempts[s->nattempts++];
    memset(a, 0, sizeof *a);
    failure_init(&a->fail);
    a->start_wall_ms = s->wall_clock();
    return a;
}

static void fail_now(session *s, const failure *f, const retry_decision *d, int64_t now_ms);

static void start_attempt(session *s, int64_t now_ms)
{
    /* A reply cut short by an earlier attempt is replaced by the new one. */
    if (s->has_reply) {
        msg_free(&s->msgs[--s->nmsgs]);
        s->has_reply = false;
    }
    s->got_content = false;
    s->held = false;
    s->has_failure = false;
    s->msgs[s->prompt_index].flags = (s->msgs[s->prompt_index].flags & ~MSG_FAILED) | MSG_PENDING;
    s->msgs[s->prompt_index].error = GUIDE__COUNT;
    attempt_push(s);

    bool no_key = s->p.key_required && !(s->p.api_key && *s->p.api_key);
    bool in_clear = session_key_in_clear(s);
    if (no_key || (in_clear && !s->p.allow_insecure_http)) {
        /* Nothing is sent: without a key it cannot succeed; over plain http:// to another
         * machine the key could be read on the way. */
        failure f;
        failure_init(&f);
        f.entry = no_key ? GUIDE_NO_KEY : GUIDE_INSECURE_HTTP;
        f.type = no_key ? GUIDE_T_AUTHENTICATION : GUIDE_T_NONE;
        retry_decision d = {.verdict = RETRY_NO_STATUS, .source = DELAY_NONE};
        fail_now(s, &f, &d, now_ms);
        failure_free(&f);
        return;
    }
    if (in_clear && !s->warned_in_clear) {
        s->warned_in_clear = true;
        if (s->obs.key_in_clear) {
            char *host = url_authority(s->p.base_url);
            s->obs.key_in_clear(s->obs.ud, host);
            free(host);
        }
    }

    char *body = build_body(s);
    char *url = session_chat_url(&s->p);
    worker_job job = {
        .kind = JOB_CHAT,
        .url = url,
        .body = body,
        .api_key = s->p.send_key ? s->p.api_key : NULL,
        .auth_header = provider_auth_header(s->p.provider, s->p.base_url),
        .organization = s->p.organization,
        .project = s->p.project,
        .extra_headers = s->p.extra.v,
        .nextra_headers = s->p.extra.n,
        .ca_bundle = s->p.ca_bundle,
        .stream = s->p.stream,
        .connect_timeout_s = s->p.connect_timeout_s,
        .idle_timeout_s = s->p.idle_timeout_s,
        .first_token_timeout_s = s->p.first_token_timeout_s,
    };
    s->resp_status = 0;
    set_state(s, SESSION_SENDING);
    s->job = s->tr.submit(s->tr.ud, &job);
    free(s->last_body);
    s->last_body = body;
    free(url);
}

int session_submit(session *s, const char *prompt, int64_t now_ms)
{
    if (session_busy(s))
        return -1;
    attempts_clear(s);
    s->retries_taken = 0;
    s->has_reply = false;
    chat_msg *m = msg_push(s, API_ROLE_USER);
    buf_puts(&m->text, prompt);
    s->prompt_index = s->nmsgs - 1;
    start_attempt(s, now_ms);
    return 0;
}

/* The reply being written, made when its first text comes. */
static chat_msg *reply_begun(session *s)
{
    chat_msg *r = reply_msg(s);
    if (!r) {
        r = msg_push(s, API_ROLE_ASSISTANT);
        r->flags = MSG_PENDING;
        s->has_reply = true;
    }
    s->held = false;
    return r;
}

/* The reasoning is over (the answer began, or the reply ended): how long it took. */
static void end_thinking(session *s, chat_msg *r)
{
    if (!r || !r->thinking)
        return;
    r->thinking = false;
    int64_t now = s->wall_clock();
    r->think_ms = r->think_start_ms && now > r->think_start_ms ? now - r->think_start_ms : 0;
}

static void append_reply(session *s, const char *text, size_t len, bool refusal)
{
    chat_msg *r = reply_begun(s);
    end_thinking(s, r);
    if (refusal)
        r->flags |= MSG_REFUSAL;
    if (!s->stream_only)
        buf_append(&r->text, text, len);
    s->got_content = true;
}

static void append_reasoning(session *s, const char *text, size_t len)
{
    chat_msg *r = reply_begun(s);
    /* Reasoning that comes once the answer has begun is kept, but thinking is over. */
    if (!r->thinking && !r->think_start_ms && r->text.len == 0) {
        r->thinking = true;
        r->think_start_ms = s->wall_clock();
    }
    if (!s->stream_only)
        buf_append(&r->reasoning, text, len);
    s->got_content = true;
}

static void finish_attempt(session *s, const failure *f)
{
    if (!s->nattempts)
        return;
    session_attempt *a = &s->attempts[s->nattempts - 1];
    if (a->closed)
        return;
    a->closed = true;
    a->end_wall_ms = s->wall_clock();
    if (f)
        failure_copy(&a->fail, f);
    a->ok = f == NULL;
}

/* Records a failed attempt and moves to waiting or failed as d says. */
static void fail_now(session *s, const failure *f, const retry_decision *d, int64_t now_ms)
{
    s->job = 0;
    /* A cancelled countdown has no attempt of its own: the last one already ended. */
    if (s->nattempts && !s->attempts[s->nattempts - 1].closed) {
        finish_attempt(s, f);
        s->attempts[s->nattempts - 1].decision = *d;
    }
    failure_copy(&s->last_failure, f);
    s->has_failure = true;
    s->last_decision = *d;

    chat_msg *prompt = &s->msgs[s->prompt_index];
    prompt->flags &= ~MSG_PENDING;
    chat_msg *r = reply_msg(s);
    end_thinking(s, r);
    if (r) {
        r->flags = (r->flags & ~MSG_PENDING) | MSG_INTERRUPTED;
        r->error = f->entry;
    }

    if (d->verdict == RETRY_YES) {
        s->deadline_ms = now_ms + d->delay_ms;
        set_state(s, SESSION_WAITING);
    } else {
        /* Reasoning alone is no answer: the prompt is one to send again. */
        if (!r || r->text.len == 0) {
            prompt->flags |= MSG_FAILED;
            prompt->error = f->entry;
        }
        s->deadline_ms = d->verdict == RETRY_NO_TOO_LONG ? now_ms + d->delay_ms : 0;
        set_state(s, SESSION_FAILED);
    }
    if (s->obs.failed)
        s->obs.failed(s->obs.ud, f, d, session_attempt_number(s), session_attempts_max(s));
}

/* What the session knows and the classifier does not: the key it sent, which a server
 * may echo back and which must then appear masked wherever the failure is shown, logged
 * or written; and the base URL, which names the fix when https:// met a plain-HTTP server. */
static void refine_failure(const session *s, failure *f)
{
    redact_failure(f, s->p.api_key, s->p.base_url);
    for (size_t i = 0; i < s->p.nsecrets; i++)
        redact_failure(f, s->p.secrets[i], NULL);
    const char *base = s->p.base_url;
    if (f->entry == GUIDE_TLS_PLAIN_HTTP && base && str_ncasecmp(base, "https://", 8) == 0) {
        char *shown = url_display(base);
        char *detail = xasprintf("%s%sthe server answered in plain HTTP: use http://%s",
                                 f->detail ? f->detail : "", f->detail ? "; " : "", shown + 8);
        free(shown);
        free(f->detail);
        f->detail = detail;
    }
}

/* The response headers kept for the panel and the report, every secret masked. */
static void redact_resp_headers(session *s)
{
    redact_headers(&s->resp_headers, s->p.api_key, s->p.base_url);
    for (size_t i = 0; i < s->p.nsecrets; i++)
        redact_headers(&s->resp_headers, s->p.secrets[i], NULL);
}

char *session_chat_url(const session_params *p)
{
    return provider_chat_url(p->provider, p->base_url, p->model, p->api_version);
}

void session_redact(const session_params *p, buf *text)
{
    redact_buf(text, p->api_key, p->base_url);
    for (size_t i = 0; i < p->nsecrets; i++)
        redact_buf(text, p->secrets[i], NULL);
}

static void on_failed_event(session *s, const worker_event *ev, int64_t now_ms)
{
    classify_input in = {
        .net = ev->net,
        .status = ev->status,
        .headers = &ev->headers,
        .body = ev->body.data,
        .body_len = ev->body.len,
        .in_stream = ev->in_stream,
        .detail = ev->detail,
        .provider = provider_row(s->p.provider)->name,
        .base_url = s->p.base_url,
    };
    failure f;
    failure_init(&f);
    classify(&in, &f);
    refine_failure(s, &f);
    if (ev->headers.n) {
        hdrs_copy(&s->resp_headers, &ev->headers);
        redact_resp_headers(s);
    }
    bool got = s->got_content || ev->got_content;
    retry_decision d = retry_decide(&s->p.retry, &f, &ev->headers, s->retries_taken, got,
                                    s->wall_clock(), s->random01(s->random_ud));
    fail_now(s, &f, &d, now_ms);
    failure_free(&f);
}

/* Bytes the reply may still grow by before max_reply_bytes. */
static size_t reply_room(session *s)
{
    if (s->stream_only || !s->p.max_reply_bytes)
        return SIZE_MAX;
    const chat_msg *r = reply_msg(s);
    size_t have = r ? r->text.len + r->reasoning.len : 0;
    return have < s->p.max_reply_bytes ? s->p.max_reply_bytes - have : 0;
}

/* The longest prefix of text[0..n) that ends on a whole UTF-8 character. */
static size_t utf8_floor(const char *text, size_t n)
{
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* A reply past max_reply_bytes: the transfer stops, what came is kept and marked, and
 * the failure says why. Not retried: it would only grow again. */
static void stop_long_reply(session *s, int64_t now_ms)
{
    uint64_t job = s->job;
    s->job = 0;
    s->tr.cancel(s->tr.ud, job);
    failure f;
    failure_init(&f);
    f.entry = GUIDE_REPLY_TOO_LONG;
    f.type = GUIDE_T_NONE;
    f.net = NET_TOO_LARGE;
    char limit[64];
    snprintf(limit, sizeof limit, "max_reply_mb %g", (double)s->p.max_reply_bytes / (1024 * 1024));
    f.detail = xstrdup(limit);
    retry_decision d = {.verdict = RETRY_NO_CONTENT, .source = DELAY_NONE, .retryable = true};
    fail_now(s, &f, &d, now_ms);
    failure_free(&f);
}

/* A chat template that opened the <think> block in the prompt leaves the model's reasoning
 * in the content, ended by a lone "</think>": once the reply is whole, it is moved to the
 * reasoning (untimed), so that it folds and is not sent back. */
static void split_lone_think(chat_msg *r)
{
    size_t reason_len, answer_at;
    if (r->reasoning.len || !think_lone_close(r->text.data, r->text.len, &reason_len, &answer_at))
        return;
    buf_append(&r->reasoning, r->text.data, reason_len);
    size_t rest = r->text.len - answer_at;
    memmove(r->text.data, r->text.data + answer_at, rest);
    r->text.len = rest;
    r->text.data[rest] = '\0';
}

static void on_done(session *s)
{
    s->job = 0;
    finish_attempt(s, NULL);
    s->has_failure = false;
    s->msgs[s->prompt_index].flags &= ~(MSG_PENDING | MSG_FAILED);
    chat_msg *r = reply_msg(s);
    end_thinking(s, r);
    if (r) {
        r->flags &= ~MSG_PENDING;
        split_lone_think(r);
    }
    s->deadline_ms = 0;
    set_state(s, SESSION_IDLE);
}

void session_handle(session *s, const worker_event *ev, int64_t now_ms)
{
    if (ev->job != s->job || s->job == 0)
        return;
    switch (ev->kind) {
    case WEV_RESPONSE:
        s->resp_status = ev->status;
        hdrs_copy(&s->resp_headers, &ev->headers);
        redact_resp_headers(s);
        if (ev->status >= 200 && ev->status < 300)
            set_state(s, SESSION_STREAMING);
        break;
    case WEV_CONTENT:
    case WEV_REFUSAL:
    case WEV_REASONING: {
        size_t len = ev->text.len, room = reply_room(s);
        bool over = len > room;
        if (over)
            len = utf8_floor(buf_str(&ev->text), room);
        void (*cb)(void *, const char *, size_t) = s->obs.content;
        if (ev->kind == WEV_REASONING) {
            append_reasoning(s, buf_str(&ev->text), len);
            cb = s->obs.reasoning;
        } else {
            append_reply(s, buf_str(&ev->text), len, ev->kind == WEV_REFUSAL);
            if (ev->kind == WEV_REFUSAL)
                cb = s->obs.refusal;
        }
        if (cb && len)
            cb(s->obs.ud, buf_str(&ev->text), len);
        if (over)
            stop_long_reply(s, now_ms);
        break;
    }
    case WEV_HELD:
        s->held = ev->held && !s->got_content;
        break;
    case WEV_FINISH: {
        if (!reply_msg(s)) {
            append_reply(s, "", 0, false);
            s->got_content = false;
        }
        chat_msg *r = reply_msg(s);
        free(r->finish_reason);
        r->finish_reason = xstrdup(buf_str(&ev->text));
        break;
    }
    case WEV_USAGE:
        s->usage_prompt = ev->prompt_tokens;
        s->usage_completion = ev->completion_tokens;
        s->usage_total = ev->total_tokens;
        break;
    case WEV_DONE:
        on_done(s);
        break;
    case WEV_FAILED:
        on_failed_event(s, ev, now_ms);
        break;
    }
}

void session_tick(session *s, int64_t now_ms)
{
    if (s->state == SESSION_WAITING && now_ms >= s->deadline_ms) {
        s->retries_taken++;
        start_attempt(s, now_ms);
    }
}

int64_t session_next_timeout(const session *s, int64_t now_ms)
{
    if (s->state != SESSION_WAITING)
        return -1;
    return s->deadline_ms > now_ms ? s->deadline_ms - now_ms : 0;
}

int session_retry_now(session *s, int64_t now_ms)
{
    switch (s->state) {
    case SESSION_WAITING:
        s->retries_taken++;
        start_attempt(s, now_ms);
        return 0;
    case SESSION_FAILED:
        /* A new series: the user asked, so the automatic retries start over. */
        attempts_clear(s);
        s->retries_taken = 0;
        start_attempt(s, now_ms);
        return 0;
    case SESSION_IDLE: {
        /* Regenerate the last reply. */
        if (!s->nmsgs)
            return -1;
        size_t last_user = s->nmsgs;
        while (last_user > 0 && s->msgs[last_user - 1].role != API_ROLE_USER)
            last_user--;
        if (!last_user)
            return -1;
        s->prompt_index = last_user - 1;
        while (s->nmsgs > last_user)
            msg_free(&s->msgs[--s->nmsgs]);
        s->has_reply = false;
        attempts_clear(s);
        s->retries_taken = 0;
        start_attempt(s, now_ms);
        return 0;
    }
    default:
        return -1;
    }
}

void session_cancel(session *s, int64_t now_ms)
{
    if (!session_busy(s))
        return;
    if (s->job) {
        uint64_t job = s->job;
        s->job = 0;
        s->tr.cancel(s->tr.ud, job);
    }
    failure f;
    failure_init(&f);
    f.entry = GUIDE_CANCELLED;
    f.type = GUIDE_T_NONE;
    f.net = NET_CANCELLED;
    retry_decision d = {.verdict = RETRY_NO_CANCELLED, .source = DELAY_NONE, .retryable = true};
    fail_now(s, &f, &d, now_ms);
    failure_free(&f);
}

chat_msg *session_append_msg(session *s, api_role role, const char *text, size_t len)
{
    if (session_busy(s))
        return NULL;
    chat_msg *m = msg_push(s, role);
    buf_append(&m->text, text, len);
    s->has_reply = false;
    return m;
}

int session_append(session *s, api_role role, const char *text, size_t len)
{
    return session_append_msg(s, role, text, len) ? 0 : -1;
}

void session_clear(session *s)
{
    if (session_busy(s))
        return;
    for (size_t i = 0; i < s->nmsgs; i++)
        msg_free(&s->msgs[i]);
    s->nmsgs = 0;
    s->has_reply = false;
    s->has_failure = false;
    attempts_clear(s);
    s->retries_taken = 0;
    set_state(s, SESSION_IDLE);
}

bool session_sends_key_in_clear(const char *base_url, const char *key, bool send_key)
{
    return send_key && key && *key && url_is_plain_http(base_url) && !url_is_loopback(base_url);
}

bool session_key_in_clear(const session *s)
{
    return session_sends_key_in_clear(s->p.base_url, s->p.api_key, s->p.send_key);
}

bool session_thinking(const session *s)
{
    return s->state == SESSION_STREAMING && s->has_reply && s->msgs[s->nmsgs - 1].thinking;
}

bool session_waits_visibly(const session *s)
{
    return s->state == SESSION_STREAMING && (s->held || session_thinking(s));
}

bool session_busy(const session *s)
{
    return s->state == SESSION_SENDING || s->state == SESSION_STREAMING ||
           s->state == SESSION_WAITING;
}

int session_attempt_number(const session *s)
{
    return s->retries_taken + 1;
}

int session_attempts_max(const session *s)
{
    return s->p.retry.max_retries + 1;
}
