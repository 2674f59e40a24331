/* tchat-mock routing: one thread per connection answers its requests in turn and logs
 * each one. */
#include "mock_server.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mock_chat.h"
#include "mock_http.h"
#include "mock_scenario.h"
#include "mock_util.h"

static mock_config g_cfg;
static double g_start_ms;
static FILE *g_log;
static unsigned long long g_seq;
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int g_active;

static const char no_key_message[] =
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API "
    "key from https://platform.openai.com/account/api-keys.";

static const char bad_json_message[] =
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)";

bool mock_server_init(const mock_config *cfg, char *err, size_t errlen)
{
    g_cfg = *cfg;
    g_start_ms = mock_mono_ms();
    if (cfg->log_path) {
        g_log = fopen(cfg->log_path, "a");
        if (!g_log) {
            snprintf(err, errlen, "%s: cannot open the log for appending", cfg->log_path);
            return false;
        }
    }
    return true;
}

void mock_server_stop(void)
{
    /* Kept locked: the process is about to exit and no thread may write a half line. */
    pthread_mutex_lock(&g_log_lock);
    if (g_log)
        fclose(g_log);
    g_log = NULL;
}

int mock_connections_active(void)
{
    return atomic_load(&g_active);
}

void mock_connection_opened(void)
{
    atomic_fetch_add(&g_active, 1);
}

void mock_connection_closed(void)
{
    atomic_fetch_sub(&g_active, 1);
}

/* ---- the request log ---- */

/* "sk-…wxyz": the first 3 and last 4 characters; shorter keys show nothing at all. */
static void mask_token(mock_buf *b, const char *tok, size_t n)
{
    if (n >= 12) {
        mock_buf_add(b, tok, 3);
        mock_buf_adds(b, "\xe2\x80\xa6");
        mock_buf_add(b, tok + n - 4, 4);
    } else {
        mock_buf_adds(b, "\xe2\x80\xa6");
    }
}

/* The masked Authorization header ("Bearer sk-…wxyz"); malloc'd, the caller frees it. */
static char *mask_auth(const char *auth)
{
    mock_buf b = {0};
    const char *sp = strchr(auth, ' ');
    const char *tok = auth;
    if (sp) {
        mock_buf_add(&b, auth, (size_t)(sp - auth + 1));
        tok = sp + 1;
        while (*tok == ' ')
            tok++;
    }
    mask_token(&b, tok, strlen(tok));
    return b.data;
}

/* The token of "Authorization: Bearer TOKEN", or NULL. */
static const char *bearer_token(const mock_request *r)
{
    const char *auth = mock_request_header(r, "authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    auth += 7;
    while (*auth == ' ')
        auth++;
    return *auth ? auth : NULL;
}

/* The key a request carries: Azure's deployments API takes it as "api-key", the rest as
 * "Authorization: Bearer". */
static const char *request_key(const mock_request *r)
{
    const char *path = r->path ? r->path : "";
    if (strncmp(path, "/openai/deployments/", 20) == 0) {
        const char *k = mock_request_header(r, "api-key");
        return k && *k ? k : NULL;
    }
    return bearer_token(r);
}

static cJSON *string_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* Whether a header's value is a credential, as a client treats it: its name says auth, key,
 * token, secret, password or cookie. */
static bool secret_name(const char *name)
{
    static const char *const words[] = {"auth", "key", "token", "secret", "password", "cookie"};
    char low[128];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof low; n++)
        low[n] = (char)tolower((unsigned char)name[n]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(low, words[i]))
            return true;
    return false;
}

/* Every request header by its lower-case name (the last of a repeated one), a credential
 * masked as "auth" is. */
static cJSON *log_headers(const mock_request *r)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < r->n_headers; i++) {
        char name[128];
        size_t n = 0;
        for (; r->hname[i][n] && n + 1 < sizeof name; n++)
            name[n] = (char)tolower((unsigned char)r->hname[i][n]);
        name[n] = '\0';
        char *masked = secret_name(name) ? mask_auth(r->hvalue[i]) : NULL;
        cJSON_DeleteItemFromObjectCaseSensitive(o, name);
        cJSON_AddItemToObject(o, name, cJSON_CreateString(masked ? masked : r->hvalue[i]));
        free(masked);
    }
    return o;
}

