/* The models a server lists (GET /models): asking for them as a job of the
 * worker, reading the answer (names sanitised; a failure classified and its
 * secrets masked), and the lists kept for the rest of the run by base URL, so
 * that /model completes them and its picker shows them. Process-wide, like the
 * input line: one list per base URL, replaced by the next listing. */
#ifndef TCHAT_MODELS_H
#define TCHAT_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "worker.h"

struct config;

/* Keeps a copy of ids[0..n) as what base_url lists. */
void models_remember(const char *base_url, char *const *ids, size_t n);
/* The ids base_url listed (valid until the next models_remember), and their count; 0
 * when it has not been asked in this run. */
size_t models_known(const char *base_url, const char *const **ids);

/* Asks the current profile of cfg for its models (with its provider's URL, key header and
 * extra headers): the job's id, or 0 when it is not asked: *unlisted when the endpoint
 * has no model list (Azure's deployments API), else because it would fail (the key would
 * go over plain http://) and f says why. */
uint64_t models_request(const struct config *cfg, worker *w, failure *f, bool *unlisted);
/* The end of that job: 1 with the ids (sorted, sanitised, remembered for the profile's base
 * URL; free with api_free_strings), -1 with the failure classified and masked in f (a 200
 * that is not a model list is a malformed response), 0 when ev is not its end. */
int models_take(const struct config *cfg, const worker_event *ev, char ***ids, size_t *n,
                failure *f);

#endif
