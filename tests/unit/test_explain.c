/* explain: the words for a failure that one-shot, the panel and the report share, as tables:
 * titles, durations, delay sources, the retry line, links with a profile's own pages, the
 * text and JSON forms, and the exit code of every guide entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "explain.h"
#include "fileio.h"
#include "guide.h"

#define OPENAI_STATUS "https://status.openai.com/"
#define OPENAI_HELP "https://help.openai.com/en/"

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (guide_init(err, sizeof err) != 0) {
        print_error("guide_init: %s\n", err);
        return -1;
    }
    return 0;
}

static explain_ctx openai_ctx(void)
{
    return (explain_ctx){.lang = GUIDE_LANG_EN, .base_url = "https://api.openai.com/v1",
                         .model = "gpt-4o-mini", .status_url = OPENAI_STATUS,
                         .help_url = OPENAI_HELP};
}

static failure make_failure(guide_entry e, guide_type t, long status, limit_kind limit)
{
    failure f;
    failure_init(&f);
    f.entry = e;
    f.type = t;
    f.status = status;
    f.limit = limit;
    return f;
}

static void check_text(const char *name, const buf *got, const char *want)
{
    if (strcmp(buf_str(got), want) != 0) {
        print_error("%s:\n want \"%s\"\n  got \"%s\"\n", name, want, buf_str(got));
        fail();
    }
}

/* ---------------------------------------------------------------- title */

typedef struct title_case {
    const char *name;
    guide_entry entry;
    guide_type type;
    long status;
    limit_kind limit;
    const char *want;
} title_case;

static const title_case title_cases[] = {
    {"rate limit on requests", GUIDE_RATE_LIMIT, GUIDE_T_RATE_LIMIT, 429, LIMIT_REQUESTS,
     "429 Rate limit reached · RateLimitError · requests"},
    {"rate limit on tokens", GUIDE_RATE_LIMIT, GUIDE_T_RATE_LIMIT, 429, LIMIT_TOKENS,
     "429 Rate limit reached · RateLimitError · tokens"},
    {"rate limit of no known kind", GUIDE_RATE_LIMIT, GUIDE_T_RATE_LIMIT, 429, LIMIT_UNKNOWN,
     "429 Rate limit reached · RateLimitError"},
    {"the limit kind only for rate limits", GUIDE_QUOTA, GUIDE_T_RATE_LIMIT, 429, LIMIT_TOKENS,
     "429 Quota exceeded · RateLimitError"},
    {"no status", GUIDE_TIMEOUT, GUIDE_T_TIMEOUT, 0, LIMIT_UNKNOWN,
     "Request timed out · Timeout"},
    {"no type", GUIDE_SERVER_ERROR, GUIDE_T_NONE, 500, LIMIT_UNKNOWN, "500 Server error"},
    {"neither", GUIDE_DNS, GUIDE_T_NONE, 0, LIMIT_UNKNOWN, "Host name not found"},
};

static void test_title(void **state)
{
    (void)state;
    explain_ctx cx = openai_ctx();
    for (size_t i = 0; i < sizeof title_cases / sizeof *title_cases; i++) {
        const title_case *t = &title_cases[i];
        failure f = make_failure(t->entry, t->type, t->status, t->limit);
        buf b;
        buf_init(&b);
        explain_title(&b, &cx, &f);
        check_text(t->name, &b, t->want);
        buf_free(&b);
    }
    /* In Chinese: the catalog's title and words. */
    cx.lang = GUIDE_LANG_ZH_CN;
    failure f = make_failure(GUIDE_RATE_LIMIT, GUIDE_T_RATE_LIMIT, 429, LIMIT_TOKENS);
    buf b;
    buf_init(&b);
    explain_title(&b, &cx, &f);
    char *want = xasprintf("429 %s · RateLimitError · %s",
                           guide_entry_text(GUIDE_RATE_LIMIT, GUIDE_LANG_ZH_CN)->title,
                           guide_str(GUIDE_LANG_ZH_CN, "limit_tokens"));
    check_text("Chinese", &b, want);
    assert_string_not_equal(want, "429 Rate limit reached · RateLimitError · tokens");
    free(want);
    buf_free(&b);
}

/* ---------------------------------------------------------------- durations */

typedef struct duration_case {
    int64_t ms;
    const char *want;
} duration_case;

static const duration_case duration_cases[] = {
    {-5, "0.0 s"},        {0, "0.0 s"},           {1, "0.1 s"},          {100, "0.1 s"},
    {101, "0.2 s"},       {3400, "3.4 s"},        {9901, "10.0 s"},      {10000, "10 s"},
    {10001, "11 s"},      {45000, "45 s"},        {59000, "59 s"},       {59001, "1 min 0 s"},
    {125000, "2 min 5 s"}, {3599000, "59 min 59 s"}, {3600000, "1 h 0 min"}, {3720000, "1 h 2 min"},
    {86400000, "24 h 0 min"},
};

/* A time that has passed is rounded to the nearest, not up. */
static const duration_case elapsed_cases[] = {
    {-1, "0.0 s"},   {49, "0.0 s"},   {50, "0.1 s"},   {3449, "3.4 s"},
    {9949, "9.9 s"}, {9960, "10.0 s"}, {10000, "10 s"}, {12034, "12 s"},
    {12500, "13 s"}, {59499, "59 s"}, {59500, "1 min 0 s"},
};

