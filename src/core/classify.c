#include "classify.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "retry.h"
#include "sanitize.h"
#include "url.h"
#include "util.h"

/* Display caps: the panel shows these, and a hostile server must not be able
 * to fill the screen (or memory) with them. */
enum {
    MESSAGE_CAP = 2000,
    FIELD_CAP = 200,
    TITLE_CAP = 200,
    PLAIN_LINE_CAP = 200,
    /* A plain-text body longer than this is not a message but a page of something. */
    PLAIN_BODY_MAX = 4096,
};

void failure_init(failure *f)
{
    memset(f, 0, sizeof *f);
    f->entry = GUIDE_MALFORMED_RESPONSE;
    f->type = GUIDE_T_NONE;
    f->net = NET_OK;
    f->status = 0;
    f->limit = LIMIT_UNKNOWN;
    f->quota_limit = -1;
}

static void free_strings(failure *f)
{
#define FREE_(name) free(f->name);
    FAILURE_STRINGS(FREE_)
#undef FREE_
}

void failure_free(failure *f)
{
    free_strings(f);
    failure_init(f);
}

void failure_copy(failure *dst, const failure *src)
{
    if (dst == src)
        return;
    free_strings(dst);
    *dst = *src;
#define COPY_(name) dst->name = xstrdup(src->name);
    FAILURE_STRINGS(COPY_)
#undef COPY_
}

/* ---- text helpers ---- */

/* Cuts s to at most cap bytes without splitting a UTF-8 character. */
static void utf8_truncate(char *s, size_t cap)
{
    size_t len = strlen(s);
    if (len <= cap)
        return;
    size_t end = cap;
    while (end > 0 && ((unsigned char)s[end] & 0xC0) == 0x80)
        end--;
    s[end] = '\0';
}

/* Sanitised, trimmed, capped copy of untrusted text; NULL when nothing is left. */
static char *clean_text(const char *s, size_t n, size_t cap)
{
    sanitizer san;
    buf b;
    sanitize_init(&san);
    buf_init(&b);
    sanitize_feed(&san, s, n, &b);
    sanitize_finish(&san, &b);
    buf_append(&b, "", 0); /* NUL-terminated even when nothing was kept */
    char *c = buf_steal(&b);
    str_trim(c);
    utf8_truncate(c, cap);
    str_trim(c);
    if (!*c) {
        free(c);
        return NULL;
    }
    return c;
}

static void set_field(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

static bool eq_nocase(const char *a, const char *b)
{
    return a && str_casecmp(a, b) == 0;
}

static bool has_nocase(const char *hay, const char *needle)
{
    return hay && str_contains_nocase(hay, needle);
}

/* ---- the envelope ---- */

static char *json_text(const cJSON *item, size_t cap)
{
    if (cJSON_IsString(item) && item->valuestring)
        return clean_text(item->valuestring, strlen(item->valuestring), cap);
    if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        /* Codes are integers (429, 1008); print them so, not as 429.000000. */
        if (isfinite(v) && fabs(v) < 1e15 && v == floor(v))
            return xasprintf("%lld", (long long)v);
        if (isfinite(v))
            return xasprintf("%g", v);
    }
    return NULL;
}

static bool parse_envelope_value(const cJSON *root, failure *out);

static long json_long(const cJSON *item)
{
    return cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble < 1e15
               ? (long)item->valuedouble
               : 0;
}

/* The strings of a JSON array, ", "-joined and cleaned; NULL when there are none. */
static char *json_joined(const cJSON *arr)
{
    if (!cJSON_IsArray(arr))
        return NULL;
    buf b;
    buf_init(&b);
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        if (cJSON_IsString(item) && item->valuestring && *item->valuestring)
            buf_printf(&b, "%s%s", b.len ? ", " : "", item->valuestring);
    }
    char *joined = b.len ? clean_text(b.data, b.len, FIELD_CAP) : NULL;
    buf_free(&b);
    return joined;
}

/* OpenRouter's metadata: who answered upstream, what a moderation flagged, and the
 * upstream's own error ("raw"), which says more than "Provider returned error". */