/* A log record with what the request itself says; the router fills in the rest. */
static cJSON *log_begin(const mock_conn *c, const mock_request *r, const char *request_id)
{
    cJSON *log = cJSON_CreateObject();
    char t[64];
    snprintf(t, sizeof t, "%.3f", c->req_ms - g_start_ms);
    cJSON_AddNumberToObject(log, "seq", 0);
    cJSON_AddRawToObject(log, "t_ms", t);
    cJSON_AddItemToObject(log, "request_id", cJSON_CreateString(request_id));
    cJSON_AddItemToObject(log, "method", string_or_null(r->method));
    cJSON_AddItemToObject(log, "path", string_or_null(r->target));
    cJSON_AddNullToObject(log, "scenario");
    cJSON_AddNullToObject(log, "step");
    cJSON_AddNullToObject(log, "status");
    cJSON_AddNullToObject(log, "model");
    cJSON_AddFalseToObject(log, "stream");
    const char *auth = mock_request_header(r, "authorization");
    char *masked = auth ? mask_auth(auth) : NULL;
    cJSON_AddItemToObject(log, "auth", string_or_null(masked));
    free(masked);
    const char *api_key = mock_request_header(r, "api-key");
    masked = api_key ? mask_auth(api_key) : NULL;
    cJSON_AddItemToObject(log, "api_key", string_or_null(masked));
    free(masked);
    const char *query = r->target ? strchr(r->target, '?') : NULL;
    cJSON_AddItemToObject(log, "query", string_or_null(query ? query + 1 : NULL));
    bool auth_ok = true;
    if (g_cfg.require_key) {
        const char *tok = request_key(r);
        auth_ok = tok && strcmp(tok, g_cfg.require_key) == 0;
    }
    cJSON_AddBoolToObject(log, "auth_ok", auth_ok);
    cJSON_AddItemToObject(log, "user_agent", string_or_null(mock_request_header(r, "user-agent")));
    cJSON_AddItemToObject(log, "organization",
                          string_or_null(mock_request_header(r, "openai-organization")));
    cJSON_AddItemToObject(log, "project", string_or_null(mock_request_header(r, "openai-project")));
    cJSON_AddItemToObject(log, "content_type",
                          string_or_null(mock_request_header(r, "content-type")));
    cJSON_AddNullToObject(log, "messages");
    cJSON_AddNullToObject(log, "params");
    cJSON_AddNumberToObject(log, "body_bytes", (double)r->body_len);
    cJSON_AddItemToObject(log, "headers", log_headers(r));
    return log;
}

static void log_set(cJSON *log, const char *key, cJSON *value)
{
    cJSON_ReplaceItemInObjectCaseSensitive(log, key, value);
}

/* Numbers the record, writes it as one line and frees it. status 0 logs null. */
static void log_commit(cJSON *log, int status)
{
    if (status)
        log_set(log, "status", cJSON_CreateNumber(status));
    pthread_mutex_lock(&g_log_lock);
    g_seq++;
    if (g_log) {
        log_set(log, "seq", cJSON_CreateNumber((double)g_seq));
        char *line = cJSON_PrintUnformatted(log);
        if (line) {
            fputs(line, g_log);
            fputc('\n', g_log);
            fflush(g_log);
            free(line);
        }
    }
    pthread_mutex_unlock(&g_log_lock);
    cJSON_Delete(log);
}

/* ---- routes ---- */

typedef struct route {
    mock_conn *c;
    const mock_request *r;
    mock_hdrs hdrs;
    cJSON *log;
    bool close;          /* close the connection after this response */
} route;

static void set_close(route *rt)
{
    rt->close = true;
    mock_hdrs_set(&rt->hdrs, "connection", "close");
}

