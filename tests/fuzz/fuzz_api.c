/* Fuzzes the wire parsers with the input as a stream event's data (named
 * "message" and "error"), a completion body, a model list and a status page,
 * checking what each promises; and builds a request body around the input
 * as message content, which must parse back to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "util.h"

typedef struct {
    const char *data;
    size_t len;
    int done;
} expect;

static void on_event(void *ud, const api_event *ev)
{
    const expect *x = ud;
    switch (ev->kind) {
    case API_EV_CONTENT:
    case API_EV_REFUSAL:
    case API_EV_FINISH:
    case API_EV_MODEL:
        /* Strings that came out of JSON: non-empty C strings. */
        if (!ev->text || ev->len == 0 || strlen(ev->text) != ev->len)
            abort();
        break;
    case API_EV_ERROR:
    case API_EV_DONE:
        if (ev->text != x->data || ev->len != x->len)
            abort();
        break;
    case API_EV_USAGE:
        if (ev->prompt_tokens < 0 || ev->completion_tokens < 0 || ev->total_tokens < 0)
            abort();
        break;
    default:
        abort();
    }
}

static void check_body_roundtrip(const char *content)
{
    api_message m = {API_ROLE_USER, content};
    api_request req = {"model\"\\", &m, 1, true, 0.5, 100};
    char *body = api_build_chat_body(&req);
    cJSON *root = cJSON_Parse(body);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    const cJSON *first = cJSON_GetArrayItem(msgs, 0);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(first, "content");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsString(c) || strcmp(c->valuestring, content) != 0 || !cJSON_IsString(model) ||
        strcmp(model->valuestring, "model\"\\") != 0)
        abort();
    cJSON_Delete(root);
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    expect x = {p, size, 0};
    api_parse_stream_event("message", 7, p, size, on_event, &x);
    api_parse_stream_event("error", 5, p, size, on_event, &x);
    api_parse_completion(p, size, on_event, &x);

    char **ids;
    long n = api_parse_models(p, size, &ids);
    if (n < 0 && ids)
        abort();
    for (long i = 1; i < n; i++)
        if (strcmp(ids[i - 1], ids[i]) > 0)
            abort();
    api_free_strings(ids, n > 0 ? (size_t)n : 0);

    char *ind, *desc;
    if (api_parse_status_page(p, size, &ind, &desc) == 0) {
        if (!ind || !desc)
            abort();
        free(ind);
        free(desc);
    } else if (ind || desc) {
        abort();
    }

    char *content = xstrndup(p, size);
    check_body_roundtrip(content);
    free(content);
    return 0;
}
