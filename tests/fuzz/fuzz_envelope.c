/* Arbitrary bytes as an error body, through the classifier with the statuses
 * that matter and as an in-stream error; checks what reaches the screen. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "http.h"
#include "retry.h"

/* Text for the panel: capped, and free of control characters and escapes. */
static void check_text(const char *s, size_t cap)
{
    if (!s)
        return;
    size_t len = strlen(s);
    if (len > cap || len == 0)
        abort();
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
            abort();
    }
}

static void check_failure(const failure *f)
{
    if ((unsigned)f->entry >= GUIDE__COUNT || (unsigned)f->type > GUIDE_T_NONE)
        abort();
    check_text(f->err_message, 2000);
    check_text(f->err_type, 200);
    check_text(f->err_code, 200);
    check_text(f->err_param, 200);
    check_text(f->request_id, 200);
    check_text(f->html_title, 200);
    if (f->html_title && (strchr(f->html_title, '\n') || strchr(f->html_title, '\t')))
        abort();
    /* What the body says beyond its message: OpenRouter's metadata, Ollama's model, an
     * Anthropic date, Google's RetryInfo. */
    check_text(f->upstream, 200);
    check_text(f->flagged, 200);
    check_text(f->model_name, 200);
    check_text(f->resumes, 200);
    check_text(f->retry_delay, 200);
    if (f->n_prompt_tokens < 0 || f->n_ctx < 0 || (f->hint == HINT_OLLAMA_PULL && !f->model_name))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {400, 401, 402, 403, 404, 413, 429, 500, 502, 503};
    const char *body = (const char *)data;
    http_headers h;
    hdrs_init(&h);
    /* The first line doubles as a request id, so header text is fuzzed too. */
    const char *nl = memchr(body, '\n', size);
    hdrs_add(&h, "x-request-id", 12, body, nl ? (size_t)(nl - body) : size);
    hdrs_add(&h, "x-ratelimit-remaining-tokens", 28, "0", 1);

    failure f, copy;
    failure_init(&f);
    failure_init(&copy);
    retry_config cfg = RETRY_CONFIG_DEFAULT;
    for (size_t i = 0; i <= sizeof statuses / sizeof statuses[0]; i++) {
        bool in_stream = i == sizeof statuses / sizeof statuses[0];
        classify_input in = {
            .net = NET_OK,
            .status = in_stream ? 200 : statuses[i],
            .headers = &h,
            .body = body,
            .body_len = size,
            .in_stream = in_stream,
            .provider = i % 2 ? "openrouter" : NULL,
            .base_url = "https://api.together.xyz/v1",
        };
        classify(&in, &f);
        check_failure(&f);
        if (in_stream ? f.status != 200 : f.status != statuses[i])
            abort();
        failure_copy(&copy, &f);
        check_failure(&copy);
        retry_decision d = retry_decide(&cfg, &f, &h, 0, false, 0, 0.5);
        if (d.delay_ms < 0)
            abort();
    }

    char *title = classify_html_title(body, size);
    check_text(title, 200);
    free(title);
    failure e;
    failure_init(&e);
    classify_parse_envelope(body, size, &e);
    check_failure(&e);

    failure_free(&e);
    failure_free(&copy);
    failure_free(&f);
    hdrs_free(&h);
    return 0;
}
