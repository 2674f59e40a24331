#include "report.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "provider.h"
#include "sanitize.h"
#include "url.h"
#include "xheaders.h"

/* A response header whose value is not shown: the rate-limit headers name tokens, but
 * count them. */
static bool secret_header(const char *name)
{
    return !str_starts_with(name, "x-ratelimit-") && xhdr_name_secret(name);
}

static void put_time(buf *out, int64_t wall_ms)
{
    char t[48];
    time_iso8601(wall_ms, t, sizeof t);
    buf_puts(out, t);
}

static void report_note(void *ud, const char *note)
{
    buf_printf(ud, "Note: %s\n", note);
}

/* The library type's cause and steps, as the guide's second table gives them; in the
 * wording of one-shot mode, which names no key of the chat. */
static void report_type(buf *out, const explain_ctx *cx, const failure *f)
{
    const guide_text *tt = guide_type_text(f->type, cx->lang);
    if (!tt)
        return;
    buf_printf(out, "Library type: %s\n  %s\n", guide_type_name(f->type), tt->cause);
    for (size_t i = 0; i < tt->nsteps; i++)
        buf_printf(out, "  %zu. %s\n", i + 1, tt->steps_cli[i]);
}

void report_build(buf *out, const session *s, const explain_ctx *cx, const char *profile_name)
{
    size_t start = out->len;
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    buf_puts(out, "tchat support report\n====================\n\n");
    buf_puts(out, "Generated: ");
    put_time(out, s->wall_clock());
    buf_printf(out, "\ntchat: %s\nlibcurl: %s (%s)\n", TCHAT_VERSION, cv->version,
               cv->ssl_version ? cv->ssl_version : "no TLS");
    /* The base URL is shown, like everywhere, without the password it may hold. */
    char *base = url_display(s->p.base_url ? s->p.base_url : "");
    const provider_info *prov = provider_row(s->p.provider);
    buf_printf(out, "Profile: %s\n", profile_name ? profile_name : "");
    if (prov->id != PROVIDER_AUTO)
        buf_printf(out, "Provider: %s (%s)\n", prov->display, prov->name);
    buf_printf(out, "Model: %s\nBase URL: %s\n", s->p.model ? s->p.model : "", base);

    if (s->has_failure) {
        const failure *f = &s->last_failure;
        buf_puts(out, "\nLast error\n----------\n");
        buf_puts(out, "Explanation: ");
        explain_title(out, cx, f);
        buf_printf(out, "\nEntry: %s\n", guide_entry_id(f->entry));
        if (f->status)
            buf_printf(out, "HTTP status: %ld\n", f->status);
        buf_printf(out, "Transport: %s\n", net_result_name(f->net));
        buf_printf(out, "error.type: %s\nerror.code: %s\nerror.message: %s\n",
                   f->err_type ? f->err_type : "-", f->err_code ? f->err_code : "-",
                   f->err_message ? f->err_message : (f->html_title ? f->html_title : "-"));
        buf_printf(out, "x-request-id: %s\n", f->request_id ? f->request_id : "-");
        if (f->detail)
            buf_printf(out, "Detail: %s\n", f->detail);
        explain_notes(cx, f, report_note, out);
        report_type(out, cx, f);
    }

    buf_puts(out, "\nAttempts (ISO-8601, local time with zone)\n-----------------------------------------\n");
    for (size_t i = 0; i < s->nattempts; i++) {
        const session_attempt *a = &s->attempts[i];
        buf_printf(out, "%zu. ", i + 1);
        put_time(out, a->start_wall_ms);
        if (a->closed) {
            buf_puts(out, " → ");
            put_time(out, a->end_wall_ms);
        }
        if (a->ok) {
            buf_puts(out, "  ok\n");
            continue;
        }
        if (!a->closed) {
            buf_puts(out, "  in progress\n");
            continue;
        }
        buf_printf(out, "  %s", guide_entry_id(a->fail.entry));
        if (a->fail.status)
            buf_printf(out, " (HTTP %ld)", a->fail.status);
        if (a->fail.request_id)
            buf_printf(out, " x-request-id %s", a->fail.request_id);
        if (a->decision.verdict == RETRY_YES)
            buf_printf(out, "; retried after %lld ms (%s)", (long long)a->decision.delay_ms,
                       delay_source_name(a->decision.source));
        else
            buf_printf(out, "; not retried: %s", retry_verdict_text(a->decision.verdict));
        buf_putc(out, '\n');
    }

    buf_puts(out, "\nRequest headers\n---------------\n");
    char *url = session_chat_url(&s->p);
    char *shown_url = url_display(url);
    buf_printf(out, "POST %s\n", shown_url);
    free(shown_url);
    free(url);
    free(base);
    buf_puts(out, "Content-Type: application/json\n");
    if (s->p.api_key && *s->p.api_key && s->p.send_key) {
        const char *auth = provider_auth_header(s->p.provider, s->p.base_url);
        char *mask = config_mask_key(s->p.api_key);
        if (auth)
            buf_printf(out, "%s: %s (redacted)\n", auth, mask);
        else
            buf_printf(out, "Authorization: Bearer %s (redacted)\n", mask);
        free(mask);
    }
    if (s->p.organization && *s->p.organization)
        buf_printf(out, "OpenAI-Organization: %s\n", s->p.organization);
    if (s->p.project && *s->p.project)
        buf_printf(out, "OpenAI-Project: %s\n", s->p.project);
    buf_printf(out, "User-Agent: tchat/%s\n", TCHAT_VERSION);
    for (size_t i = 0; i < s->p.extra.n; i++) {
        const http_header *h = &s->p.extra.v[i];
        buf_printf(out, "%s: %s\n", h->name, xhdr_name_secret(h->name) ? "(redacted)" : h->value);
    }

    buf_puts(out, "\nResponse headers (last response)\n--------------------------------\n");
    for (size_t i = 0; i < s->resp_headers.n; i++) {
        const http_header *h = &s->resp_headers.v[i];
        buf_printf(out, "%s: %s\n", h->name, secret_header(h->name) ? "(redacted)" : h->value);
    }

    buf_puts(out, "\nRequest body (it holds your messages: read it before you send this report)\n"
                  "--------------------------------------------------------------------------\n");
    buf_puts(out, s->last_body ? s->last_body : "(none)");
    /* Where to ask: the provider's pages, OpenAI's community only for OpenAI. */
    buf_puts(out, "\n\nWhere to ask\n------------\n");
    buf_printf(out, "Help: %s\n",
               cx->help_url && *cx->help_url ? cx->help_url : "https://help.openai.com/en/");
    if (cx->status_url && *cx->status_url)
        buf_printf(out, "Status: %s\n", cx->status_url);
    if (cx->provider == PROVIDER_OPENAI || cx->provider == PROVIDER_AUTO)
        buf_puts(out, "Community: https://community.openai.com/ (leave out anything sensitive)\n");
    /* The key must never leave in a report, whatever a message or header held; and no
     * byte of it may work on the terminal of whoever reads it with cat. Text from the
     * network was cleaned where it came in; this pass also covers the request body, whose
     * messages may hold text piped in from anywhere. */
    buf report;
    buf_init(&report);
    buf_append(&report, out->data + start, out->len - start);
    session_redact(&s->p, &report);
    char *clean = sanitize_string(report.data, report.len);
    out->len = start;
    buf_puts(out, clean);
    free(clean);
    buf_free(&report);
}