static void check_durations(void (*fn)(buf *, int64_t), const duration_case *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        buf b;
        buf_init(&b);
        fn(&b, v[i].ms);
        char name[32];
        snprintf(name, sizeof name, "%lld ms", (long long)v[i].ms);
        check_text(name, &b, v[i].want);
        buf_free(&b);
    }
}

static void test_duration(void **state)
{
    (void)state;
    check_durations(explain_duration, duration_cases, sizeof duration_cases / sizeof *duration_cases);
    check_durations(explain_elapsed, elapsed_cases, sizeof elapsed_cases / sizeof *elapsed_cases);
}

/* ---------------------------------------------------------------- delays and the retry line */

typedef struct delay_case {
    const char *name;
    delay_source source;
    int64_t ms;
    const char *want;
} delay_case;

static const delay_case delay_cases[] = {
    {"backoff", DELAY_BACKOFF, 2000, "backoff 2.0 s"},
    {"none", DELAY_NONE, 0, ""},
    {"retry-after", DELAY_RETRY_AFTER, 4000, "server asked 4.0 s (retry-after)"},
    {"retry-after-ms", DELAY_RETRY_AFTER_MS, 250, "server asked 0.3 s (retry-after-ms)"},
    {"a date", DELAY_RETRY_AFTER_DATE, 30000, "server asked 30 s (retry-after date)"},
    {"token reset", DELAY_RESET_TOKENS, 45000, "server asked 45 s (x-ratelimit-reset-tokens)"},
    {"request reset", DELAY_RESET_REQUESTS, 125000,
     "server asked 2 min 5 s (x-ratelimit-reset-requests)"},
    {"the message", DELAY_MESSAGE, 26604, "server asked 27 s (error message)"},
};

static void test_delay_source(void **state)
{
    (void)state;
    explain_ctx cx = openai_ctx();
    for (size_t i = 0; i < sizeof delay_cases / sizeof *delay_cases; i++) {
        retry_decision d = {RETRY_YES, delay_cases[i].ms, delay_cases[i].source, true};
        buf b;
        buf_init(&b);
        explain_delay_source(&b, &cx, &d);
        check_text(delay_cases[i].name, &b, delay_cases[i].want);
        buf_free(&b);
    }
}

typedef struct retrying_case {
    const char *name;
    int64_t left_ms;
    const char *between;
    int next, max;
    delay_source source;
    int64_t delay_ms;
    const char *want;
} retrying_case;

static const retrying_case retrying_cases[] = {
    {"backoff", 3400, NULL, 2, 5, DELAY_BACKOFF, 4000,
     "Retrying in 3.4 s · attempt 2 of 5 · backoff 4.0 s"},
    {"the server's delay", 2100, NULL, 3, 5, DELAY_RETRY_AFTER, 4000,
     "Retrying in 2.1 s · attempt 3 of 5 · server asked 4.0 s (retry-after)"},
    {"with the panel's bar", 61000, " [####    ] ", 2, 2, DELAY_RESET_TOKENS, 61000,
     "Retrying in 1 min 1 s [####    ] attempt 2 of 2 · server asked 1 min 1 s "
     "(x-ratelimit-reset-tokens)"},
};

static void test_retrying(void **state)
{
    (void)state;
    explain_ctx cx = openai_ctx();
    for (size_t i = 0; i < sizeof retrying_cases / sizeof *retrying_cases; i++) {
        const retrying_case *t = &retrying_cases[i];
        retry_decision d = {RETRY_YES, t->delay_ms, t->source, true};
        buf b;
        buf_init(&b);
        explain_retrying(&b, &cx, t->left_ms, t->between, t->next, t->max, &d);
        check_text(t->name, &b, t->want);
        buf_free(&b);
    }
    buf b;
    buf_init(&b);
    explain_attempt(&b, &cx, 1, 1);
    check_text("attempt", &b, "attempt 1 of 1");
    buf_free(&b);
}

typedef struct verdict_case {
    retry_verdict v;
    const char *want;
} verdict_case;

static const verdict_case verdict_cases[] = {
    {RETRY_YES, "retrying now"},
    {RETRY_NO_STATUS, "this error does not go away by retrying"},
    {RETRY_NO_QUOTA, "the quota is used up; retrying cannot help until it changes"},
    {RETRY_NO_TLS, "a certificate error does not go away by retrying"},
    {RETRY_NO_CANCELLED, "cancelled"},
    {RETRY_NO_CONTENT, "part of the reply had already arrived"},
    {RETRY_NO_HEADER, "the server said not to retry (x-should-retry: false)"},
    {RETRY_NO_DISABLED, "automatic retries are off (max_retries 0)"},
    {RETRY_NO_EXHAUSTED, "no retries left"},
    {RETRY_NO_TOO_LONG, "the server asked for a wait longer than max_server_wait"},
    {RETRY__COUNT, ""},
};

static void test_verdict(void **state)
{
    (void)state;
    explain_ctx cx = openai_ctx();
    for (size_t i = 0; i < sizeof verdict_cases / sizeof *verdict_cases; i++) {
        const char *got = explain_verdict(&cx, verdict_cases[i].v);
        if (strcmp(got, verdict_cases[i].want) != 0) {
            print_error("verdict %d: want \"%s\", got \"%s\"\n", (int)verdict_cases[i].v,
                        verdict_cases[i].want, got);
            fail();
        }
    }
}