/* Logs the request with the status it gets, unless a step did so already. */
static void log_status(route *rt, int status)
{
    if (rt->log)
        log_commit(rt->log, status);
    rt->log = NULL;
}

static void reply_error(route *rt, int status, const char *message, const char *type,
                        const char *param, const char *code)
{
    log_status(rt, status);
    char *body = mock_error_json(message, type, param, code);
    mock_send_simple(rt->c, status, &rt->hdrs, "application/json", body, strlen(body));
    free(body);
}

static void reply_json(route *rt, int status, cJSON *json)
{
    log_status(rt, status);
    char *text = cJSON_PrintUnformatted(json);
    mock_buf body = {0};
    mock_buf_adds(&body, text);
    mock_buf_adds(&body, "\n");
    free(text);
    mock_send_simple(rt->c, status, &rt->hdrs, "application/json", body.data, body.len);
    mock_buf_free(&body);
}

/* A step of a scenario used outside chat (the "models" scenario): headers, delay, hangup
 * and fixed bodies apply. Returns false when the caller should still send its normal
 * answer (a 2xx step without a body). */
static bool answer_with_step(route *rt, const char *scenario)
{
    size_t idx = 0;
    const mock_step *st = mock_scenario_next(scenario, &idx);
    bool plain = mock_step_is_plain(st);
    log_set(rt->log, "scenario", cJSON_CreateString(scenario));
    log_set(rt->log, "step", cJSON_CreateNumber((double)idx));
    if (st->close)
        set_close(rt);
    log_status(rt, plain || st->hangup ? mock_step_status(st) : 200);
    mock_step_headers(st, &rt->hdrs);
    if (st->delay_ms > 0 && !mock_wait(rt->c, st->delay_ms))
        return true;
    if (st->hangup) {
        mock_hangup(rt->c, st->rst);
        return true;
    }
    if (plain)
        mock_send_plain(rt->c, st, &rt->hdrs);
    return plain;
}

static void route_models(route *rt)
{
    if (mock_models_scenario() && answer_with_step(rt, mock_models_scenario()))
        return;
    static const char *const ids[] = {"gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini",
                                      "o4-mini", "mock-ok"};
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "object", "list");
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "id", ids[i]);
        cJSON_AddStringToObject(m, "object", "model");
        cJSON_AddNumberToObject(m, "created", 1715367049);
        cJSON_AddStringToObject(m, "owned_by", strncmp(ids[i], "mock-", 5) ? "system"
                                                                            : "tchat-mock");
        cJSON_AddItemToArray(data, m);
    }
    reply_json(rt, 200, root);
    cJSON_Delete(root);
}

static void route_status_page(route *rt)
{
    int http = mock_status_http();
    if (http) {
        log_status(rt, http);
        char *page = mock_html_page(http);
        mock_send_simple(rt->c, http, &rt->hdrs, "text/html", page, strlen(page));
        free(page);
        return;
    }
    char now[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    cJSON *root = cJSON_CreateObject();
    cJSON *page = cJSON_AddObjectToObject(root, "page");
    cJSON_AddStringToObject(page, "id", "mock");
    cJSON_AddStringToObject(page, "name", "OpenAI (tchat-mock)");
    cJSON_AddStringToObject(page, "url", "https://status.openai.com");
    cJSON_AddStringToObject(page, "time_zone", "Etc/UTC");
    cJSON_AddStringToObject(page, "updated_at", now);
    cJSON *status = cJSON_AddObjectToObject(root, "status");
    cJSON_AddStringToObject(status, "indicator", mock_status_indicator());
    cJSON_AddStringToObject(status, "description", mock_status_description());
    reply_json(rt, 200, root);
    cJSON_Delete(root);
}

/* Text of a message's content: a string, or the text parts of an array. */
static void content_text(const cJSON *content, mock_buf *out)
{
    if (cJSON_IsString(content)) {
        mock_buf_adds(out, content->valuestring);
        return;
    }
    if (!cJSON_IsArray(content))
        return;
    const cJSON *part;
    cJSON_ArrayForEach(part, content) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(text))
            mock_buf_adds(out, text->valuestring);
    }
}

