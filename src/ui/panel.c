#include "panel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"

/* The panel's lines by importance, for a terminal too small to show them all: the title
 * and the notices stay, then the countdown or why there is none with the keys, the
 * server's words, the cause, the type's line, the steps, the links. */
enum {
    RANK_TITLE = 0,
    RANK_RETRY = 1,
    RANK_SERVER = 2,
    RANK_CAUSE = 3,
    RANK_TYPE = 4,
    RANK_STEPS = 5,
    RANK_LINKS = 6,
};

static const char *str(guide_lang lang, const char *key)
{
    return guide_str(lang, key);
}

static const char *cancel_key(const panel_in *in)
{
    return in->cancel_key ? in->cancel_key : "Esc";
}

/* " (status.openai.com: All Systems Operational)" or " (status unknown)". */
static void status_suffix(const explain_ctx *cx, const statuspage *sp, buf *b)
{
    if (!sp)
        return;
    if (sp->text)
        buf_printf(b, " (%s)", sp->text);
    else if (sp->unknown)
        buf_printf(b, " (%s)", str(cx->lang, "ui.status_unknown"));
}

static void countdown_line(ui_lines *out, const panel_in *in, int64_t now)
{
    const session *s = in->s;
    int64_t left = session_next_timeout(s, now);
    /* A progress bar of the wait so far, where the text has its first separator. */
    int64_t total = s->last_decision.delay_ms > 0 ? s->last_decision.delay_ms : 1;
    int cells = 16;
    int done = (int)((total - left) * cells / total);
    if (done < 0)
        done = 0;
    if (done > cells)
        done = cells;
    buf bar;
    buf_init(&bar);
    buf_puts(&bar, "  ");
    for (int i = 0; i < cells; i++)
        buf_puts(&bar, i < done ? "█" : "░");
    buf_puts(&bar, "  ");
    buf b;
    buf_init(&b);
    explain_retrying(&b, in->cx, left, buf_str(&bar), session_attempt_number(s) + 1,
                     session_attempts_max(s), &s->last_decision);
    out->rank = RANK_RETRY;
    lines_add(out, ROLE_COUNTDOWN, 3, buf_str(&b));
    buf_free(&bar);
    buf_free(&b);
}

/* "Not retrying: why · the limit resets in 5 s" */
static void verdict_line(ui_lines *out, const panel_in *in, int64_t now)
{
    const session *s = in->s;
    buf b;
    buf_init(&b);
    buf_fill(&b, str(in->cx->lang, "not_retrying"), 1,
             explain_verdict(in->cx, s->last_decision.verdict));
    if (s->last_decision.verdict == RETRY_NO_TOO_LONG && s->deadline_ms > now) {
        buf amount;
        buf_init(&amount);
        explain_duration(&amount, s->deadline_ms - now);
        buf_puts(&b, " · ");
        buf_fill(&b, str(in->cx->lang, "reset_in"), 1, buf_str(&amount));
        buf_free(&amount);
    }
    out->rank = RANK_RETRY;
    lines_add(out, ROLE_WARN, 3, buf_str(&b));
    buf_free(&b);
}

typedef struct link_acc {
    buf *b;
    int count, max;
    const explain_ctx *cx;
    const statuspage *sp;
    bool has_status;
} link_acc;

static void add_link(void *ud, const char *label, const char *url)
{
    link_acc *acc = ud;
    (void)label;
    const char *status_url = acc->cx->status_url;
    bool is_status = status_url && *status_url && strcmp(url, status_url) == 0;
    if (is_status && acc->has_status)
        return; /* already shown first */
    if (acc->count >= acc->max && !is_status)
        return;
    if (acc->b->len)
        buf_puts(acc->b, " · ");
    buf_puts(acc->b, url);
    if (is_status) {
        acc->has_status = true;
        status_suffix(acc->cx, acc->sp, acc->b);
    }
    acc->count++;
}

/* The steps, each on a line of its own (F6) or all on one line (the panel). */
typedef struct step_acc {
    ui_lines *out;
    buf *b;
    size_t n;
} step_acc;

static void step_line(void *ud, const char *step)
{
    step_acc *acc = ud;
    lines_addf(acc->out, ROLE_NORMAL, 5, "%zu. %s", ++acc->n, step);
}

