/* The title bar, the status panel under the conversation, and the overlays (F1
 * help, F8 error history). The panel is one line when all is well and grows to
 * explain a failure as the guide does. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

/* Lines of the panel, built fresh for each draw (there are only a few). */
typedef struct pline {
    char *text;
    theme_role role;
    int indent;
    int right_cols;       /* columns reserved at the right (for the request id) */
} pline;

typedef struct plines {
    pline v[64];
    int n;
    int width;
    bool wrap;            /* detail mode: wrap long lines instead of cutting them */
} plines;

static void pl_add_raw(plines *p, theme_role role, int indent, const char *text, size_t len)
{
    if (p->n == (int)(sizeof p->v / sizeof p->v[0]))
        return;
    p->v[p->n++] = (pline){xstrndup(text, len), role, indent, 0};
}

/* Adds text, wrapped (detail) or kept to one line (compact). */
static void pl_add(plines *p, theme_role role, int indent, const char *text)
{
    if (!p->wrap) {
        pl_add_raw(p, role, indent, text, strlen(text));
        return;
    }
    wrap_lines wl;
    wrap_init(&wl);
    /* Continuation lines are indented three more columns; one column stays free. */
    int width = p->width - indent - 4;
    wrap_text(&wl, text, strlen(text), NULL, width > 10 ? width : 10, true);
    for (size_t i = 0; i < wl.n; i++)
        pl_add_raw(p, role, indent + (i ? 3 : 0), text + wl.v[i].start, wl.v[i].len);
    if (!wl.n)
        pl_add_raw(p, role, indent, "", 0);
    wrap_free(&wl);
}

static void pl_addf(plines *p, theme_role role, int indent, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void pl_addf(plines *p, theme_role role, int indent, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    pl_add(p, role, indent, text);
    free(text);
}

static void pl_free(plines *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->v[i].text);
    p->n = 0;
}

static const char *str(const app *a, const char *key)
{
    return guide_str(a->cx.lang, key);
}

static void countdown_line(const app *a, plines *p, int64_t now)
{
    const session *s = &a->s;
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
    explain_retrying(&b, &a->cx, left, buf_str(&bar), session_attempt_number(s) + 1,
                     session_attempts_max(s), &s->last_decision);
    pl_add(p, ROLE_COUNTDOWN, 3, buf_str(&b));
    buf_free(&bar);
    buf_free(&b);
}

typedef struct link_acc {
    buf *b;
    int count, max;
    const char *status_url;
    bool has_status;
    const app *a;
} link_acc;

static void status_suffix(const app *a, buf *b)
{
    if (a->status_text)
        buf_printf(b, " (%s)", a->status_text);
    else if (a->status_unknown)
        buf_printf(b, " (%s)", str(a, "ui.status_unknown"));
}

static void add_link(void *ud, const char *label, const char *url)
{
    link_acc *acc = ud;
    (void)label;
    bool is_status = acc->status_url && *acc->status_url && strcmp(url, acc->status_url) == 0;
    if (is_status && acc->has_status)
        return; /* already shown first */
    if (acc->count >= acc->max && !is_status)
        return;
    if (acc->b->len)
        buf_puts(acc->b, " · ");
    buf_puts(acc->b, url);
    if (is_status) {
        acc->has_status = true;
        status_suffix(acc->a, acc->b);
    }
    acc->count++;
}