/* "[[mock:NAME]]" in text selects a scenario; copies NAME into out. */
static bool marker_scenario(const char *text, char *out, size_t outlen)
{
    const char *p = text ? strstr(text, "[[mock:") : NULL;
    if (!p)
        return false;
    p += 7;
    const char *end = strstr(p, "]]");
    if (!end || end == p || (size_t)(end - p) >= outlen)
        return false;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return true;
}

static void route_chat(route *rt)
{
    /* cJSON's parser writes a global error position: parse one body at a time. */
    static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&parse_lock);
    cJSON *body = cJSON_ParseWithLength(rt->r->body, rt->r->body_len);
    pthread_mutex_unlock(&parse_lock);
    mock_buf echo = {0};
    if (!cJSON_IsObject(body)) {
        reply_error(rt, 400, bad_json_message, "invalid_request_error", NULL, NULL);
        goto out;
    }
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(body, "messages");
    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(body, "stream");
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    cJSON *params = cJSON_Duplicate(body, true);
    cJSON_DeleteItemFromObjectCaseSensitive(params, "messages");
    log_set(rt->log, "params", params);
    log_set(rt->log, "stream", cJSON_CreateBool(cJSON_IsTrue(stream)));
    if (messages)
        log_set(rt->log, "messages", cJSON_Duplicate(messages, true));
    if (!cJSON_IsString(model)) {
        reply_error(rt, 400, "you must provide a model parameter", "invalid_request_error",
                    NULL, NULL);
        goto out;
    }
    log_set(rt->log, "model", cJSON_CreateString(model->valuestring));
    if (!cJSON_IsArray(messages)) {
        reply_error(rt, 400, "Missing required parameter: 'messages'.",
                    "invalid_request_error", "messages", "missing_required_parameter");
        goto out;
    }

    /* The echo and a rough prompt token count (4 bytes a token, 4 tokens a message). */
    long prompt_tokens = 3;
    const cJSON *m;
    const cJSON *last_user = NULL;
    cJSON_ArrayForEach(m, messages) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        mock_buf text = {0};
        content_text(cJSON_GetObjectItemCaseSensitive(m, "content"), &text);
        prompt_tokens += 4 + (long)(text.len / 4);
        mock_buf_free(&text);
        if (cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0)
            last_user = m;
    }
    if (last_user)
        content_text(cJSON_GetObjectItemCaseSensitive(last_user, "content"), &echo);

    char name[128];
    if (!marker_scenario(echo.data, name, sizeof name)) {
        const char *mn = model->valuestring;
        snprintf(name, sizeof name, "%s",
                 strncmp(mn, "mock-", 5) == 0 ? mn + 5 : g_cfg.default_scenario);
    }
    log_set(rt->log, "scenario", cJSON_CreateString(name));
    size_t step_index = 0;
    const mock_step *st = mock_scenario_next(name, &step_index);
    if (!st) {
        char *known = mock_scenario_names(NULL);
        mock_buf msg = {0};
        mock_buf_printf(&msg, "Unknown mock scenario '%s' (model '%s'). Known scenarios: %s.",
                        name, model->valuestring, known);
        reply_error(rt, 400, msg.data, "invalid_request_error", "model", "unknown_scenario");
        mock_buf_free(&msg);
        free(known);
        goto out;
    }
    log_set(rt->log, "step", cJSON_CreateNumber((double)step_index));
    if (st->close)
        set_close(rt);
    log_status(rt, mock_step_status(st));

    static const char *const ratelimit[][2] = {
        {"x-ratelimit-limit-requests", "60"},    {"x-ratelimit-remaining-requests", "59"},
        {"x-ratelimit-reset-requests", "1s"},    {"x-ratelimit-limit-tokens", "150000"},
        {"x-ratelimit-remaining-tokens", "149000"}, {"x-ratelimit-reset-tokens", "6m0s"},
    };
    for (size_t i = 0; i < sizeof ratelimit / sizeof ratelimit[0]; i++)
        mock_hdrs_set(&rt->hdrs, ratelimit[i][0], ratelimit[i][1]);
    mock_chat ch = {
        .conn = rt->c,
        .step = st,
        .hdrs = &rt->hdrs,
        .model = model->valuestring,
        .echo = echo.data ? echo.data : "",
        .key = bearer_token(rt->r),
        .stream = cJSON_IsTrue(stream),
        .include_usage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opts, "include_usage")),
        .prompt_tokens = prompt_tokens,
    };
    mock_chat_respond(&ch);
