/* tchat-mock responses: chat completions (SSE or JSON) and the faults a step asks for. */
#include "mock_chat.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_util.h"

/* Terminal escape sequences a hostile model could emit: an OSC title change, clear screen,
 * SGR colour, and a C1 CSI (U+009B) that some terminals honour. */
static const char escapes_text[] = "[title \x1b]0;pwned\x07] [clear \x1b[2J] "
                                   "[red \x1b[31mred\x1b[0m] [c1 \xc2\x9b" "2J] ";
/* Bytes that are not UTF-8: a lone 0xff 0xfe, and a 3-byte sequence cut after 2 bytes. */
static const char invalid_prefix[] = "bad:\xff\xfe ";
static const char invalid_suffix[] = " cut:\xe4\xbd";

/* Content of the stream_bytes replies: ~40 characters per delta, lines now and then. */
static const char *const big_pieces[] = {
    "The quick brown fox jumps over the lazy ",
    "dog while the mock server streams a long ",
    "reply as fast as the socket accepts it. ",
    "Throughput matters more than meaning.\n",
    "Lorem ipsum dolor sit amet, consectetur ",
    "adipiscing elit, sed do eiusmod tempor. ",
    "Wide text 你好世界 and emoji 🙂 mix in.\n",
    "Ut enim ad minim veniam, quis nostrud.\n\n",
};
#define BIG_PIECES (sizeof big_pieces / sizeof big_pieces[0])
#define BIG_BLOCK (256 * 1024)

int mock_step_status(const mock_step *st)
{
    return st->hangup ? 0 : st->status;
}

bool mock_step_is_plain(const mock_step *st)
{
    return st->body || st->html || st->error ||
           (!st->n_raw_sse && (st->status < 200 || st->status > 299));
}

void mock_step_headers(const mock_step *st, mock_hdrs *h)
{
    for (size_t i = 0; i < st->n_headers; i++)
        mock_hdrs_set(h, st->headers[i].name, st->headers[i].value);
    if (st->retry_after_date != LONG_MIN) {
        char date[64];
        mock_http_date(time(NULL) + st->retry_after_date, date, sizeof date);
        mock_hdrs_set(h, "retry-after", date);
    }
}

/* {"error": {...}} laid out as the real API does (4-space indent, one member a line). */
static char *print_envelope(const cJSON *e)
{
    mock_buf b = {0};
    mock_buf_adds(&b, "{\n    \"error\": {");
    const cJSON *v;
    cJSON_ArrayForEach(v, e) {
        char *value = cJSON_PrintUnformatted(v);
        mock_buf_adds(&b, v != e->child ? ",\n        " : "\n        ");
        mock_buf_json_str(&b, v->string, strlen(v->string));
        mock_buf_adds(&b, ": ");
        mock_buf_adds(&b, value ? value : "null");
        free(value);
    }
    mock_buf_adds(&b, "\n    }\n}\n");
    return b.data;
}

char *mock_error_json(const char *message, const char *type, const char *param,
                      const char *code)
{
    cJSON *e = cJSON_CreateObject();
    const char *keys[] = {"message", "type", "param", "code"};
    const char *vals[] = {message, type, param, code};
    for (size_t i = 0; i < 4; i++)
        cJSON_AddItemToObject(e, keys[i], vals[i] ? cJSON_CreateString(vals[i])
                                                  : cJSON_CreateNull());
    char *s = print_envelope(e);
    cJSON_Delete(e);
    return s;
}

/* The error object obj completed with message, type, param and code (null when missing),
 * those first; as a pretty envelope, or as compact {"error": {...}} for SSE data lines. */
static char *envelope_from(const cJSON *obj, bool pretty)
{
    static const char *const std_keys[] = {"message", "type", "param", "code"};
    cJSON *e = cJSON_CreateObject();
    for (size_t i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, std_keys[i]);
        cJSON_AddItemToObject(e, std_keys[i], v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, obj) {
        bool std = false;
        for (size_t i = 0; i < 4; i++)
            std |= strcmp(v->string, std_keys[i]) == 0;
        if (!std)
            cJSON_AddItemToObject(e, v->string, cJSON_Duplicate(v, true));
    }
    char *s;
    if (pretty) {
        s = print_envelope(e);
        cJSON_Delete(e);
    } else {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddItemToObject(root, "error", e);
        s = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
    }
    return s;
}