static void parse_metadata(const cJSON *md, failure *out)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "provider_name");
    if (cJSON_IsString(name))
        set_field(&out->upstream, json_text(name, FIELD_CAP));
    char *flagged = json_joined(cJSON_GetObjectItemCaseSensitive(md, "reasons"));
    if (flagged)
        set_field(&out->flagged, flagged);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(md, "raw");
    cJSON *parsed = cJSON_IsString(raw) && raw->valuestring ? cJSON_Parse(raw->valuestring) : NULL;
    const cJSON *inner_root = parsed ? parsed : (cJSON_IsObject(raw) ? raw : NULL);
    failure inner;
    failure_init(&inner);
    if (inner_root && parse_envelope_value(inner_root, &inner) && inner.err_message) {
        set_field(&out->err_message, inner.err_message);
        inner.err_message = NULL;
        /* The upstream's code and type say what happened; OpenRouter's is the status. */
        if (inner.err_code) {
            set_field(&out->err_code, inner.err_code);
            inner.err_code = NULL;
        }
        if (inner.err_type) {
            set_field(&out->err_type, inner.err_type);
            inner.err_type = NULL;
        }
    } else if (cJSON_IsString(raw) && raw->valuestring) {
        char *text = clean_text(raw->valuestring, strlen(raw->valuestring), MESSAGE_CAP);
        if (text)
            set_field(&out->err_message, text);
    }
    failure_free(&inner);
    cJSON_Delete(parsed);
}

/* The smallest quotaValue of a google.rpc.QuotaFailure's violations, or -1. */
static long smallest_quota_value(const cJSON *failure_detail, long best)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(failure_detail, "violations")) {
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(v, "quotaValue");
        const char *s = cJSON_IsString(q) ? q->valuestring : NULL;
        if (!s || *s < '0' || *s > '9' || strlen(s) > 15)
            continue;
        long n = strtol(s, NULL, 10);
        if (best < 0 || n < best)
            best = n;
    }
    return best;
}

/* Google's details: RetryInfo's delay, and the limits a QuotaFailure names (the newer
 * messages say them too, as "limit: N"). Anthropic's details: its error_code. */
static void parse_details(const cJSON *details, failure *out)
{
    if (cJSON_IsObject(details)) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(details, "error_code");
        if (cJSON_IsString(code))
            set_field(&out->err_code, json_text(code, FIELD_CAP));
        return;
    }
    const cJSON *d;
    cJSON_ArrayForEach(d, details) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "@type");
        if (!cJSON_IsString(t) || !t->valuestring)
            continue;
        if (str_ends_with(t->valuestring, "google.rpc.RetryInfo")) {
            const cJSON *delay = cJSON_GetObjectItemCaseSensitive(d, "retryDelay");
            if (cJSON_IsString(delay))
                set_field(&out->retry_delay, json_text(delay, FIELD_CAP));
        } else if (str_ends_with(t->valuestring, "google.rpc.QuotaFailure")) {
            out->quota_limit = smallest_quota_value(d, out->quota_limit);
        }
    }
}

static bool parse_error_object(const cJSON *obj, bool need_message, failure *out)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(obj, "message");
    if (need_message && !cJSON_IsString(msg))
        return false;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
    /* Google-style envelopes name the class "status" ("RESOURCE_EXHAUSTED"). */
    if (!cJSON_IsString(type))
        type = cJSON_GetObjectItemCaseSensitive(obj, "status");
    set_field(&out->err_message, json_text(msg, MESSAGE_CAP));
    set_field(&out->err_type, cJSON_IsString(type) ? json_text(type, FIELD_CAP) : NULL);
    set_field(&out->err_param, json_text(cJSON_GetObjectItemCaseSensitive(obj, "param"), FIELD_CAP));
    set_field(&out->err_code, json_text(cJSON_GetObjectItemCaseSensitive(obj, "code"), FIELD_CAP));
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (cJSON_IsObject(md))
        parse_metadata(md, out);
    parse_details(cJSON_GetObjectItemCaseSensitive(obj, "details"), out);
    /* llama.cpp's exceed_context_size_error says how much was asked and what fits. */
    out->n_prompt_tokens = json_long(cJSON_GetObjectItemCaseSensitive(obj, "n_prompt_tokens"));
    out->n_ctx = json_long(cJSON_GetObjectItemCaseSensitive(obj, "n_ctx"));
    return true;
}