out:
    mock_buf_free(&echo);
    cJSON_Delete(body);
}

static bool is_v1(const char *path)
{
    return strcmp(path, "/v1") == 0 || strncmp(path, "/v1/", 4) == 0 ||
           strncmp(path, "/openai/", 8) == 0;
}

/* POST /openai/deployments/NAME/chat/completions: Azure's deployments API. */
static bool azure_chat_path(const char *path)
{
    static const char pre[] = "/openai/deployments/", post[] = "/chat/completions";
    size_t n = strlen(path), np = sizeof pre - 1, ns = sizeof post - 1;
    if (n <= np + ns || strncmp(path, pre, np) != 0 || strcmp(path + n - ns, post) != 0)
        return false;
    return memchr(path + np, '/', n - np - ns) == NULL; /* one segment: the deployment */
}

/* Whether the query of the request target has api-version=VALUE with a value. */
static bool has_api_version(const mock_request *r)
{
    const char *q = r->target ? strchr(r->target, '?') : NULL;
    for (const char *p = q; p; p = strchr(p + 1, '&'))
        if (strncmp(p + 1, "api-version=", 12) == 0 && p[13] && p[13] != '&')
            return true;
    return false;
}

/* Answers one request; returns whether the connection may carry another. */
static bool handle(mock_conn *c, const mock_request *r)
{
    char request_id[48];
    char date[64];
    mock_request_id(request_id, sizeof request_id);
    mock_http_date(time(NULL), date, sizeof date);
    route rt = {.c = c, .r = r};
    rt.log = log_begin(c, r, request_id);
    mock_hdrs_set(&rt.hdrs, "date", date);
    mock_hdrs_set(&rt.hdrs, "server", "tchat-mock");
    mock_hdrs_set(&rt.hdrs, "connection", r->keep_alive ? "keep-alive" : "close");
    mock_hdrs_set(&rt.hdrs, "x-request-id", request_id);
    mock_hdrs_set(&rt.hdrs, "openai-version", "2020-10-01");
    mock_hdrs_set(&rt.hdrs, "openai-organization", "org-mock");
    rt.close = !r->keep_alive;

    const char *path = r->path;
    bool post = strcmp(r->method, "POST") == 0;
    bool get = strcmp(r->method, "GET") == 0;
    if (is_v1(path) && g_cfg.require_key) {
        const char *tok = request_key(r);
        if (!tok) {
            reply_error(&rt, 401, no_key_message, "invalid_request_error", NULL, NULL);
            goto out;
        }
        if (strcmp(tok, g_cfg.require_key) != 0) {
            mock_buf msg = {0};
            size_t n = strlen(tok);
            mock_buf_adds(&msg, "Incorrect API key provided: ");
            if (n >= 12) {
                mock_buf_add(&msg, tok, 5);
                mock_buf_adds(&msg, "***");
                mock_buf_add(&msg, tok + n - 4, 4);
            } else {
                mock_buf_adds(&msg, "***");
            }
            mock_buf_adds(&msg, ". You can find your API key at "
                                "https://platform.openai.com/account/api-keys.");
            reply_error(&rt, 401, msg.data, "invalid_request_error", NULL, "invalid_api_key");
            mock_buf_free(&msg);
            goto out;
        }
    }
    if (post && (strcmp(path, "/v1/chat/completions") == 0 ||
                 strcmp(path, "/openai/v1/chat/completions") == 0)) {
        route_chat(&rt);
    } else if (post && azure_chat_path(path)) {
        if (has_api_version(r))
            route_chat(&rt);
        else
            reply_error(&rt, 400,
                        "The api-version query parameter (?api-version=) is required "
                        "for all requests.",
                        "invalid_request_error", NULL, "MissingApiVersionParameter");
    } else if (get && (strcmp(path, "/v1/models") == 0 || strcmp(path, "/openai/v1/models") == 0)) {
        route_models(&rt);
    } else if (get && strcmp(path, "/api/v2/status.json") == 0) {
        route_status_page(&rt);
    } else if (post && strcmp(path, "/_mock/reset") == 0) {
        mock_scenarios_reset();
        cJSON *ok = cJSON_CreateObject();
        cJSON_AddTrueToObject(ok, "reset");
        reply_json(&rt, 200, ok);
        cJSON_Delete(ok);
    } else if (get && strcmp(path, "/_mock/scenarios") == 0) {
        cJSON *root = cJSON_CreateObject();
        mock_scenario_names(cJSON_AddArrayToObject(root, "scenarios"));
        cJSON_AddStringToObject(root, "default", g_cfg.default_scenario);
        reply_json(&rt, 200, root);
        cJSON_Delete(root);
    } else {
        mock_buf msg = {0};
        mock_buf_printf(&msg, "Invalid URL (%s %s)", r->method, path);
        reply_error(&rt, 404, msg.data, "invalid_request_error", NULL, NULL);
        mock_buf_free(&msg);
    }
out:
    log_status(&rt, 0);
    mock_hdrs_free(&rt.hdrs);
    return !rt.close;
}

