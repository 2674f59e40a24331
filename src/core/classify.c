#include "classify.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
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
}

static void free_strings(failure *f)
{
    free(f->err_type);
    free(f->err_code);
    free(f->err_param);
    free(f->err_message);
    free(f->html_title);
    free(f->request_id);
    free(f->detail);
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
    dst->err_type = xstrdup(src->err_type);
    dst->err_code = xstrdup(src->err_code);
    dst->err_param = xstrdup(src->err_param);
    dst->err_message = xstrdup(src->err_message);
    dst->html_title = xstrdup(src->html_title);
    dst->request_id = xstrdup(src->request_id);
    dst->detail = xstrdup(src->detail);
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
    return true;
}

static bool parse_envelope_value(const cJSON *root, failure *out)
{
    if (cJSON_IsArray(root))
        root = cJSON_GetArrayItem(root, 0);
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

static bool is_quota(const failure *f)
{
    return code_or_type(f, "insufficient_quota") || code_or_type(f, "billing_hard_limit_reached") ||
           code_or_type(f, "credit_balance_exhausted") ||
           has_nocase(f->err_message, "exceeded your current quota");
}

static bool code_says_overloaded(const failure *f)
{
    return code_or_type(f, "slow_down") || code_or_type(f, "server_is_overloaded") ||
           code_or_type(f, "engine_overloaded") || code_or_type(f, "overloaded") ||
           code_or_type(f, "overloaded_error");
}

static bool is_overloaded(const failure *f)
{
    return code_says_overloaded(f) || has_nocase(f->err_message, "overloaded") ||
           has_nocase(f->err_message, "slow down");
}

static bool is_rate_limit(const failure *f)
{
    return code_or_type(f, "rate_limit_exceeded") || code_or_type(f, "rate_limit_error") ||
           has_nocase(f->err_message, "rate limit reached");
}

static bool is_context_length(const failure *f)
{
    return code_or_type(f, "context_length_exceeded") ||
           has_nocase(f->err_message, "maximum context length");
}

static bool header_is_zero(const http_headers *h, const char *name)
{
    const char *v = h ? hdrs_get(h, name) : NULL;
    return v && strcmp(v, "0") == 0;
}

static limit_kind which_limit(const failure *f, const http_headers *h)
{
    const char *m = f->err_message;
    /* The precise phrases first: "... on tokens per min (TPM)". */
    if (has_nocase(m, "on tokens per") || has_nocase(m, "(TPM)") || has_nocase(m, "(TPD)"))
        return LIMIT_TOKENS;
    if (has_nocase(m, "on requests per") || has_nocase(m, "(RPM)") || has_nocase(m, "(RPD)"))
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
    if (is_quota(f)) {
        set_entry(f, GUIDE_QUOTA, GUIDE_T_RATE_LIMIT);
    } else if (is_overloaded(f)) {
        set_entry(f, GUIDE_OVERLOADED, GUIDE_T_API_ERROR);
    } else if (is_rate_limit(f)) {
        set_entry(f, GUIDE_RATE_LIMIT, GUIDE_T_RATE_LIMIT);
        f->limit = which_limit(f, h);
    } else if (is_context_length(f)) {
        set_entry(f, GUIDE_CONTEXT_LENGTH, GUIDE_T_API_ERROR);
    } else {
        set_entry(f, GUIDE_STREAM_ERROR, GUIDE_T_API_ERROR);
    }
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
    case 403:
        if (code_or_type(f, "unsupported_country_region_territory") ||
            has_nocase(f->err_message, "Country, region, or territory not supported"))
            set_entry(f, GUIDE_FORBIDDEN_REGION, GUIDE_T_AUTHENTICATION);
        else
            set_entry(f, GUIDE_AUTH_INVALID, GUIDE_T_AUTHENTICATION);
        return;
    case 429:
        if (is_quota(f)) {
            set_entry(f, GUIDE_QUOTA, GUIDE_T_RATE_LIMIT);
        } else if (is_overloaded(f)) {
            set_entry(f, GUIDE_OVERLOADED, GUIDE_T_RATE_LIMIT);
        } else {
            set_entry(f, GUIDE_RATE_LIMIT, GUIDE_T_RATE_LIMIT);
            f->limit = which_limit(f, h);
        }
        return;
    case 503:
        set_entry(f, is_overloaded(f) ? GUIDE_OVERLOADED : GUIDE_SERVER_ERROR,
                  GUIDE_T_SERVICE_UNAVAILABLE);
        return;
    case 502:
    case 504:
        set_entry(f, is_overloaded(f) ? GUIDE_OVERLOADED : GUIDE_GATEWAY, GUIDE_T_API_ERROR);
        return;
    case 404:
        if (code_or_type(f, "model_not_found") ||
            (has_nocase(f->err_message, "The model") && has_nocase(f->err_message, "does not exist")))
            set_entry(f, GUIDE_MODEL_NOT_FOUND, GUIDE_T_INVALID_REQUEST);
        else
            set_entry(f, GUIDE_NOT_FOUND, GUIDE_T_INVALID_REQUEST);
        return;
    case 400:
        set_entry(f, is_context_length(f) ? GUIDE_CONTEXT_LENGTH : GUIDE_BAD_REQUEST,
                  GUIDE_T_INVALID_REQUEST);
        return;
    case 407:
        /* Only a proxy asks for Proxy-Authorization (a plain-HTTP request through it). */
        set_entry(f, GUIDE_PROXY_AUTH, GUIDE_T_API_CONNECTION);
        return;
    case 408:
        set_entry(f, GUIDE_TIMEOUT, GUIDE_T_TIMEOUT);
        return;
    default:
        break;
    }
    if (s >= 500 && s <= 599)
        set_entry(f, code_says_overloaded(f) ? GUIDE_OVERLOADED : GUIDE_SERVER_ERROR,
                  GUIDE_T_API_ERROR);
    else if (s >= 400 && s <= 499)
        set_entry(f, GUIDE_BAD_REQUEST, GUIDE_T_INVALID_REQUEST);
    else /* a success, a redirect or no status at all is not an answer we can use */
        set_entry(f, GUIDE_MALFORMED_RESPONSE, GUIDE_T_API_ERROR);
}

void classify(const classify_input *in, failure *out)
{
    failure_free(out);
    out->net = in->net;
    out->status = in->status;
    /* libcurl's words may quote what the server sent. */
    out->detail = in->detail ? clean_text(in->detail, strlen(in->detail), MESSAGE_CAP) : NULL;

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