static bool parse_envelope_value(const cJSON *root, failure *out)
{
    if (cJSON_IsArray(root))
        root = cJSON_GetArrayItem(root, 0);
    if (cJSON_IsString(root)) {
        /* A body that is one JSON string ("Your team ... has used all available credits")
         * is the message itself. */
        set_field(&out->err_message, json_text(root, MESSAGE_CAP));
        return out->err_message != NULL;
    }
    if (!cJSON_IsObject(root))
        return false;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(err))
        return parse_error_object(err, false, out);
    if (cJSON_IsString(err)) {
        /* {"error": "text"} (Ollama, TGI: the latter adds "error_type"). */
        set_field(&out->err_message, json_text(err, MESSAGE_CAP));
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(root, "error_type");
        set_field(&out->err_type, cJSON_IsString(et) ? json_text(et, FIELD_CAP) : NULL);
        set_field(&out->err_code, NULL);
        set_field(&out->err_param, NULL);
        return true;
    }
    if (parse_error_object(root, true, out))
        return true;
    /* {"detail": "Not Found"}: the default error body of FastAPI-based servers. */
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(root, "detail");
    if (cJSON_IsString(detail)) {
        set_field(&out->err_message, json_text(detail, MESSAGE_CAP));
        set_field(&out->err_type, NULL);
        set_field(&out->err_code, NULL);
        set_field(&out->err_param, NULL);
        return true;
    }
    return false;
}

bool classify_parse_envelope(const char *body, size_t len, failure *out)
{
    if (!body || !len)
        return false;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return false;
    bool found = parse_envelope_value(root, out);
    cJSON_Delete(root);
    return found;
}

static bool body_is_json(const char *body, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    cJSON_Delete(root);
    return root != NULL;
}

/* ---- HTML ---- */

static const char *find_nocase(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (; (size_t)(end - p) >= n; p++)
        if (str_ncasecmp(p, needle, n) == 0)
            return p;
    return NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void put_utf8(buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(b, u, n);
}

/* Decodes the entity at p (which points at '&'); returns its length, 0 if it is not one. */
static size_t decode_entity(const char *p, const char *end, buf *out)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'},
                 {"&apos;", '\''}, {"&nbsp;", ' '}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t n = strlen(named[i].name);
        if ((size_t)(end - p) >= n && str_ncasecmp(p, named[i].name, n) == 0) {
            buf_putc(out, named[i].c);
            return n;
        }
    }
    if (end - p < 4 || p[1] != '#')
        return 0;
    const char *q = p + 2;
    bool hex = q < end && (*q == 'x' || *q == 'X');
    if (hex)
        q++;
    uint32_t cp = 0;
    int digits = 0;
    for (; q < end && digits < 8; q++, digits++) {
        int d;
        if (*q >= '0' && *q <= '9')
            d = *q - '0';
        else if (hex && *q >= 'a' && *q <= 'f')
            d = *q - 'a' + 10;
        else if (hex && *q >= 'A' && *q <= 'F')
            d = *q - 'A' + 10;
        else
            break;
        cp = cp * (hex ? 16u : 10u) + (uint32_t)d;
    }
    if (!digits || q >= end || *q != ';')
        return 0;
    /* Control characters and non-characters are not worth a title. */
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF)
        buf_putc(out, ' ');
    else
        put_utf8(out, cp);
    return (size_t)(q + 1 - p);
}

char *classify_html_title(const char *body, size_t len)
{
    if (!body || !len)
        return NULL;
    const char *end = body + len;
    const char *p = body;
    const char *open;
    /* "<title" must be the whole tag name (not "<titles"). */
    for (;;) {
        open = find_nocase(p, end, "<title");
        if (!open)
            return NULL;
        const char *after = open + 6;
        if (after < end && (*after == '>' || is_space(*after) || *after == '/'))
            break;
        p = open + 1;
    }
    const char *start = memchr(open, '>', (size_t)(end - open));
    if (!start)
        return NULL;
    start++;
    const char *stop = find_nocase(start, end, "</title");
    if (!stop) {
        const char *lt = memchr(start, '<', (size_t)(end - start));
        stop = lt ? lt : end;
    }
    /* Decode entities and collapse whitespace; a title is short, so stop early
     * well past the cap instead of copying a hostile megabyte. */
    buf b;
    buf_init(&b);
    bool space = false;
    for (const char *q = start; q < stop && b.len < TITLE_CAP * 4;) {
        if (is_space(*q)) {
            space = true;
            q++;
            continue;
        }
        if (space && b.len)
            buf_putc(&b, ' ');
        space = false;
        size_t used = *q == '&' ? decode_entity(q, stop, &b) : 0;
        if (used) {
            q += used;
        } else {
            buf_putc(&b, *q);
            q++;
        }
    }
    char *title = clean_text(buf_str(&b), b.len, TITLE_CAP);
    buf_free(&b);
    /* Entities may have produced fresh runs of spaces; collapse once more. */
    if (title) {
        char *w = title;
        for (const char *r = title; *r; r++)
            if (!(*r == ' ' && w > title && w[-1] == ' '))
                *w++ = *r;
        *w = '\0';
    }
    return title;
}