/* ---------------------------------------------------------------- links */

static void collect(void *ud, const char *label, const char *url)
{
    buf_printf(ud, "%s=%s;", label, url);
}

typedef struct links_case {
    const char *name;
    guide_entry entry;
    const char *status_url, *help_url;
    const char *want;
} links_case;

static const links_case links_cases[] = {
    {"OpenAI's pages", GUIDE_SERVER_ERROR, OPENAI_STATUS, OPENAI_HELP,
     "Status page=https://status.openai.com/;Help center=https://help.openai.com/en/;"
     "Community forum=https://community.openai.com/;"},
    {"a profile's own pages", GUIDE_SERVER_ERROR, "https://status.example.com/",
     "https://help.example.com/",
     "Status page=https://status.example.com/;Help center=https://help.example.com/;"
     "Community forum=https://community.openai.com/;"},
    {"no status page: its link goes", GUIDE_SERVER_ERROR, "", "https://help.example.com/",
     "Help center=https://help.example.com/;Community forum=https://community.openai.com/;"},
    {"no help page given: OpenAI's stays", GUIDE_TIMEOUT, "https://status.example.com/", "",
     "Status page=https://status.example.com/;Help center=https://help.openai.com/en/;"},
    {"unset: OpenAI's stay", GUIDE_TIMEOUT, NULL, NULL,
     "Status page=https://status.openai.com/;Help center=https://help.openai.com/en/;"},
    {"other links are left alone", GUIDE_MODEL_NOT_FOUND, "https://status.example.com/",
     "https://help.example.com/",
     "Models=https://platform.openai.com/docs/models;"
     "API reference=https://platform.openai.com/docs/api-reference;"},
};

/* The links of entry for a profile of this provider, status and help pages. */
static void check_links(const char *name, provider_id provider, guide_entry entry,
                        const char *status_url, const char *help_url, const char *want)
{
    explain_ctx cx = openai_ctx();
    cx.provider = provider;
    cx.status_url = (char *)status_url;
    cx.help_url = (char *)help_url;
    failure f = make_failure(entry, GUIDE_T_NONE, 0, LIMIT_UNKNOWN);
    buf b;
    buf_init(&b);
    explain_links(&cx, &f, collect, &b);
    check_text(name, &b, want);
    buf_free(&b);
}

static void test_links(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof links_cases / sizeof *links_cases; i++) {
        const links_case *t = &links_cases[i];
        check_links(t->name, PROVIDER_AUTO, t->entry, t->status_url, t->help_url, t->want);
    }
}

/* The links for each provider: OpenAI's pages become the provider's of the same kind, or
 * go; the status and help pages are the profile's (here what the preset gives). */
typedef struct provider_links_case {
    const char *name;
    provider_id provider;
    guide_entry entry;
    const char *status_url, *help_url;
    const char *want;
} provider_links_case;

static const provider_links_case provider_links_cases[] = {
    {"Groq, a server error", PROVIDER_GROQ, GUIDE_SERVER_ERROR, "https://groqstatus.com/",
     "https://console.groq.com/docs",
     "Status page=https://groqstatus.com/;Help center=https://console.groq.com/docs;"},
    {"Groq, a rate limit: one page for the guide and the advice", PROVIDER_GROQ,
     GUIDE_RATE_LIMIT, "https://groqstatus.com/", "https://console.groq.com/docs",
     "Rate limits guide=https://console.groq.com/docs/rate-limits;"},
    {"OpenRouter, a 402 (an invalid request)", PROVIDER_OPENROUTER, GUIDE_BAD_REQUEST,
     "https://status.openrouter.ai/", "https://openrouter.ai/docs",
     "API reference=https://openrouter.ai/docs;"},
    {"OpenRouter, quota: credits and activity", PROVIDER_OPENROUTER, GUIDE_QUOTA,
     "https://status.openrouter.ai/", "https://openrouter.ai/docs",
     "Billing limits=https://openrouter.ai/settings/credits;Usage=https://openrouter.ai/activity;"},
    {"another server, quota: no account of OpenAI's", PROVIDER_OTHER, GUIDE_QUOTA, "", OPENAI_HELP,
     ""},
    {"another server, a model not found: the API's reference stays", PROVIDER_OTHER,
     GUIDE_MODEL_NOT_FOUND, "", OPENAI_HELP,
     "Models=https://platform.openai.com/docs/models;"
     "API reference=https://platform.openai.com/docs/api-reference;"},
    {"a local server, a timeout: never OpenAI's status page", PROVIDER_LOCAL, GUIDE_TIMEOUT, "",
     OPENAI_HELP, "Help center=https://help.openai.com/en/;"},
    {"a local server, a bad key: no keys page, the safety advice stays", PROVIDER_LOCAL,
     GUIDE_AUTH_INVALID, "", OPENAI_HELP,
     "API key safety=https://help.openai.com/en/articles/5112595-best-practices-for-api-key-safety;"},
    {"Ollama, refused: its own documentation", PROVIDER_OLLAMA, GUIDE_CONNECT_REFUSED, "",
     "https://docs.ollama.com/api/openai-compatibility",
     "Help center=https://docs.ollama.com/api/openai-compatibility;"},
    {"a status_url of the user's still wins", PROVIDER_LOCAL, GUIDE_SERVER_ERROR,
     "https://status.example.com/", "https://help.example.com/",
     "Status page=https://status.example.com/;Help center=https://help.example.com/;"},
    {"OpenAI: as written", PROVIDER_OPENAI, GUIDE_QUOTA, OPENAI_STATUS, OPENAI_HELP,
     "Billing limits=https://platform.openai.com/account/billing/limits;"
     "Usage=https://platform.openai.com/account/usage;"
     "Quota increase request=https://platform.openai.com/forms/quota-increase;"},
};

