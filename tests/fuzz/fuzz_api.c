/* Fuzzes the wire parsers with the input as a stream event's data (named
 * "message" and "error"), a completion body, a model list and a status page,
 * checking what each promises; builds a request body around the input
 * as message content, which must parse back to the same text; and splits a
 * leading <think> block off the input taken as a reply's content, cut in two
 * at a point the input gives, which must give what the whole does; and looks for a lone
 * </think>, whose reasoning must end before the answer begins. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "think.h"
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
    case API_EV_REASONING:
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

typedef struct split_out {
    buf reasoning, content;
} split_out;

static void on_think(void *ud, bool reasoning, const char *p, size_t n)
{
    split_out *o = ud;
    if (n == 0)
        abort();
    buf_append(reasoning ? &o->reasoning : &o->content, p, n);
}

static void think_run(const char *p, size_t size, size_t cut, split_out *o)
{
    think_split t;
    think_init(&t);
    buf_init(&o->reasoning);
    buf_init(&o->content);
    think_feed(&t, p, cut, on_think, o);
    think_feed(&t, p + cut, size - cut, on_think, o);
    think_finish(&t, on_think, o);
}

static bool same_buf(const buf *a, const buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* The split is the same however the content is cut, and never longer than it. */
static void check_think(const char *p, size_t size)
{
    split_out whole, cut;
    think_run(p, size, size, &whole);
    think_run(p, size, size ? (size_t)(unsigned char)p[0] * 31u % (size + 1) : 0, &cut);
    if (!same_buf(&whole.reasoning, &cut.reasoning) || !same_buf(&whole.content, &cut.content) ||
        whole.reasoning.len + whole.content.len > size)
        abort();
    /* Without a leading block, the content is the input itself. */
    if (!whole.reasoning.len && whole.content.len == size && size &&
        memcmp(whole.content.data, p, size) != 0)
        abort();
    buf_free(&whole.reasoning);
    buf_free(&whole.content);
    buf_free(&cut.reasoning);
    buf_free(&cut.content);
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
    check_think(p, size);
    size_t reason_len, answer_at;
    if (think_lone_close(p, size, &reason_len, &answer_at) &&
        (reason_len == 0 || reason_len >= answer_at || answer_at > size))
        abort();
    return 0;
}