char *mock_html_page(int status)
{
    mock_buf b = {0};
    const char *reason = mock_reason(status);
    mock_buf_printf(&b,
                    "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n"
                    "<center><h1>%d %s</h1></center>\r\n<hr><center>nginx</center>\r\n"
                    "</body>\r\n</html>\r\n",
                    status, reason, status, reason);
    return b.data;
}

/* Sends a fixed-length body, honouring drop_after/stall_after as "cut it in half". */
static void send_fixed(mock_conn *c, const mock_step *st, int status, mock_hdrs *h,
                       const char *content_type, const char *body, size_t len)
{
    if (st->drop_after < 0 && st->stall_after < 0) {
        mock_send_simple(c, status, h, content_type, body, len);
        return;
    }
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", len);
    if (!mock_hdrs_get(h, "content-type"))
        mock_hdrs_set(h, "content-type", content_type);
    mock_hdrs_set(h, "content-length", cl);
    if (!mock_send_head(c, status, h) || !mock_send(c, body, len / 2))
        return;
    if (st->drop_after >= 0)
        mock_hangup(c, st->rst);
    else
        mock_wait_gone(c);
}

void mock_send_plain(mock_conn *c, const mock_step *st, mock_hdrs *h)
{
    char *owned = NULL;
    const char *body;
    const char *ct;
    if (st->body) {
        body = st->body;
        ct = "application/json";
    } else if (st->html) {
        body = owned = mock_html_page(st->status);
        ct = "text/html";
    } else if (st->error) {
        body = owned = envelope_from(st->error, true);
        ct = "application/json";
    } else {
        body = owned = mock_error_json(mock_reason(st->status),
                                       st->status >= 500 ? "server_error"
                                                         : "invalid_request_error",
                                       NULL, NULL);
        ct = "application/json";
    }
    if (st->content_type)
        ct = st->content_type;
    mock_hdrs_set(h, "content-type", ct);
    send_fixed(c, st, st->status, h, ct, body, strlen(body));
    free(owned);
}

/* ---- the reply text ---- */

/* What tchat --demo offers: each failure of the guide, by the name /demo takes. */
static const char *const demo_list[][2] = {
    {"401", "invalid authentication: explained, never retried"},
    {"401-key", "incorrect API key provided"},
    {"401-org", "not a member of an organization"},
    {"429", "rate limit reached: a live countdown, then the reply"},
    {"429-quota", "quota exceeded: explained, never retried"},
    {"429-overloaded", "the engine is overloaded: backoff, then the reply"},
    {"503", "service unavailable (overloaded), then the reply"},
    {"500", "server error: backoff, then the reply"},
    {"502", "a proxy's HTML error page, shown by its title"},
    {"drop", "the stream is cut in the middle: partial reply kept, F5 regenerates"},
    {"timeout", "no byte for a while: the idle timeout"},
    {"held", "the server holds the request with keep-alives, then replies"},
    {"thinking", "a reasoning model: its thinking shown, then folded (Alt-h unfolds it)"},
    {"400-context", "the context is too long: an invalid request"},
    {"402-credits", "OpenRouter is out of credits: explained, the billing page linked"},
    {"403-moderation", "OpenRouter's moderation flagged the input: the categories shown"},
    {"404-ollama", "Ollama lacks the model: the step says what to pull"},
    {"429-gemini", "Gemini's per-minute limit: the delay its body gives, then the reply"},
    {"503-loading", "llama.cpp is still loading the model: backoff, then the reply"},
};

static void demo_text(const mock_chat *ch, mock_buf *out)
{
    mock_buf_adds(out, "**tchat demo.** This reply comes from tchat-mock on your own machine: "
                       "no key, no network.\n\nYou wrote:\n\n> ");
    const char *e = ch->echo ? ch->echo : "";
    for (; *e; e++) {
        if (*e == '\n')
            mock_buf_adds(out, "\n> ");
        else
            mock_buf_add(out, e, 1);
    }
    mock_buf_adds(out, "\n\nMake the next request fail the way OpenAI's error-code guide "
                       "describes, and watch the status panel explain it:\n\n");
    for (size_t i = 0; i < sizeof demo_list / sizeof demo_list[0]; i++) {
        mock_buf_adds(out, "- `/demo ");
        mock_buf_adds(out, demo_list[i][0]);
        mock_buf_adds(out, "`: ");
        mock_buf_adds(out, demo_list[i][1]);
        mock_buf_adds(out, "\n");
    }
    mock_buf_adds(out, "\nA message containing `[[mock:demo-429]]` (demo- and any name above) does the same. "
                       "F1 lists the keys; F6 shows the full explanation of an error.");
}