static void step_inline(void *ud, const char *step)
{
    step_acc *acc = ud;
    buf_printf(acc->b, "%s%zu. %s", acc->n ? "  " : "", acc->n + 1, step);
    acc->n++;
}

static void note_line(void *ud, const char *note)
{
    ui_lines *out = ud;
    out->rank = RANK_SERVER;
    lines_add(out, ROLE_DIM, 3, note);
}

/* The library type's part of the guide: one line under the title in the panel ("About
 * RateLimitError: cause"), all of it (cause, reasons, steps) at the end of F6. */
static void type_lines(ui_lines *out, const explain_ctx *cx, const failure *f, bool detail)
{
    const guide_text *tt = guide_type_text(f->type, cx->lang);
    if (!tt)
        return;
    buf b;
    buf_init(&b);
    explain_type_heading(&b, cx, f);
    out->rank = RANK_TYPE;
    lines_addf(out, detail ? ROLE_NORMAL : ROLE_DIM, 3, "%s: %s", buf_str(&b), tt->cause);
    buf_free(&b);
    if (!detail)
        return;
    for (size_t i = 0; i < tt->nreasons; i++)
        lines_addf(out, ROLE_DIM, 5, "· %s", tt->reasons[i]);
    for (size_t i = 0; i < tt->nsteps; i++)
        lines_addf(out, ROLE_NORMAL, 5, "%zu. %s", i + 1, tt->steps[i]);
}

/* The guide's explanation of f: title, its type, cause, steps, the server's words. */
static void explanation_lines(ui_lines *out, const explain_ctx *cx, const failure *f, bool detail,
                              bool roomy)
{
    guide_lang lang = cx->lang;
    const guide_text *t = guide_entry_text(f->entry, lang);
    buf b;
    buf_init(&b);
    buf_puts(&b, f->entry == GUIDE_CANCELLED ? "■ " : "✖ ");
    explain_title(&b, cx, f);
    out->rank = RANK_TITLE;
    lines_add(out, f->entry == GUIDE_CANCELLED ? ROLE_WARN : ROLE_ERROR, 1, buf_str(&b));
    if (f->request_id && !detail)
        lines_set_right(out, f->request_id, ROLE_DIM);
    buf_reset(&b);
    if (f->entry == GUIDE_CANCELLED) {
        buf_free(&b);
        return;
    }
    if (!detail)
        type_lines(out, cx, f, false);
    out->rank = RANK_CAUSE;
    /* The catalog's words, with the profile's key variable where they name OpenAI's. */
    buf_printf(&b, "%s: ", str(lang, "cause"));
    explain_words(&b, cx, t->cause);
    lines_add(out, ROLE_NORMAL, 3, buf_str(&b));
    buf_reset(&b);
    if (detail && t->nreasons) {
        lines_addf(out, ROLE_DIM, 3, "%s:", str(lang, "reasons"));
        for (size_t i = 0; i < t->nreasons; i++) {
            buf_puts(&b, "· ");
            explain_words(&b, cx, t->reasons[i]);
            lines_add(out, ROLE_DIM, 5, buf_str(&b));
            buf_reset(&b);
        }
    }
    step_acc acc = {out, &b, 0};
    out->rank = RANK_STEPS;
    if (detail || roomy) {
        lines_addf(out, ROLE_NORMAL, 3, "%s:", str(lang, "steps"));
        explain_steps(cx, f, true, step_line, &acc);
    } else {
        buf_printf(&b, "%s: ", str(lang, "steps"));
        explain_steps(cx, f, true, step_inline, &acc);
        lines_add(out, ROLE_NORMAL, 3, buf_str(&b));
    }
    const char *msg = f->err_message && *f->err_message ? f->err_message : f->html_title;
    out->rank = RANK_SERVER;
    if (msg && *msg)
        lines_addf(out, ROLE_DIM, 3, "%s: %s", str(lang, "server_said"), msg);
    explain_notes(cx, f, note_line, out);
    out->rank = RANK_CAUSE;
    if (f->detail && *f->detail)
        lines_add(out, ROLE_DIM, 3, f->detail);
    buf_free(&b);
}