/* Anything with a tag in it is markup and never shown raw. */
static bool looks_like_html(const char *body, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (body[i] != '<')
            continue;
        char c = body[i + 1];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '!' || c == '/' || c == '?')
            return true;
    }
    return false;
}

/* The first non-blank line of a short plain-text body. */
static char *plain_first_line(const char *body, size_t len)
{
    if (len > PLAIN_BODY_MAX || looks_like_html(body, len))
        return NULL;
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *nl = p;
        while (nl < end && *nl != '\n' && *nl != '\r')
            nl++;
        char *line = clean_text(p, (size_t)(nl - p), PLAIN_LINE_CAP);
        if (line)
            return line;
        p = nl + 1;
    }
    return NULL;
}

/* ---- recognising entries ---- */

static bool code_or_type(const failure *f, const char *name)
{
    return eq_nocase(f->err_code, name) || eq_nocase(f->err_type, name);
}

static bool msg_has(const failure *f, const char *needle)
{
    return has_nocase(f->err_message, needle);
}

/* True when the message has any of the phrases (a NULL-terminated list). */
static bool msg_has_any(const failure *f, const char *const *phrases)
{
    for (; *phrases; phrases++)
        if (msg_has(f, *phrases))
            return true;
    return false;
}

static bool code_or_type_any(const failure *f, const char *const *names)
{
    for (; *names; names++)
        if (code_or_type(f, *names))
            return true;
    return false;
}

bool classify_is_billing(guide_entry e)
{
    return e == GUIDE_QUOTA || e == GUIDE_CREDITS || e == GUIDE_SPEND_CAP ||
           e == GUIDE_BILLING_INACTIVE;
}

/* Where needle first occurs in hay, ignoring case; NULL when it does not. */
static const char *find_ci(const char *hay, const char *needle)
{
    return hay ? find_nocase(hay, hay + strlen(hay), needle) : NULL;
}

/* The smallest "limit: N" of the message (Gemini lists every quota it hit), -1 if none. */
static long smallest_limit(const char *m)
{
    long best = -1;
    for (const char *p = find_ci(m, "limit: "); p; p = find_ci(p + 7, "limit: ")) {
        const char *d = p + 7;
        if (*d < '0' || *d > '9')
            continue;
        long v = 0;
        for (; *d >= '0' && *d <= '9' && v < 1000000000L; d++)
            v = v * 10 + (*d - '0');
        if (best < 0 || v < best)
            best = v;
    }
    return best;
}

/* A delay to wait for in the body: RetryInfo, or one the message gives ("retry in 38.6s",
 * "try again in", "retry after 37 seconds"), read as the retry policy reads it. */
static bool body_gives_delay(const failure *f)
{
    int64_t ms;
    return f->retry_delay || retry_parse_message_delay(f->err_message, &ms) == 0;
}

static bool is_insufficient_quota(const failure *f)
{
    static const char *const codes[] = {"insufficient_quota", "billing_hard_limit_reached", NULL};
    return code_or_type_any(f, codes);
}

/* "You exceeded your current quota": OpenAI's monthly quota, or Gemini's free tier, whose
 * per-minute limits say so too. With a delay to wait and a limit above 0 it is a rate
 * limit; a limit of 0 never lets a request through. */
static bool says_exceeded_quota(const failure *f)
{
    return msg_has(f, "exceeded your current quota");
}

static bool quota_is_a_rate_limit(const failure *f)
{
    return !is_insufficient_quota(f) && says_exceeded_quota(f) && body_gives_delay(f) &&
           smallest_limit(f->err_message) != 0 && f->quota_limit != 0;
}

