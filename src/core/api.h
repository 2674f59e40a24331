/* The Chat Completions wire format on cJSON: request bodies, stream chunks,
 * plain completions, error envelopes, model lists and the status page. */
#ifndef TCHAT_API_H
#define TCHAT_API_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { API_ROLE_SYSTEM, API_ROLE_USER, API_ROLE_ASSISTANT } api_role;
const char *api_role_name(api_role r);

typedef struct api_message {
    api_role role;
    const char *content;
} api_message;

typedef struct api_request {
    const char *model;
    const api_message *messages;
    size_t nmessages;
    bool stream;
    double temperature;       /* < 0: not sent */
    long max_tokens;          /* <= 0: not sent (as max_completion_tokens) */
} api_request;

/* Returns the JSON body (malloc'd, caller frees). */
char *api_build_chat_body(const api_request *req);

/* What one stream event (or a whole non-streamed completion) contained. */
typedef enum {
    API_EV_CONTENT,   /* text: a content delta (raw, not yet sanitised) */
    API_EV_REFUSAL,   /* text: a refusal delta */
    API_EV_REASONING, /* text: reasoning (delta.reasoning_content, else delta.reasoning; in a
                         completion message.reasoning_content or .reasoning), raw. A
                         <think> block in the content is the caller's (think.h) */
    API_EV_FINISH,    /* text: finish_reason ("stop", "length", "content_filter", ...) */
    API_EV_USAGE,     /* prompt/completion/total tokens */
    API_EV_MODEL,     /* text: the model that answered */
    API_EV_DONE,      /* data: [DONE] */
    API_EV_ERROR,     /* text: the JSON of the error (an envelope or the error object) */
} api_event_kind;

typedef struct api_event {
    api_event_kind kind;
    const char *text;
    size_t len;
    long prompt_tokens, completion_tokens, total_tokens;
} api_event;

typedef void (*api_event_cb)(void *ud, const api_event *ev);

/* One SSE event (event name, data). Returns 0, or -1 when the data is not the
 * JSON it should be (a malformed response). "event: error", or a data object
 * with an "error" member, yields API_EV_ERROR. */
int api_parse_stream_event(const char *event, size_t event_len, const char *data, size_t data_len,
                           api_event_cb cb, void *ud);
/* A non-streamed chat.completion body. 0 or -1 (malformed). An object with an
 * "error" member yields API_EV_ERROR. */
int api_parse_completion(const char *body, size_t len, api_event_cb cb, void *ud);

/* GET /models: fills *ids with malloc'd model ids (sorted), returns the count,
 * or -1 when the body is not a model list. Free with api_free_strings. */
long api_parse_models(const char *body, size_t len, char ***ids);
void api_free_strings(char **v, size_t n);

/* Statuspage /api/v2/status.json: {"status": {"indicator", "description"}}.
 * Returns 0 and malloc'd strings, or -1. */
int api_parse_status_page(const char *body, size_t len, char **indicator, char **description);

#endif
