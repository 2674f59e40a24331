#include "errlog.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void errlog_init(errlog *l)
{
    memset(l, 0, sizeof *l);
}

void errlog_free(errlog *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].title);
        free(l->v[i].message);
        free(l->v[i].request_id);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

void errlog_add(errlog *l, const explain_ctx *cx, const failure *f, const retry_decision *d,
                int64_t wall_ms)
{
    if (f->entry == GUIDE_CANCELLED) {
        if (l->n && l->v[l->n - 1].retried && !l->v[l->n - 1].retry_cancelled) {
            l->v[l->n - 1].retried = false;
            l->v[l->n - 1].retry_cancelled = true;
        }
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc_array(l->v, l->cap, sizeof *l->v);
    }
    errlog_entry *e = &l->v[l->n++];
    memset(e, 0, sizeof *e);
    buf t;
    buf_init(&t);
    explain_title(&t, cx, f);
    e->wall_ms = wall_ms;
    e->entry = f->entry;
    e->status = f->status;
    e->title = buf_steal(&t);
    e->message = xstrdup(f->err_message ? f->err_message : f->html_title);
    e->request_id = xstrdup(f->request_id);
    e->retried = d->verdict == RETRY_YES;
}