static bool is_quota(const failure *f)
{
    return is_insufficient_quota(f) || (says_exceeded_quota(f) && !quota_is_a_rate_limit(f));
}

static bool is_billing_inactive(const failure *f)
{
    return code_or_type(f, "billing_not_active") ||
           (msg_has(f, "account is not active") && msg_has(f, "billing"));
}

static bool is_spend_cap(const failure *f)
{
    static const char *const codes[] = {"enforced_spend_limit_reached",
                                        "organization_spend_limit_exceeded",
                                        "project_spend_limit_exceeded",
                                        "organization_usage_limit_exceeded",
                                        "spend_limit_exceeded",
                                        NULL};
    static const char *const phrases[] = {"reached your specified api usage limits",
                                          "reached your specified workspace api usage limits",
                                          "reached your api usage limits",
                                          "spending limit",
                                          "spend limit",
                                          NULL};
    return code_or_type_any(f, codes) || msg_has_any(f, phrases);
}

static bool is_credits(const failure *f)
{
    static const char *const codes[] = {"credit_balance_exhausted", "insufficient_balance",
                                        "billing_error", "payment_required", NULL};
    static const char *const phrases[] = {
        "requires more credits",       "insufficient credits",
        "insufficient balance",        "credit balance is too low",
        "credit balance is exhausted", "credit limit exceeded",
        "credits are depleted",        "out of credits",
        "used all available credits",  NULL};
    /* Together's type "credit_limit" also marks its plain rate limits: the word must be
     * in the message too. */
    return code_or_type_any(f, codes) || msg_has_any(f, phrases) ||
           (code_or_type(f, "credit_limit") && msg_has(f, "credit"));
}

static bool code_says_overloaded(const failure *f)
{
    static const char *const codes[] = {"slow_down",  "server_is_overloaded", "engine_overloaded",
                                        "overloaded", "overloaded_error",     NULL};
    return code_or_type_any(f, codes);
}

static bool is_overloaded(const failure *f)
{
    return code_says_overloaded(f) || msg_has(f, "overloaded") || msg_has(f, "slow down");
}

static bool is_rate_limit(const failure *f)
{
    return code_or_type(f, "rate_limit_exceeded") || code_or_type(f, "rate_limit_error") ||
           msg_has(f, "rate limit reached");
}

static bool is_context_length(const failure *f)
{
    static const char *const codes[] = {"context_length_exceeded", "exceed_context_size_error",
                                        NULL};
    static const char *const phrases[] = {"maximum context length",
                                          "context length of the model",
                                          "exceeds the available context size",
                                          "`inputs` tokens + `max_new_tokens` must be",
                                          "input token count + max_tokens",
                                          "prompt is too long",
                                          NULL};
    return code_or_type_any(f, codes) || msg_has_any(f, phrases);
}

static bool is_moderation(const failure *f)
{
    return f->flagged || code_or_type(f, "content_filter") ||
           (msg_has(f, "flagged") && msg_has(f, "moderation")) || msg_has(f, "requires moderation");
}

/* One request bigger than the whole per-minute budget (Groq's 413, OpenAI's 429). */
static bool is_request_too_large(const failure *f)
{
    return msg_has(f, "request too large") &&
           (msg_has(f, "per min") || msg_has(f, "(TPM)") || msg_has(f, "per day"));
}

static bool is_no_model_loaded(const failure *f)
{
    return msg_has(f, "no models loaded");
}

static bool is_deployment_missing(const failure *f)
{
    return code_or_type(f, "DeploymentNotFound") ||
           msg_has(f, "API deployment for this resource does not exist");
}

static bool is_model_loading(const failure *f)
{
    return msg_has(f, "loading model") || msg_has(f, "model is loading");
}

/* The model is unknown here, or the key may not use it. */
static bool is_model_missing(const failure *f)
{
    static const char *const phrases[] = {"does not have access to model",
                                          "not allowed to sample from this model",
                                          "access to model denied", "try pulling it first", NULL};
    return code_or_type(f, "model_not_found") ||
           (msg_has(f, "the model") && msg_has(f, "does not exist")) || msg_has_any(f, phrases) ||
           (msg_has(f, "model ") && msg_has(f, " not found"));
}

