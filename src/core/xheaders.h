/* A profile's extra request headers (the option extra_headers): a JSON object of header
 * name to text value, e.g. {"HTTP-Referer": "https://example.org", "X-Title": "tchat"},
 * checked once, kept as a list and sent with every request of the profile.
 *
 * A header whose name says auth, key, token, secret, password or cookie (any case) is a
 * secret, like the API key: it is masked on screen, redacted in reports and never taken
 * from the command line (docs/config.md). */
#ifndef TCHAT_XHEADERS_H
#define TCHAT_XHEADERS_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define XHDR_MAX 32         /* headers in one object */
#define XHDR_NAME_MAX 128   /* bytes of a name */
#define XHDR_VALUE_MAX 4096 /* bytes of a value */

/* The headers in the order given; names as written. */
typedef struct xhdr_list {
    http_header *v;
    size_t n;
} xhdr_list;

/* Parses text ("" or "{}" for none) into *out. Returns 0, or -1 with why ("header
 * \"X-Title\": the value must be text"; never quoting a value). A name must be an HTTP
 * token, given once (any case); a value text without control characters; Host,
 * Content-Length, Content-Type, Transfer-Encoding, Connection and Expect are tchat's. */
int xhdr_parse(const char *text, xhdr_list *out, char *why, size_t whylen);
/* The list as compact JSON text, the canonical form of the option ("" when empty).
 * Caller frees. */
char *xhdr_canonical(const xhdr_list *l);
/* Frees the names and the values (wiped first: they may hold secrets). */
void xhdr_free(xhdr_list *l);

/* Whether a header of this name holds a secret. */
bool xhdr_name_secret(const char *name);
/* The first header of l whose name holds a secret, or NULL. */
const char *xhdr_first_secret(const xhdr_list *l);
/* The secrets of l, to mask wherever text from the network is shown: the value of each
 * secret header and, when it has a scheme ("Bearer TOKEN"), the token after it. Up to max
 * pointers into l go to out; returns how many. */
size_t xhdr_secrets(const xhdr_list *l, const char **out, size_t max);
/* The value of the header named name (any case), or NULL. */
const char *xhdr_get(const xhdr_list *l, const char *name);
/* The list for the screen, as JSON text with every secret value masked by mask (e.g.
 * config_mask_key). Caller frees. */
char *xhdr_display(const xhdr_list *l, char *(*mask)(const char *secret));

#endif
