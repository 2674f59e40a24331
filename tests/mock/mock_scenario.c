/* tchat-mock scenarios: parsing the scenario format, lookup and per-scenario counters. */
#include "mock_scenario.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_util.h"

typedef struct scenario {
    char *name;
    mock_step *steps;
    size_t n_steps;
    unsigned long hits;
} scenario;

static scenario *g_scenarios;
static size_t g_count, g_cap;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static char *g_status_indicator;
static char *g_status_description;
static int g_status_http;
static char *g_file_default;
static char *g_models;

static bool fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

static void step_free(mock_step *st)
{
    for (size_t i = 0; i < st->n_headers; i++) {
        free(st->headers[i].name);
        free(st->headers[i].value);
    }
    free(st->headers);
    for (size_t i = 0; i < st->n_raw_sse; i++)
        free(st->raw_sse[i]);
    free(st->raw_sse);
    cJSON_Delete(st->error);
    cJSON_Delete(st->stream_error);
    cJSON_Delete(st->data_error);
    cJSON_Delete(st->usage);
    free(st->body);
    free(st->content_type);
    free(st->reply);
    free(st->finish_reason);
    free(st->refusal);
    free(st->reasoning);
    free(st->reasoning_field);
    memset(st, 0, sizeof *st);
}

/* Whether an earlier member of the same object has this member's name (cJSON keeps both). */
static bool duplicate_key(const cJSON *item)
{
    for (const cJSON *p = item->prev; p && p->next; p = p->prev)
        if (p->string && strcmp(p->string, item->string) == 0)
            return true;
    return false;
}

static bool get_long(const cJSON *v, long min, long max, long *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < (double)min || v->valuedouble > (double)max ||
        v->valuedouble != (double)(long long)v->valuedouble)
        return false;
    *out = (long)v->valuedouble;
    return true;
}