static void test_provider_links(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof provider_links_cases / sizeof *provider_links_cases; i++) {
        const provider_links_case *t = &provider_links_cases[i];
        check_links(t->name, t->provider, t->entry, t->status_url, t->help_url, t->want);
    }
}

/* The provider's name and key variable in the guide's words. */
static void test_provider_words(void **state)
{
    (void)state;
    static const struct {
        provider_id provider;
        const char *key_env;
        const char *base_url;
        const char *has, *lacks, *endpoint;
    } cases[] = {
        {PROVIDER_GROQ, "GROQ_API_KEY", "https://api.groq.com/openai/v1", "set GROQ_API_KEY",
         "OPENAI_API_KEY", "https://api.groq.com/openai/v1 (Groq)"},
        {PROVIDER_OTHER, NULL, "https://x.example/v1", "the variable that api_key_env names",
         "OPENAI_API_KEY", "https://x.example/v1"},
        {PROVIDER_OPENAI, "OPENAI_API_KEY", "https://api.openai.com/v1", "set OPENAI_API_KEY",
         NULL, "https://api.openai.com/v1 (OpenAI)"},
        {PROVIDER_AUTO, NULL, NULL, "set OPENAI_API_KEY", NULL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        explain_ctx cx = openai_ctx();
        cx.provider = cases[i].provider;
        cx.key_env = (char *)cases[i].key_env;
        cx.base_url = (char *)cases[i].base_url;
        failure f = make_failure(GUIDE_NO_KEY, GUIDE_T_AUTHENTICATION, 0, LIMIT_UNKNOWN);
        retry_decision d = {RETRY_NO_STATUS, 0, DELAY_NONE, false};
        buf b;
        buf_init(&b);
        explain_text(&b, &cx, &f, &d);
        explain_json(&b, &cx, &f, &d, 1, 1, 3);
        if (!strstr(buf_str(&b), cases[i].has) ||
            (cases[i].lacks && strstr(buf_str(&b), cases[i].lacks)))
            fail_msg("%s: %s", provider_row(cases[i].provider)->name, buf_str(&b));
        bool named = cases[i].provider != PROVIDER_AUTO;
        if (named != (strstr(buf_str(&b), "\"provider\":") != NULL))
            fail_msg("%s: the JSON's provider", provider_row(cases[i].provider)->name);
        buf_reset(&b);
        explain_endpoint(&b, &cx);
        check_text("endpoint", &b, cases[i].endpoint);
        buf_free(&b);
    }
}

static void test_foreign_endpoint(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        bool want;
    } cases[] = {
        {"https://api.openai.com/v1", false},
        {"http://localhost:8080/v1", true},
        {"https://api.openai.com.evil.example/v1", true},
        {NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        explain_ctx cx = openai_ctx();
        cx.base_url = (char *)cases[i].url;
        if (explain_foreign_endpoint(&cx) != cases[i].want) {
            print_error("%s: want %d\n", cases[i].url ? cases[i].url : "NULL", cases[i].want);
            fail();
        }
    }
}

static const char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

static void test_ctx_from_config(void **state)
{
    (void)state;
    config c;
    char err[256];
    config_override o[] = {{OPT_BASE_URL, "http://127.0.0.1:9/v1"}, {OPT_STATUS_URL, ""},
                           {OPT_MODEL, "m-1"}};
    config_load_args a = {.path = "/nonexistent/tchat-test/config.json", .overrides = o,
                          .noverrides = 3, .getenv_fn = no_env};
    assert_int_equal(config_load(&c, &a, err, sizeof err), 0);
    explain_ctx cx = {.lang = GUIDE_LANG_ZH_CN};
    explain_ctx_from_config(&cx, &c);
    assert_int_equal(cx.lang, GUIDE_LANG_ZH_CN); /* left as it was */
    assert_string_equal(cx.base_url, "http://127.0.0.1:9/v1");
    assert_string_equal(cx.model, "m-1");
    assert_string_equal(cx.status_url, "");
    assert_string_equal(cx.help_url, OPENAI_HELP);
    /* The context owns its copies: a later change to the configuration (Settings,
     * /model) frees the old values, and the context must not be reading them. */
    assert_int_equal(config_set(&c, OPT_BASE_URL, "http://127.0.0.1:8/v1", SRC_FLAG, err,
                                sizeof err), 0);
    assert_int_equal(config_set(&c, OPT_MODEL, "m-2", SRC_FLAG, err, sizeof err), 0);
    assert_string_equal(cx.base_url, "http://127.0.0.1:9/v1");
    assert_true(explain_foreign_endpoint(&cx));
    explain_ctx_from_config(&cx, &c);
    assert_string_equal(cx.base_url, "http://127.0.0.1:8/v1");
    assert_string_equal(cx.model, "m-2");
    explain_ctx_done(&cx);
    assert_null(cx.base_url);
    config_free(&c);
}

/* ---------------------------------------------------------------- text */

typedef struct text_case {
    const char *name;
    guide_entry entry;
    long status;
    const char *message, *html_title, *request_id, *detail;
    const char *base_url;
    retry_verdict verdict;
    int64_t delay_ms;
    const char *const present[8]; /* lines that must be there, in this order */
    const char *const absent[4];
} text_case;

static const text_case text_cases[] = {
    {"everything", GUIDE_SERVER_ERROR, 500, "boom", NULL, "req_123", "curl: (56) reset",
     "http://localhost:8080/v1", RETRY_NO_EXHAUSTED, 0,
     {"500 Server error\n", "  Server says: boom\n", "  curl: (56) reset\n",
      "  Request ID: req_123\n", "  Endpoint: http://localhost:8080/v1\n", "  Links:\n",
      "    Status page: https://status.openai.com/\n", "  Not retrying: no retries left\n"},
     {NULL}},
    {"a gateway page by its title; OpenAI's endpoint not named", GUIDE_GATEWAY, 502, NULL,
     "502 Bad Gateway", NULL, NULL, "https://api.openai.com/v1", RETRY_YES, 1000,
     {"502 Bad gateway or gateway timeout\n", "  Server says: 502 Bad Gateway\n", "  Links:\n"},
     {"Endpoint", "Not retrying", "Request ID"}},
    {"a wait too long says when the limit resets", GUIDE_RATE_LIMIT, 429, "slow down", NULL, NULL,
     NULL, "https://api.openai.com/v1", RETRY_NO_TOO_LONG, 125000,
     {"429 Rate limit reached\n",
      "  Not retrying: the server asked for a wait longer than max_server_wait; the limit resets "
      "in 2 min 5 s\n"},
     {NULL}},
    {"a cancel is not explained as a refusal to retry", GUIDE_CANCELLED, 0, NULL, NULL, NULL, NULL,
     "https://api.openai.com/v1", RETRY_NO_CANCELLED, 0, {"Request cancelled\n"},
     {"Not retrying"}},
};

static void test_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof text_cases / sizeof *text_cases; i++) {
        const text_case *t = &text_cases[i];
        explain_ctx cx = openai_ctx();
        cx.base_url = (char *)t->base_url;
        failure f = make_failure(t->entry, GUIDE_T_NONE, t->status, LIMIT_UNKNOWN);
        f.err_message = xstrdup(t->message);
        f.html_title = xstrdup(t->html_title);
        f.request_id = xstrdup(t->request_id);
        f.detail = xstrdup(t->detail);
        retry_decision d = {t->verdict, t->delay_ms, DELAY_BACKOFF, true};
        buf b;
        buf_init(&b);
        explain_text(&b, &cx, &f, &d);
        const char *text = buf_str(&b);
        /* The catalog's cause and numbered steps, under their headings. */
        const guide_text *g = guide_entry_text(t->entry, GUIDE_LANG_EN);
        char *cause = xasprintf("\n  Cause: %s\n", g->cause);
        assert_non_null(strstr(text, cause));
        free(cause);
        if (g->nsteps) {
            /* One-shot mode's wording of the steps: no key of the chat. */
            assert_non_null(strstr(text, "\n  What to do:\n"));
            char *last = xasprintf("    %zu. %s\n", g->nsteps, g->steps_cli[g->nsteps - 1]);
            assert_non_null(strstr(text, last));
            free(last);
        }
        if (g->nreasons) {
            char *first = xasprintf("\n  Possible reasons:\n    · %s\n", g->reasons[0]);
            assert_non_null(strstr(text, first));
            free(first);
        }
        const char *at = text;
        for (size_t k = 0; k < 8 && t->present[k]; k++) {
            const char *hit = strstr(at, t->present[k]);
            if (!hit) {
                print_error("%s: \"%s\" missing or out of order in:\n%s", t->name, t->present[k],
                            text);
                fail();
            }
            at = hit;
        }
        for (size_t k = 0; k < 4 && t->absent[k]; k++) {
            if (strstr(text, t->absent[k])) {
                print_error("%s: \"%s\" should not be in:\n%s", t->name, t->absent[k], text);
                fail();
            }
        }
        assert_true(str_starts_with(text, t->present[0]));
        buf_free(&b);
        failure_free(&f);
    }
}

