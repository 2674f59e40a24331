#include "pickers.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "models.h"
#include "panel.h"
#include "url.h"

/* ---- /model ---- */

typedef struct model_pick {
    chat *c;
    pickers_apply_fn apply;
    uint64_t job;   /* GET /models in flight (0: none) */
    explain_ctx cx; /* the endpoint asked */
    failure f;      /* why it failed */
} model_pick;

static void build_failure(void *ud, ui_lines *out)
{
    model_pick *mp = ud;
    mp->cx.lang = mp->c->cx.lang;
    panel_explain(out, &mp->cx, NULL, &mp->f);
}

static unsigned apply_choice(chat *c, pickers_apply_fn apply, const char *name)
{
    return apply(c, name, 0) | UI_CLOSE | UI_REDRAW_ALL;
}

static unsigned model_choose(void *ud, picker *p, const char *id)
{
    (void)p;
    model_pick *mp = ud;
    return apply_choice(mp->c, mp->apply, id);
}

static unsigned model_event(void *ud, picker *p, const worker_event *ev)
{
    model_pick *mp = ud;
    if (!mp->job || ev->job != mp->job)
        return UI_PASS;
    char **ids;
    size_t n;
    int rc = models_take(mp->c->cfg, ev, &ids, &n, &mp->f);
    if (rc == 0)
        return 0;
    mp->job = 0;
    if (rc < 0) {
        picker_set_lines(p, build_failure, mp);
        return UI_REDRAW_ALL;
    }
    const char *current = cfg_str(mp->c->cfg, OPT_MODEL);
    picker_item *items = n ? xcalloc(n, sizeof *items) : NULL;
    for (size_t i = 0; i < n; i++)
        items[i] = (picker_item){.label = ids[i], .current = current && !strcmp(ids[i], current)};
    picker_set_items(p, items, n);
    free(items);
    api_free_strings(ids, n);
    return UI_REDRAW_ALL;
}

static void model_done(void *ud)
{
    model_pick *mp = ud;
    if (mp->job)
        worker_cancel(mp->c->w, mp->job);
    explain_ctx_done(&mp->cx);
    failure_free(&mp->f);
    free(mp);
}

picker *pickers_models(chat *c, pickers_apply_fn apply)
{
    model_pick *mp = xcalloc(1, sizeof *mp);
    mp->c = c;
    mp->apply = apply;
    failure_init(&mp->f);
    explain_ctx_from_config(&mp->cx, c->cfg);
    const char *where = mp->cx.base_url ? mp->cx.base_url : "";
    buf title;
    buf_init(&title);
    buf_fill(&title, chat_str(c, "ui.models.title"), 1, where);
    picker_opts o = {
        .name = "models",
        .title = buf_str(&title),
        .lang = &c->cx.lang,
        .calls = {.choose = model_choose, .event = model_event, .done = model_done},
        .ud = mp,
    };
    picker *p = picker_new(&o);
    buf_free(&title);
    bool unlisted;
    mp->job = models_request(c->cfg, c->w, &mp->f, &unlisted);
    if (unlisted) {
        /* Nothing to list (Azure's deployments): say so where the list would be. */
        picker_set_loading(p, chat_str(c, "settings.no_models"));
    } else if (mp->job) {
        buf b;
        buf_init(&b);
        buf_fill(&b, chat_str(c, "ui.models.loading"), 1, where);
        picker_set_loading(p, buf_str(&b));
        buf_free(&b);
    } else {
        picker_set_lines(p, build_failure, mp);
    }
    return p;
}

/* ---- /profile ---- */

typedef struct profile_pick {
    chat *c;
    pickers_apply_fn apply;
} profile_pick;

static unsigned profile_choose(void *ud, picker *p, const char *id)
{
    (void)p;
    profile_pick *pp = ud;
    return apply_choice(pp->c, pp->apply, id);
}

picker *pickers_profiles(chat *c, pickers_apply_fn apply)
{
    profile_pick *pp = xcalloc(1, sizeof *pp);
    pp->c = c;
    pp->apply = apply;
    picker_opts o = {
        .name = "profiles",
        .title = chat_str(c, "ui.profiles.title"),
        .lang = &c->cx.lang,
        .calls = {.choose = profile_choose, .done = free},
        .ud = pp,
    };
    picker *p = picker_new(&o);
    const config *cfg = c->cfg;
    size_t n = cfg->nprofiles;
    picker_item *items = xcalloc(n ? n : 1, sizeof *items);
    char **urls = xcalloc(n ? n : 1, sizeof *urls);
    for (size_t i = 0; i < n; i++) {
        const char *url = cfg_file_text(cfg, i, OPT_BASE_URL);
        urls[i] = url && *url ? url_display(url) : NULL;
        items[i] = (picker_item){.label = cfg->profiles[i].name,
                                 .right = urls[i],
                                 .current = i == cfg->current};
    }
    picker_set_items(p, items, n);
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
    free(items);
    return p;
}
