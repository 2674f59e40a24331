/* The models a server listed (GET /models, as Settings' connection test asks), kept
 * for the rest of the run by base URL, so that /model completes them. Process-wide,
 * like the input line: one list per base URL, replaced by the next listing. */
#ifndef TCHAT_MODELS_H
#define TCHAT_MODELS_H

#include <stddef.h>

/* Keeps a copy of ids[0..n) as what base_url lists. */
void models_remember(const char *base_url, char *const *ids, size_t n);
/* The ids base_url listed (valid until the next models_remember), and their count; 0
 * when it has not been asked in this run. */
size_t models_known(const char *base_url, const char *const **ids);

#endif