/* ---------------------------------------------------------------- JSON */

typedef struct json_case {
    const char *name;
    guide_entry entry;
    guide_type type;
    long status;
    const char *message, *html_title;
    retry_verdict verdict;
    int64_t delay_ms;
    delay_source source;
    int exit_code;
} json_case;

static const json_case json_cases[] = {
    {"retrying", GUIDE_RATE_LIMIT, GUIDE_T_RATE_LIMIT, 429, "Rate limit \"hit\"\nslow down", NULL,
     RETRY_YES, 4000, DELAY_RETRY_AFTER, 0},
    {"given up", GUIDE_SERVER_ERROR, GUIDE_T_NONE, 500, NULL, NULL, RETRY_NO_EXHAUSTED, 0,
     DELAY_NONE, 6},
    {"too long a wait", GUIDE_RATE_LIMIT, GUIDE_T_RATE_LIMIT, 429, "wait", NULL,
     RETRY_NO_TOO_LONG, 3600000, DELAY_RESET_TOKENS, 4},
    {"no status", GUIDE_DNS, GUIDE_T_API_CONNECTION, 0, NULL, NULL, RETRY_NO_DISABLED, 0,
     DELAY_NONE, 7},
    {"a gateway page: its title is the message", GUIDE_GATEWAY, GUIDE_T_NONE, 502, NULL,
     "502 Bad Gateway", RETRY_NO_EXHAUSTED, 0, DELAY_NONE, 6},
};

