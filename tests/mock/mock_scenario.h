/* tchat-mock scenarios: named lists of response steps, built in or loaded from a JSON file.
 * Loading happens before any connection thread starts; afterwards the table is read-only
 * except for the per-scenario request counters, which a mutex guards. */
#ifndef MOCK_SCENARIO_H
#define MOCK_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* One extra response header; value NULL removes a default header of that name. */
typedef struct mock_header {
    char *name;
    char *value;
} mock_header;

/* One response. Every field is optional in JSON; the defaults are noted. */
typedef struct mock_step {
    int status;                  /* 200 */
    mock_header *headers;
    size_t n_headers;
    struct cJSON *error;         /* object or NULL: {"error": {...}} */
    char *body;                  /* raw body, replaces everything */
    char *content_type;
    long delay_ms;               /* before the status line */
    char *reply;                 /* NULL: echo the last user message */
    long chunk_chars;            /* 4 */
    long chunk_delay_ms;
    long hold_ms;                /* before the first event: keep-alives only, this long */
    long stall_after;            /* -1: off */
    long drop_after;             /* -1: off */
    bool no_done, comments, crlf, malformed, invalid_utf8, escapes, html, close;
    bool demo;                   /* the reply quotes the message and lists the demo scenarios */
    bool hangup;                 /* close before sending anything */
    bool echo_key;               /* the error's message ends with the key the request sent */
    bool rst;                    /* hangup/drop_after with a TCP reset instead of a FIN */
    struct cJSON *stream_error;  /* object or NULL */
    struct cJSON *data_error;    /* object or NULL */
    char *finish_reason;         /* "stop" */
    char *refusal;
    char *reasoning;             /* sent before the reply, in the reasoning field */
    char *reasoning_field;       /* "reasoning_content" (NULL) or "reasoning" */
    char **raw_sse;              /* each written as its own HTTP chunk */
    size_t n_raw_sse;
    long long stream_bytes;      /* 0: off */
    struct cJSON *usage;         /* object or NULL */
    long retry_after_date;       /* LONG_MIN: off; else retry-after = HTTP-date now + N s */
} mock_step;

/* The built-in scenarios, as JSON text in the scenario file format. */
extern const char mock_builtin_json[];
extern const char mock_demo_json[];

/* Loads the built-in scenarios, then (path != NULL) a scenario file whose entries add to or
 * replace them. On failure returns false with a message in err. */
bool mock_scenarios_load(const char *path, char *err, size_t errlen);

/* Whether a scenario of that name exists. */
bool mock_scenario_exists(const char *name);

/* Picks the step for the next request to scenario name: the Nth request (0-based, counted
 * across the process) gets step min(N, len-1). Returns NULL for an unknown name. */
const mock_step *mock_scenario_next(const char *name, size_t *step_index);

/* Forgets how many requests each scenario has seen. */
void mock_scenarios_reset(void);

/* Appends the scenario names to a JSON array (cJSON) or, when arr is NULL, returns them as
 * one malloc'd comma-separated string the caller frees. */
char *mock_scenario_names(struct cJSON *arr);

/* Prints "name<TAB>steps" for every scenario to stdout. */
void mock_scenarios_print(void);

/* Status page: the indicator and description, or an HTTP status (0: answer normally). */
const char *mock_status_indicator(void);
const char *mock_status_description(void);
int mock_status_http(void);

/* The file's "default" scenario (NULL when unset) and "models" scenario (NULL: plain list). */
const char *mock_file_default(void);
const char *mock_models_scenario(void);

#endif