/* HTTP header names are tokens; values must not smuggle line breaks into the response. */
static bool valid_header(const char *name, const char *value)
{
    if (!*name)
        return false;
    for (const char *p = name; *p; p++)
        if (!strchr("!#$%&'*+-.^_`|~", *p) && !(*p >= '0' && *p <= '9') &&
            !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z'))
            return false;
    for (const char *p = value ? value : ""; *p; p++)
        if (*p == '\r' || *p == '\n')
            return false;
    return true;
}

static bool parse_headers(const cJSON *obj, mock_step *st, const char *where, char *err,
                          size_t errlen)
{
    if (!cJSON_IsObject(obj))
        return fail(err, errlen, "%s: \"headers\" must be an object", where);
    size_t n = (size_t)cJSON_GetArraySize(obj);
    st->headers = mock_xmalloc(n * sizeof *st->headers + 1);
    const cJSON *h;
    cJSON_ArrayForEach(h, obj) {
        char num[64];
        const char *value;
        if (cJSON_IsString(h)) {
            value = h->valuestring;
        } else if (cJSON_IsNumber(h)) {
            snprintf(num, sizeof num, "%.17g", h->valuedouble);
            value = num;
        } else if (cJSON_IsNull(h)) {
            value = NULL;
        } else {
            return fail(err, errlen, "%s: header \"%s\" must be a string, number or null",
                        where, h->string);
        }
        if (!valid_header(h->string, value))
            return fail(err, errlen, "%s: header \"%s\" has an invalid name or value", where,
                        h->string);
        st->headers[st->n_headers].name = mock_xstrdup(h->string);
        st->headers[st->n_headers].value = mock_xstrdup(value);
        st->n_headers++;
    }
    return true;
}

static bool parse_raw_sse(const cJSON *v, mock_step *st, const char *where, char *err,
                          size_t errlen)
{
    if (cJSON_IsString(v)) {
        st->raw_sse = mock_xmalloc(sizeof *st->raw_sse);
        st->raw_sse[0] = mock_xstrdup(v->valuestring);
        st->n_raw_sse = 1;
        return true;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return fail(err, errlen, "%s: \"raw_sse\" must be a string or a non-empty array of "
                    "strings", where);
    size_t n = (size_t)cJSON_GetArraySize(v);
    st->raw_sse = mock_xmalloc(n * sizeof *st->raw_sse);
    const cJSON *s;
    cJSON_ArrayForEach(s, v) {
        if (!cJSON_IsString(s))
            return fail(err, errlen, "%s: \"raw_sse\" array holds a non-string", where);
        st->raw_sse[st->n_raw_sse++] = mock_xstrdup(s->valuestring);
    }
    return true;
}

enum field_kind { K_INT, K_LONG, K_BOOL, K_STR, K_OBJ };

/* The plain step fields: name, type, where it goes, and the range of numbers. */
static const struct field {
    const char *name;
    enum field_kind kind;
    size_t offset;
    long min, max;
} step_fields[] = {
    {"status", K_INT, offsetof(mock_step, status), 100, 599},
    {"delay_ms", K_LONG, offsetof(mock_step, delay_ms), 0, 86400000},
    {"chunk_chars", K_LONG, offsetof(mock_step, chunk_chars), 1, 1000000},
    {"chunk_delay_ms", K_LONG, offsetof(mock_step, chunk_delay_ms), 0, 3600000},
    {"hold_ms", K_LONG, offsetof(mock_step, hold_ms), 0, 86400000},
    {"stall_after", K_LONG, offsetof(mock_step, stall_after), 0, LONG_MAX},
    {"drop_after", K_LONG, offsetof(mock_step, drop_after), 0, LONG_MAX},
    {"retry_after_date", K_LONG, offsetof(mock_step, retry_after_date), -86400000, 86400000},
    {"no_done", K_BOOL, offsetof(mock_step, no_done), 0, 0},
    {"comments", K_BOOL, offsetof(mock_step, comments), 0, 0},
    {"crlf", K_BOOL, offsetof(mock_step, crlf), 0, 0},
    {"malformed", K_BOOL, offsetof(mock_step, malformed), 0, 0},
    {"invalid_utf8", K_BOOL, offsetof(mock_step, invalid_utf8), 0, 0},
    {"escapes", K_BOOL, offsetof(mock_step, escapes), 0, 0},
    {"html", K_BOOL, offsetof(mock_step, html), 0, 0},
    {"close", K_BOOL, offsetof(mock_step, close), 0, 0},
    {"demo", K_BOOL, offsetof(mock_step, demo), 0, 0},
    {"hangup", K_BOOL, offsetof(mock_step, hangup), 0, 0},
    {"echo_key", K_BOOL, offsetof(mock_step, echo_key), 0, 0},
    {"rst", K_BOOL, offsetof(mock_step, rst), 0, 0},
    {"body", K_STR, offsetof(mock_step, body), 0, 0},
    {"content_type", K_STR, offsetof(mock_step, content_type), 0, 0},
    {"reply", K_STR, offsetof(mock_step, reply), 0, 0},
    {"finish_reason", K_STR, offsetof(mock_step, finish_reason), 0, 0},
    {"refusal", K_STR, offsetof(mock_step, refusal), 0, 0},
    {"reasoning", K_STR, offsetof(mock_step, reasoning), 0, 0},
    {"reasoning_field", K_STR, offsetof(mock_step, reasoning_field), 0, 0},
    {"error", K_OBJ, offsetof(mock_step, error), 0, 0},
    {"stream_error", K_OBJ, offsetof(mock_step, stream_error), 0, 0},
    {"data_error", K_OBJ, offsetof(mock_step, data_error), 0, 0},
    {"usage", K_OBJ, offsetof(mock_step, usage), 0, 0},
};

static bool parse_field(const struct field *f, const cJSON *v, mock_step *st,
                        const char *where, char *err, size_t errlen)
{
    char *dst = (char *)st + f->offset;
    long n;
    switch (f->kind) {
    case K_INT:
    case K_LONG:
        if (!get_long(v, f->min, f->max, &n))
            return fail(err, errlen, "%s: \"%s\" must be an integer in %ld..%ld", where,
                        f->name, f->min, f->max);
        if (f->kind == K_INT)
            *(int *)(void *)dst = (int)n;
        else
            *(long *)(void *)dst = n;
        return true;
    case K_BOOL:
        if (!cJSON_IsBool(v))
            return fail(err, errlen, "%s: \"%s\" must be true or false", where, f->name);
        *(bool *)(void *)dst = cJSON_IsTrue(v);
        return true;
    case K_STR:
        if (!cJSON_IsString(v))
            return fail(err, errlen, "%s: \"%s\" must be a string", where, f->name);
        *(char **)(void *)dst = mock_xstrdup(v->valuestring);
        return true;
    case K_OBJ:
        if (!cJSON_IsObject(v))
            return fail(err, errlen, "%s: \"%s\" must be an object", where, f->name);
        *(cJSON **)(void *)dst = cJSON_Duplicate(v, true);
        return true;
    }
    return false;
}

static bool parse_step(const cJSON *j, mock_step *st, const char *where, char *err,
                       size_t errlen)
{
    memset(st, 0, sizeof *st);
    st->status = 200;
    st->chunk_chars = 4;
    st->stall_after = -1;
    st->drop_after = -1;
    st->retry_after_date = LONG_MIN;
    if (!cJSON_IsObject(j))
        return fail(err, errlen, "%s: a step must be an object", where);

    const cJSON *v;
    cJSON_ArrayForEach(v, j) {
        const char *key = v->string;
        if (key[0] == '_' || strcmp(key, "comment") == 0)
            continue; /* room for notes in scenario files */
        if (duplicate_key(v))
            return fail(err, errlen, "%s: field \"%s\" appears twice", where, key);
        if (strcmp(key, "headers") == 0) {
            if (!parse_headers(v, st, where, err, errlen))
                return false;
            continue;
        }
        if (strcmp(key, "raw_sse") == 0) {
            if (!parse_raw_sse(v, st, where, err, errlen))
                return false;
            continue;
        }
        if (strcmp(key, "stream_bytes") == 0) {
            long n;
            if (!get_long(v, 1, 1L << 40, &n))
                return fail(err, errlen, "%s: \"stream_bytes\" must be a positive integer",
                            where);
            st->stream_bytes = n;
            continue;
        }
        const struct field *f = NULL;
        for (size_t i = 0; i < sizeof step_fields / sizeof step_fields[0]; i++)
            if (strcmp(key, step_fields[i].name) == 0)
                f = &step_fields[i];
        if (!f)
            return fail(err, errlen, "%s: unknown field \"%s\"", where, key);
        if (!parse_field(f, v, st, where, err, errlen))
            return false;
    }
    if (st->content_type && !valid_header("content-type", st->content_type))
        return fail(err, errlen, "%s: \"content_type\" holds a line break", where);
    if (st->reasoning_field && strcmp(st->reasoning_field, "reasoning_content") != 0 &&
        strcmp(st->reasoning_field, "reasoning") != 0)
        return fail(err, errlen, "%s: \"reasoning_field\" must be \"reasoning_content\" or "
                                 "\"reasoning\"", where);
    return true;
}

static bool valid_name(const char *name)
{
    if (!*name || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!strchr("._-", *p) && !(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') &&
            !(*p >= 'A' && *p <= 'Z'))
            return false;
    return true;
}

static scenario *find(const char *name)
{
    for (size_t i = 0; i < g_count; i++)
        if (strcmp(g_scenarios[i].name, name) == 0)
            return &g_scenarios[i];
    return NULL;
}

static bool parse_scenario(const char *name, const cJSON *v, const char *origin, char *err,
                           size_t errlen)
{
    if (!valid_name(name))
        return fail(err, errlen, "%s: scenario name \"%s\" is not 1-64 of [A-Za-z0-9._-]",
                    origin, name);
    size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
    if (n == 0)
        return fail(err, errlen, "%s: scenario \"%s\" has no steps", origin, name);
    mock_step *steps = mock_xmalloc(n * sizeof *steps);
    memset(steps, 0, n * sizeof *steps);
    size_t i = 0;
    const cJSON *stepj = cJSON_IsArray(v) ? v->child : v;
    for (; i < n; i++, stepj = stepj->next) {
        char where[160];
        snprintf(where, sizeof where, "%s: scenario \"%s\" step %zu", origin, name, i);
        if (!parse_step(stepj, &steps[i], where, err, errlen)) {
            for (size_t k = 0; k <= i; k++)
                step_free(&steps[k]);
            free(steps);
            return false;
        }
    }
    scenario *sc = find(name);
    if (sc) {
        for (size_t k = 0; k < sc->n_steps; k++)
            step_free(&sc->steps[k]);
        free(sc->steps);
    } else {
        if (g_count == g_cap) {
            g_cap = g_cap ? g_cap * 2 : 64;
            g_scenarios = mock_xrealloc(g_scenarios, g_cap * sizeof *g_scenarios);
        }
        sc = &g_scenarios[g_count++];
        sc->name = mock_xstrdup(name);
    }
    sc->steps = steps;
    sc->n_steps = n;
    sc->hits = 0;
    return true;
}

static bool set_string(char **dst, const cJSON *v, const char *origin, const char *what,
                       char *err, size_t errlen)
{
    if (!cJSON_IsString(v))
        return fail(err, errlen, "%s: \"%s\" must be a string", origin, what);
    free(*dst);
    *dst = mock_xstrdup(v->valuestring);
    return true;
}

static bool parse_document(const char *text, size_t len, const char *origin, char *err,
                           size_t errlen)
{
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (!doc)
        return fail(err, errlen, "%s: not valid JSON (near byte %ld)", origin,
                    cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - text) : -1L);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return fail(err, errlen, "%s: the top level must be an object", origin);
    }
    bool ok = true;
    const cJSON *v;
    cJSON_ArrayForEach(v, doc) {
        const char *key = v->string;
        if (key[0] == '_' || strcmp(key, "comment") == 0) {
            continue;
        } else if (duplicate_key(v)) {
            ok = fail(err, errlen, "%s: top-level field \"%s\" appears twice", origin, key);
        } else if (strcmp(key, "scenarios") == 0) {
            if (!cJSON_IsObject(v)) {
                ok = fail(err, errlen, "%s: \"scenarios\" must be an object", origin);
                break;
            }
            const cJSON *sc;
            cJSON_ArrayForEach(sc, v) {
                if (duplicate_key(sc)) {
                    ok = fail(err, errlen, "%s: scenario \"%s\" is defined twice", origin,
                              sc->string);
                    break;
                }
                if (!(ok = parse_scenario(sc->string, sc, origin, err, errlen)))
                    break;
            }
        } else if (strcmp(key, "status_page") == 0) {
            const cJSON *ind = cJSON_GetObjectItemCaseSensitive(v, "indicator");
            const cJSON *desc = cJSON_GetObjectItemCaseSensitive(v, "description");
            ok = cJSON_IsObject(v) && (!ind || cJSON_IsString(ind)) &&
                 (!desc || cJSON_IsString(desc));
            if (!ok) {
                fail(err, errlen, "%s: \"status_page\" must be {\"indicator\": string, "
                     "\"description\": string}", origin);
                break;
            }
            if (ind)
                set_string(&g_status_indicator, ind, origin, "indicator", err, errlen);
            if (desc)
                set_string(&g_status_description, desc, origin, "description", err, errlen);
        } else if (strcmp(key, "status_page_http") == 0) {
            long n;
            if (!(ok = get_long(v, 100, 599, &n))) {
                fail(err, errlen, "%s: \"status_page_http\" must be an HTTP status", origin);
                break;
            }
            g_status_http = (int)n;
        } else if (strcmp(key, "default") == 0) {
            ok = set_string(&g_file_default, v, origin, key, err, errlen);
        } else if (strcmp(key, "models") == 0) {
            ok = set_string(&g_models, v, origin, key, err, errlen);
        } else {
            ok = fail(err, errlen, "%s: unknown top-level field \"%s\"", origin, key);
        }
        if (!ok)
            break;
    }
    cJSON_Delete(doc);
    return ok;
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    mock_buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len > ((size_t)64 << 20)) {
            fclose(f);
            mock_buf_free(&b);
            fail(err, errlen, "%s: larger than 64 MiB", path);
            return NULL;
        }
        mock_buf_add(&b, chunk, n);
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        mock_buf_free(&b);
        fail(err, errlen, "%s: read error", path);
        return NULL;
    }
    mock_buf_reserve(&b, 0);
    *len = b.len;
    return b.data;
}