/* The links: the status page first, so that a narrow panel never cuts it off. */
static void link_lines(ui_lines *out, const explain_ctx *cx, const statuspage *sp,
                       const failure *f, bool detail)
{
    if (f->entry == GUIDE_CANCELLED)
        return;
    buf b;
    buf_init(&b);
    bool has_status = cx->status_url && *cx->status_url;
    if (has_status) {
        buf_puts(&b, cx->status_url);
        status_suffix(cx, sp, &b);
    }
    link_acc acc = {&b, 0, detail ? 99 : 1, cx, sp, has_status};
    explain_links(cx, f, add_link, &acc);
    out->rank = RANK_LINKS;
    lines_add(out, ROLE_LINK, 3, buf_str(&b));
    if (explain_foreign_endpoint(cx)) {
        buf_reset(&b);
        buf_printf(&b, "%s: ", str(cx->lang, "endpoint"));
        explain_endpoint(&b, cx);
        lines_add(out, ROLE_DIM, 3, buf_str(&b));
    }
    buf_free(&b);
}

/* The response headers worth showing with a failure. */
static void header_lines(ui_lines *out, const http_headers *h)
{
    for (size_t i = 0; i < h->n; i++) {
        const http_header *hd = &h->v[i];
        if (str_starts_with(hd->name, "x-ratelimit-") || str_starts_with(hd->name, "retry-after") ||
            strcmp(hd->name, "x-should-retry") == 0 || strcmp(hd->name, "content-type") == 0 ||
            strcmp(hd->name, "openai-processing-ms") == 0)
            lines_addf(out, ROLE_DIM, 3, "%s: %s", hd->name, hd->value);
    }
}

/* The keys that apply now. */
static void keys_line(ui_lines *out, const panel_in *in)
{
    const session *s = in->s;
    guide_lang lang = in->cx->lang;
    const failure *f = &s->last_failure;
    buf b;
    buf_init(&b);
    if (s->state == SESSION_WAITING)
        buf_fill(&b, str(lang, "ui.keys_waiting"), 1, cancel_key(in));
    else if (s->last_decision.retryable || f->entry == GUIDE_CANCELLED)
        buf_puts(&b, str(lang, "ui.keys_failed"));
    else
        buf_puts(&b, str(lang, "ui.keys_final"));
    if (f->entry == GUIDE_AUTH_INVALID || f->entry == GUIDE_AUTH_INCORRECT_KEY ||
        f->entry == GUIDE_NO_KEY) {
        buf_puts(&b, " · ");
        buf_puts(&b, str(lang, "ui.f2_settings"));
    }
    out->rank = RANK_RETRY;
    lines_add(out, ROLE_DIM, 3, buf_str(&b));
    buf_free(&b);
}

static bool showing_failure(const session *s)
{
    return s->has_failure && (s->state == SESSION_WAITING || s->state == SESSION_FAILED);
}

/* The countdown, or why there is none. */
static void retry_line(ui_lines *out, const panel_in *in, int64_t now)
{
    const session *s = in->s;
    if (s->state == SESSION_WAITING)
        countdown_line(out, in, now);
    else if (s->last_decision.verdict != RETRY_YES &&
             s->last_decision.verdict != RETRY_NO_CANCELLED)
        verdict_line(out, in, now);
}

static void failure_lines(ui_lines *out, const panel_in *in, int64_t now)
{
    const failure *f = &in->s->last_failure;
    explanation_lines(out, in->cx, f, false, in->roomy);
    retry_line(out, in, now);
    link_lines(out, in->cx, in->sp, f, false);
    keys_line(out, in);
}

/* A command's answer or a warning is read whole: it wraps, where the panel's other lines
 * are cut at the edge. */
static void notice_lines(ui_lines *out, const panel_in *in)
{
    bool wrap = out->wrap;
    out->wrap = true;
    out->rank = RANK_TITLE;
    lines_add(out, in->notice_error ? ROLE_ERROR : ROLE_OK, 1, in->notice);
    out->wrap = wrap;
}

static const char *model_of(const panel_in *in)
{
    return in->model ? in->model : in->s->p.model;
}