static void reply_text(const mock_chat *ch, mock_buf *out)
{
    const mock_step *st = ch->step;
    mock_buf_reserve(out, 0); /* data is never NULL, even for an empty reply */
    if (st->invalid_utf8)
        mock_buf_adds(out, invalid_prefix);
    if (st->escapes)
        mock_buf_adds(out, escapes_text);
    if (st->refusal) {
        mock_buf_adds(out, st->refusal);
    } else if (st->demo) {
        demo_text(ch, out);
    } else if (st->reply) {
        mock_buf_adds(out, st->reply);
    } else {
        mock_buf_adds(out, "You said: ");
        mock_buf_adds(out, ch->echo ? ch->echo : "");
    }
    if (st->invalid_utf8)
        mock_buf_adds(out, invalid_suffix);
}

static void usage_json(const mock_chat *ch, mock_buf *b, size_t text_bytes)
{
    double prompt = (double)ch->prompt_tokens;
    double completion = (double)(text_bytes + 3) / 4;
    if (completion < 1)
        completion = 1;
    double total = -1;
    const cJSON *u = ch->step->usage;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens")) && cJSON_IsNumber(v))
        prompt = v->valuedouble;
    if ((v = cJSON_GetObjectItemCaseSensitive(u, "completion_tokens")) && cJSON_IsNumber(v))
        completion = v->valuedouble;
    if ((v = cJSON_GetObjectItemCaseSensitive(u, "total_tokens")) && cJSON_IsNumber(v))
        total = v->valuedouble;
    if (total < 0)
        total = (double)(long long)prompt + (double)(long long)completion;
    mock_buf_printf(b,
                    "{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"total_tokens\":%lld,"
                    "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
                    "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
                    "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}",
                    (long long)prompt, (long long)completion, (long long)total);
}

static const char *finish_reason(const mock_step *st)
{
    return st->finish_reason ? st->finish_reason : "stop";
}

/* ---- SSE ---- */

typedef struct sse {
    const mock_chat *ch;
    mock_conn *c;
    mock_buf pending;   /* events not yet written: one HTTP chunk per flush */
    mock_buf scratch;
    const char *nl;
    long long created;
    long deltas;        /* content deltas sent so far */
} sse;

static bool sse_flush(sse *s)
{
    bool ok = mock_send_chunk(s->c, s->pending.data, s->pending.len);
    mock_buf_clear(&s->pending);
    return ok;
}

static void sse_data(sse *s, const char *event, const char *data, size_t len)
{
    if (event)
        mock_buf_printf(&s->pending, "event: %s%s", event, s->nl);
    mock_buf_adds(&s->pending, "data: ");
    mock_buf_add(&s->pending, data, len);
    mock_buf_adds(&s->pending, s->nl);
    mock_buf_adds(&s->pending, s->nl);
}

/* Between two events: a comment when asked, and the pause (which flushes first). */
static bool sse_pause(sse *s)
{
    const mock_step *st = s->ch->step;
    if (st->comments) {
        mock_buf_adds(&s->pending, ": keep-alive");
        mock_buf_adds(&s->pending, s->nl);
        mock_buf_adds(&s->pending, s->nl);
    }
    if (st->chunk_delay_ms > 0) {
        if (!sse_flush(s))
            return false;
        return mock_wait(s->c, st->chunk_delay_ms);
    }
    return !s->c->gone;
}

