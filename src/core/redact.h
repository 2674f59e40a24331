/* Secrets never leave tchat in full: wherever text that came back from the network (an
 * error message, a header) or text built from it (a report) is shown, stored or written,
 * every occurrence of the API key is replaced by its mask (config_mask_key, "sk-…wxyz") and
 * every occurrence of the base URL's password by "***". base_url may be NULL. Secrets
 * shorter than 4 bytes are left alone: masking them would garble ordinary text. */
#ifndef TCHAT_REDACT_H
#define TCHAT_REDACT_H

#include "classify.h"
#include "http.h"
#include "util.h"

void redact_buf(buf *text, const char *key, const char *base_url);
/* The same for a malloc'd string (or NULL), replaced in *s. */
void redact_string(char **s, const char *key, const char *base_url);
/* Every string of a classified failure: the server's message, type, code, param, page
 * title, request id and the transport detail. */
void redact_failure(failure *f, const char *key, const char *base_url);
/* Every header value. */
void redact_headers(http_headers *h, const char *key, const char *base_url);

#endif