/* A request that could not be parsed: 4xx, logged, and the connection closes. */
static void reject(mock_conn *c, const mock_request *r, mock_read_result res, const char *why)
{
    int status = res == MOCK_READ_HEAD_TOO_LARGE   ? 431
                 : res == MOCK_READ_BODY_TOO_LARGE ? 413
                 : res == MOCK_READ_NO_LENGTH      ? 411
                                                   : 400;
    char request_id[48];
    char date[64];
    mock_request_id(request_id, sizeof request_id);
    mock_http_date(time(NULL), date, sizeof date);
    if (c->req_ms <= 0)
        c->req_ms = mock_mono_ms();
    cJSON *log = log_begin(c, r, request_id);
    cJSON_AddStringToObject(log, "error", why);
    log_commit(log, status);
    mock_hdrs h = {0};
    mock_hdrs_set(&h, "date", date);
    mock_hdrs_set(&h, "server", "tchat-mock");
    mock_hdrs_set(&h, "connection", "close");
    mock_hdrs_set(&h, "x-request-id", request_id);
    char *body = mock_error_json(why, "invalid_request_error", NULL, NULL);
    mock_send_simple(c, status, &h, "application/json", body, strlen(body));
    free(body);
    mock_hdrs_free(&h);
    /* Close gently: unread request bytes would turn close() into a reset that can
     * destroy the response before the client reads it. */
    shutdown(c->fd, SHUT_WR);
    char scratch[4096];
    double deadline = mock_mono_ms() + 1000;
    while (mock_mono_ms() < deadline) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (recv(c->fd, scratch, sizeof scratch, 0) <= 0)
            break;
    }
}

void *mock_connection_main(void *arg)
{
    int fd = *(int *)arg;
    free(arg);
    mock_conn c = {.fd = fd};
    for (;;) {
        mock_request r;
        const char *why = "";
        mock_read_result res = mock_read_request(&c, &r, &why);
        if (res == MOCK_READ_OK) {
            bool again = handle(&c, &r);
            mock_request_free(&r);
            if (!again || c.gone)
                break;
            continue;
        }
        if (res != MOCK_READ_GONE)
            reject(&c, &r, res, why);
        mock_request_free(&r);
        break;
    }
    close(fd);
    free(c.in);
    mock_connection_closed();
    return NULL;
}