int report_write(const session *s, const explain_ctx *cx, const char *profile_name, const char *dir,
                 char **path, char *err, size_t errlen)
{
    char *d = dir ? xstrdup(dir) : xdg_path("XDG_STATE_HOME", ".local/state", "tchat/reports");
    if (!d) {
        snprintf(err, errlen, "cannot find a place for reports: neither XDG_STATE_HOME nor HOME is set");
        return -1;
    }
    if (dir_create(d, err, errlen) != 0) {
        free(d);
        return -1;
    }
    char stamp[32];
    time_t now = (time_t)(s->wall_clock() / 1000);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char *p = NULL;
    int fd = -1;
    for (int n = 0; n < 100 && fd < 0; n++) {
        free(p);
        p = n ? xasprintf("%s/tchat-report-%s-%d.txt", d, stamp, n)
              : xasprintf("%s/tchat-report-%s.txt", d, stamp);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    free(d);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", p, strerror(errno));
        free(p);
        return -1;
    }
    buf text;
    buf_init(&text);
    report_build(&text, s, cx, profile_name);
    size_t off = 0;
    while (off < text.len) {
        ssize_t w = write(fd, text.data + off, text.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "cannot write %s: %s", p, strerror(errno));
            close(fd);
            buf_free(&text);
            free(p);
            return -1;
        }
        off += (size_t)w;
    }
    buf_free(&text);
    if (close(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", p, strerror(errno));
        free(p);
        return -1;
    }
    *path = p;
    return 0;
}