/* The guide's explanation of f: title, cause, steps, the server's words. */
static void explanation_lines(app *a, plines *p, const failure *f, bool detail)
{
    const guide_text *t = guide_entry_text(f->entry, a->cx.lang);
    buf b;
    buf_init(&b);
    buf_puts(&b, f->entry == GUIDE_CANCELLED ? "■ " : "✖ ");
    explain_title(&b, &a->cx, f);
    pl_add(p, f->entry == GUIDE_CANCELLED ? ROLE_WARN : ROLE_ERROR, 1, buf_str(&b));
    if (f->request_id && !detail)
        p->v[p->n - 1].right_cols = render_width(f->request_id, strlen(f->request_id));
    buf_reset(&b);
    if (f->entry == GUIDE_CANCELLED) {
        buf_free(&b);
        return;
    }
    pl_addf(p, ROLE_NORMAL, 3, "%s: %s", str(a, "cause"), t->cause);
    if (detail && t->nreasons) {
        pl_addf(p, ROLE_DIM, 3, "%s:", str(a, "reasons"));
        for (size_t i = 0; i < t->nreasons; i++)
            pl_addf(p, ROLE_DIM, 5, "· %s", t->reasons[i]);
    }
    if (detail) {
        pl_addf(p, ROLE_NORMAL, 3, "%s:", str(a, "steps"));
        for (size_t i = 0; i < t->nsteps; i++)
            pl_addf(p, ROLE_NORMAL, 5, "%zu. %s", i + 1, t->steps[i]);
    } else {
        buf_printf(&b, "%s: ", str(a, "steps"));
        for (size_t i = 0; i < t->nsteps; i++)
            buf_printf(&b, "%s%zu. %s", i ? "  " : "", i + 1, t->steps[i]);
        pl_add(p, ROLE_NORMAL, 3, buf_str(&b));
    }
    const char *msg = f->err_message && *f->err_message ? f->err_message : f->html_title;
    if (msg && *msg)
        pl_addf(p, ROLE_DIM, 3, "%s: %s", str(a, "server_said"), msg);
    if (f->detail && *f->detail)
        pl_addf(p, ROLE_DIM, 3, "%s", f->detail);
    buf_free(&b);
}

/* The links: the status page first, so that a narrow panel never cuts it off. */
static void link_lines(app *a, plines *p, const failure *f, bool detail)
{
    if (f->entry == GUIDE_CANCELLED)
        return;
    buf b;
    buf_init(&b);
    bool has_status = a->cx.status_url && *a->cx.status_url;
    if (has_status) {
        buf_puts(&b, a->cx.status_url);
        status_suffix(a, &b);
    }
    link_acc acc = {&b, 0, detail ? 99 : 1, a->cx.status_url, has_status, a};
    explain_links(&a->cx, f, add_link, &acc);
    pl_add(p, ROLE_LINK, 3, buf_str(&b));
    buf_free(&b);
    if (explain_foreign_endpoint(&a->cx))
        pl_addf(p, ROLE_DIM, 3, "%s: %s", str(a, "endpoint"), a->cx.base_url);
}

static void failure_lines(app *a, plines *p, int64_t now)
{
    const session *s = &a->s;
    const failure *f = &s->last_failure;
    bool detail = a->panel_detail;
    buf b;
    buf_init(&b);
    explanation_lines(a, p, f, detail);

    if (s->state == SESSION_WAITING) {
        countdown_line(a, p, now);
    } else if (s->last_decision.verdict != RETRY_YES && s->last_decision.verdict != RETRY_NO_CANCELLED) {
        buf_fill(&b, str(a, "not_retrying"), 1, explain_verdict(&a->cx, s->last_decision.verdict));
        if (s->last_decision.verdict == RETRY_NO_TOO_LONG && s->deadline_ms > now) {
            buf amount;
            buf_init(&amount);
            explain_duration(&amount, s->deadline_ms - now);
            buf_puts(&b, " · ");
            buf_fill(&b, str(a, "reset_in"), 1, buf_str(&amount));
            buf_free(&amount);
        }
        pl_add(p, ROLE_WARN, 3, buf_str(&b));
        buf_reset(&b);
    }

    link_lines(a, p, f, detail);

    if (detail) {
        if (f->request_id)
            pl_addf(p, ROLE_DIM, 3, "%s: %s", str(a, "request_id"), f->request_id);
        for (size_t i = 0; i < s->resp_headers.n; i++) {
            const http_header *h = &s->resp_headers.v[i];
            if (str_starts_with(h->name, "x-ratelimit-") || str_starts_with(h->name, "retry-after") ||
                strcmp(h->name, "x-should-retry") == 0 || strcmp(h->name, "content-type") == 0 ||
                strcmp(h->name, "openai-processing-ms") == 0)
                pl_addf(p, ROLE_DIM, 3, "%s: %s", h->name, h->value);
        }
    }

    /* The keys that apply now. */
    if (s->state == SESSION_WAITING)
        buf_puts(&b, str(a, "ui.keys_waiting"));
    else if (s->last_decision.retryable || f->entry == GUIDE_CANCELLED)
        buf_puts(&b, str(a, "ui.keys_failed"));
    else
        buf_puts(&b, str(a, "ui.keys_final"));
    if (f->entry == GUIDE_AUTH_INVALID || f->entry == GUIDE_AUTH_INCORRECT_KEY ||
        f->entry == GUIDE_NO_KEY) {
        buf_puts(&b, " · ");
        buf_puts(&b, str(a, "ui.f2_settings"));
    }
    pl_add(p, ROLE_DIM, 3, buf_str(&b));
    buf_free(&b);
}

