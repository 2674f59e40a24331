#include "api.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define API_ROLES(X)                                                                               \
    X(API_ROLE_SYSTEM, "system")                                                                       \
    X(API_ROLE_USER, "user")                                                                           \
    X(API_ROLE_ASSISTANT, "assistant")

const char *api_role_name(api_role r)
{
#define API_ROLE_NAME_(id, name) [id] = name,
    static const char *const names[] = {API_ROLES(API_ROLE_NAME_)};
#undef API_ROLE_NAME_
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

/* cJSON reports allocation failure as NULL; like xmalloc, treat it as fatal
 * rather than send a silently truncated request. */
static void *api_must(void *p)
{
    if (!p) {
        fprintf(stderr, "tchat: out of memory (cJSON)\n");
        abort();
    }
    return p;
}

char *api_build_chat_body(const api_request *req)
{
    cJSON *root = api_must(cJSON_CreateObject());
    api_must(cJSON_AddStringToObject(root, "model", req->model ? req->model : ""));
    cJSON *msgs = api_must(cJSON_AddArrayToObject(root, "messages"));
    for (size_t i = 0; i < req->nmessages; i++) {
        const api_message *m = &req->messages[i];
        cJSON *o = api_must(cJSON_CreateObject());
        cJSON_AddItemToArray(msgs, o);
        api_must(cJSON_AddStringToObject(o, "role", api_role_name(m->role)));
        api_must(cJSON_AddStringToObject(o, "content", m->content ? m->content : ""));
    }
    api_must(cJSON_AddBoolToObject(root, "stream", req->stream));
    if (req->stream) {
        cJSON *so = api_must(cJSON_AddObjectToObject(root, "stream_options"));
        api_must(cJSON_AddTrueToObject(so, "include_usage"));
    }
    /* NaN compares false; infinity would print as null. */
    if (req->temperature >= 0 && isfinite(req->temperature))
        api_must(cJSON_AddNumberToObject(root, "temperature", req->temperature));
    if (req->max_tokens > 0)
        api_must(cJSON_AddNumberToObject(root, "max_completion_tokens", (double)req->max_tokens));
    char *s = api_must(cJSON_PrintUnformatted(root));
    cJSON_Delete(root);
    return s;
}

/* cJSON_ParseWithLength accepts trailing garbage ("{} xyz"); a response
 * like that is malformed, so only whitespace may follow the value. */
static cJSON *api_parse_json(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root)
        return NULL;
    for (const char *p = end; p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            return NULL;
        }
    }
    return root;
}

static void api_emit_text(api_event_cb cb, void *ud, api_event_kind kind, const char *text,
                          size_t len)
{
    api_event ev = {.kind = kind, .text = text, .len = len};
    cb(ud, &ev);
}

static const char *api_string(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* An "error" member that is null (some servers send one on every chunk) is
 * not an error. */
static bool api_has_error(const cJSON *root)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    return e && !cJSON_IsNull(e);
}

static long api_token_count(const cJSON *usage, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(usage, name);
    /* Negative, NaN or absurd counts are treated as absent. */
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0) || it->valuedouble >= (double)(LONG_MAX / 2))
        return 0;
    return (long)it->valuedouble;
}

static void api_emit_usage(const cJSON *root, api_event_cb cb, void *ud)
{
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (!cJSON_IsObject(usage))
        return;
    api_event ev = {.kind = API_EV_USAGE, .text = NULL, .len = 0};
    ev.prompt_tokens = api_token_count(usage, "prompt_tokens");
    ev.completion_tokens = api_token_count(usage, "completion_tokens");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(usage, "total_tokens");
    ev.total_tokens = total ? api_token_count(usage, "total_tokens")
                            : ev.prompt_tokens + ev.completion_tokens;
    cb(ud, &ev);
}

static void api_emit_model(const cJSON *root, api_event_cb cb, void *ud)
{
    const char *model = api_string(root, "model");
    if (model && *model)
        api_emit_text(cb, ud, API_EV_MODEL, model, strlen(model));
}

/* The text members of a delta (stream) or a message (completion), then the
 * choice's finish_reason. Empty strings carry nothing and are not emitted. The
 * reasoning comes first, as it does in time: DeepSeek and vLLM call it
 * reasoning_content, OpenRouter reasoning; a server that sends both sends the same. */
