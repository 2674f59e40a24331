/* Words for a failure, shared by the one-shot runner, the status panel and the
 * support report: the title line, the delay and where it came from, the links
 * (with a profile's own status and help pages), and the JSON form for scripts. */
#ifndef TCHAT_EXPLAIN_H
#define TCHAT_EXPLAIN_H

#include <stdint.h>

#include "classify.h"
#include "guide.h"
#include "provider.h"
#include "retry.h"
#include "util.h"

struct config;

/* What an explanation needs to know of the profile. The context owns copies of its
 * strings: a configuration that changes later (Settings, /model) cannot leave it
 * pointing at freed text. A zeroed context is valid (no endpoint named, provider
 * PROVIDER_AUTO: the catalog's words and links as written). */
typedef struct explain_ctx {
    guide_lang lang;
    char *base_url;   /* the endpoint used, as shown (its password masked), or NULL */
    char *model;
    char *status_url; /* the profile's status page ("" for none) */
    char *help_url;   /* the profile's help page ("" for none) */
    provider_id provider; /* whose service it is ("auto" resolved); the links are its own */
    char *key_env;        /* the variable the key is read from, or NULL when none is */
} explain_ctx;

/* Copies the endpoint, model, status and help pages, the provider and the key's variable
 * of the current profile of c into cx, replacing what it held (the language is left as it
 * is). */
void explain_ctx_from_config(explain_ctx *cx, const struct config *c);
/* Frees the copies; cx stays usable as a zeroed context with its language. */
void explain_ctx_done(explain_ctx *cx);
/* "429 Rate limit reached · RateLimitError · requests" */
void explain_title(buf *out, const explain_ctx *cx, const failure *f);
/* "3.4 s", "45 s", "2 min 5 s", "1 h 2 min" (tenths below ten seconds). */
void explain_duration(buf *out, int64_t ms);
/* The same words for a time that has passed ("thought for 12 s"), rounded to the nearest. */
void explain_elapsed(buf *out, int64_t ms);
/* "server asked 4 s (retry-after)" or "backoff" */
void explain_delay_source(buf *out, const explain_ctx *cx, const retry_decision *d);
/* "attempt 2 of 5" */
void explain_attempt(buf *out, const explain_ctx *cx, int attempt, int attempts_max);
/* "Retrying in 3.4 s · attempt 2 of 5 · server asked 4.0 s (retry-after)"; between replaces
 * the first " · " (the panel puts its progress bar there). */
void explain_retrying(buf *out, const explain_ctx *cx, int64_t left_ms, const char *between,
                      int next_attempt, int attempts_max, const retry_decision *d);
/* The reason no automatic retry happens, in the catalog's language. */
const char *explain_verdict(const explain_ctx *cx, retry_verdict v);
/* The entry's links for the profile's provider: OpenAI's status and help pages become the
 * profile's status_url and help_url ("" leaves them out); OpenAI's other pages become the
 * provider's of the same kind, or are left out (provider_map_link); a URL that comes twice
 * is given once. Calls fn once per link. */
void explain_links(const explain_ctx *cx, const failure *f,
                   void (*fn)(void *ud, const char *label, const char *url), void *ud);
/* True when the base URL is not OpenAI's (the endpoint is then named). */
bool explain_foreign_endpoint(const explain_ctx *cx);
/* The steps of f's entry, one call each: first what only this failure tells (Ollama's
 * "ollama pull MODEL"), then the catalog's, in the chat's wording or (chat false) in
 * one-shot mode's, which names no key of the chat. */
void explain_steps(const explain_ctx *cx, const failure *f, bool chat,
                   void (*fn)(void *ud, const char *step), void *ud);
/* What the body said beyond its message, one line each: what a moderation flagged, the
 * prompt's size against the context, when a spending limit lifts, the upstream provider. */
void explain_notes(const explain_ctx *cx, const failure *f, void (*fn)(void *ud, const char *note),
                   void *ud);
/* "About RateLimitError": the heading of the library type's part of the guide. */
void explain_type_heading(buf *out, const explain_ctx *cx, const failure *f);
/* "https://api.groq.com/openai/v1 (Groq)": the endpoint, with the provider's name when
 * it is one of the named services. */
void explain_endpoint(buf *out, const explain_ctx *cx);
/* Appends a text of the catalog in the profile's words: OPENAI_API_KEY, where the
 * profile's key comes from another variable (or none), names that one instead. */
void explain_words(buf *out, const explain_ctx *cx, const char *text);
/* Appends server text (already sanitised) so that it cannot start a line of its own that
 * looks like tchat's: each line after the first begins with indent; blank lines go. */
void explain_put_text(buf *out, const char *text, const char *indent);
/* The whole explanation as indented plain text lines (for stderr); the server's text is
 * put with explain_put_text. */
void explain_text(buf *out, const explain_ctx *cx, const failure *f, const retry_decision *d);
/* One JSON object (one line, no newline) describing a failed attempt. */
void explain_json(buf *out, const explain_ctx *cx, const failure *f, const retry_decision *d,
                  int attempt, int attempts_max, int exit_code);
/* The exit code of one-shot mode for a failure: it follows the entry, never the status
 * (docs/errors.md#exit-codes, tchat --help). */
int explain_exit_code(const failure *f);

#endif
