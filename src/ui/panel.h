/* The words of the chat screen, as lines: the title bar (profile, model, the
 * rate-limit gauge), the status panel under the conversation (one line when all
 * is well; the guide's explanation of a failure with the countdown or the reason
 * for not retrying, the links and the keys that apply), the full explanation
 * (F6) and the error list (F8). Building them touches no terminal, so all of it
 * is tested without one (tests/unit/test_panel.c). */
#ifndef TCHAT_PANEL_H
#define TCHAT_PANEL_H

#include <stdbool.h>
#include <stdint.h>

#include "errlog.h"
#include "explain.h"
#include "lines.h"
#include "session.h"
#include "statuspage.h"
#include "util.h"

/* What the panel shows. */
typedef struct panel_in {
    const session *s;
    const explain_ctx *cx;
    const statuspage *sp;      /* may be NULL */
    const char *notice;        /* a command's answer or a hint, or NULL */
    bool notice_error;
    const char *const *queued; /* messages typed while busy, sent when the reply ends */
    size_t nqueued;
    const char *cancel_key;    /* the key that cancels ("Ctrl-C" in vi mode); NULL: "Esc" */
    bool roomy;                /* room to spare (a short conversation): the steps one a row */
    const char *model;         /* the model as the user named it (the demo's requests use
                                  internal names); NULL: the session's */
} panel_in;

/* The status panel (out->wrap false: one row per line, cut when drawn). Queued messages
 * come last, next to the input line they came from and go back to if the request fails. */
void panel_build(ui_lines *out, const panel_in *in, int64_t now);
/* How many more rows the panel takes when roomy (one row per step instead of one for all). */
int panel_roomy_extra(const panel_in *in);
/* The full explanation of the last failure, everything wrapped (F6). */
void panel_details(ui_lines *out, const panel_in *in, int64_t now);
/* The guide's explanation of f (title, cause, steps, the server's words) and its links,
 * compact: the settings screen's connection test uses it. */
void panel_explain(ui_lines *out, const explain_ctx *cx, const statuspage *sp, const failure *f);
/* The errors of this run, newest first (F8). */
void panel_errors(ui_lines *out, const errlog *log, guide_lang lang);
/* The title bar: the left part (" tchat · PROFILE · MODEL") and the right part (the
 * rate-limit gauge of the last response, "" when none), appended to left and right. unit
 * says how the endpoint's bare x-ratelimit-reset counts; a reset given as a time is shown
 * as the time left at now_wall_ms. */
void panel_title(buf *left, buf *right, const char *profile, const char *model,
                 const http_headers *h, reset_unit unit, int64_t now_wall_ms);
/* Milliseconds until the panel changes by itself (a countdown's tenth, a second of
 * waiting), or -1 when it does not. */
int64_t panel_next_tick(const session *s, int64_t now);

#endif