bool mock_scenarios_load(const char *path, char *err, size_t errlen)
{
    free(g_status_indicator);
    free(g_status_description);
    g_status_indicator = mock_xstrdup("none");
    g_status_description = mock_xstrdup("All Systems Operational");
    if (!parse_document(mock_builtin_json, strlen(mock_builtin_json), "built-in scenarios",
                        err, errlen) ||
        !parse_document(mock_demo_json, strlen(mock_demo_json), "demo scenarios", err, errlen))
        return false;
    if (path) {
        size_t len = 0;
        char *text = read_file(path, &len, err, errlen);
        if (!text)
            return false;
        bool ok = parse_document(text, len, path, err, errlen);
        free(text);
        if (!ok)
            return false;
    }
    if (g_models && !find(g_models))
        return fail(err, errlen, "%s: \"models\" names an unknown scenario \"%s\"", path,
                    g_models);
    if (g_file_default && !find(g_file_default))
        return fail(err, errlen, "%s: \"default\" names an unknown scenario \"%s\"", path,
                    g_file_default);
    return true;
}

/* "NAME#TAG" is scenario NAME with a step counter of its own, so that a client
 * (tchat's demo) can replay a sequence such as 429-then-ok from its start. */
typedef struct tagged_counter {
    char *name;
    unsigned long hits;
} tagged_counter;

