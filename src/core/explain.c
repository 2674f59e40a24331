#include "explain.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "url.h"

static void replace(char **slot, const char *value)
{
    char *copy = xstrdup(value);
    free(*slot);
    *slot = copy;
}

void explain_ctx_from_config(explain_ctx *cx, const config *c)
{
    char *shown = url_display(cfg_str(c, OPT_BASE_URL));
    free(cx->base_url);
    cx->base_url = shown;
    replace(&cx->model, cfg_str(c, OPT_MODEL));
    replace(&cx->status_url, cfg_str(c, OPT_STATUS_URL));
    replace(&cx->help_url, cfg_str(c, OPT_HELP_URL));
    replace(&cx->key_env, cfg_env_name(c, OPT_API_KEY));
    cx->provider = cfg_provider(c);
}

void explain_ctx_done(explain_ctx *cx)
{
    free(cx->base_url);
    free(cx->model);
    free(cx->status_url);
    free(cx->help_url);
    free(cx->key_env);
    cx->base_url = cx->model = cx->status_url = cx->help_url = cx->key_env = NULL;
}

void explain_attempt(buf *out, const explain_ctx *cx, int attempt, int attempts_max)
{
    char n[16], m[16];
    snprintf(n, sizeof n, "%d", attempt);
    snprintf(m, sizeof m, "%d", attempts_max);
    buf_fill(out, guide_str(cx->lang, "attempt_of"), 2, n, m);
}

void explain_retrying(buf *out, const explain_ctx *cx, int64_t left_ms, const char *between,
                      int next_attempt, int attempts_max, const retry_decision *d)
{
    buf amount;
    buf_init(&amount);
    explain_duration(&amount, left_ms);
    buf_fill(out, guide_str(cx->lang, "retrying_in"), 1, buf_str(&amount));
    buf_free(&amount);
    buf_puts(out, between ? between : " · ");
    explain_attempt(out, cx, next_attempt, attempts_max);
    buf_puts(out, " · ");
    explain_delay_source(out, cx, d);
}

void explain_title(buf *out, const explain_ctx *cx, const failure *f)
{
    const guide_text *t = guide_entry_text(f->entry, cx->lang);
    if (f->status > 0)
        buf_printf(out, "%ld ", f->status);
    buf_puts(out, t->title);
    if (f->type != GUIDE_T_NONE)
        buf_printf(out, " · %s", guide_type_name(f->type));
    if (f->entry == GUIDE_RATE_LIMIT && f->limit != LIMIT_UNKNOWN)
        buf_printf(out, " · %s",
                   guide_str(cx->lang, f->limit == LIMIT_TOKENS ? "limit_tokens" : "limit_requests"));
}