/* Appends one chat.completion.chunk; delta is the inside of the delta object. */
static void chunk_json(sse *s, mock_buf *b, const char *delta, size_t delta_len,
                       const char *finish)
{
    mock_buf_printf(b, "{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\","
                       "\"created\":%lld,\"model\":", s->created);
    mock_buf_json_str(b, s->ch->model, strlen(s->ch->model));
    mock_buf_adds(b, ",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":{");
    mock_buf_add(b, delta, delta_len);
    mock_buf_adds(b, "},\"logprobs\":null,\"finish_reason\":");
    if (finish)
        mock_buf_json_str(b, finish, strlen(finish));
    else
        mock_buf_adds(b, "null");
    mock_buf_adds(b, "}]");
    if (s->ch->include_usage)
        mock_buf_adds(b, ",\"usage\":null");
    mock_buf_adds(b, "}");
}

static void sse_chunk(sse *s, const char *delta, size_t delta_len, const char *finish)
{
    mock_buf_clear(&s->scratch);
    chunk_json(s, &s->scratch, delta, delta_len, finish);
    sse_data(s, NULL, s->scratch.data, s->scratch.len);
}

/* stall_after / drop_after: at_end means all deltas were sent, so any larger count
 * applies too. Returns true when the stream ends here. */
static bool sse_fault(sse *s, bool at_end)
{
    const mock_step *st = s->ch->step;
    bool stall = st->stall_after >= 0 && (st->stall_after == s->deltas ||
                                          (at_end && st->stall_after > s->deltas));
    bool drop = st->drop_after >= 0 && (st->drop_after == s->deltas ||
                                        (at_end && st->drop_after > s->deltas));
    if (!stall && !drop)
        return false;
    sse_flush(s);
    if (drop)
        mock_hangup(s->c, st->rst);
    else
        mock_wait_gone(s->c);
    return true;
}

static void sse_end_error(sse *s, const char *event, const cJSON *err)
{
    char *json = envelope_from(err, false);
    sse_data(s, event, json, strlen(json));
    free(json);
    if (sse_flush(s))
        mock_send_last_chunk(s->c);
}

static bool sse_begin(sse *s, const mock_chat *ch)
{
    const mock_step *st = ch->step;
    s->ch = ch;
    s->c = ch->conn;
    s->nl = st->crlf ? "\r\n" : "\n";
    s->created = (long long)time(NULL);
    mock_hdrs_set(ch->hdrs, "content-type", st->content_type ? st->content_type
                                                             : "text/event-stream");
    mock_hdrs_set(ch->hdrs, "cache-control", "no-cache");
    mock_hdrs_set(ch->hdrs, "transfer-encoding", "chunked");
    mock_hdrs_set(ch->hdrs, "content-length", NULL);
    return mock_send_head(s->c, st->status, ch->hdrs);
}

static void sse_done(sse *s)
{
    mock_buf_free(&s->pending);
    mock_buf_free(&s->scratch);
}

static void stream_raw(const mock_chat *ch)
{
    const mock_step *st = ch->step;
    sse s = {0};
    if (!sse_begin(&s, ch))
        return;
    for (size_t i = 0; i < st->n_raw_sse; i++) {
        if (sse_fault(&s, false))
            goto out;
        if (i > 0 && st->chunk_delay_ms > 0 && !mock_wait(s.c, st->chunk_delay_ms))
            goto out;
        mock_buf_adds(&s.pending, st->raw_sse[i]);
        if (!sse_flush(&s))
            goto out;
        s.deltas++;
    }
    if (!sse_fault(&s, true))
        mock_send_last_chunk(s.c);
out:
    sse_done(&s);
}

/* The end of every generated stream: finish chunk, usage, [DONE], last chunk. */
static void stream_finish(sse *s, size_t text_bytes)
{
    const mock_step *st = s->ch->step;
    sse_chunk(s, "", 0, finish_reason(st));
    if (s->ch->include_usage) {
        if (!sse_pause(s))
            return;
        mock_buf_clear(&s->scratch);
        mock_buf_printf(&s->scratch, "{\"id\":\"chatcmpl-mock\",\"object\":"
                        "\"chat.completion.chunk\",\"created\":%lld,\"model\":", s->created);
        mock_buf_json_str(&s->scratch, s->ch->model, strlen(s->ch->model));
        mock_buf_adds(&s->scratch, ",\"system_fingerprint\":\"fp_mock\",\"choices\":[],"
                                   "\"usage\":");
        usage_json(s->ch, &s->scratch, text_bytes);
        mock_buf_adds(&s->scratch, "}");
        sse_data(s, NULL, s->scratch.data, s->scratch.len);
    }
    if (!st->no_done) {
        if (!sse_pause(s))
            return;
        sse_data(s, NULL, "[DONE]", 6);
    }
    if (sse_flush(s))
        mock_send_last_chunk(s->c);
}

/* hold_ms: a server under load holding the request, keep-alive comments only, one every
 * HOLD_EVERY_MS, before anything else of the reply. */
#define HOLD_EVERY_MS 250

static bool sse_hold(sse *s)
{
    long left = s->ch->step->hold_ms;
    while (left > 0) {
        mock_buf_adds(&s->pending, ": keep-alive");
        mock_buf_adds(&s->pending, s->nl);
        mock_buf_adds(&s->pending, s->nl);
        long wait = left < HOLD_EVERY_MS ? left : HOLD_EVERY_MS;
        if (!sse_flush(s) || !mock_wait(s->c, wait))
            return false;
        left -= wait;
    }
    return true;
}

static const char *reasoning_field(const mock_step *st)
{
    return st->reasoning_field ? st->reasoning_field : "reasoning_content";
}

/* text in deltas of chunk_chars characters, each as "field": "piece". Returns false when
 * the stream ended (a fault, the client gone). */
static bool sse_deltas(sse *s, const char *field, const mock_buf *text, mock_buf *delta)
{
    const mock_step *st = s->ch->step;
    const unsigned char *p = (const unsigned char *)text->data;
    size_t left = text->len;
    while (left > 0) {
        if (!sse_pause(s) || sse_fault(s, false))
            return false;
        size_t n = 0;
        for (long k = 0; k < st->chunk_chars && n < left; k++)
            n += mock_utf8_len(p + n, left - n);
        mock_buf_clear(delta);
        mock_buf_printf(delta, "\"%s\":", field);
        mock_buf_json_str(delta, (const char *)p, n);
        sse_chunk(s, delta->data, delta->len, NULL);
        s->deltas++;
        p += n;
        left -= n;
    }
    return true;
}

static void stream_text(const mock_chat *ch)
{
    const mock_step *st = ch->step;
    mock_buf text = {0};
    mock_buf delta = {0};
    mock_buf reasoning = {0};
    reply_text(ch, &text);
    sse s = {0};
    if (!sse_begin(&s, ch) || !sse_hold(&s))
        goto out;
    if (st->comments) {
        mock_buf_adds(&s.pending, ": keep-alive");
        mock_buf_adds(&s.pending, s.nl);
        mock_buf_adds(&s.pending, s.nl);
    }
    static const char role[] = "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null";
    sse_chunk(&s, role, sizeof role - 1, NULL);
    if (st->reasoning) {
        mock_buf_adds(&reasoning, st->reasoning);
        if (!sse_deltas(&s, reasoning_field(st), &reasoning, &delta))
            goto out;
    }
    if (!sse_deltas(&s, st->refusal ? "refusal" : "content", &text, &delta))
        goto out;
    if (!sse_pause(&s) || sse_fault(&s, true))
        goto out;
    if (st->malformed) {
        static const char bad[] = "{\"choices\":[{";
        sse_data(&s, NULL, bad, sizeof bad - 1);
        if (!sse_pause(&s))
            goto out;
    }
    if (st->stream_error) {
        sse_end_error(&s, "error", st->stream_error);
        goto out;
    }
    if (st->data_error) {
        sse_end_error(&s, NULL, st->data_error);
        goto out;
    }
    stream_finish(&s, text.len);
out:
    sse_done(&s);
    mock_buf_free(&text);
    mock_buf_free(&delta);
    mock_buf_free(&reasoning);
}

/* stream_bytes: a pre-built block of events written over and over, so that 50 MB take
 * a few hundred large writes instead of a million small ones. */
static void stream_big(const mock_chat *ch)
{
    const mock_step *st = ch->step;
    sse s = {0};
    mock_buf block = {0};
    mock_buf delta = {0};
    size_t *ends = NULL; /* end offset of each event in block */
    size_t n_events = 0, cap_events = 0;
    if (!sse_begin(&s, ch))
        goto out;
    static const char role[] = "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null";
    sse_chunk(&s, role, sizeof role - 1, NULL);
    size_t content_per_block = 0;
    for (size_t i = 0; block.len < BIG_BLOCK; i++) {
        const char *piece = big_pieces[i % BIG_PIECES];
        mock_buf_clear(&delta);
        mock_buf_adds(&delta, "\"content\":");
        mock_buf_json_str(&delta, piece, strlen(piece));
        mock_buf_clear(&s.scratch);
        chunk_json(&s, &s.scratch, delta.data, delta.len, NULL);
        mock_buf_adds(&block, "data: ");
        mock_buf_add(&block, s.scratch.data, s.scratch.len);
        mock_buf_adds(&block, s.nl);
        mock_buf_adds(&block, s.nl);
        content_per_block += strlen(piece);
        if (n_events == cap_events) {
            cap_events = cap_events ? cap_events * 2 : 1024;
            ends = mock_xrealloc(ends, cap_events * sizeof *ends);
        }
        ends[n_events++] = block.len;
    }
    unsigned long long sent = s.pending.len;
    unsigned long long target = (unsigned long long)st->stream_bytes;
    size_t content_bytes = 0;
    if (!sse_flush(&s))
        goto out;
    while (sent < target) {
        unsigned long long left = target - sent;
        size_t len = block.len;
        size_t events = n_events;
        if (left < block.len) {
            events = 1;
            while (events < n_events && ends[events] <= left)
                events++;
            len = ends[events - 1];
        }
        if (!mock_send_chunk(s.c, block.data, len))
            goto out;
        sent += len;
        content_bytes += events == n_events ? content_per_block : 40 * events;
    }
    stream_finish(&s, content_bytes);
out:
    free(ends);
    mock_buf_free(&block);
    mock_buf_free(&delta);
    sse_done(&s);
}

/* ---- plain JSON completion ---- */

static void complete_json(const mock_chat *ch)
{
    const mock_step *st = ch->step;
    mock_buf text = {0};
    mock_buf b = {0};
    if (st->stream_bytes > 0) {
        for (size_t i = 0; text.len < (size_t)st->stream_bytes; i++)
            mock_buf_adds(&text, big_pieces[i % BIG_PIECES]);
    } else {
        reply_text(ch, &text);
    }
    if (st->malformed) {
        mock_buf_adds(&b, "{\"choices\":[{");
    } else {
        mock_buf_printf(&b, "{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion\","
                            "\"created\":%lld,\"model\":", (long long)time(NULL));
        mock_buf_json_str(&b, ch->model, strlen(ch->model));
        mock_buf_adds(&b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",");
        if (st->reasoning) {
            mock_buf_printf(&b, "\"%s\":", reasoning_field(st));
            mock_buf_json_str(&b, st->reasoning, strlen(st->reasoning));
            mock_buf_adds(&b, ",");
        }
        mock_buf_adds(&b, "\"content\":");
        if (st->refusal) {
            mock_buf_adds(&b, "null,\"refusal\":");
            mock_buf_json_str(&b, text.data, text.len);
        } else {
            mock_buf_json_str(&b, text.data, text.len);
            mock_buf_adds(&b, ",\"refusal\":null");
        }
        mock_buf_adds(&b, "},\"logprobs\":null,\"finish_reason\":");
        mock_buf_json_str(&b, finish_reason(st), strlen(finish_reason(st)));
        mock_buf_adds(&b, "}],\"usage\":");
        usage_json(ch, &b, text.len);
        mock_buf_adds(&b, ",\"system_fingerprint\":\"fp_mock\"}\n");
    }
    const char *ct = st->content_type ? st->content_type : "application/json";
    mock_hdrs_set(ch->hdrs, "content-type", ct);
    send_fixed(ch->conn, st, st->status, ch->hdrs, ct, b.data, b.len);
    mock_buf_free(&text);
    mock_buf_free(&b);
}

void mock_chat_respond(const mock_chat *ch)
{
    const mock_step *st = ch->step;
    mock_step_headers(st, ch->hdrs);
    if (st->delay_ms > 0 && !mock_wait(ch->conn, st->delay_ms))
        return;
    /* A reply that is not streamed has no room for keep-alives: it is held back whole. */
    if (st->hold_ms > 0 && !ch->stream && !mock_step_is_plain(st) && !st->n_raw_sse &&
        !mock_wait(ch->conn, st->hold_ms))
        return;
    if (st->hangup) {
        mock_hangup(ch->conn, st->rst);
        return;
    }
    if (mock_step_is_plain(st) && st->echo_key && st->error) {
        /* A server that quotes the credentials it got, in full. */
        mock_step echo = *st;
        echo.error = cJSON_Duplicate(st->error, true);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(st->error, "message");
        mock_buf msg = {0};
        mock_buf_printf(&msg, "%s %s", cJSON_IsString(m) ? m->valuestring : "",
                        ch->key ? ch->key : "(none)");
        cJSON_DeleteItemFromObjectCaseSensitive(echo.error, "message");
        cJSON_AddStringToObject(echo.error, "message", msg.data);
        mock_send_plain(ch->conn, &echo, ch->hdrs);
        mock_buf_free(&msg);
        cJSON_Delete(echo.error);
    } else if (mock_step_is_plain(st))
        mock_send_plain(ch->conn, st, ch->hdrs);
    else if (st->n_raw_sse)
        stream_raw(ch);
    else if (!ch->stream)
        complete_json(ch);
    else if (st->stream_bytes > 0)
        stream_big(ch);
    else
        stream_text(ch);
}
