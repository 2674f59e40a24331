#include "statuspage.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "sanitize.h"
#include "url.h"
#include "util.h"

void statuspage_init(statuspage *sp)
{
    memset(sp, 0, sizeof *sp);
}

void statuspage_done(statuspage *sp)
{
    free(sp->text);
    sp->text = NULL;
}

void statuspage_reset(statuspage *sp)
{
    free(sp->text);
    sp->text = NULL;
    sp->unknown = false;
    sp->fetched_ms = 0;
}

bool statuspage_wanted(guide_entry e)
{
    switch (e) {
    case GUIDE_SERVER_ERROR:
    case GUIDE_OVERLOADED:
    case GUIDE_GATEWAY:
    case GUIDE_TIMEOUT:
    case GUIDE_FIRST_TOKEN_TIMEOUT:
    case GUIDE_DNS:
    case GUIDE_CONNECT_REFUSED:
    case GUIDE_CONNECTION:
    case GUIDE_STREAM_INTERRUPTED:
        return true;
    default:
        return false;
    }
}

bool statuspage_fetch(statuspage *sp, worker *w, const config *c, bool force, int64_t now)
{
    const char *base = cfg_str(c, OPT_STATUS_URL);
    /* A provider's page that serves no Statuspage JSON is a link only: never fetched. */
    if (!base || !*base || sp->job || !cfg_bool(c, OPT_STATUS_POLL) || !cfg_status_json(c))
        return false;
    if (!force && sp->fetched_ms && now - sp->fetched_ms < STATUSPAGE_INTERVAL_MS)
        return false;
    size_t len = strlen(base);
    char *url = xasprintf("%s%sapi/v2/status.json", base, len && base[len - 1] == '/' ? "" : "/");
    worker_job job = {
        .kind = JOB_STATUS,
        .url = url,
        .ca_bundle = cfg_str(c, OPT_CA_BUNDLE),
        .connect_timeout_s = cfg_double(c, OPT_CONNECT_TIMEOUT),
        .idle_timeout_s = 10,
    };
    sp->fetched_ms = now ? now : 1;
    sp->job = worker_submit(w, &job);
    free(url);
    return true;
}

bool statuspage_take(statuspage *sp, const worker_event *ev, const char *status_url)
{
    if (!sp->job || ev->job != sp->job || ev->job_kind != JOB_STATUS)
        return false;
    if (ev->kind != WEV_DONE && ev->kind != WEV_FAILED)
        return true;
    sp->job = 0;
    free(sp->text);
    sp->text = NULL;
    sp->unknown = true;
    char *indicator = NULL, *desc = NULL;
    if (ev->kind == WEV_DONE &&
        api_parse_status_page(buf_str(&ev->body), ev->body.len, &indicator, &desc) == 0) {
        /* "status.openai.com: Partial System Outage" */
        char *host = url_authority(status_url ? status_url : "");
        char *raw = xasprintf("%s: %s", host, desc && *desc ? desc : indicator);
        /* The page's words come from the network: no control or bidi characters. */
        sp->text = sanitize_line(raw, strlen(raw), 0);
        free(raw);
        free(host);
        sp->unknown = false;
    }
    free(indicator);
    free(desc);
    return true;
}