/* ms, rounded by adding round_ms: tenths of a second under 10 s, then seconds, minutes. */
static void put_duration(buf *out, int64_t ms, int64_t round_ms)
{
    if (ms < 0)
        ms = 0;
    if (ms < 10000) {
        int64_t tenths = (ms + round_ms / 10) / 100;
        buf_printf(out, "%lld.%lld s", (long long)(tenths / 10), (long long)(tenths % 10));
        return;
    }
    int64_t s = (ms + round_ms) / 1000;
    if (s < 60)
        buf_printf(out, "%lld s", (long long)s);
    else if (s < 3600)
        buf_printf(out, "%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
    else
        buf_printf(out, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
}

void explain_duration(buf *out, int64_t ms)
{
    /* Rounded up, so that a countdown never shows 0.0 while time is left. */
    put_duration(out, ms, 999);
}

void explain_elapsed(buf *out, int64_t ms)
{
    put_duration(out, ms, 500);
}

void explain_delay_source(buf *out, const explain_ctx *cx, const retry_decision *d)
{
    if (d->source == DELAY_NONE)
        return;
    buf amount;
    buf_init(&amount);
    explain_duration(&amount, d->delay_ms);
    if (d->source == DELAY_BACKOFF)
        buf_fill(out, guide_str(cx->lang, "backoff"), 1, buf_str(&amount));
    else
        buf_fill(out, guide_str(cx->lang, "server_asked"), 2, buf_str(&amount),
                 delay_source_name(d->source));
    buf_free(&amount);
}

const char *explain_verdict(const explain_ctx *cx, retry_verdict v)
{
    static const char *const keys[RETRY__COUNT] = {
        [RETRY_YES] = "retry_now",
        [RETRY_NO_STATUS] = "verdict.status",
        [RETRY_NO_QUOTA] = "verdict.quota",
        [RETRY_NO_BILLING] = "verdict.billing",
        [RETRY_NO_TLS] = "verdict.tls",
        [RETRY_NO_CANCELLED] = "verdict.cancelled",
        [RETRY_NO_CONTENT] = "verdict.content",
        [RETRY_NO_HEADER] = "verdict.header",
        [RETRY_NO_DISABLED] = "verdict.disabled",
        [RETRY_NO_EXHAUSTED] = "verdict.exhausted",
        [RETRY_NO_TOO_LONG] = "verdict.too_long",
    };
    return (unsigned)v < RETRY__COUNT ? guide_str(cx->lang, keys[v]) : "";
}

bool explain_foreign_endpoint(const explain_ctx *cx)
{
    return cx->base_url && !str_starts_with(cx->base_url, "https://api.openai.com/");
}

void explain_links(const explain_ctx *cx, const failure *f,
                   void (*fn)(void *ud, const char *label, const char *url), void *ud)
{
    const guide_text *t = guide_entry_text(f->entry, cx->lang);
    /* The provider the failed request went to (the demo's provider cases differ from the
     * profile), else the profile's. */
    provider_id prov = cx->provider;
    int fp = f->provider ? provider_find(f->provider) : -1;
    if (fp > PROVIDER_AUTO)
        prov = (provider_id)fp;
    const char *given[16];
    size_t ngiven = 0;
    for (size_t i = 0; i < t->nlinks; i++) {
        const char *url = t->links[i].url;
        bool is_status;
        if (provider_openai_status_or_help(url, &is_status)) {
            /* status_url "" means none; help_url "" leaves OpenAI's help centre. */
            const char *own = is_status ? cx->status_url : cx->help_url;
            if (own && (is_status || *own))
                url = own;
        } else if (prov != PROVIDER_AUTO) {
            url = provider_map_link(prov, url);
        }
        bool seen = !url || !*url;
        for (size_t k = 0; k < ngiven && !seen; k++)
            seen = strcmp(given[k], url) == 0;
        if (seen)
            continue;
        if (ngiven < sizeof given / sizeof *given)
            given[ngiven++] = url;
        fn(ud, t->links[i].label, url);
    }
}

void explain_endpoint(buf *out, const explain_ctx *cx)
{
    buf_puts(out, cx->base_url ? cx->base_url : "");
    const provider_info *row = provider_row(cx->provider);
    if (row->id != PROVIDER_AUTO && row->id != PROVIDER_LOCAL && row->id != PROVIDER_OTHER)
        buf_printf(out, " (%s)", row->display);
}

void explain_words(buf *out, const explain_ctx *cx, const char *text)
{
    static const char openai_var[] = "OPENAI_API_KEY";
    const char *var = cx->key_env ? cx->key_env : guide_str(cx->lang, "key_env_none");
    if (cx->provider == PROVIDER_AUTO || !strcmp(var, openai_var)) {
        buf_puts(out, text);
        return;
    }
    for (const char *p = text, *hit; *p; p = hit + sizeof openai_var - 1) {
        hit = strstr(p, openai_var);
        if (!hit) {
            buf_puts(out, p);
            break;
        }
        buf_append(out, p, (size_t)(hit - p));
        buf_puts(out, var);
    }
}

void explain_steps(const explain_ctx *cx, const failure *f, bool chat,
                   void (*fn)(void *ud, const char *step), void *ud)
{
    if (f->hint == HINT_OLLAMA_PULL && f->model_name) {
        buf b;
        buf_init(&b);
        buf_fill(&b, guide_str(cx->lang, "hint.ollama_pull"), 1, f->model_name);
        fn(ud, buf_str(&b));
        buf_free(&b);
    }
    const guide_text *t = guide_entry_text(f->entry, cx->lang);
    buf w;
    buf_init(&w);
    for (size_t i = 0; i < t->nsteps; i++) {
        buf_reset(&w);
        explain_words(&w, cx, chat ? t->steps[i] : t->steps_cli[i]);
        fn(ud, buf_str(&w));
    }
    buf_free(&w);
}

void explain_notes(const explain_ctx *cx, const failure *f, void (*fn)(void *ud, const char *note),
                   void *ud)
{
    buf b;
    buf_init(&b);
    if (f->flagged) {
        buf_fill(&b, guide_str(cx->lang, "note.flagged"), 1, f->flagged);
        fn(ud, buf_str(&b));
    }
    if (f->n_prompt_tokens > 0 && f->n_ctx > 0) {
        char n[24], c[24];
        snprintf(n, sizeof n, "%ld", f->n_prompt_tokens);
        snprintf(c, sizeof c, "%ld", f->n_ctx);
        buf_reset(&b);
        buf_fill(&b, guide_str(cx->lang, "note.context"), 2, n, c);
        fn(ud, buf_str(&b));
    }
    if (f->resumes) {
        buf_reset(&b);
        buf_fill(&b, guide_str(cx->lang, "note.resets"), 1, f->resumes);
        fn(ud, buf_str(&b));
    }
    if (f->upstream) {
        buf_reset(&b);
        buf_fill(&b, guide_str(cx->lang, "note.upstream"), 1, f->upstream);
        fn(ud, buf_str(&b));
    }
    buf_free(&b);
}

void explain_type_heading(buf *out, const explain_ctx *cx, const failure *f)
{
    buf_fill(out, guide_str(cx->lang, "type_about"), 1, guide_type_name(f->type));
}

void explain_put_text(buf *out, const char *text, const char *indent)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        buf_append(out, p, n);
        p += n;
        if (!*p)
            break;
        while (*p == '\n')
            p++;
        if (*p) {
            buf_putc(out, '\n');
            buf_puts(out, indent);
        }
    }
}

