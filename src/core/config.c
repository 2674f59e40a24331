/* The option registry and the values built from it: the typed table (CONFIG_OPTIONS),
 * validation and canonical text, the layers of each profile and the effective values they
 * give, the accessors, the profile list, masking keys and the default path. The file is
 * config_file.c's, the key command config_keycmd.c's. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"
#include "url.h"
#include "util.h"
#include "xheaders.h"

/* Password managers may ask for a passphrase, so the key command gets time for a human. */
#define KEY_CMD_TIMEOUT_MS 30000

/* ---------------------------------------------------------------- the option table */

#define OPT_DEF_(id, key, type, scope, def, min, max, env, help) \
    [id] = {key, type, scope, def, min, max, env, help},
static const opt_def opt_defs[OPT__COUNT] = {CONFIG_OPTIONS(OPT_DEF_)};
#undef OPT_DEF_

#define SRC_NAME_(id, name) [id] = name,
static const char *const src_names[SRC__COUNT] = {OPT_SOURCES(SRC_NAME_)};
#undef SRC_NAME_

const opt_def *opt_get_def(opt_id id)
{
    return (unsigned)id < OPT__COUNT ? &opt_defs[id] : NULL;
}

const char *opt_source_name(opt_source s)
{
    return (unsigned)s < SRC__COUNT ? src_names[s] : "?";
}

int opt_find(const char *key)
{
    if (!key)
        return -1;
    if (key[0] == '-' && key[1] == '-')
        key += 2;
    for (int id = 0; id < OPT__COUNT; id++) {
        const char *a = opt_defs[id].key, *b = key;
        for (; *a && *b; a++, b++) {
            char cb = *b == '-' ? '_' : *b;
            if (*a != cb)
                break;
        }
        if (!*a && !*b)
            return id;
    }
    return -1;
}

/* "--max-retries" for every option, built once: the table only has the JSON keys. */
static char flag_names[OPT__COUNT][48];
static pthread_once_t flag_names_once = PTHREAD_ONCE_INIT;

static void flag_names_init(void)
{
    for (int id = 0; id < OPT__COUNT; id++) {
        snprintf(flag_names[id], sizeof flag_names[id], "--%s", opt_defs[id].key);
        for (char *p = flag_names[id] + 2; *p; p++)
            if (*p == '_')
                *p = '-';
    }
}

static const char *flag_name(opt_id id)
{
    pthread_once(&flag_names_once, flag_names_init);
    return flag_names[id];
}

/* ---------------------------------------------------------------- small helpers */

const char *config_getenv(const char *name)
{
    return getenv(name);
}

/* Why a text value is unusable, or NULL. Values reach the terminal and HTTP
 * headers, so no control characters; the system prompt may span lines. */
const char *config_text_problem(const char *s, bool allow_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = str_utf8_seq(p + i, n - i, &cp);
        if (!k)
            return "must be valid UTF-8 text";
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            if (!(allow_newlines && (cp == '\n' || cp == '\t')))
                return "must not contain control characters";
        }
        i += k;
    }
    return NULL;
}

/* Shortest text that reads back as the same double. */
void config_fmt_num(double d, char *out, size_t outlen)
{
    if (d == 0)
        d = 0; /* no "-0" */
    snprintf(out, outlen, "%.15g", d);
    if (strtod(out, NULL) != d)
        snprintf(out, outlen, "%.17g", d);
}

/* ---------------------------------------------------------------- value validation */

static bool is_url_option(opt_id id)
{
    return id == OPT_STATUS_URL || id == OPT_HELP_URL;
}

void config_range_text(const opt_def *d, char *out, size_t outlen)
{
    if (d->type == OPT_INT) {
        snprintf(out, outlen, "from %ld to %ld", (long)d->min, (long)d->max);
        return;
    }
    char a[32], b[32];
    config_fmt_num(d->min, a, sizeof a);
    config_fmt_num(d->max, b, sizeof b);
    snprintf(out, outlen, "from %s to %s", a, b);
}