static void api_emit_choice(const cJSON *choice, const char *inner, api_event_cb cb, void *ud)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, inner);
    if (cJSON_IsObject(msg)) {
        const char *reasoning = api_string(msg, "reasoning_content");
        if (!reasoning || !*reasoning)
            reasoning = api_string(msg, "reasoning");
        if (reasoning && *reasoning)
            api_emit_text(cb, ud, API_EV_REASONING, reasoning, strlen(reasoning));
        const char *content = api_string(msg, "content");
        if (content && *content)
            api_emit_text(cb, ud, API_EV_CONTENT, content, strlen(content));
        const char *refusal = api_string(msg, "refusal");
        if (refusal && *refusal)
            api_emit_text(cb, ud, API_EV_REFUSAL, refusal, strlen(refusal));
    }
    const char *finish = api_string(choice, "finish_reason");
    if (finish && *finish)
        api_emit_text(cb, ud, API_EV_FINISH, finish, strlen(finish));
}

static bool api_is_done(const char *data, size_t len)
{
    while (len && (data[len - 1] == ' ' || data[len - 1] == '\t'))
        len--;
    return len == 6 && memcmp(data, "[DONE]", 6) == 0;
}

int api_parse_stream_event(const char *event, size_t event_len, const char *data, size_t data_len,
                           api_event_cb cb, void *ud)
{
    if (api_is_done(data, data_len)) {
        api_emit_text(cb, ud, API_EV_DONE, data, data_len);
        return 0;
    }
    if (event && event_len == 5 && memcmp(event, "error", 5) == 0) {
        api_emit_text(cb, ud, API_EV_ERROR, data, data_len);
        return 0;
    }
    cJSON *root = api_parse_json(data, data_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return -1;
    }
    if (api_has_error(root)) {
        cJSON_Delete(root);
        api_emit_text(cb, ud, API_EV_ERROR, data, data_len);
        return 0;
    }
    api_emit_model(root, cb, ud);
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *first = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
    if (cJSON_IsObject(first))
        api_emit_choice(first, "delta", cb, ud);
    api_emit_usage(root, cb, ud);
    cJSON_Delete(root);
    return 0;
}

int api_parse_completion(const char *body, size_t len, api_event_cb cb, void *ud)
{
    cJSON *root = api_parse_json(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return -1;
    }
    if (api_has_error(root)) {
        cJSON_Delete(root);
        api_emit_text(cb, ud, API_EV_ERROR, body, len);
        return 0;
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    if (!cJSON_IsArray(choices)) {
        cJSON_Delete(root);
        return -1;
    }
    api_emit_model(root, cb, ud);
    const cJSON *first = cJSON_GetArrayItem(choices, 0);
    if (cJSON_IsObject(first))
        api_emit_choice(first, "message", cb, ud);
    api_emit_usage(root, cb, ud);
    cJSON_Delete(root);
    return 0;
}

static int api_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

long api_parse_models(const char *body, size_t len, char ***ids)
{
    *ids = NULL;
    cJSON *root = api_parse_json(body, len);
    const cJSON *list = NULL;
    if (cJSON_IsArray(root))
        list = root;
    else if (cJSON_IsObject(root))
        list = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return -1;
    }
    size_t cap = (size_t)cJSON_GetArraySize(list), n = 0;
    char **v = xmalloc_array(cap ? cap : 1, sizeof *v);
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        const char *id = api_string(it, "id");
        if (id && n < cap)
            v[n++] = xstrdup(id);
    }
    cJSON_Delete(root);
    if (n == 0 && cap > 0) {
        /* A non-empty list without a single id is something else. */
        free(v);
        return -1;
    }
    qsort(v, n, sizeof *v, api_cmp_str);
    *ids = v;
    return (long)n;
}

void api_free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int api_parse_status_page(const char *body, size_t len, char **indicator, char **description)
{
    *indicator = NULL;
    *description = NULL;
    cJSON *root = api_parse_json(body, len);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    const char *ind = api_string(status, "indicator");
    if (!cJSON_IsObject(root) || !cJSON_IsObject(status) || !ind) {
        cJSON_Delete(root);
        return -1;
    }
    const char *desc = api_string(status, "description");
    *indicator = xstrdup(ind);
    *description = xstrdup(desc ? desc : "");
    cJSON_Delete(root);
    return 0;
}