static void ready_line(ui_lines *out, const panel_in *in)
{
    const session *s = in->s;
    guide_lang lang = in->cx->lang;
    buf b;
    buf_init(&b);
    if (in->notice) {
        notice_lines(out, in);
        buf_free(&b);
        return;
    }
    theme_role role = ROLE_STATUS;
    if (s->state == SESSION_SENDING || (s->state == SESSION_STREAMING && s->held)) {
        /* The seconds since the request went out: a server that holds it (keep-alives only)
         * is waited for like one that has not answered yet. */
        int64_t start = s->nattempts ? s->attempts[s->nattempts - 1].start_wall_ms : 0;
        int64_t secs = start ? (s->wall_clock() - start) / 1000 : 0;
        buf_printf(&b, "%s · %s", str(lang, s->held ? "ui.held" : "ui.sending"), model_of(in));
        if (secs > 0)
            buf_printf(&b, " · %lld s", (long long)secs);
        if (session_attempt_number(s) > 1) {
            buf_puts(&b, " · ");
            explain_attempt(&b, in->cx, session_attempt_number(s), session_attempts_max(s));
        }
        buf_printf(&b, " · %s", cancel_key(in));
    } else if (s->state == SESSION_STREAMING) {
        buf_printf(&b, "%s · %s · %s", str(lang, "ui.receiving"), model_of(in), cancel_key(in));
    } else {
        buf_printf(&b, "%s · %s", str(lang, "ui.ready"), model_of(in));
        if (s->usage_total >= 0) {
            char c1[24], c2[24], c3[24];
            snprintf(c1, sizeof c1, "%ld", s->usage_prompt);
            snprintf(c2, sizeof c2, "%ld", s->usage_completion);
            snprintf(c3, sizeof c3, "%ld", s->usage_total);
            buf_puts(&b, " · ");
            buf_fill(&b, str(lang, "usage"), 3, c1, c2, c3);
        }
        buf_puts(&b, " · F1 ");
        buf_puts(&b, str(lang, "help"));
    }
    out->rank = RANK_TITLE;
    lines_add(out, role, 1, buf_str(&b));
    buf_free(&b);
}

enum { QUEUED_SHOWN = 3 }; /* more are counted on one line */

/* The messages waiting for the reply to end, oldest first, one row each. */
static void queued_lines(ui_lines *out, const panel_in *in)
{
    guide_lang lang = in->cx->lang;
    buf b;
    buf_init(&b);
    out->rank = RANK_RETRY; /* the user's own words, waiting */
    for (size_t i = 0; i < in->nqueued; i++) {
        buf_reset(&b);
        if (i == QUEUED_SHOWN && in->nqueued > QUEUED_SHOWN + 1) {
            char more[24];
            snprintf(more, sizeof more, "%zu", in->nqueued - i);
            buf_fill(&b, str(lang, "ui.queued_more"), 1, more);
            lines_add(out, ROLE_DIM, 1, buf_str(&b));
            break;
        }
        /* One row: its lines joined, and no more of it than a row can show. */
        char *row = sanitize_line(in->queued[i], strlen(in->queued[i]), 400);
        buf_fill(&b, str(lang, "ui.queued"), 1, row);
        free(row);
        lines_add(out, ROLE_DIM, 1, buf_str(&b));
    }
    buf_free(&b);
}

void panel_build(ui_lines *out, const panel_in *in, int64_t now)
{
    out->rank = RANK_TITLE;
    if (showing_failure(in->s)) {
        failure_lines(out, in, now);
        /* A command's answer (a report's path, an error) goes under the explanation. */
        if (in->notice)
            notice_lines(out, in);
    } else {
        ready_line(out, in);
    }
    queued_lines(out, in);
}

static void count_step(void *ud, const char *step)
{
    (void)step;
    (*(int *)ud)++;
}

int panel_roomy_extra(const panel_in *in)
{
    const failure *f = &in->s->last_failure;
    if (!showing_failure(in->s) || f->entry == GUIDE_CANCELLED)
        return 0;
    int n = 0;
    explain_steps(in->cx, f, true, count_step, &n);
    return n; /* the heading line "What to do:" and n steps, for the one line of them all */
}

void panel_details(ui_lines *out, const panel_in *in, int64_t now)
{
    const session *s = in->s;
    guide_lang lang = in->cx->lang;
    if (!s->has_failure) {
        lines_add(out, ROLE_DIM, 2, str(lang, "ui.no_failure"));
    } else {
        const failure *f = &s->last_failure;
        explanation_lines(out, in->cx, f, true, false);
        if (showing_failure(s))
            retry_line(out, in, now);
        link_lines(out, in->cx, in->sp, f, true);
        if (f->request_id)
            lines_addf(out, ROLE_DIM, 3, "%s: %s", str(lang, "request_id"), f->request_id);
        header_lines(out, &s->resp_headers);
        /* The guide's part for the library type, after what is this failure's own. */
        if (f->entry != GUIDE_CANCELLED)
            type_lines(out, in->cx, f, true);
    }
    lines_add(out, ROLE_NORMAL, 2, "");
    lines_add(out, ROLE_DIM, 2, str(lang, "ui.help.close"));
}