static const char *str_member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_json(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof json_cases / sizeof *json_cases; i++) {
        const json_case *t = &json_cases[i];
        explain_ctx cx = openai_ctx();
        cx.status_url = "https://status.example.com/";
        failure f = make_failure(t->entry, t->type, t->status, LIMIT_UNKNOWN);
        f.err_message = xstrdup(t->message);
        f.html_title = xstrdup(t->html_title);
        f.request_id = xstrdup("req_9");
        retry_decision d = {t->verdict, t->delay_ms, t->source, true};
        buf b;
        buf_init(&b);
        explain_json(&b, &cx, &f, &d, 2, 5, t->exit_code);
        assert_null(strchr(buf_str(&b), '\n')); /* one line */
        cJSON *o = cJSON_Parse(buf_str(&b));
        if (!o) {
            print_error("%s: not JSON: %s\n", t->name, buf_str(&b));
            fail();
        }
        const guide_text *g = guide_entry_text(t->entry, GUIDE_LANG_EN);
        assert_string_equal(str_member(o, "entry"), guide_entry_id(t->entry));
        assert_string_equal(str_member(o, "type"), guide_type_name(t->type));
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
        if (t->status)
            assert_true(cJSON_IsNumber(st) && st->valuedouble == t->status);
        else
            assert_true(cJSON_IsNull(st));
        assert_string_equal(str_member(o, "net"), "ok");
        assert_string_equal(str_member(o, "title"), g->title);
        assert_string_equal(str_member(o, "cause"), g->cause);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "steps")),
                         (int)g->nsteps);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "reasons")),
                         (int)g->nreasons);
        /* The library type's cause and steps, when there is a type. */
        const guide_text *tt = guide_type_text(t->type, GUIDE_LANG_EN);
        const cJSON *tsteps = cJSON_GetObjectItemCaseSensitive(o, "type_steps");
        assert_true(cJSON_IsArray(tsteps));
        if (tt) {
            assert_string_equal(str_member(o, "type_cause"), tt->cause);
            assert_int_equal(cJSON_GetArraySize(tsteps), (int)tt->nsteps);
            assert_string_equal(cJSON_GetArrayItem(tsteps, 0)->valuestring, tt->steps_cli[0]);
        } else {
            assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "type_cause")));
            assert_int_equal(cJSON_GetArraySize(tsteps), 0);
        }
        /* The links, with the profile's status page. */
        const cJSON *links = cJSON_GetObjectItemCaseSensitive(o, "links");
        assert_int_equal(cJSON_GetArraySize(links), (int)g->nlinks);
        for (const cJSON *l = links->child; l; l = l->next) {
            assert_non_null(str_member(l, "label"));
            assert_string_not_equal(str_member(l, "url"), OPENAI_STATUS);
        }
        if (t->message || t->html_title)
            assert_string_equal(str_member(o, "message"), t->message ? t->message : t->html_title);
        else
            assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "message")));
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "error_type")));
        assert_string_equal(str_member(o, "request_id"), "req_9");
        assert_string_equal(str_member(o, "endpoint"), "https://api.openai.com/v1");
        assert_string_equal(str_member(o, "model"), "gpt-4o-mini");
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "attempt")->valuedouble, 2);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "attempts_max")->valuedouble, 5);
        bool retrying = t->verdict == RETRY_YES;
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "will_retry")), retrying);
        /* A delay when there is one to wait for; an exit code when none is retried. */
        const cJSON *delay = cJSON_GetObjectItemCaseSensitive(o, "delay_ms");
        bool has_delay = retrying || t->verdict == RETRY_NO_TOO_LONG;
        assert_int_equal(delay != NULL, has_delay);
        if (has_delay) {
            assert_true(delay->valuedouble == (double)t->delay_ms);
            assert_string_equal(str_member(o, "delay_source"), delay_source_name(t->source));
        }
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "exit_code");
        assert_int_equal(code != NULL, !retrying);
        if (!retrying) {
            assert_true(code->valuedouble == t->exit_code);
            assert_string_equal(str_member(o, "not_retried"), explain_verdict(&cx, t->verdict));
        } else {
            assert_null(cJSON_GetObjectItemCaseSensitive(o, "not_retried"));
        }
        cJSON_Delete(o);
        buf_free(&b);
        failure_free(&f);
    }
}

/* README.md's table of exit codes (the same as --help's, the man page's and docs/errors.md's,
 * which tests/integration/t_help.sh compares) gives every entry its code. */
static void test_exit_table(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    char err[256];
    fileio_read_opts ro = {.max = 1 << 20, .too_large = "too large"};
    assert_int_equal(fileio_read(TCHAT_SOURCE_DIR "/README.md", &ro, &text, &len, NULL, err,
                                 sizeof err),
                     0);
    const char *table = strstr(text, "<!-- exit codes");
    const char *end = table ? strstr(table, "<!-- /exit codes -->") : NULL;
    assert_non_null(end);
    for (int e = 0; e < GUIDE__COUNT; e++) {
        char *needle = xasprintf("`%s`", guide_entry_id((guide_entry)e));
        const char *hit = strstr(table, needle);
        if (!hit || hit > end)
            fail_msg("README.md's exit codes lack %s", needle);
        const char *row = hit;
        while (row > table && row[-1] != '\n')
            row--;
        failure f = make_failure((guide_entry)e, GUIDE_T_NONE, 400, LIMIT_UNKNOWN);
        int code = explain_exit_code(&f);
        if (atoi(row + 2) != code)
            fail_msg("%s: README.md says %d, explain_exit_code %d", needle, atoi(row + 2), code);
        free(needle);
        failure_free(&f);
    }
    free(text);
}

