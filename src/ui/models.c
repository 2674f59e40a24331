#include "models.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "xheaders.h"
#include "provider.h"
#include "redact.h"
#include "sanitize.h"
#include "session.h"
#include "util.h"

typedef struct listing {
    char *base_url;
    char **ids;
    size_t n;
} listing;

static listing *lists;
static size_t nlists;

void models_remember(const char *base_url, char *const *ids, size_t n)
{
    if (!base_url)
        return;
    listing *l = NULL;
    for (size_t i = 0; i < nlists && !l; i++)
        if (strcmp(lists[i].base_url, base_url) == 0)
            l = &lists[i];
    if (!l) {
        lists = xrealloc_array(lists, nlists + 1, sizeof *lists);
        l = &lists[nlists++];
        l->base_url = xstrdup(base_url);
    } else {
        for (size_t i = 0; i < l->n; i++)
            free(l->ids[i]);
        free(l->ids);
    }
    l->ids = n ? xmalloc_array(n, sizeof *l->ids) : NULL;
    for (size_t i = 0; i < n; i++)
        l->ids[i] = xstrdup(ids[i]);
    l->n = n;
}

size_t models_known(const char *base_url, const char *const **ids)
{
    *ids = NULL;
    for (size_t i = 0; base_url && i < nlists; i++) {
        if (strcmp(lists[i].base_url, base_url) == 0) {
            *ids = (const char *const *)lists[i].ids;
            return lists[i].n;
        }
    }
    return 0;
}

uint64_t models_request(const config *cfg, worker *w, failure *f, bool *unlisted)
{
    *unlisted = false;
    const char *key = cfg_sends_key(cfg) ? cfg_str(cfg, OPT_API_KEY) : NULL;
    const char *base = cfg_str(cfg, OPT_BASE_URL);
    provider_id prov = cfg_provider(cfg);
    char *url = provider_models_url(prov, base);
    if (!url) {
        /* Azure's deployments API has no model list. */
        *unlisted = true;
        return 0;
    }
    if (session_sends_key_in_clear(base, key, true) && !cfg_bool(cfg, OPT_ALLOW_INSECURE_HTTP)) {
        /* The same rule as a chat request: the key does not go unencrypted. */
        f->entry = GUIDE_INSECURE_HTTP;
        f->type = GUIDE_T_NONE;
        free(url);
        return 0;
    }
    xhdr_list extra;
    cfg_extra_headers(cfg, &extra);
    worker_job job = {
        .kind = JOB_MODELS,
        .url = url,
        .api_key = key,
        .auth_header = provider_auth_header(prov, base),
        .organization = cfg_str(cfg, OPT_ORGANIZATION),
        .project = cfg_str(cfg, OPT_PROJECT),
        .extra_headers = extra.v,
        .nextra_headers = extra.n,
        .ca_bundle = cfg_str(cfg, OPT_CA_BUNDLE),
        .connect_timeout_s = cfg_double(cfg, OPT_CONNECT_TIMEOUT),
        .idle_timeout_s = cfg_double(cfg, OPT_IDLE_TIMEOUT),
    };
    uint64_t id = worker_submit(w, &job);
    xhdr_free(&extra);
    free(url);
    return id;
}

int models_take(const config *cfg, const worker_event *ev, char ***ids, size_t *n, failure *f)
{
    *ids = NULL;
    *n = 0;
    if (ev->kind != WEV_DONE && ev->kind != WEV_FAILED)
        return 0;
    if (ev->kind == WEV_DONE) {
        char **v = NULL;
        long count = api_parse_models(buf_str(&ev->body), ev->body.len, &v);
        if (count >= 0) {
            /* Model names come from the network: no control or bidi characters. */
            for (long i = 0; i < count; i++) {
                char *clean = sanitize_line(v[i], strlen(v[i]), 0);
                free(v[i]);
                v[i] = clean;
            }
            models_remember(cfg_str(cfg, OPT_BASE_URL), v, (size_t)count);
            *ids = v;
            *n = (size_t)count;
            return 1;
        }
    }
    /* A failure (or a 200 that is not a model list): the guide's explanation. */
    classify_input in = {
        .net = ev->kind == WEV_DONE ? NET_MALFORMED : ev->net,
        .status = ev->status,
        .headers = &ev->headers,
        .body = ev->body.data,
        .body_len = ev->body.len,
        .detail = ev->detail,
    };
    classify(&in, f);
    redact_failure(f, cfg_str(cfg, OPT_API_KEY), cfg_str(cfg, OPT_BASE_URL));
    /* The values of secret extra headers are masked like the key. */
    xhdr_list extra;
    cfg_extra_headers(cfg, &extra);
    const char *secrets[2 * XHDR_MAX];
    size_t nsecrets = xhdr_secrets(&extra, secrets, sizeof secrets / sizeof *secrets);
    for (size_t i = 0; i < nsecrets; i++)
        redact_failure(f, secrets[i], NULL);
    xhdr_free(&extra);
    return -1;
}