void panel_explain(ui_lines *out, const explain_ctx *cx, const statuspage *sp, const failure *f)
{
    explanation_lines(out, cx, f, false, false);
    link_lines(out, cx, sp, f, false);
}

void panel_errors(ui_lines *out, const errlog *log, guide_lang lang)
{
    lines_add(out, ROLE_HEADING, 2, str(lang, "ui.errors.title"));
    lines_add(out, ROLE_NORMAL, 2, "");
    if (!log->n)
        lines_add(out, ROLE_DIM, 2, str(lang, "ui.errors.none"));
    for (size_t i = log->n; i-- > 0;) {
        const errlog_entry *e = &log->v[i];
        char when[40];
        time_t secs = (time_t)(e->wall_ms / 1000);
        struct tm tm;
        localtime_r(&secs, &tm);
        strftime(when, sizeof when, "%H:%M:%S", &tm);
        lines_addf(out, ROLE_ERROR, 2, "%s  %s%s", when, e->title,
                   e->retried           ? str(lang, "ui.errors.retried")
                   : e->retry_cancelled ? str(lang, "ui.errors.cancelled")
                                        : "");
        if (e->message)
            lines_add(out, ROLE_DIM, 12, e->message);
        if (e->request_id)
            lines_addf(out, ROLE_DIM, 12, "%s: %s", str(lang, "request_id"), e->request_id);
    }
    lines_add(out, ROLE_NORMAL, 2, "");
    lines_add(out, ROLE_DIM, 2, str(lang, "ui.help.close"));
}

int64_t panel_next_tick(const session *s, int64_t now)
{
    if (s->state == SESSION_WAITING) {
        /* Ten ticks a second, aligned so the tenths change on time. */
        int64_t left = session_next_timeout(s, now);
        int64_t step = left % 100;
        return step ? step : (left ? 100 : 0);
    }
    if (s->state == SESSION_SENDING || session_waits_visibly(s))
        return 1000 - (now % 1000);
    if (s->state == SESSION_FAILED && s->last_decision.verdict == RETRY_NO_TOO_LONG &&
        s->deadline_ms > now)
        return (s->deadline_ms - now) % 1000 ? (s->deadline_ms - now) % 1000 : 1000;
    return -1;
}

/* "59/60" style, with k/M for big numbers. */
static void gauge_num(buf *b, const char *v)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    if (end == v) {
        buf_puts(b, v);
        return;
    }
    if (n >= 10000000)
        buf_printf(b, "%lldM", n / 1000000);
    else if (n >= 10000)
        buf_printf(b, "%lldk", n / 1000);
    else
        buf_printf(b, "%lld", n);
}

void panel_title(buf *left, buf *right, const char *profile, const char *model,
                 const http_headers *h, reset_unit unit, int64_t now_wall_ms)
{
    buf_printf(left, " tchat · %s · %s", profile ? profile : "", model ? model : "");
    retry_gauge g;
    retry_gauge_read(h, unit, now_wall_ms, &g);
    size_t start = right->len;
    if (g.req_left && g.req_limit) {
        buf_puts(right, "req ");
        gauge_num(right, g.req_left);
        buf_putc(right, '/');
        gauge_num(right, g.req_limit);
    }
    if (g.tok_left && g.tok_limit) {
        buf_puts(right, right->len > start ? " · tok " : "tok ");
        gauge_num(right, g.tok_left);
        buf_putc(right, '/');
        gauge_num(right, g.tok_limit);
    }
    if (g.reset_ms >= 0 && right->len > start) {
        /* OpenAI's Go duration as sent ("1s"); the others' times as the time left. */
        buf_puts(right, " · resets ");
        if (g.reset_text)
            buf_puts(right, g.reset_text);
        else
            explain_duration(right, g.reset_ms);
    }
    if (right->len > start)
        buf_putc(right, ' ');
}