static void ready_line(app *a, plines *p, int64_t now)
{
    const session *s = &a->s;
    buf b;
    buf_init(&b);
    theme_role role = ROLE_STATUS;
    if (a->notice) {
        buf_puts(&b, a->notice);
        role = a->notice_is_error ? ROLE_ERROR : ROLE_OK;
    } else if (s->state == SESSION_SENDING) {
        int64_t start = s->nattempts ? s->attempts[s->nattempts - 1].start_wall_ms : 0;
        int64_t secs = start ? (s->wall_clock() - start) / 1000 : 0;
        (void)now;
        buf_printf(&b, "%s · %s", str(a, "ui.sending"), s->p.model);
        if (secs > 0)
            buf_printf(&b, " · %lld s", (long long)secs);
        if (session_attempt_number(s) > 1) {
            buf_puts(&b, " · ");
            explain_attempt(&b, &a->cx, session_attempt_number(s), session_attempts_max(s));
        }
        buf_puts(&b, " · Esc");
    } else if (s->state == SESSION_STREAMING) {
        buf_printf(&b, "%s · %s · Esc", str(a, "ui.receiving"), s->p.model);
    } else {
        buf_printf(&b, "%s · %s", str(a, "ui.ready"), s->p.model);
        if (s->usage_total >= 0) {
            char c1[24], c2[24], c3[24];
            snprintf(c1, sizeof c1, "%ld", s->usage_prompt);
            snprintf(c2, sizeof c2, "%ld", s->usage_completion);
            snprintf(c3, sizeof c3, "%ld", s->usage_total);
            buf_puts(&b, " · ");
            buf_fill(&b, str(a, "usage"), 3, c1, c2, c3);
        }
        buf_puts(&b, " · F1 ");
        buf_puts(&b, str(a, "help"));
    }
    pl_add(p, role, 1, buf_str(&b));
    buf_free(&b);
}

static void build(app *a, plines *p, int64_t now)
{
    p->n = 0;
    p->width = a->cols;
    p->wrap = a->panel_detail;
    if (a->s.has_failure && (a->s.state == SESSION_WAITING || a->s.state == SESSION_FAILED)) {
        failure_lines(a, p, now);
        /* A command's answer (a report's path, an error) goes under the explanation. */
        if (a->notice)
            pl_add(p, a->notice_is_error ? ROLE_ERROR : ROLE_OK, 1, a->notice);
    } else {
        ready_line(a, p, now);
    }
}

int panel_explain_draw(app *a, WINDOW *w, int y, int maxlines, const failure *f)
{
    plines p;
    p.n = 0;
    p.width = getmaxx(w);
    p.wrap = true;
    explanation_lines(a, &p, f, false);
    link_lines(a, &p, f, false);
    int n = 0;
    for (int i = 0; i < p.n && n < maxlines; i++, n++)
        put_text(w, y + n, p.v[i].indent, p.v[i].text, strlen(p.v[i].text),
                 getmaxx(w) - p.v[i].indent - 1, theme_attr(p.v[i].role));
    pl_free(&p);
    return n;
}

/* The panel's lines for the frame being drawn: built once by panel_prepare,
 * whose count sizes the window, then drawn by panel_draw. */
static plines prepared;
static bool have_prepared;