static tagged_counter *g_tagged;
static size_t g_ntagged, g_captagged;

static scenario *find_base(const char *name)
{
    const char *hash = strchr(name, '#');
    if (!hash)
        return find(name);
    char base[128];
    size_t n = (size_t)(hash - name);
    if (n >= sizeof base)
        return NULL;
    memcpy(base, name, n);
    base[n] = '\0';
    return find(base);
}

/* The counter of a tagged name; call with g_lock held. */
static unsigned long *tagged_hits(const char *name)
{
    for (size_t i = 0; i < g_ntagged; i++)
        if (strcmp(g_tagged[i].name, name) == 0)
            return &g_tagged[i].hits;
    if (g_ntagged == g_captagged) {
        g_captagged = g_captagged ? g_captagged * 2 : 16;
        g_tagged = mock_xrealloc(g_tagged, g_captagged * sizeof *g_tagged);
    }
    g_tagged[g_ntagged].name = mock_xstrdup(name);
    g_tagged[g_ntagged].hits = 0;
    return &g_tagged[g_ntagged++].hits;
}

bool mock_scenario_exists(const char *name)
{
    return find_base(name) != NULL;
}

const mock_step *mock_scenario_next(const char *name, size_t *step_index)
{
    scenario *sc = find_base(name);
    if (!sc)
        return NULL;
    pthread_mutex_lock(&g_lock);
    unsigned long *hits = strchr(name, '#') ? tagged_hits(name) : &sc->hits;
    size_t i = *hits < sc->n_steps ? (size_t)*hits : sc->n_steps - 1;
    if (*hits < ULONG_MAX)
        (*hits)++;
    pthread_mutex_unlock(&g_lock);
    if (step_index)
        *step_index = i;
    return &sc->steps[i];
}