/* The name in Ollama's "model 'llama3' not found, try pulling it first". */
static char *quoted_model(const char *m)
{
    for (const char *p = find_ci(m, "model "); p; p = find_ci(p + 6, "model ")) {
        char q = p[6];
        if (q != '\'' && q != '"' && q != '`')
            continue;
        const char *name = p + 7, *end = strchr(name, q);
        if (end && end > name && end - name <= FIELD_CAP)
            return clean_text(name, (size_t)(end - name), FIELD_CAP);
    }
    return NULL;
}

/* "You will regain access on 2026-09-01 at 00:00 UTC." */
static char *resumes_at(const char *m)
{
    static const char needle[] = "regain access on ";
    const char *p = find_ci(m, needle);
    if (!p)
        return NULL;
    p += sizeof needle - 1;
    size_t n = strcspn(p, "\n");
    while (n && (p[n - 1] == '.' || p[n - 1] == ' '))
        n--;
    return n && n < 80 ? clean_text(p, n, FIELD_CAP) : NULL;
}

static bool header_is_zero(const http_headers *h, const char *name)
{
    const char *v = h ? hdrs_get(h, name) : NULL;
    return v && strcmp(v, "0") == 0;
}

static limit_kind which_limit(const failure *f, const http_headers *h)
{
    const char *m = f->err_message;
    /* The precise phrases first: "... on tokens per min (TPM)", Azure's "token rate limit". */
    if (has_nocase(m, "on tokens per") || has_nocase(m, "(TPM)") || has_nocase(m, "(TPD)") ||
        has_nocase(m, "token rate limit"))
        return LIMIT_TOKENS;
    if (has_nocase(m, "on requests per") || has_nocase(m, "(RPM)") || has_nocase(m, "(RPD)") ||
        has_nocase(m, "call rate limit"))
        return LIMIT_REQUESTS;
    if (has_nocase(m, "tokens") || has_nocase(f->err_code, "token"))
        return LIMIT_TOKENS;
    if (has_nocase(m, "requests") || has_nocase(f->err_code, "request"))
        return LIMIT_REQUESTS;
    if (header_is_zero(h, "x-ratelimit-remaining-tokens"))
        return LIMIT_TOKENS;
    if (header_is_zero(h, "x-ratelimit-remaining-requests"))
        return LIMIT_REQUESTS;
    return LIMIT_UNKNOWN;
}

static void set_entry(failure *f, guide_entry e, guide_type t)
{
    f->entry = e;
    f->type = t;
}

/* The library type of an entry the body chose: what the library raises for the status. */
static guide_type status_type(const failure *f, bool in_stream)
{
    long s = f->status;
    if (in_stream)
        return classify_is_billing(f->entry) ? GUIDE_T_RATE_LIMIT : GUIDE_T_API_ERROR;
    if (s == 429)
        return GUIDE_T_RATE_LIMIT;
    if (s == 503)
        return GUIDE_T_SERVICE_UNAVAILABLE;
    if (s >= 500)
        return GUIDE_T_API_ERROR;
    return GUIDE_T_INVALID_REQUEST;
}

/* What the body says, whatever the status (401, 407 and 408 aside): the entries that only
 * the words tell apart. False when it says none of them. */
static bool body_entry(failure *f, bool in_stream)
{
    guide_entry e;
    if (is_moderation(f))
        e = GUIDE_MODERATION;
    else if (is_request_too_large(f))
        e = GUIDE_REQUEST_TOO_LARGE;
    else if (is_context_length(f))
        e = GUIDE_CONTEXT_LENGTH;
    else if (is_no_model_loaded(f))
        e = GUIDE_MODEL_NOT_LOADED;
    else if (is_deployment_missing(f))
        e = GUIDE_DEPLOYMENT_NOT_FOUND;
    else if (is_billing_inactive(f))
        e = GUIDE_BILLING_INACTIVE;
    else if (f->status == 402)
        e = GUIDE_CREDITS; /* Payment Required: credits, whatever the words (a monthly limit too) */
    else if (is_spend_cap(f))
        e = GUIDE_SPEND_CAP;
    else if (is_credits(f))
        e = GUIDE_CREDITS;
    else if (is_quota(f))
        e = GUIDE_QUOTA;
    else
        return false;
    f->entry = e;
    f->type = status_type(f, in_stream);
    if (e == GUIDE_SPEND_CAP)
        f->resumes = resumes_at(f->err_message);
    return true;
}