int panel_prepare(app *a, int64_t now)
{
    pl_free(&prepared);
    build(a, &prepared, now);
    have_prepared = true;
    /* Never more than a third of the screen unless the user asked for details. */
    int max = a->panel_detail ? a->rows - 6 : a->rows / 3;
    if (max < 1)
        max = 1;
    return (prepared.n < max ? prepared.n : max) + 1; /* + the rule above it */
}

void panel_draw(app *a, int64_t now)
{
    WINDOW *w = a->panel;
    werase(w);
    wbkgdset(w, ' ' | (chtype)theme_attr(ROLE_NORMAL));
    int width = getmaxx(w), h = getmaxy(w);
    wattrset(w, (attr_t)theme_attr(ROLE_BORDER));
    mvwhline(w, 0, 0, ACS_HLINE, width);
    wattrset(w, A_NORMAL);
    if (!have_prepared)
        panel_prepare(a, now);
    const plines p = prepared;
    for (int i = 0; i < p.n && i + 1 < h; i++) {
        const pline *l = &p.v[i];
        int avail = width - l->indent - (l->right_cols ? l->right_cols + 2 : 0);
        put_text(w, i + 1, l->indent, l->text, strlen(l->text), avail, theme_attr(l->role));
        if (l->right_cols && i == 0 && a->s.last_failure.request_id) {
            const char *rid = a->s.last_failure.request_id;
            put_text(w, i + 1, width - l->right_cols - 1, rid, strlen(rid), l->right_cols,
                     theme_attr(ROLE_DIM));
        }
    }
    pl_free(&prepared);
    have_prepared = false;
    wnoutrefresh(w);
}