/* ---------------------------------------------------------------- one-shot wording */

/* Keys and commands of the chat, which mean nothing to someone running tchat -p. */
static const char *const chat_only[] = {"F1",    "F2",      "F3",      "F4",     "F5",
                                        "F6",    "F7",      "F8",      "Ctrl-T", " /new",
                                        "(/new", " /model", "(/model", NULL};

static void assert_no_chat_keys(const char *what, const char *text)
{
    for (const char *const *k = chat_only; *k; k++)
        if (strstr(text, *k)) {
            print_error("%s mentions %s:\n%s\n", what, *k, text);
            fail();
        }
}

/* Every entry with every type, in both languages: the text and the JSON of one-shot mode
 * say no key of the chat, and show the type's cause and steps. */
static void test_oneshot_wording(void **state)
{
    (void)state;
    static const guide_lang langs[] = {GUIDE_LANG_EN, GUIDE_LANG_ZH_CN};
    for (size_t l = 0; l < 2; l++)
        for (int e = 0; e < GUIDE__COUNT; e++) {
            explain_ctx cx = openai_ctx();
            cx.lang = langs[l];
            guide_type ty = (guide_type)(e % GUIDE_T__COUNT);
            failure f = make_failure((guide_entry)e, ty, 400, LIMIT_UNKNOWN);
            retry_decision d = {RETRY_NO_STATUS, 0, DELAY_NONE, false};
            buf b;
            buf_init(&b);
            explain_text(&b, &cx, &f, &d);
            assert_no_chat_keys(guide_entry_id((guide_entry)e), buf_str(&b));
            const guide_text *tt = guide_type_text(ty, langs[l]);
            buf want;
            buf_init(&want);
            buf_puts(&want, "  ");
            explain_type_heading(&want, &cx, &f);
            buf_printf(&want, ": %s\n    1. %s\n", tt->cause, tt->steps_cli[0]);
            if (!strstr(buf_str(&b), buf_str(&want))) {
                print_error("%s: no \"%s\" in:\n%s", guide_entry_id((guide_entry)e), buf_str(&want),
                            buf_str(&b));
                fail();
            }
            buf_reset(&b);
            explain_json(&b, &cx, &f, &d, 1, 5, 9);
            assert_no_chat_keys(guide_entry_id((guide_entry)e), buf_str(&b));
            buf_free(&want);
            buf_free(&b);
            failure_free(&f);
        }
}

/* What the body said beyond its message: notes, in text and JSON; and Ollama's model as
 * the first step. */
static void test_notes_and_hints(void **state)
{
    (void)state;
    explain_ctx cx = openai_ctx();
    failure f = make_failure(GUIDE_MODERATION, GUIDE_T_INVALID_REQUEST, 403, LIMIT_UNKNOWN);
    f.flagged = xstrdup("harassment, violence");
    f.upstream = xstrdup("OpenAI");
    retry_decision d = {RETRY_NO_STATUS, 0, DELAY_NONE, false};
    buf b;
    buf_init(&b);
    explain_text(&b, &cx, &f, &d);
    assert_non_null(strstr(buf_str(&b), "\n  Flagged for: harassment, violence\n"));
    assert_non_null(strstr(buf_str(&b), "\n  Upstream provider: OpenAI\n"));
    buf_reset(&b);
    explain_json(&b, &cx, &f, &d, 1, 5, 9);
    cJSON *o = cJSON_Parse(buf_str(&b));
    assert_non_null(o);
    assert_string_equal(str_member(o, "flagged"), "harassment, violence");
    assert_string_equal(str_member(o, "upstream"), "OpenAI");
    const cJSON *notes = cJSON_GetObjectItemCaseSensitive(o, "notes");
    assert_int_equal(cJSON_GetArraySize(notes), 2);
    assert_string_equal(cJSON_GetArrayItem(notes, 0)->valuestring,
                        "Flagged for: harassment, violence");
    cJSON_Delete(o);
    failure_free(&f);

    f = make_failure(GUIDE_CONTEXT_LENGTH, GUIDE_T_INVALID_REQUEST, 400, LIMIT_UNKNOWN);
    f.n_prompt_tokens = 14429;
    f.n_ctx = 8192;
    buf_reset(&b);
    explain_text(&b, &cx, &f, &d);
    assert_non_null(
        strstr(buf_str(&b),
               "  The prompt has 14429 tokens; the server's context holds 8192 (n_ctx).\n"));
    failure_free(&f);

    f = make_failure(GUIDE_SPEND_CAP, GUIDE_T_RATE_LIMIT, 429, LIMIT_UNKNOWN);
    f.resumes = xstrdup("2026-09-01 at 00:00 UTC");
    buf_reset(&b);
    explain_text(&b, &cx, &f, &d);
    assert_non_null(strstr(buf_str(&b), "  Access resumes: 2026-09-01 at 00:00 UTC\n"));
    failure_free(&f);

    f = make_failure(GUIDE_MODEL_NOT_FOUND, GUIDE_T_INVALID_REQUEST, 404, LIMIT_UNKNOWN);
    f.model_name = xstrdup("llama3");
    f.hint = HINT_OLLAMA_PULL;
    buf_reset(&b);
    explain_text(&b, &cx, &f, &d);
    assert_non_null(strstr(buf_str(&b),
                           "  What to do:\n    1. Download the model first: ollama pull llama3\n"));
    buf_reset(&b);
    explain_json(&b, &cx, &f, &d, 1, 5, 9);
    o = cJSON_Parse(buf_str(&b));
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(o, "steps");
    assert_string_equal(cJSON_GetArrayItem(steps, 0)->valuestring,
                        "Download the model first: ollama pull llama3");
    assert_int_equal(cJSON_GetArraySize(steps),
                     (int)guide_entry_text(GUIDE_MODEL_NOT_FOUND, GUIDE_LANG_EN)->nsteps + 1);
    cJSON_Delete(o);
    failure_free(&f);
    buf_free(&b);
}