void mock_scenarios_reset(void)
{
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_count; i++)
        g_scenarios[i].hits = 0;
    for (size_t i = 0; i < g_ntagged; i++)
        g_tagged[i].hits = 0;
    pthread_mutex_unlock(&g_lock);
}

char *mock_scenario_names(cJSON *arr)
{
    mock_buf b = {0};
    for (size_t i = 0; i < g_count; i++) {
        if (arr) {
            cJSON_AddItemToArray(arr, cJSON_CreateString(g_scenarios[i].name));
        } else {
            if (i)
                mock_buf_adds(&b, ", ");
            mock_buf_adds(&b, g_scenarios[i].name);
        }
    }
    if (arr)
        return NULL;
    mock_buf_reserve(&b, 0);
    return b.data;
}

void mock_scenarios_print(void)
{
    for (size_t i = 0; i < g_count; i++)
        printf("%s\t%zu\n", g_scenarios[i].name, g_scenarios[i].n_steps);
}

const char *mock_status_indicator(void)
{
    return g_status_indicator;
}

const char *mock_status_description(void)
{
    return g_status_description;
}

int mock_status_http(void)
{
    return g_status_http;
}

const char *mock_file_default(void)
{
    return g_file_default;
}

const char *mock_models_scenario(void)
{
    return g_models;
}
