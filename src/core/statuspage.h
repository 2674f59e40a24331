/* The status page's indicator, as the panel shows it next to the status link:
 * {status_url}/api/v2/status.json (the Statuspage format), fetched in the
 * background on the worker, at most once a minute and only after failures that
 * an outage could explain (server errors, overload, gateways, timeouts,
 * connection failures), and only from a page that serves it (OpenAI's, Groq's,
 * Anthropic's, or one the user set). A fetch that fails shows "status unknown",
 * never an error of its own. See docs/protocol.md. */
#ifndef TCHAT_STATUSPAGE_H
#define TCHAT_STATUSPAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "guide.h"
#include "worker.h"

struct config;

#define STATUSPAGE_INTERVAL_MS 60000

typedef struct statuspage {
    uint64_t job;        /* the fetch in flight, 0 when none */
    int64_t fetched_ms;  /* monotonic time of the last fetch; 0: never */
    char *text;          /* "status.openai.com: Partial System Outage" (sanitised), or NULL */
    bool unknown;        /* the last fetch failed */
} statuspage;

void statuspage_init(statuspage *sp);
void statuspage_done(statuspage *sp);
/* Forgets what was fetched (another profile, another status page). */
void statuspage_reset(statuspage *sp);
/* Whether a failure of this entry is worth a look at the status page. */
bool statuspage_wanted(guide_entry e);
/* Submits a fetch for the current profile of c unless it has no status page, its page
 * serves no Statuspage JSON (a provider's page that is a link only: cfg_status_json),
 * polling is off, a fetch is in flight, or (unless force) the last one was less than a
 * minute ago. Returns true when a job was submitted. */
bool statuspage_fetch(statuspage *sp, worker *w, const struct config *c, bool force, int64_t now);
/* Takes the end of the fetch: true when ev was it (and the text was updated). status_url
 * names the page in the text. */
bool statuspage_take(statuspage *sp, const worker_event *ev, const char *status_url);

#endif
