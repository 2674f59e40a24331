/* tchat-mock responses: chat completions (SSE or JSON) and the faults a step asks for. */
#ifndef MOCK_CHAT_H
#define MOCK_CHAT_H

#include <stdbool.h>

#include "mock_http.h"
#include "mock_scenario.h"

/* One chat completion request, as the router parsed it. */
typedef struct mock_chat {
    mock_conn *conn;
    const mock_step *step;
    mock_hdrs *hdrs;         /* default headers already set; the step's are added */
    const char *model;
    const char *echo;        /* text of the last user message */
    const char *key;         /* the bearer token the request sent, or NULL */
    bool stream;
    bool include_usage;
    long prompt_tokens;
} mock_chat;

/* The status line a step answers with; 0 when it hangs up without answering. */
int mock_step_status(const mock_step *st);
/* Whether the step answers with a fixed body (error envelope, raw body, HTML page)
 * rather than a completion. */
bool mock_step_is_plain(const mock_step *st);
/* Adds the step's headers (and a computed retry-after date) to h. */
void mock_step_headers(const mock_step *st, mock_hdrs *h);
/* Sends the fixed body of a plain step (no delay: the caller waited already). */
void mock_send_plain(mock_conn *c, const mock_step *st, mock_hdrs *h);

/* Answers a chat completion request as ch->step says: the delay, then an error or a
 * completion, streamed when the request asked for it. */
void mock_chat_respond(const mock_chat *ch);

/* An OpenAI error envelope {"error": {...}}, pretty-printed as the real API does; NULL
 * strings become null. Returns a malloc'd string the caller frees. */
char *mock_error_json(const char *message, const char *type, const char *param,
                      const char *code);

/* An nginx-style HTML error page for status; returns a malloc'd string the caller frees. */
char *mock_html_page(int status);

#endif