static void set_rate_limit(failure *f, const http_headers *h, guide_type t)
{
    set_entry(f, GUIDE_RATE_LIMIT, t);
    f->limit = which_limit(f, h);
}

static void classify_net(failure *f)
{
    switch (f->net) {
    case NET_DNS:
        set_entry(f, GUIDE_DNS, GUIDE_T_API_CONNECTION);
        break;
    case NET_REFUSED:
        set_entry(f, GUIDE_CONNECT_REFUSED, GUIDE_T_API_CONNECTION);
        break;
    case NET_TLS:
        /* https:// to a server that answered in plain HTTP: OpenSSL cannot read its
         * "HTTP/1.1 400" as a TLS record. Not a certificate problem at all. */
        set_entry(f,
                  has_nocase(f->detail, "wrong version number") ? GUIDE_TLS_PLAIN_HTTP : GUIDE_TLS,
                  GUIDE_T_API_CONNECTION);
        break;
    case NET_PROXY:
        /* The proxy refused the tunnel for want of credentials (CONNECT answered 407). */
        set_entry(f, f->status == 407 ? GUIDE_PROXY_AUTH : GUIDE_PROXY, GUIDE_T_API_CONNECTION);
        break;
    case NET_TIMEOUT_CONNECT:
    case NET_TIMEOUT_IDLE:
        set_entry(f, GUIDE_TIMEOUT, GUIDE_T_TIMEOUT);
        break;
    case NET_TIMEOUT_FIRST_TOKEN:
        set_entry(f, GUIDE_FIRST_TOKEN_TIMEOUT, GUIDE_T_TIMEOUT);
        break;
    case NET_STREAM_CUT:
        set_entry(f, GUIDE_STREAM_INTERRUPTED, GUIDE_T_API_CONNECTION);
        break;
    case NET_MALFORMED:
    case NET_TOO_LARGE:
        set_entry(f, GUIDE_MALFORMED_RESPONSE, GUIDE_T_API_ERROR);
        break;
    case NET_CANCELLED:
        set_entry(f, GUIDE_CANCELLED, GUIDE_T_NONE);
        break;
    case NET_CONNECT:
    case NET_OTHER:
    default:
        set_entry(f, GUIDE_CONNECTION, GUIDE_T_API_CONNECTION);
        break;
    }
}

static void classify_stream_error(failure *f, const http_headers *h)
{
    if (body_entry(f, true))
        return;
    if (is_overloaded(f))
        set_entry(f, GUIDE_OVERLOADED, GUIDE_T_API_ERROR);
    else if (is_rate_limit(f) || quota_is_a_rate_limit(f))
        set_rate_limit(f, h, GUIDE_T_RATE_LIMIT);
    else
        set_entry(f, GUIDE_STREAM_ERROR, GUIDE_T_API_ERROR);
}

/* A model that this endpoint lacks: 4xx only. Ollama's says which, and how to get it. */
static bool model_missing(failure *f)
{
    if (!is_model_missing(f))
        return false;
    set_entry(f, GUIDE_MODEL_NOT_FOUND, GUIDE_T_INVALID_REQUEST);
    if (msg_has(f, "try pulling it first")) {
        f->model_name = quoted_model(f->err_message);
        if (f->model_name)
            f->hint = HINT_OLLAMA_PULL;
    }
    return true;
}