/* Why url is not an http(s) URL with a host, or NULL. */
static const char *url_problem(const char *url)
{
    static const char *const need = "must start with http:// or https:// followed by a host";
    for (const char *p = url; *p; p++)
        if (isspace((unsigned char)*p))
            return "must not contain spaces";
    const char *q;
    if (str_ncasecmp(url, "http://", 7) == 0)
        q = url + 7;
    else if (str_ncasecmp(url, "https://", 8) == 0)
        q = url + 8;
    else
        return need;
    size_t alen = strcspn(q, "/?#");
    const char *host = q, *at;
    while ((at = memchr(host, '@', alen - (size_t)(host - q))) != NULL)
        host = at + 1;
    const char *aend = q + alen, *port = NULL;
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(aend - host));
        if (!close || close == host + 1)
            return need;
        if (close + 1 < aend) {
            if (close[1] != ':')
                return need;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(host, ':', (size_t)(aend - host));
        if ((colon ? colon : aend) == host)
            return need;
        if (colon)
            port = colon + 1;
    }
    if (port) {
        long v = 0;
        const char *p = port;
        for (; p < aend && isdigit((unsigned char)*p) && v <= 65535; p++)
            v = v * 10 + (*p - '0');
        if (p == port || p != aend || v < 1 || v > 65535)
            return "the port must be a number from 1 to 65535";
    }
    return NULL;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (str_casecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (str_casecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool parse_long(const char *s, long *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (!*p)
        return false;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    bool digit = false;
    for (const char *q = s; *q; q++) {
        if (isdigit((unsigned char)*q))
            digit = true;
        else if (!strchr("+-.eE", *q))
            return false; /* no hex floats, "inf" or "nan" */
    }
    if (!digit)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* The canonical text of the options whose values are names or JSON: the provider's name
 * in lower case, a variable name, an api-version, the headers' compact JSON. NULL with why
 * when the text is not one. */
static char *special_canon(opt_id id, char *s, char *why, size_t whylen)
{
    if (id == OPT_EXTRA_HEADERS) {
        xhdr_list l;
        if (xhdr_parse(s, &l, why, whylen) != 0)
            return NULL;
        char *canon = xhdr_canonical(&l);
        xhdr_free(&l);
        return canon;
    }
    str_trim(s);
    if (id == OPT_PROVIDER) {
        int p = provider_find(s);
        if (p < 0) {
            err_set(why, whylen, "must be one of: %s", provider_names());
            return NULL;
        }
        return xstrdup(provider_row((provider_id)p)->name);
    }
    /* A variable name (api_key_env) or an api-version: a word of letters, digits and a few
     * marks, so that it can go into a query or be looked up as it is. */
    size_t n = strlen(s);
    bool ok = n <= 64;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool alnum = isalnum(ch) && ch < 0x80;
        ok = id == OPT_API_KEY_ENV ? alnum || ch == '_'
                                   : alnum || ch == '-' || ch == '.' || ch == '_';
    }
    if (ok && id == OPT_API_KEY_ENV && n && isdigit((unsigned char)s[0]))
        ok = false;
    if (!ok) {
        err_set(why, whylen,
                id == OPT_API_KEY_ENV
                    ? "must be the name of an environment variable (letters, digits "
                      "and '_', not starting with a digit)"
                    : "must be an api-version such as 2024-10-21 (letters, digits, "
                      "'-', '.' and '_')");
        return NULL;
    }
    return xstrdup(s);
}

/* Parses text for option id into *out (a fresh text, nothing else set) or says why not. */
bool config_opt_parse(opt_id id, const char *text, opt_value *out, char *why, size_t whylen)
{
    const opt_def *d = &opt_defs[id];
    char *s = xstrdup(text);
    char tmp[64];
    memset(out, 0, sizeof *out);

    switch (d->type) {
    case OPT_INT: {
        long v;
        str_trim(s);
        if (!parse_long(s, &v) || v < (long)d->min || v > (long)d->max) {
            config_range_text(d, tmp, sizeof tmp);
            err_set(why, whylen, "must be a whole number %s", tmp);
            goto bad;
        }
        out->i = v;
        out->text = xasprintf("%ld", v);
        break;
    }
    case OPT_DOUBLE: {
        double v;
        str_trim(s);
        if (!parse_double(s, &v) || v < d->min || v > d->max) {
            config_range_text(d, tmp, sizeof tmp);
            err_set(why, whylen, "must be a number %s", tmp);
            goto bad;
        }
        out->d = v;
        config_fmt_num(v, tmp, sizeof tmp);
        out->text = xstrdup(tmp);
        break;
    }
    case OPT_BOOL: {
        bool v;
        str_trim(s);
        if (!parse_bool(s, &v)) {
            err_set(why, whylen, "must be true or false");
            goto bad;
        }
        out->b = v;
        out->text = xstrdup(v ? "true" : "false");
        break;
    }
    case OPT_URL: {
        str_trim(s);
        if (!*s && is_url_option(id)) {
            out->text = s;
            return true;
        }
        const char *p = config_text_problem(s, false);
        if (!p)
            p = url_problem(s);
        if (p) {
            if (is_url_option(id) && str_starts_with(p, "must start"))
                p = "must be empty or start with http:// or https:// followed by a host";
            err_set(why, whylen, "%s", p);
            goto bad;
        }
        if (id == OPT_BASE_URL) {
            size_t n = strlen(s);
            while (n && s[n - 1] == '/')
                s[--n] = '\0';
        }
        out->text = s;
        return true;
    }
    case OPT_STRING:
    case OPT_SECRET:
    case OPT_PATH: {
        if (id == OPT_API_KEY) {
            str_trim(s);
            for (const char *p = s; *p; p++) {
                if (isspace((unsigned char)*p)) {
                    err_set(why, whylen, "the API key contains a space");
                    goto bad;
                }
            }
        }
        const char *p = config_text_problem(s, id == OPT_SYSTEM || id == OPT_EXTRA_HEADERS);
        if (p) {
            err_set(why, whylen, "%s", p);
            goto bad;
        }
        if (id == OPT_PROVIDER || id == OPT_API_KEY_ENV || id == OPT_API_VERSION ||
            id == OPT_EXTRA_HEADERS) {
            char *canon = special_canon(id, s, why, whylen);
            if (!canon)
                goto bad;
            free(s);
            s = canon;
        }
        if (id == OPT_LANG) {
            const char *canon = NULL;
            if (!*s)
                canon = "";
            else if (str_casecmp(s, "en") == 0)
                canon = "en";
            else if (str_casecmp(s, "zh") == 0 || str_casecmp(s, "zh_CN") == 0 ||
                     str_casecmp(s, "zh-CN") == 0)
                canon = "zh_CN";
            if (!canon) {
                err_set(why, whylen, "must be en or zh_CN (or empty to follow the locale)");
                goto bad;
            }
            free(s);
            s = xstrdup(canon);
        }
        out->text = s;
        return true;
    }
    }
    free(s);
    return true;
bad:
    if (d->type == OPT_SECRET)
        explicit_bzero(s, strlen(s));
    free(s);
    return false;
}

void config_value_clear(opt_value *v, opt_id id)
{
    if (v->text && opt_defs[id].type == OPT_SECRET)
        explicit_bzero(v->text, strlen(v->text));
    free(v->text);
    memset(v, 0, sizeof *v);
}

/* Frees a layer's text, wiping it first when it may be a key. */
void config_text_free(char *s, opt_id id)
{
    if (s && opt_defs[id].type == OPT_SECRET)
        explicit_bzero(s, strlen(s));
    free(s);
}

void config_value_default(opt_value *v, opt_id id)
{
    char why[160];
    if (!config_opt_parse(id, opt_defs[id].def, v, why, sizeof why)) {
        /* The table is code: a bad default is a bug, caught by the tests. */
        fprintf(stderr, "tchat: bad default for %s: %s\n", opt_defs[id].key, why);
        abort();
    }
    v->src = SRC_DEFAULT;
    v->src_detail = "default";
}

static void profile_init(profile *p, const char *name)
{
    memset(p, 0, sizeof *p);
    p->name = xstrdup(name);
    for (int id = 0; id < OPT__COUNT; id++)
        if (opt_defs[id].scope == SCOPE_PROFILE)
            config_value_default(&p->v[id], (opt_id)id);
}

void config_profile_done(profile *p)
{
    for (int id = 0; id < OPT__COUNT; id++) {
        config_value_clear(&p->v[id], (opt_id)id);
        config_text_free(p->file[id], (opt_id)id);
    }
    free(p->name);
    free(p->doc_name);
    config_text_free(p->keycmd_key, OPT_API_KEY);
    free(p->keycmd_for);
    memset(p, 0, sizeof *p);
}

profile *config_profile_new(config *c, const char *name)
{
    c->profiles = xrealloc_array(c->profiles, c->nprofiles + 1, sizeof *c->profiles);
    profile *p = &c->profiles[c->nprofiles++];
    profile_init(p, name);
    return p;
}

static const char *src_detail_for(const config *c, opt_id id, opt_source src)
{
    switch (src) {
    case SRC_CONFIG:
        return c->path ? c->path : "config file";
    case SRC_ENV:
        return opt_defs[id].env ? opt_defs[id].env : "environment";
    case SRC_FLAG:
        return flag_name(id);
    case SRC_KEYCMD:
        return "api_key_cmd";
    case SRC_PRESET:
        return "preset";
    default:
        return "default";
    }
}

/* How a message names a value from src: "--max-retries", "OPENAI_BASE_URL", "max_retries". */
static const char *src_label(const config *c, opt_id id, opt_source src, const char *detail)
{
    return src == SRC_FLAG     ? flag_name(id)
           : src == SRC_ENV    ? (detail ? detail : src_detail_for(c, id, src))
           : src == SRC_KEYCMD ? "api_key_cmd"
                               : opt_defs[id].key;
}

/* config_layer_parse with the detail of the source (the variable's name, the preset's
 * provider) when it is not the option's own. */
static bool layer_parse(const config *c, opt_id id, const char *text, opt_source src,
                        const char *detail, opt_value *out, char *err, size_t errlen)
{
    char why[160];
    if (!config_opt_parse(id, text, out, why, sizeof why)) {
        err_set(err, errlen, "%s: %s", src_label(c, id, src, detail), why);
        return false;
    }
    out->src = src;
    out->src_detail = detail ? detail : src_detail_for(c, id, src);
    return true;
}

bool config_layer_parse(const config *c, opt_id id, const char *text, opt_source src,
                        opt_value *out, char *err, size_t errlen)
{
    return layer_parse(c, id, text, src, NULL, out, err, errlen);
}

/* ---------------------------------------------------------------- the environment */

typedef struct config_envvar {
    char *name;
    char *value; /* NULL: not set, or empty */
} config_envvar;

/* The value of variable name, read on first use and kept (so the environment is read once);
 * *stable gets a copy of the name that lives as long as c. NULL when unset or empty. */
static const char *env_value(config *c, const char *name, const char **stable)
{
    for (size_t i = 0; i < c->nenvvars; i++)
        if (!strcmp(c->envvars[i].name, name)) {
            *stable = c->envvars[i].name;
            return c->envvars[i].value;
        }
    const char *(*get)(const char *) = c->getenv_fn ? c->getenv_fn : config_getenv;
    const char *v = get(name);
    c->envvars = xrealloc_array(c->envvars, c->nenvvars + 1, sizeof *c->envvars);
    config_envvar *e = &c->envvars[c->nenvvars++];
    e->name = xstrdup(name);
    e->value = v && *v ? xstrdup(v) : NULL;
    *stable = e->name;
    return e->value;
}

void config_env_free(config *c)
{
    for (size_t i = 0; i < c->nenvvars; i++) {
        free(c->envvars[i].name);
        if (c->envvars[i].value) /* it may be a key */
            explicit_bzero(c->envvars[i].value, strlen(c->envvars[i].value));
        free(c->envvars[i].value);
    }
    free(c->envvars);
    c->envvars = NULL;
    c->nenvvars = 0;
}

/* ---------------------------------------------------------------- computing effective values */

/* What decides the layers of one profile besides its own values. */
typedef struct layers {
    const profile *p;     /* NULL: the global options */
    bool active;          /* the current profile: flags and the environment apply */
    provider_id setting;  /* the option "provider" */
    provider_id resolved; /* what it means for the base URL (known once that is computed) */
    bool resolved_known;
    const char *key_env; /* api_key_env's value */
} layers;

/* The variable that gives option id under L, or NULL. */
static const char *env_name(const layers *L, opt_id id)
{
    const char *openai_var = opt_defs[id].env;
    if (!L->p)
        return openai_var;
    switch (id) {
    case OPT_API_KEY:
        if (L->key_env && *L->key_env)
            return L->key_env;
        return provider_reads_openai_env(L->setting, L->resolved)
                   ? openai_var
                   : provider_row(L->resolved)->key_env;
    case OPT_BASE_URL:
        return L->setting == PROVIDER_AUTO || L->setting == PROVIDER_OPENAI ? openai_var : NULL;
    default:
        return openai_var && provider_reads_openai_env(L->setting, L->resolved) ? openai_var : NULL;
    }
}

/* The preset's value of option id under L, or NULL when it gives none. A value equal to
 * the built-in default is none (OpenAI's row is the defaults). */
static const char *preset_value(const layers *L, opt_id id)
{
    if (!L->p)
        return NULL;
    const char *v = NULL;
    if (id == OPT_BASE_URL) {
        v = L->setting != PROVIDER_AUTO ? provider_row(L->setting)->base_url : NULL;
    } else if (L->resolved_known) {
        const provider_info *row = provider_row(L->resolved);
        switch (id) {
        case OPT_STATUS_URL:
            v = row->status_url ? row->status_url : "";
            break;
        case OPT_HELP_URL:
            v = row->links[PLINK_HELP];
            break;
        case OPT_NEEDS_KEY:
            v = row->needs_key ? NULL : "false";
            break;
        case OPT_API_VERSION:
            v = row->api_version;
            break;
        default:
            break;
        }
    }
    return v && strcmp(v, opt_defs[id].def) != 0 ? v : NULL;
}

/* The winning layer for option id under L, except the key command, which
 * config_profile_compute handles. *detail: the variable or the preset's provider (NULL:
 * the option's own). */
static const char *layer_pick(config *c, const layers *L, opt_id id, opt_source *src,
                              const char **detail)
{
    *detail = NULL;
    if (L->active && c->flag[id]) {
        *src = SRC_FLAG;
        return c->flag[id];
    }
    if (L->active && c->env[id]) {
        *src = SRC_ENV;
        return c->env[id];
    }
    const char *var = L->active ? env_name(L, id) : NULL;
    const char *v = var ? env_value(c, var, detail) : NULL;
    if (v) {
        if (id == OPT_API_KEY)
            env_child_withhold(var); /* no child gets the key, whatever its name */
        *src = SRC_ENV;
        return v;
    }
    *detail = NULL;
    if (L->p && L->p->file[id]) {
        *src = SRC_CONFIG;
        return L->p->file[id];
    }
    if (c->top[id]) {
        *src = SRC_CONFIG;
        return c->top[id];
    }
    v = preset_value(L, id);
    if (v) {
        *src = SRC_PRESET;
        *detail = provider_row(id == OPT_BASE_URL ? L->setting : L->resolved)->name;
        return v;
    }
    *src = SRC_DEFAULT;
    return opt_defs[id].def;
}

/* Computes option id into *out under L. */
static bool layer_value(config *c, const layers *L, opt_id id, opt_value *out, char *err,
                        size_t errlen)
{
    opt_source src;
    const char *detail;
    const char *text = layer_pick(c, L, id, &src, &detail);
    return layer_parse(c, id, text, src, detail, out, err, errlen);
}

/* Replaces *slot with *nv unless they say the same thing from the same place, so that
 * unchanged values keep their storage (callers hold cfg_str pointers). Consumes nv. */
static void value_commit(opt_value *slot, opt_value *nv, opt_id id)
{
    if (slot->text && !strcmp(slot->text, nv->text) && slot->src == nv->src &&
        !strcmp(slot->src_detail, nv->src_detail)) {
        config_value_clear(nv, id);
        return;
    }
    config_value_clear(slot, id);
    *slot = *nv;
    memset(nv, 0, sizeof *nv);
}

/* Recomputes every effective value of profile idx: first the provider, api_key_env and the
 * base URL, which decide the preset and the environment of the others. Runs api_key_cmd
 * when the profile is active, no flag or environment gives a key, run_key_cmd is set and
 * its key is not kept yet. On error nothing changes. */
int config_profile_compute(config *c, size_t idx, bool active, char *err, size_t errlen)
{
    profile *p = &c->profiles[idx];
    opt_value nv[OPT__COUNT];
    memset(nv, 0, sizeof nv);
    int rc = -1;
    layers L = {.p = p, .active = active, .setting = PROVIDER_AUTO};

    if (!layer_value(c, &L, OPT_PROVIDER, &nv[OPT_PROVIDER], err, errlen) ||
        !layer_value(c, &L, OPT_API_KEY_ENV, &nv[OPT_API_KEY_ENV], err, errlen))
        goto out;
    L.setting = (provider_id)provider_find(nv[OPT_PROVIDER].text);
    L.key_env = nv[OPT_API_KEY_ENV].text;
    if (!layer_value(c, &L, OPT_BASE_URL, &nv[OPT_BASE_URL], err, errlen))
        goto out;
    L.resolved = provider_resolve(L.setting, nv[OPT_BASE_URL].text);
    L.resolved_known = true;

    for (int i = 0; i < OPT__COUNT; i++) {
        opt_id id = (opt_id)i;
        if (opt_defs[id].scope != SCOPE_PROFILE || id == OPT_API_KEY || nv[id].text)
            continue;
        if (!layer_value(c, &L, id, &nv[id], err, errlen))
            goto out;
    }

    opt_source src;
    const char *detail;
    const char *text = layer_pick(c, &L, OPT_API_KEY, &src, &detail);
    if (active && src != SRC_FLAG && src != SRC_ENV) {
        const char *cmd = nv[OPT_API_KEY_CMD].text;
        if (p->keycmd_key && p->keycmd_for && !strcmp(p->keycmd_for, cmd)) {
            text = p->keycmd_key;
            src = SRC_KEYCMD;
            detail = NULL;
        } else if (c->run_key_cmd && *cmd) {
            char *got = NULL;
            if (config_run_key_cmd(cmd, KEY_CMD_TIMEOUT_MS, &got, err, errlen) != 0)
                goto out;
            opt_value probe;
            bool ok = config_layer_parse(c, OPT_API_KEY, got, SRC_KEYCMD, &probe, err, errlen);
            if (!ok) {
                config_text_free(got, OPT_API_KEY);
                goto out;
            }
            config_value_clear(&probe, OPT_API_KEY);
            config_text_free(p->keycmd_key, OPT_API_KEY);
            free(p->keycmd_for);
            p->keycmd_key = got;
            p->keycmd_for = xstrdup(cmd);
            text = p->keycmd_key;
            src = SRC_KEYCMD;
            detail = NULL;
        }
    }
    if (!layer_parse(c, OPT_API_KEY, text, src, detail, &nv[OPT_API_KEY], err, errlen))
        goto out;

    for (int i = 0; i < OPT__COUNT; i++)
        if (opt_defs[i].scope == SCOPE_PROFILE)
            value_commit(&p->v[i], &nv[i], (opt_id)i);
    rc = 0;
out:
    for (int i = 0; i < OPT__COUNT; i++)
        config_value_clear(&nv[i], (opt_id)i);
    return rc;
}

int config_globals_compute(config *c, char *err, size_t errlen)
{
    opt_value nv[OPT__COUNT];
    memset(nv, 0, sizeof nv);
    int rc = -1;
    layers L = {.p = NULL, .active = true};
    for (int i = 0; i < OPT__COUNT; i++) {
        if (opt_defs[i].scope != SCOPE_GLOBAL)
            continue;
        if (!layer_value(c, &L, (opt_id)i, &nv[i], err, errlen))
            goto out;
    }
    for (int i = 0; i < OPT__COUNT; i++)
        if (opt_defs[i].scope == SCOPE_GLOBAL)
            value_commit(&c->global[i], &nv[i], (opt_id)i);
    rc = 0;
out:
    for (int i = 0; i < OPT__COUNT; i++)
        config_value_clear(&nv[i], (opt_id)i);
    return rc;
}

/* Recomputes what option id may affect: the global values, or the current profile. */
static int recompute(config *c, opt_id id, char *err, size_t errlen)
{
    if (opt_defs[id].scope == SCOPE_GLOBAL)
        return config_globals_compute(c, err, errlen);
    return config_profile_compute(c, c->current, true, err, errlen);
}

/* Puts text (owned, may be NULL) into *slot and recomputes; on error the old text is back. */
static int layer_store(config *c, opt_id id, char **slot, char *text, char *err, size_t errlen)
{
    char *old = *slot;
    *slot = text;
    if (recompute(c, id, err, errlen) != 0) {
        *slot = old;
        config_text_free(text, id);
        /* The old layers computed before and the key command's key is kept: this cannot fail. */
        recompute(c, id, NULL, 0);
        return -1;
    }
    config_text_free(old, id);
    return 0;
}

static bool has_slots(const config *c, opt_id id)
{
    return c && (unsigned)id < OPT__COUNT &&
           (opt_defs[id].scope == SCOPE_GLOBAL || c->current < c->nprofiles);
}

static char **file_slot(config *c, opt_id id)
{
    return opt_defs[id].scope == SCOPE_GLOBAL ? &c->top[id] : &c->profiles[c->current].file[id];
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Sets the file layer to text (owned, NULL: unset); dirty when it changed. */
static int file_store(config *c, opt_id id, char *text, char *err, size_t errlen)
{
    char **slot = file_slot(c, id);
    if (same_text(*slot, text)) {
        config_text_free(text, id);
        return 0;
    }
    if (layer_store(c, id, slot, text, err, errlen) != 0)
        return -1;
    c->dirty = true;
    return 0;
}

int config_set(config *c, opt_id id, const char *text, opt_source src, char *err, size_t errlen)
{
    if (!has_slots(c, id) || !text || (unsigned)src >= SRC__COUNT) {
        err_set(err, errlen, "no such option");
        return -1;
    }
    if (src == SRC_DEFAULT || (src == SRC_KEYCMD && id != OPT_API_KEY)) {
        err_set(err, errlen, "%s: cannot be set from the %s", opt_defs[id].key,
                opt_source_name(src));
        return -1;
    }
    opt_value nv;
    if (!config_layer_parse(c, id, text, src, &nv, err, errlen))
        return -1;
    char *canon = nv.text;
    nv.text = NULL;
    switch (src) {
    case SRC_FLAG:
        return layer_store(c, id, &c->flag[id], canon, err, errlen);
    case SRC_ENV:
        return layer_store(c, id, &c->env[id], canon, err, errlen);
    case SRC_CONFIG:
        return file_store(c, id, canon, err, errlen);
    default: {
        /* SRC_KEYCMD: the key the current command printed. */
        profile *p = &c->profiles[c->current];
        char *old_for = p->keycmd_for;
        p->keycmd_for = xstrdup(cfg_str(c, OPT_API_KEY_CMD));
        int r = layer_store(c, id, &p->keycmd_key, canon, err, errlen);
        if (r == 0)
            free(old_for);
        else {
            free(p->keycmd_for);
            p->keycmd_for = old_for;
        }
        return r;
    }
    }
}

/* Whether "" must be stored rather than meaning "remove": when it is a value of its own that
 * removing would not give (see config_set_file). */
static bool empty_is_a_value(const config *c, opt_id id)
{
    opt_value probe;
    char why[8];
    if (!config_opt_parse(id, "", &probe, why, sizeof why))
        return false;
    config_value_clear(&probe, id);
    const char *fallback = opt_defs[id].def;
    if (opt_defs[id].scope == SCOPE_PROFILE && c->top[id])
        fallback = c->top[id];
    return *fallback && (!*opt_defs[id].def || is_url_option(id));
}

int config_set_file(config *c, opt_id id, const char *text, char *err, size_t errlen)
{
    if (!has_slots(c, id)) {
        err_set(err, errlen, "no such option");
        return -1;
    }
    char *canon = NULL;
    if (text && *text) {
        opt_value nv;
        if (!config_layer_parse(c, id, text, SRC_CONFIG, &nv, err, errlen))
            return -1;
        canon = nv.text;
    } else if (text && empty_is_a_value(c, id)) {
        canon = xstrdup("");
    }
    return file_store(c, id, canon, err, errlen);
}

const char *cfg_file_text(const config *c, size_t prof, opt_id id)
{
    if (!c || (unsigned)id >= OPT__COUNT)
        return NULL;
    if (opt_defs[id].scope == SCOPE_GLOBAL)
        return c->top[id];
    if (prof >= c->nprofiles)
        return NULL;
    return c->profiles[prof].file[id] ? c->profiles[prof].file[id] : c->top[id];
}

bool config_dirty(const config *c)
{
    return c && c->dirty;
}

/* ---------------------------------------------------------------- accessors */

const opt_value *cfg_value(const config *c, opt_id id)
{
    if (!c || (unsigned)id >= OPT__COUNT)
        return NULL;
    const opt_value *v;
    if (opt_defs[id].scope == SCOPE_GLOBAL)
        v = &c->global[id];
    else if (c->current < c->nprofiles)
        v = &c->profiles[c->current].v[id];
    else
        return NULL;
    return v->text ? v : NULL;
}

const char *cfg_str(const config *c, opt_id id)
{
    const opt_value *v = cfg_value(c, id);
    return v ? v->text : "";
}

long cfg_int(const config *c, opt_id id)
{
    const opt_value *v = cfg_value(c, id);
    return v ? v->i : 0;
}

double cfg_double(const config *c, opt_id id)
{
    const opt_value *v = cfg_value(c, id);
    return v ? v->d : 0;
}

bool cfg_bool(const config *c, opt_id id)
{
    const opt_value *v = cfg_value(c, id);
    return v ? v->b : false;
}

const char *cfg_profile_name(const config *c)
{
    return c && c->current < c->nprofiles ? c->profiles[c->current].name : "";
}

static provider_id setting_of(const config *c)
{
    int p = provider_find(cfg_str(c, OPT_PROVIDER));
    return p < 0 ? PROVIDER_AUTO : (provider_id)p;
}

provider_id cfg_provider(const config *c)
{
    return provider_resolve(setting_of(c), cfg_str(c, OPT_BASE_URL));
}

const char *cfg_env_name(const config *c, opt_id id)
{
    if ((unsigned)id >= OPT__COUNT)
        return NULL;
    layers L = {
        .p = opt_defs[id].scope == SCOPE_PROFILE && c && c->current < c->nprofiles
                 ? &c->profiles[c->current]
                 : NULL,
        .active = true,
        .setting = setting_of(c),
        .resolved = cfg_provider(c),
        .resolved_known = true,
        .key_env = cfg_str(c, OPT_API_KEY_ENV),
    };
    return env_name(&L, id);
}

bool cfg_sends_key(const config *c)
{
    const opt_value *v = cfg_value(c, OPT_NEEDS_KEY);
    return v && (v->b || v->src == SRC_PRESET);
}

bool cfg_status_json(const config *c)
{
    const opt_value *v = cfg_value(c, OPT_STATUS_URL);
    if (!v || !*v->text)
        return false;
    return v->src != SRC_PRESET || provider_row(cfg_provider(c))->status_json;
}

void cfg_extra_headers(const config *c, xhdr_list *out)
{
    if (xhdr_parse(cfg_str(c, OPT_EXTRA_HEADERS), out, NULL, 0) != 0)
        memset(out, 0, sizeof *out); /* cannot happen: the value was checked when set */
}

bool config_shadowed(const config *c, opt_id id, const char **by)
{
    if (by)
        *by = NULL;
    const opt_value *v = cfg_value(c, id);
    if (!v || !cfg_file_text(c, c->current, id))
        return false;
    if (v->src != SRC_FLAG && v->src != SRC_ENV && v->src != SRC_KEYCMD)
        return false;
    if (by)
        *by = v->src_detail;
    return true;
}

/* ---------------------------------------------------------------- the profile list */

#define PROFILE_NAME_MAX 40

int config_profile_find(const config *c, const char *name)
{
    for (size_t i = 0; c && name && i < c->nprofiles; i++)
        if (!strcmp(c->profiles[i].name, name))
            return i <= (size_t)INT_MAX ? (int)i : -1;
    return -1;
}

/* Checks a new name for profile `self` (SIZE_MAX: a new profile). */
static bool profile_name_ok(const config *c, const char *name, size_t self, char *err,
                            size_t errlen)
{
    if (!name || !*name) {
        err_set(err, errlen, "a profile needs a name");
        return false;
    }
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!(isalnum(ch) || ch == '.' || ch == '_' || ch == '-') || ch >= 0x80) {
            err_set(err, errlen,
                    "a profile name may contain only letters, digits, '.', '_' and '-'");
            return false;
        }
    }
    if (n > PROFILE_NAME_MAX) {
        err_set(err, errlen, "a profile name has at most %d characters", PROFILE_NAME_MAX);
        return false;
    }
    int other = config_profile_find(c, name);
    if (other >= 0 && (size_t)other != self) {
        err_set(err, errlen, "there is already a profile \"%s\"", name);
        return false;
    }
    return true;
}

int config_profile_add(config *c, const char *name, char *err, size_t errlen)
{
    if (!c) {
        err_set(err, errlen, "no configuration");
        return -1;
    }
    if (!profile_name_ok(c, name, SIZE_MAX, err, errlen))
        return -1;
    if (c->nprofiles >= (size_t)INT_MAX) {
        err_set(err, errlen, "too many profiles");
        return -1;
    }
    config_profile_new(c, name);
    size_t idx = c->nprofiles - 1;
    /* Not current, so neither flags, environment nor key command: this cannot fail. */
    if (config_profile_compute(c, idx, false, err, errlen) != 0) {
        config_profile_done(&c->profiles[idx]);
        c->nprofiles--;
        return -1;
    }
    c->dirty = true;
    return (int)idx;
}

int config_profile_rename(config *c, size_t idx, const char *name, char *err, size_t errlen)
{
    if (!c || idx >= c->nprofiles) {
        err_set(err, errlen, "no such profile");
        return -1;
    }
    if (!profile_name_ok(c, name, idx, err, errlen))
        return -1;
    if (!strcmp(c->profiles[idx].name, name))
        return 0;
    free(c->profiles[idx].name);
    c->profiles[idx].name = xstrdup(name);
    c->dirty = true;
    return 0;
}

int config_profile_select(config *c, size_t idx, char *err, size_t errlen)
{
    if (!c || idx >= c->nprofiles) {
        err_set(err, errlen, "no such profile");
        return -1;
    }
    if (idx == c->current)
        return 0;
    if (config_profile_compute(c, idx, true, err, errlen) != 0)
        return -1;
    size_t old = c->current;
    c->current = idx;
    if (old < c->nprofiles)
        config_profile_compute(c, old, false, NULL, 0); /* file and defaults only: cannot fail */
    return 0;
}

int config_profile_delete(config *c, size_t idx, char *err, size_t errlen)
{
    if (!c || idx >= c->nprofiles) {
        err_set(err, errlen, "no such profile");
        return -1;
    }
    if (c->nprofiles == 1) {
        err_set(err, errlen, "cannot delete the only profile");
        return -1;
    }
    if (idx == c->current) {
        size_t next = idx > 0 ? idx - 1 : 1;
        if (config_profile_compute(c, next, true, err, errlen) != 0)
            return -1;
        c->current = next;
    }
    config_profile_done(&c->profiles[idx]);
    memmove(&c->profiles[idx], &c->profiles[idx + 1],
            (c->nprofiles - idx - 1) * sizeof *c->profiles);
    c->nprofiles--;
    if (c->current > idx)
        c->current--;
    c->dirty = true;
    return 0;
}

/* ---------------------------------------------------------------- masking and paths */

char *config_mask_key(const char *key)
{
    if (!key || !*key)
        return xstrdup("");
    size_t n = strlen(key);
    if (n < 12)
        return xstrdup("…");
    /* Count characters, not bytes, so a multi-byte character is never cut. */
    size_t head = 0;
    for (int k = 0; k < 3 && head < n; k++)
        do
            head++;
        while (head < n && ((unsigned char)key[head] & 0xC0) == 0x80);
    size_t tail = n;
    for (int k = 0; k < 4 && tail > head; k++)
        do
            tail--;
        while (tail > head && ((unsigned char)key[tail] & 0xC0) == 0x80);
    return xasprintf("%.*s…%s", (int)head, key, key + tail);
}

static char *join_dir(const char *dir, const char *rest)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 1 && dir[0] == '/')
        n = 0;
    return xasprintf("%.*s/%s", (int)n, dir, rest);
}

char *config_default_path(const char *(*getenv_fn)(const char *name))
{
    if (!getenv_fn)
        getenv_fn = config_getenv;
    const char *t = getenv_fn("TCHAT_CONFIG");
    if (t && *t)
        return xstrdup(t);
    const char *x = getenv_fn("XDG_CONFIG_HOME");
    if (x && x[0] == '/') /* the XDG spec says to ignore relative paths */
        return join_dir(x, "tchat/config.json");
    const char *h = getenv_fn("HOME");
    if (h && *h)
        return join_dir(h, ".config/tchat/config.json");
    /* No $HOME (a service, a cron job): ask the password database. */
    long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t bufsz = sz > 0 ? (size_t)sz : 16384;
    char *pwbuf = xmalloc(bufsz);
    struct passwd pw, *res = NULL;
    char *path;
    if (getpwuid_r(getuid(), &pw, pwbuf, bufsz, &res) == 0 && res && res->pw_dir && *res->pw_dir)
        path = join_dir(res->pw_dir, ".config/tchat/config.json");
    else
        path = xstrdup(".config/tchat/config.json");
    free(pwbuf);
    return path;
}