/* "  Label: server text\n", the text's own lines indented under it. */
static void text_field(buf *out, const char *label, const char *text)
{
    buf_puts(out, "  ");
    if (label)
        buf_printf(out, "%s: ", label);
    explain_put_text(out, text, "      ");
    buf_putc(out, '\n');
}

static void text_link(void *ud, const char *label, const char *url)
{
    buf_printf(ud, "    %s: %s\n", label, url);
}

/* Numbered lines: "    1. text". */
typedef struct numbered {
    buf *out;
    const char *indent;
    size_t n;
} numbered;

static void text_numbered(void *ud, const char *line)
{
    numbered *nb = ud;
    buf_printf(nb->out, "%s%zu. ", nb->indent, ++nb->n);
    explain_put_text(nb->out, line, "       ");
    buf_putc(nb->out, '\n');
}

static void text_note(void *ud, const char *note)
{
    text_field(ud, NULL, note);
}

/* The library type's part of the guide: its cause and steps (one-shot wording). */
static void text_type(buf *out, const explain_ctx *cx, const failure *f)
{
    const guide_text *tt = guide_type_text(f->type, cx->lang);
    if (!tt)
        return;
    buf_puts(out, "  ");
    explain_type_heading(out, cx, f);
    buf_printf(out, ": %s\n", tt->cause);
    for (size_t i = 0; i < tt->nsteps; i++)
        buf_printf(out, "    %zu. %s\n", i + 1, tt->steps_cli[i]);
}

