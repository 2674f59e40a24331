/* The failures of this run, newest last, for the error list (F8): when, what
 * (the explanation's title), the server's words and the request id, and whether
 * it was retried. */
#ifndef TCHAT_ERRLOG_H
#define TCHAT_ERRLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "explain.h"
#include "retry.h"

typedef struct errlog_entry {
    int64_t wall_ms;
    guide_entry entry;
    long status;
    char *title;       /* "429 Rate limit reached · RateLimitError · requests" */
    char *message;     /* the server's message or page title, or NULL */
    char *request_id;  /* or NULL */
    bool retried;
    bool retry_cancelled; /* a retry was due, and the user cancelled it */
} errlog_entry;

typedef struct errlog {
    errlog_entry *v;
    size_t n, cap;
} errlog;

void errlog_init(errlog *l);
void errlog_free(errlog *l);
/* Records a failed attempt. A cancel is not a failure and is not recorded, but one that
 * ends a countdown marks the failure it followed: its retry never happened. */
void errlog_add(errlog *l, const explain_ctx *cx, const failure *f, const retry_decision *d,
                int64_t wall_ms);

#endif