int64_t panel_next_tick(const app *a, int64_t now)
{
    const session *s = &a->s;
    if (s->state == SESSION_WAITING) {
        /* Ten ticks a second, aligned so the tenths change on time. */
        int64_t left = session_next_timeout(s, now);
        int64_t step = left % 100;
        return step ? step : (left ? 100 : 0);
    }
    if (s->state == SESSION_SENDING)
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

void title_draw(app *a)
{
    WINDOW *w = a->title;
    werase(w);
    wbkgdset(w, ' ' | (chtype)theme_attr(ROLE_TITLE));
    werase(w);
    int width = getmaxx(w);
    buf left;
    buf_init(&left);
    buf_printf(&left, " tchat · %s · %s", cfg_profile_name(a->cfg), a->s.p.model);
    buf right;
    buf_init(&right);
    const http_headers *h = &a->s.resp_headers;
    const char *rr = hdrs_get(h, "x-ratelimit-remaining-requests");
    const char *lr = hdrs_get(h, "x-ratelimit-limit-requests");
    const char *rt = hdrs_get(h, "x-ratelimit-remaining-tokens");
    const char *lt = hdrs_get(h, "x-ratelimit-limit-tokens");
    const char *reset = hdrs_get(h, "x-ratelimit-reset-requests");
    if (rr && lr) {
        buf_puts(&right, "req ");
        gauge_num(&right, rr);
        buf_putc(&right, '/');
        gauge_num(&right, lr);
    }
    if (rt && lt) {
        buf_puts(&right, right.len ? " · tok " : "tok ");
        gauge_num(&right, rt);
        buf_putc(&right, '/');
        gauge_num(&right, lt);
    }
    if (reset && right.len)
        buf_printf(&right, " · resets %s", reset);
    if (right.len)
        buf_putc(&right, ' ');
    int rcols = render_width(buf_str(&right), right.len);
    put_text(w, 0, 0, buf_str(&left), left.len, width - rcols - 1, theme_attr(ROLE_TITLE));
    if (rcols < width)
        put_text(w, 0, width - rcols, buf_str(&right), right.len, rcols, theme_attr(ROLE_TITLE));
    buf_free(&left);
    buf_free(&right);
    wnoutrefresh(w);
}

static void help_lines(app *a, plines *p)
{
    static const char *const keys[][2] = {
        {"Enter", "ui.help.enter"},       {"Alt-Enter, Ctrl-J", "ui.help.newline"},
        {"PgUp / PgDn", "ui.help.scroll"}, {"End", "ui.help.end"},
        {"F1", "ui.help.f1"},             {"F2", "ui.help.f2"},
        {"F5", "ui.help.f5"},             {"F6", "ui.help.f6"},
        {"F7", "ui.help.f7"},             {"F8", "ui.help.f8"},
        {"Esc", "ui.help.esc"},           {"Ctrl-C", "ui.help.ctrlc"},
        {"Ctrl-D", "ui.help.ctrld"},      {"Ctrl-R", "ui.help.ctrlr"},
    };
    pl_add(p, ROLE_HEADING, 2, str(a, "ui.help.title"));
    pl_add(p, ROLE_NORMAL, 2, "");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        pl_addf(p, ROLE_NORMAL, 2, "%-18s %s", keys[i][0], str(a, keys[i][1]));
    pl_add(p, ROLE_NORMAL, 2, "");
    pl_add(p, ROLE_HEADING, 2, str(a, "ui.help.commands"));
    static const char *const cmds[][2] = {
        {"/help", "ui.cmd.help"},       {"/settings", "ui.cmd.settings"},
        {"/retry", "ui.cmd.retry"},     {"/cancel", "ui.cmd.cancel"},
        {"/new", "ui.cmd.new"},         {"/model NAME", "ui.cmd.model"},
        {"/profile NAME", "ui.cmd.profile"}, {"/system TEXT", "ui.cmd.system"},
        {"/theme NAME", "ui.cmd.theme"}, {"/lang en|zh_CN", "ui.cmd.lang"},
        {"/export FILE", "ui.cmd.export"}, {"/report", "ui.cmd.report"},
        {"/status", "ui.cmd.status"},   {"/errors", "ui.cmd.errors"},
        {"/quit", "ui.cmd.quit"},       {"/demo NAME", "ui.cmd.demo"},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        pl_addf(p, ROLE_NORMAL, 2, "%-18s %s", cmds[i][0], str(a, cmds[i][1]));
    pl_add(p, ROLE_NORMAL, 2, "");
    pl_add(p, ROLE_DIM, 2, str(a, "ui.help.close"));
}

static void errors_lines(app *a, plines *p)
{
    pl_add(p, ROLE_HEADING, 2, str(a, "ui.errors.title"));
    pl_add(p, ROLE_NORMAL, 2, "");
    if (!a->nerrors)
        pl_add(p, ROLE_DIM, 2, str(a, "ui.errors.none"));
    for (size_t i = a->nerrors; i-- > 0;) {
        const error_record *e = &a->errors[i];
        char when[40];
        time_t secs = (time_t)(e->wall_ms / 1000);
        struct tm tm;
        localtime_r(&secs, &tm);
        strftime(when, sizeof when, "%H:%M:%S", &tm);
        pl_addf(p, ROLE_ERROR, 2, "%s  %s%s", when, e->title,
                e->retried ? str(a, "ui.errors.retried") : "");
        if (e->message)
            pl_addf(p, ROLE_DIM, 12, "%s", e->message);
        if (e->request_id)
            pl_addf(p, ROLE_DIM, 12, "%s: %s", str(a, "request_id"), e->request_id);
        if (p->n >= (int)(sizeof p->v / sizeof p->v[0]) - 4)
            break;
    }
    pl_add(p, ROLE_NORMAL, 2, "");
    pl_add(p, ROLE_DIM, 2, str(a, "ui.help.close"));
}

void overlay_draw(app *a)
{
    WINDOW *w = a->conv;
    werase(w);
    wbkgdset(w, ' ' | (chtype)theme_attr(ROLE_NORMAL));
    plines p;
    p.n = 0;
    p.width = getmaxx(w) - 4;
    p.wrap = true;
    if (a->overlay == OVERLAY_HELP)
        help_lines(a, &p);
    else
        errors_lines(a, &p);
    int h = getmaxy(w);
    if (a->overlay_scroll > p.n - h)
        a->overlay_scroll = p.n - h > 0 ? p.n - h : 0;
    for (int i = a->overlay_scroll, y = 0; i < p.n && y < h; i++, y++)
        put_text(w, y, p.v[i].indent, p.v[i].text, strlen(p.v[i].text),
                 getmaxx(w) - p.v[i].indent - 1, theme_attr(p.v[i].role));
    pl_free(&p);
    wnoutrefresh(w);
}