/* ---------------------------------------------------------------- exit codes */

typedef struct exit_case {
    guide_entry entry;
    long status;
    int want;
} exit_case;

static const exit_case exit_cases[] = {
    {GUIDE_AUTH_INVALID, 401, 3},
    {GUIDE_AUTH_INCORRECT_KEY, 401, 3},
    {GUIDE_AUTH_NO_ORG, 401, 3},
    {GUIDE_RATE_LIMIT, 429, 4},
    {GUIDE_QUOTA, 429, 5},
    {GUIDE_OVERLOADED, 429, 6},
    {GUIDE_OVERLOADED, 503, 6},
    {GUIDE_SERVER_ERROR, 500, 6},
    {GUIDE_CREDITS, 402, 5},
    {GUIDE_CREDITS, 400, 5},
    {GUIDE_SPEND_CAP, 429, 5},
    {GUIDE_BILLING_INACTIVE, 429, 5},
    {GUIDE_MODERATION, 403, 9},
    {GUIDE_MODEL_LOADING, 503, 6},
    {GUIDE_MODEL_NOT_LOADED, 400, 9},
    {GUIDE_DEPLOYMENT_NOT_FOUND, 404, 9},
    {GUIDE_REQUEST_TOO_LARGE, 413, 9},
    {GUIDE_REQUEST_TOO_LARGE, 429, 9},
    {GUIDE_MODEL_NOT_FOUND, 403, 9},
    {GUIDE_CONTEXT_LENGTH, 500, 9},
    {GUIDE_FORBIDDEN_REGION, 403, 3},
    {GUIDE_MODEL_NOT_FOUND, 404, 9},
    {GUIDE_NOT_FOUND, 404, 9},
    {GUIDE_CONTEXT_LENGTH, 400, 9},
    {GUIDE_BAD_REQUEST, 400, 9},
    {GUIDE_GATEWAY, 502, 6},
    {GUIDE_TIMEOUT, 0, 8},
    {GUIDE_FIRST_TOKEN_TIMEOUT, 0, 8},
    {GUIDE_DNS, 0, 7},
    {GUIDE_CONNECT_REFUSED, 0, 7},
    {GUIDE_CONNECTION, 0, 7},
    {GUIDE_TLS, 0, 7},
    {GUIDE_PROXY, 0, 7},
    {GUIDE_STREAM_INTERRUPTED, 200, 7},
    {GUIDE_STREAM_ERROR, 200, 6},
    {GUIDE_MALFORMED_RESPONSE, 200, 6},
    {GUIDE_NO_KEY, 0, 3},
    {GUIDE_TLS_PLAIN_HTTP, 0, 7},
    {GUIDE_PROXY_AUTH, 407, 7},
    {GUIDE_INSECURE_HTTP, 0, 2},
    {GUIDE_REPLY_TOO_LONG, 200, 1},
    {GUIDE_CANCELLED, 0, 130},
    {GUIDE__COUNT, 0, 1},
};

static void test_exit_code(void **state)
{
    (void)state;
    bool seen[GUIDE__COUNT] = {false};
    for (size_t i = 0; i < sizeof exit_cases / sizeof *exit_cases; i++) {
        const exit_case *t = &exit_cases[i];
        failure f = make_failure(t->entry, GUIDE_T_NONE, t->status, LIMIT_UNKNOWN);
        int got = explain_exit_code(&f);
        if (got != t->want) {
            print_error("%s (%ld): want %d, got %d\n",
                        t->entry < GUIDE__COUNT ? guide_entry_id(t->entry) : "none", t->status,
                        t->want, got);
            fail();
        }
        if (t->entry < GUIDE__COUNT)
            seen[t->entry] = true;
    }
    for (int e = 0; e < GUIDE__COUNT; e++)
        if (!seen[e]) {
            print_error("no exit code case for %s\n", guide_entry_id((guide_entry)e));
            fail();
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_title),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_delay_source),
        cmocka_unit_test(test_retrying),
        cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_provider_links),
        cmocka_unit_test(test_provider_words),
        cmocka_unit_test(test_foreign_endpoint),
        cmocka_unit_test(test_ctx_from_config),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_exit_code),
        cmocka_unit_test(test_exit_table),
        cmocka_unit_test(test_oneshot_wording),
        cmocka_unit_test(test_notes_and_hints),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