void explain_text(buf *out, const explain_ctx *cx, const failure *f, const retry_decision *d)
{
    const guide_text *t = guide_entry_text(f->entry, cx->lang);
    explain_title(out, cx, f);
    buf_putc(out, '\n');
    buf_printf(out, "  %s: ", guide_str(cx->lang, "cause"));
    explain_words(out, cx, t->cause);
    buf_putc(out, '\n');
    if (t->nreasons) {
        buf_printf(out, "  %s:\n", guide_str(cx->lang, "reasons"));
        for (size_t i = 0; i < t->nreasons; i++) {
            buf_puts(out, "    · ");
            explain_words(out, cx, t->reasons[i]);
            buf_putc(out, '\n');
        }
    }
    buf_printf(out, "  %s:\n", guide_str(cx->lang, "steps"));
    numbered nb = {out, "    ", 0};
    explain_steps(cx, f, false, text_numbered, &nb);
    /* Server text may hold newlines: none of its lines may pass for one of tchat's own. */
    if (f->err_message && *f->err_message)
        text_field(out, guide_str(cx->lang, "server_said"), f->err_message);
    else if (f->html_title && *f->html_title)
        text_field(out, guide_str(cx->lang, "server_said"), f->html_title);
    explain_notes(cx, f, text_note, out);
    if (f->detail && *f->detail)
        text_field(out, NULL, f->detail);
    if (f->request_id && *f->request_id)
        text_field(out, guide_str(cx->lang, "request_id"), f->request_id);
    if (explain_foreign_endpoint(cx)) {
        buf_printf(out, "  %s: ", guide_str(cx->lang, "endpoint"));
        explain_endpoint(out, cx);
        buf_putc(out, '\n');
    }
    text_type(out, cx, f);
    buf_printf(out, "  %s:\n", guide_str(cx->lang, "links"));
    explain_links(cx, f, text_link, out);
    if (d && d->verdict != RETRY_YES && d->verdict != RETRY_NO_CANCELLED) {
        buf_printf(out, "  ");
        buf_fill(out, guide_str(cx->lang, "not_retrying"), 1, explain_verdict(cx, d->verdict));
        if (d->verdict == RETRY_NO_TOO_LONG) {
            buf amount;
            buf_init(&amount);
            explain_duration(&amount, d->delay_ms);
            buf_puts(out, "; ");
            buf_fill(out, guide_str(cx->lang, "reset_in"), 1, buf_str(&amount));
            buf_free(&amount);
        }
        buf_putc(out, '\n');
    }
}

static void json_link(void *ud, const char *label, const char *url)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "label", label);
    cJSON_AddStringToObject(o, "url", url);
    cJSON_AddItemToArray(ud, o);
}

static void add_opt_string(cJSON *o, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(o, key, value);
    else
        cJSON_AddNullToObject(o, key);
}

static void json_string(void *ud, const char *s)
{
    cJSON_AddItemToArray(ud, cJSON_CreateString(s));
}

static cJSON *json_strings(const char *const *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
    return arr;
}