static void classify_status(failure *f, const http_headers *h)
{
    long s = f->status;
    switch (s) {
    case 401:
        if (eq_nocase(f->err_code, "invalid_api_key") ||
            (f->err_message && str_starts_with(f->err_message, "Incorrect API key provided")))
            set_entry(f, GUIDE_AUTH_INCORRECT_KEY, GUIDE_T_AUTHENTICATION);
        else if (eq_nocase(f->err_code, "no_organization") ||
                 has_nocase(f->err_message, "member of an organization"))
            set_entry(f, GUIDE_AUTH_NO_ORG, GUIDE_T_AUTHENTICATION);
        else
            set_entry(f, GUIDE_AUTH_INVALID, GUIDE_T_AUTHENTICATION);
        return;
    case 407:
        /* Only a proxy asks for Proxy-Authorization (a plain-HTTP request through it). */
        set_entry(f, GUIDE_PROXY_AUTH, GUIDE_T_API_CONNECTION);
        return;
    case 408:
        set_entry(f, GUIDE_TIMEOUT, GUIDE_T_TIMEOUT);
        return;
    case 403:
        if (code_or_type(f, "unsupported_country_region_territory") ||
            has_nocase(f->err_message, "Country, region, or territory not supported"))
            set_entry(f, GUIDE_FORBIDDEN_REGION, GUIDE_T_AUTHENTICATION);
        else if (!body_entry(f, false) && !model_missing(f))
            set_entry(f, GUIDE_AUTH_INVALID, GUIDE_T_AUTHENTICATION);
        return;
    case 429:
        if (body_entry(f, false))
            return;
        if (is_overloaded(f))
            set_entry(f, GUIDE_OVERLOADED, GUIDE_T_RATE_LIMIT);
        else
            set_rate_limit(f, h, GUIDE_T_RATE_LIMIT);
        return;
    default:
        break;
    }
    if (s >= 500 && s <= 599) {
        /* llama.cpp answered a too-long prompt with a 500 before it said 400. */
        if (is_context_length(f))
            set_entry(f, GUIDE_CONTEXT_LENGTH,
                      s == 503 ? GUIDE_T_SERVICE_UNAVAILABLE : GUIDE_T_API_ERROR);
        else if (s == 503 && is_model_loading(f))
            set_entry(f, GUIDE_MODEL_LOADING, GUIDE_T_SERVICE_UNAVAILABLE);
        else if (s == 503)
            set_entry(f, is_overloaded(f) ? GUIDE_OVERLOADED : GUIDE_SERVER_ERROR,
                      GUIDE_T_SERVICE_UNAVAILABLE);
        else if (s == 502 || s == 504)
            set_entry(f, is_overloaded(f) ? GUIDE_OVERLOADED : GUIDE_GATEWAY, GUIDE_T_API_ERROR);
        else
            set_entry(f, code_says_overloaded(f) ? GUIDE_OVERLOADED : GUIDE_SERVER_ERROR,
                      GUIDE_T_API_ERROR);
    } else if (s >= 400 && s <= 499) {
        if (body_entry(f, false) || model_missing(f))
            return;
        set_entry(f, s == 404 ? GUIDE_NOT_FOUND : GUIDE_BAD_REQUEST, GUIDE_T_INVALID_REQUEST);
    } else { /* a success, a redirect or no status at all is not an answer we can use */
        set_entry(f, GUIDE_MALFORMED_RESPONSE, GUIDE_T_API_ERROR);
    }
}

reset_unit classify_reset_unit(const char *provider, const char *base_url)
{
    /* The provider named, else the one the base URL's host belongs to. */
    provider_id id = provider && *provider ? (provider_id)provider_find(provider)
                                           : provider_by_host(base_url);
    if (id == PROVIDER_OPENROUTER)
        return RESET_UNIT_EPOCH_MS;
    if (id == PROVIDER_TOGETHER)
        return RESET_UNIT_SECONDS;
    return RESET_UNIT_GUESS;
}

void classify(const classify_input *in, failure *out)
{
    failure_free(out);
    out->net = in->net;
    out->status = in->status;
    /* libcurl's words may quote what the server sent. */
    out->detail = in->detail ? clean_text(in->detail, strlen(in->detail), MESSAGE_CAP) : NULL;
    out->provider = in->provider && *in->provider ? xstrdup(in->provider) : NULL;
    out->reset_unit = classify_reset_unit(in->provider, in->base_url);

    const http_headers *h = in->headers;
    const char *rid = h ? hdrs_get(h, "x-request-id") : NULL;
    if (!rid && h)
        rid = hdrs_get(h, "request-id");
    if (rid)
        out->request_id = clean_text(rid, strlen(rid), FIELD_CAP);

    const char *body = in->body;
    size_t len = body ? in->body_len : 0;
    if (len && !classify_parse_envelope(body, len, out)) {
        out->html_title = classify_html_title(body, len);
        if (!out->html_title && !body_is_json(body, len))
            out->err_message = plain_first_line(body, len);
    }

    if (in->net != NET_OK)
        classify_net(out);
    else if (in->in_stream)
        classify_stream_error(out, h);
    else
        classify_status(out, h);
}
