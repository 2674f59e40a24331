#include "models.h"

#include <stdlib.h>
#include <string.h>

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