void explain_json(buf *out, const explain_ctx *cx, const failure *f, const retry_decision *d,
                  int attempt, int attempts_max, int exit_code)
{
    const guide_text *t = guide_entry_text(f->entry, cx->lang);
    const guide_text *tt = guide_type_text(f->type, cx->lang);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "entry", guide_entry_id(f->entry));
    cJSON_AddStringToObject(o, "type", guide_type_name(f->type));
    if (f->status > 0)
        cJSON_AddNumberToObject(o, "status", (double)f->status);
    else
        cJSON_AddNullToObject(o, "status");
    cJSON_AddStringToObject(o, "net", net_result_name(f->net));
    cJSON_AddStringToObject(o, "title", t->title);
    buf w;
    buf_init(&w);
    explain_words(&w, cx, t->cause);
    cJSON_AddStringToObject(o, "cause", buf_str(&w));
    cJSON *reasons = cJSON_AddArrayToObject(o, "reasons");
    for (size_t i = 0; i < t->nreasons; i++) {
        buf_reset(&w);
        explain_words(&w, cx, t->reasons[i]);
        cJSON_AddItemToArray(reasons, cJSON_CreateString(buf_str(&w)));
    }
    buf_free(&w);
    explain_steps(cx, f, false, json_string, cJSON_AddArrayToObject(o, "steps"));
    add_opt_string(o, "type_cause", tt ? tt->cause : NULL);
    cJSON_AddItemToObject(o, "type_steps",
                          tt ? json_strings(tt->steps_cli, tt->nsteps) : cJSON_CreateArray());
    explain_notes(cx, f, json_string, cJSON_AddArrayToObject(o, "notes"));
    add_opt_string(o, "upstream", f->upstream);
    add_opt_string(o, "flagged", f->flagged);
    explain_links(cx, f, json_link, cJSON_AddArrayToObject(o, "links"));
    add_opt_string(o, "error_type", f->err_type);
    add_opt_string(o, "error_code", f->err_code);
    add_opt_string(o, "message", f->err_message ? f->err_message : f->html_title);
    add_opt_string(o, "request_id", f->request_id);
    add_opt_string(o, "detail", f->detail);
    cJSON_AddStringToObject(o, "endpoint", cx->base_url ? cx->base_url : "");
    if (cx->provider != PROVIDER_AUTO)
        cJSON_AddStringToObject(o, "provider", provider_row(cx->provider)->name);
    cJSON_AddStringToObject(o, "model", cx->model ? cx->model : "");
    cJSON_AddNumberToObject(o, "attempt", attempt);
    cJSON_AddNumberToObject(o, "attempts_max", attempts_max);
    cJSON_AddBoolToObject(o, "will_retry", d->verdict == RETRY_YES);
    if (d->verdict == RETRY_YES || d->verdict == RETRY_NO_TOO_LONG) {
        cJSON_AddNumberToObject(o, "delay_ms", (double)d->delay_ms);
        cJSON_AddStringToObject(o, "delay_source", delay_source_name(d->source));
    }
    if (d->verdict != RETRY_YES) {
        cJSON_AddStringToObject(o, "not_retried", explain_verdict(cx, d->verdict));
        cJSON_AddNumberToObject(o, "exit_code", exit_code);
    }
    char *s = cJSON_PrintUnformatted(o);
    buf_puts(out, s);
    cJSON_free(s);
    cJSON_Delete(o);
}

int explain_exit_code(const failure *f)
{
    switch (f->entry) {
    case GUIDE_AUTH_INVALID:
    case GUIDE_AUTH_INCORRECT_KEY:
    case GUIDE_AUTH_NO_ORG:
    case GUIDE_FORBIDDEN_REGION:
    case GUIDE_NO_KEY:
        return 3;
    case GUIDE_INSECURE_HTTP:
        return 2; /* a setting to change: nothing was sent */
    case GUIDE_RATE_LIMIT:
        return 4;
    case GUIDE_QUOTA:
    case GUIDE_CREDITS:
    case GUIDE_SPEND_CAP:
    case GUIDE_BILLING_INACTIVE:
        return 5;
    case GUIDE_OVERLOADED:
    case GUIDE_MODEL_LOADING:
    case GUIDE_SERVER_ERROR:
    case GUIDE_GATEWAY:
    case GUIDE_STREAM_ERROR:
    case GUIDE_MALFORMED_RESPONSE:
        return 6;
    case GUIDE_DNS:
    case GUIDE_CONNECT_REFUSED:
    case GUIDE_CONNECTION:
    case GUIDE_TLS:
    case GUIDE_TLS_PLAIN_HTTP:
    case GUIDE_PROXY:
    case GUIDE_PROXY_AUTH:
    case GUIDE_STREAM_INTERRUPTED:
        return 7;
    case GUIDE_TIMEOUT:
    case GUIDE_FIRST_TOKEN_TIMEOUT:
        return 8;
    case GUIDE_MODEL_NOT_FOUND:
    case GUIDE_MODEL_NOT_LOADED:
    case GUIDE_DEPLOYMENT_NOT_FOUND:
    case GUIDE_NOT_FOUND:
    case GUIDE_CONTEXT_LENGTH:
    case GUIDE_REQUEST_TOO_LARGE:
    case GUIDE_MODERATION:
    case GUIDE_BAD_REQUEST:
        return 9;
    case GUIDE_CANCELLED:
        return 130;
    case GUIDE_REPLY_TOO_LONG: /* the chat's limit only: one-shot streams any size */
        return 1;
    case GUIDE__COUNT:
        break;
    }
    return 1;
}
