#include "config.h"

#include "util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A config file holds a few settings; anything bigger is a mistake (wrong --config). */
#define CONFIG_MAX_BYTES ((size_t)1024 * 1024)
/* Password managers may ask for a passphrase, so the key command gets time for a human. */
#define KEY_CMD_TIMEOUT_MS 30000
/* Stricter than cJSON's own limit (1000), so every file we accept cJSON parses too. */
#define JSON_MAX_DEPTH 512

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

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *sys_getenv(const char *name)
{
    return getenv(name);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not valid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp_out)
{
    if (!n)
        return 0;
    unsigned c = s[0], cp, need;
    if (c < 0x80) {
        *cp_out = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need + 1)
        return 0;
    for (unsigned i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *cp_out = cp;
    return need + 1;
}

/* Why a text value is unusable, or NULL. Values reach the terminal and HTTP
 * headers, so no control characters; the system prompt may span lines. */
static const char *text_problem(const char *s, bool allow_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = utf8_seq(p + i, n - i, &cp);
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
static void fmt_num(double d, char *out, size_t outlen)
{
    if (d == 0)
        d = 0; /* no "-0" */
    snprintf(out, outlen, "%.15g", d);
    if (strtod(out, NULL) != d)
        snprintf(out, outlen, "%.17g", d);
}

/* A short, printable rendition of user text for messages. */
static void clip_text(const char *s, size_t n, size_t max, char *out, size_t outlen)
{
    buf b;
    buf_init(&b);
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (b.len >= max) {
            buf_puts(&b, "…");
            break;
        }
        unsigned cp;
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (!k || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            buf_putc(&b, '?');
            i += k ? k : 1;
            continue;
        }
        buf_append(&b, p + i, k);
        i += k;
    }
    snprintf(out, outlen, "%s", buf_str(&b));
    buf_free(&b);
}

/* ---------------------------------------------------------------- value validation */

static bool is_url_option(opt_id id)
{
    return id == OPT_STATUS_URL || id == OPT_HELP_URL;
}

static void range_text(const opt_def *d, char *out, size_t outlen)
{
    if (d->type == OPT_INT) {
        snprintf(out, outlen, "from %ld to %ld", (long)d->min, (long)d->max);
        return;
    }
    char a[32], b[32];
    fmt_num(d->min, a, sizeof a);
    fmt_num(d->max, b, sizeof b);
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

/* Parses text for option id into *out (a fresh text, nothing else set) or says why not. */
static bool opt_parse(opt_id id, const char *text, opt_value *out, char *why, size_t whylen)
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
            range_text(d, tmp, sizeof tmp);
            set_err(why, whylen, "must be a whole number %s", tmp);
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
            range_text(d, tmp, sizeof tmp);
            set_err(why, whylen, "must be a number %s", tmp);
            goto bad;
        }
        out->d = v;
        fmt_num(v, tmp, sizeof tmp);
        out->text = xstrdup(tmp);
        break;
    }
    case OPT_BOOL: {
        bool v;
        str_trim(s);
        if (!parse_bool(s, &v)) {
            set_err(why, whylen, "must be true or false");
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
        const char *p = text_problem(s, false);
        if (!p)
            p = url_problem(s);
        if (p) {
            if (is_url_option(id) && str_starts_with(p, "must start"))
                p = "must be empty or start with http:// or https:// followed by a host";
            set_err(why, whylen, "%s", p);
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
                    set_err(why, whylen, "the API key contains a space");
                    goto bad;
                }
            }
        }
        const char *p = text_problem(s, id == OPT_SYSTEM);
        if (p) {
            set_err(why, whylen, "%s", p);
            goto bad;
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
                set_err(why, whylen, "must be en or zh_CN (or empty to follow the locale)");
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

static void value_clear(opt_value *v, opt_id id)
{
    if (v->text && opt_defs[id].type == OPT_SECRET)
        explicit_bzero(v->text, strlen(v->text));
    free(v->text);
    memset(v, 0, sizeof *v);
}

/* Frees a layer's text, wiping it first when it may be a key. */
static void text_free(char *s, opt_id id)
{
    if (s && opt_defs[id].type == OPT_SECRET)
        explicit_bzero(s, strlen(s));
    free(s);
}

static void value_default(opt_value *v, opt_id id)
{
    char why[160];
    if (!opt_parse(id, opt_defs[id].def, v, why, sizeof why)) {
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
            value_default(&p->v[id], (opt_id)id);
}

static void profile_done(profile *p)
{
    for (int id = 0; id < OPT__COUNT; id++) {
        value_clear(&p->v[id], (opt_id)id);
        text_free(p->file[id], (opt_id)id);
    }
    free(p->name);
    free(p->doc_name);
    text_free(p->keycmd_key, OPT_API_KEY);
    free(p->keycmd_for);
    memset(p, 0, sizeof *p);
}

static profile *profile_add(config *c, const char *name)
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
    default:
        return "default";
    }
}

/* How a message names a value from src: "--max-retries", "OPENAI_BASE_URL", "max_retries". */
static const char *src_label(const config *c, opt_id id, opt_source src)
{
    return src == SRC_FLAG     ? flag_name(id)
           : src == SRC_ENV    ? src_detail_for(c, id, src)
           : src == SRC_KEYCMD ? "api_key_cmd"
                               : opt_defs[id].key;
}

/* Parses text into *out with its source, or says why not ("LABEL: why"). */
static bool layer_parse(const config *c, opt_id id, const char *text, opt_source src,
                        opt_value *out, char *err, size_t errlen)
{
    char why[160];
    if (!opt_parse(id, text, out, why, sizeof why)) {
        set_err(err, errlen, "%s: %s", src_label(c, id, src), why);
        return false;
    }
    out->src = src;
    out->src_detail = src_detail_for(c, id, src);
    return true;
}

/* ---------------------------------------------------------------- computing effective values */

/* The winning layer for option id of profile p (NULL for a global option), except the key
 * command, which profile_compute handles. active: p is current (flags and environment apply). */
static const char *layer_pick(const config *c, const profile *p, opt_id id, bool active,
                              opt_source *src)
{
    if (active && c->flag[id]) {
        *src = SRC_FLAG;
        return c->flag[id];
    }
    if (active && c->env[id]) {
        *src = SRC_ENV;
        return c->env[id];
    }
    if (p && p->file[id]) {
        *src = SRC_CONFIG;
        return p->file[id];
    }
    if (c->top[id]) {
        *src = SRC_CONFIG;
        return c->top[id];
    }
    *src = SRC_DEFAULT;
    return opt_defs[id].def;
}

/* Replaces *slot with *nv unless they say the same thing from the same place, so that
 * unchanged values keep their storage (callers hold cfg_str pointers). Consumes nv. */
static void value_commit(opt_value *slot, opt_value *nv, opt_id id)
{
    if (slot->text && !strcmp(slot->text, nv->text) && slot->src == nv->src &&
        !strcmp(slot->src_detail, nv->src_detail)) {
        value_clear(nv, id);
        return;
    }
    value_clear(slot, id);
    *slot = *nv;
    memset(nv, 0, sizeof *nv);
}

/* Recomputes every effective value of profile idx. Runs api_key_cmd when the profile is
 * active, no flag or environment gives a key, run_key_cmd is set and its key is not kept
 * yet. On error nothing changes. */
static int profile_compute(config *c, size_t idx, bool active, char *err, size_t errlen)
{
    profile *p = &c->profiles[idx];
    opt_value nv[OPT__COUNT];
    memset(nv, 0, sizeof nv);
    int rc = -1;

    for (int i = 0; i < OPT__COUNT; i++) {
        opt_id id = (opt_id)i;
        if (opt_defs[id].scope != SCOPE_PROFILE || id == OPT_API_KEY)
            continue;
        opt_source src;
        const char *text = layer_pick(c, p, id, active, &src);
        if (!layer_parse(c, id, text, src, &nv[id], err, errlen))
            goto out;
    }

    opt_source src;
    const char *text = layer_pick(c, p, OPT_API_KEY, active, &src);
    if (active && src != SRC_FLAG && src != SRC_ENV) {
        const char *cmd = nv[OPT_API_KEY_CMD].text;
        if (p->keycmd_key && p->keycmd_for && !strcmp(p->keycmd_for, cmd)) {
            text = p->keycmd_key;
            src = SRC_KEYCMD;
        } else if (c->run_key_cmd && *cmd) {
            char *got = NULL;
            if (config_run_key_cmd(cmd, KEY_CMD_TIMEOUT_MS, &got, err, errlen) != 0)
                goto out;
            opt_value probe;
            bool ok = layer_parse(c, OPT_API_KEY, got, SRC_KEYCMD, &probe, err, errlen);
            if (!ok) {
                text_free(got, OPT_API_KEY);
                goto out;
            }
            value_clear(&probe, OPT_API_KEY);
            text_free(p->keycmd_key, OPT_API_KEY);
            free(p->keycmd_for);
            p->keycmd_key = got;
            p->keycmd_for = xstrdup(cmd);
            text = p->keycmd_key;
            src = SRC_KEYCMD;
        }
    }
    if (!layer_parse(c, OPT_API_KEY, text, src, &nv[OPT_API_KEY], err, errlen))
        goto out;

    for (int i = 0; i < OPT__COUNT; i++)
        if (opt_defs[i].scope == SCOPE_PROFILE)
            value_commit(&p->v[i], &nv[i], (opt_id)i);
    rc = 0;
out:
    for (int i = 0; i < OPT__COUNT; i++)
        value_clear(&nv[i], (opt_id)i);
    return rc;
}

static int globals_compute(config *c, char *err, size_t errlen)
{
    opt_value nv[OPT__COUNT];
    memset(nv, 0, sizeof nv);
    int rc = -1;
    for (int i = 0; i < OPT__COUNT; i++) {
        if (opt_defs[i].scope != SCOPE_GLOBAL)
            continue;
        opt_source src;
        const char *text = layer_pick(c, NULL, (opt_id)i, true, &src);
        if (!layer_parse(c, (opt_id)i, text, src, &nv[i], err, errlen))
            goto out;
    }
    for (int i = 0; i < OPT__COUNT; i++)
        if (opt_defs[i].scope == SCOPE_GLOBAL)
            value_commit(&c->global[i], &nv[i], (opt_id)i);
    rc = 0;
out:
    for (int i = 0; i < OPT__COUNT; i++)
        value_clear(&nv[i], (opt_id)i);
    return rc;
}

/* Recomputes what option id may affect: the global values, or the current profile. */
static int recompute(config *c, opt_id id, char *err, size_t errlen)
{
    if (opt_defs[id].scope == SCOPE_GLOBAL)
        return globals_compute(c, err, errlen);
    return profile_compute(c, c->current, true, err, errlen);
}

/* Puts text (owned, may be NULL) into *slot and recomputes; on error the old text is back. */
static int layer_store(config *c, opt_id id, char **slot, char *text, char *err, size_t errlen)
{
    char *old = *slot;
    *slot = text;
    if (recompute(c, id, err, errlen) != 0) {
        *slot = old;
        text_free(text, id);
        /* The old layers computed before and the key command's key is kept: this cannot fail. */
        recompute(c, id, NULL, 0);
        return -1;
    }
    text_free(old, id);
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
        text_free(text, id);
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
        set_err(err, errlen, "no such option");
        return -1;
    }
    if (src == SRC_DEFAULT || (src == SRC_KEYCMD && id != OPT_API_KEY)) {
        set_err(err, errlen, "%s: cannot be set from the %s", opt_defs[id].key,
                opt_source_name(src));
        return -1;
    }
    opt_value nv;
    if (!layer_parse(c, id, text, src, &nv, err, errlen))
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
    if (!opt_parse(id, "", &probe, why, sizeof why))
        return false;
    value_clear(&probe, id);
    const char *fallback = opt_defs[id].def;
    if (opt_defs[id].scope == SCOPE_PROFILE && c->top[id])
        fallback = c->top[id];
    return *fallback && (!*opt_defs[id].def || is_url_option(id));
}

int config_set_file(config *c, opt_id id, const char *text, char *err, size_t errlen)
{
    if (!has_slots(c, id)) {
        set_err(err, errlen, "no such option");
        return -1;
    }
    char *canon = NULL;
    if (text && *text) {
        opt_value nv;
        if (!layer_parse(c, id, text, SRC_CONFIG, &nv, err, errlen))
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
        set_err(err, errlen, "a profile needs a name");
        return false;
    }
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!(isalnum(ch) || ch == '.' || ch == '_' || ch == '-') || ch >= 0x80) {
            set_err(err, errlen,
                    "a profile name may contain only letters, digits, '.', '_' and '-'");
            return false;
        }
    }
    if (n > PROFILE_NAME_MAX) {
        set_err(err, errlen, "a profile name has at most %d characters", PROFILE_NAME_MAX);
        return false;
    }
    int other = config_profile_find(c, name);
    if (other >= 0 && (size_t)other != self) {
        set_err(err, errlen, "there is already a profile \"%s\"", name);
        return false;
    }
    return true;
}

int config_profile_add(config *c, const char *name, char *err, size_t errlen)
{
    if (!c) {
        set_err(err, errlen, "no configuration");
        return -1;
    }
    if (!profile_name_ok(c, name, SIZE_MAX, err, errlen))
        return -1;
    if (c->nprofiles >= (size_t)INT_MAX) {
        set_err(err, errlen, "too many profiles");
        return -1;
    }
    profile_add(c, name);
    size_t idx = c->nprofiles - 1;
    /* Not current, so neither flags, environment nor key command: this cannot fail. */
    if (profile_compute(c, idx, false, err, errlen) != 0) {
        profile_done(&c->profiles[idx]);
        c->nprofiles--;
        return -1;
    }
    c->dirty = true;
    return (int)idx;
}

int config_profile_rename(config *c, size_t idx, const char *name, char *err, size_t errlen)
{
    if (!c || idx >= c->nprofiles) {
        set_err(err, errlen, "no such profile");
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
        set_err(err, errlen, "no such profile");
        return -1;
    }
    if (idx == c->current)
        return 0;
    if (profile_compute(c, idx, true, err, errlen) != 0)
        return -1;
    size_t old = c->current;
    c->current = idx;
    if (old < c->nprofiles)
        profile_compute(c, old, false, NULL, 0); /* file and defaults only: cannot fail */
    return 0;
}

int config_profile_delete(config *c, size_t idx, char *err, size_t errlen)
{
    if (!c || idx >= c->nprofiles) {
        set_err(err, errlen, "no such profile");
        return -1;
    }
    if (c->nprofiles == 1) {
        set_err(err, errlen, "cannot delete the only profile");
        return -1;
    }
    if (idx == c->current) {
        size_t next = idx > 0 ? idx - 1 : 1;
        if (profile_compute(c, next, true, err, errlen) != 0)
            return -1;
        c->current = next;
    }
    profile_done(&c->profiles[idx]);
    memmove(&c->profiles[idx], &c->profiles[idx + 1],
            (c->nprofiles - idx - 1) * sizeof *c->profiles);
    c->nprofiles--;
    if (c->current > idx)
        c->current--;
    c->dirty = true;
    return 0;
}

/* ---------------------------------------------------------------- JSON syntax and positions
 *
 * cJSON reports neither where a key is nor, usefully, why a document is
 * malformed, so a small strict scanner checks the syntax first (giving line,
 * column and a reason) and later finds the line of a key for validation errors. */

typedef enum {
    JT_EOF,
    JT_LBRACE,
    JT_RBRACE,
    JT_LBRACKET,
    JT_RBRACKET,
    JT_COLON,
    JT_COMMA,
    JT_STRING,
    JT_NUMBER,
    JT_WORD,
    JT_ERROR,
} jtok;

typedef struct jlex {
    const char *s;
    size_t len, pos;
    size_t start, end; /* the current token; strings include their quotes */
    size_t err_pos;
    char msg[128];
} jlex;

typedef struct jframe {
    bool is_obj;
    bool has_key;
    size_t key_start, key_end; /* the raw key (inside the quotes) holding this container */
} jframe;

static jtok jlex_fail(jlex *lx, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static jtok jlex_fail(jlex *lx, size_t pos, const char *fmt, ...)
{
    lx->err_pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->msg, sizeof lx->msg, fmt, ap);
    va_end(ap);
    return JT_ERROR;
}

static int hex4(const char *s, size_t n)
{
    if (n < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static jtok jlex_string(jlex *lx)
{
    const char *s = lx->s;
    size_t p = lx->start + 1;
    while (p < lx->len) {
        unsigned char ch = (unsigned char)s[p];
        if (ch == '"') {
            lx->end = lx->pos = p + 1;
            return JT_STRING;
        }
        if (ch == '\\') {
            if (p + 1 >= lx->len)
                break;
            char e = s[p + 1];
            if (e && strchr("\"\\/bfnrt", e)) {
                p += 2;
                continue;
            }
            if (e != 'u') {
                if (isprint((unsigned char)e))
                    return jlex_fail(lx, p, "invalid escape '\\%c' in a string", e);
                return jlex_fail(lx, p, "invalid escape in a string");
            }
            int cp = hex4(s + p + 2, lx->len - p - 2);
            if (cp < 0)
                return jlex_fail(lx, p, "invalid \\u escape: it needs four hex digits");
            if (cp == 0)
                return jlex_fail(lx, p, "\\u0000 is not allowed in a string");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return jlex_fail(lx, p, "invalid \\u escape: a lone low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                int lo = p + 7 < lx->len && s[p + 6] == '\\' && s[p + 7] == 'u'
                             ? hex4(s + p + 8, lx->len - p - 8)
                             : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return jlex_fail(lx, p, "invalid \\u escape: a high surrogate without its pair");
                p += 6;
            }
            p += 6;
            continue;
        }
        if (ch == '\n' || ch == '\r')
            return jlex_fail(lx, p, "a string is not closed before the end of the line");
        if (ch == '\t')
            return jlex_fail(lx, p, "a tab inside a string must be written \\t");
        if (ch < 0x20)
            return jlex_fail(lx, p, "control character 0x%02X inside a string", ch);
        if (ch >= 0x80) {
            unsigned cp;
            size_t k = utf8_seq((const unsigned char *)s + p, lx->len - p, &cp);
            if (!k)
                return jlex_fail(lx, p, "invalid UTF-8 in a string");
            p += k;
            continue;
        }
        p++;
    }
    return jlex_fail(lx, lx->start, "a string is not closed before the end of the file");
}

static bool json_number_ok(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !isdigit((unsigned char)s[i]))
            return false;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !isdigit((unsigned char)s[i]))
            return false;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    return i == n;
}

static jtok jlex_next(jlex *lx)
{
    const char *s = lx->s;
    while (lx->pos < lx->len && strchr(" \t\r\n", s[lx->pos]) && s[lx->pos])
        lx->pos++;
    lx->start = lx->end = lx->pos;
    if (lx->pos >= lx->len)
        return JT_EOF;
    unsigned char c = (unsigned char)s[lx->pos];
    static const char punct[] = "{}[]:,";
    const char *pc = c ? strchr(punct, c) : NULL;
    if (pc) {
        lx->end = ++lx->pos;
        return (jtok)(JT_LBRACE + (pc - punct));
    }
    if (c == '"')
        return jlex_string(lx);
    if (c == '-' || isdigit(c) || isalpha(c)) {
        size_t p = lx->pos;
        while (p < lx->len && (isalnum((unsigned char)s[p]) || strchr("+-._", s[p])) && s[p])
            p++;
        lx->end = lx->pos = p;
        size_t n = p - lx->start;
        char shown[48];
        if (isalpha(c)) {
            if ((n == 4 && !memcmp(s + lx->start, "true", 4)) ||
                (n == 5 && !memcmp(s + lx->start, "false", 5)) ||
                (n == 4 && !memcmp(s + lx->start, "null", 4)))
                return JT_WORD;
            clip_text(s + lx->start, n, 24, shown, sizeof shown);
            return jlex_fail(lx, lx->start,
                             "'%s' is not a JSON value (use true, false, null or a \"string\")", shown);
        }
        if (!json_number_ok(s + lx->start, n)) {
            clip_text(s + lx->start, n, 24, shown, sizeof shown);
            return jlex_fail(lx, lx->start, "invalid number '%s'", shown);
        }
        return JT_NUMBER;
    }
    if (c == '\'')
        return jlex_fail(lx, lx->pos, "strings need double quotes (\"), not single quotes");
    if (c == '/')
        return jlex_fail(lx, lx->pos, "comments are not allowed in JSON");
    if (c > 0x20 && c < 0x7F)
        return jlex_fail(lx, lx->pos, "unexpected character '%c'", c);
    unsigned cp;
    size_t k = utf8_seq((const unsigned char *)s + lx->pos, lx->len - lx->pos, &cp);
    if (k > 1 && cp > 0x9F)
        return jlex_fail(lx, lx->pos, "unexpected character '%.*s'", (int)k, s + lx->pos);
    return jlex_fail(lx, lx->pos, "unexpected byte 0x%02X", c);
}

static void jtok_desc(const jlex *lx, jtok t, char *out, size_t outlen)
{
    char shown[64];
    switch (t) {
    case JT_EOF:
        snprintf(out, outlen, "the end of the file");
        return;
    case JT_STRING:
        clip_text(lx->s + lx->start + 1, lx->end - lx->start - 2, 30, shown, sizeof shown);
        snprintf(out, outlen, "\"%s\"", shown);
        return;
    default:
        clip_text(lx->s + lx->start, lx->end - lx->start, 30, shown, sizeof shown);
        snprintf(out, outlen, "'%s'", shown);
        return;
    }
}

/* Called for every object key; returning true stops the walk. */
typedef bool (*jkey_fn)(void *ctx, const jframe *stack, size_t depth, const char *s, size_t kstart,
                        size_t kend);

enum { W_VALUE, W_VALUE_OR_CLOSE, W_KEY, W_KEY_OR_CLOSE, W_COLON, W_AFTER };

/* Checks that s is one strict JSON value. Returns 0 if it is, 1 when fn stopped
 * the walk, -1 with the position and reason of the first error. */
static int json_walk(const char *s, size_t len, jkey_fn fn, void *ctx, size_t *err_pos, char *msg,
                     size_t msglen)
{
    jlex lx = {.s = s, .len = len};
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        lx.pos = 3;
    jframe *stack = NULL;
    size_t depth = 0, cap = 0, comma_pos = 0;
    bool after_comma = false, has_key = false;
    size_t key_start = 0, key_end = 0;
    int state = W_VALUE, rc = -1;
    char what[80];

    for (;;) {
        jtok t = jlex_next(&lx);
        if (t == JT_ERROR) {
            *err_pos = lx.err_pos;
            if (state == W_AFTER && !depth)
                snprintf(msg, msglen, "unexpected text after the end of the JSON document");
            else
                snprintf(msg, msglen, "%s", lx.msg);
            goto out;
        }
        *err_pos = lx.start;
        switch (state) {
        case W_VALUE:
        case W_VALUE_OR_CLOSE:
            if (state == W_VALUE_OR_CLOSE && t == JT_RBRACKET) {
                depth--;
                state = W_AFTER;
                break;
            }
            if (t == JT_STRING || t == JT_NUMBER || t == JT_WORD) {
                has_key = false;
                state = W_AFTER;
                break;
            }
            if (t == JT_LBRACE || t == JT_LBRACKET) {
                if (depth >= JSON_MAX_DEPTH) {
                    snprintf(msg, msglen, "nested more than %d levels deep", JSON_MAX_DEPTH);
                    goto out;
                }
                if (depth == cap) {
                    cap = cap ? cap * 2 : 16;
                    stack = xrealloc_array(stack, cap, sizeof *stack);
                }
                stack[depth++] = (jframe){t == JT_LBRACE, has_key, key_start, key_end};
                has_key = false;
                state = t == JT_LBRACE ? W_KEY_OR_CLOSE : W_VALUE_OR_CLOSE;
                break;
            }
            if (t == JT_RBRACKET && after_comma && depth && !stack[depth - 1].is_obj) {
                *err_pos = comma_pos;
                snprintf(msg, msglen, "a trailing comma is not allowed");
            } else if (t == JT_EOF) {
                snprintf(msg, msglen, "unexpected end of file");
            } else {
                jtok_desc(&lx, t, what, sizeof what);
                snprintf(msg, msglen, "expected a value, found %s", what);
            }
            goto out;
        case W_KEY:
        case W_KEY_OR_CLOSE:
            if (t == JT_STRING) {
                key_start = lx.start + 1;
                key_end = lx.end - 1;
                has_key = true;
                if (fn && fn(ctx, stack, depth, s, key_start, key_end)) {
                    rc = 1;
                    goto out;
                }
                state = W_COLON;
                break;
            }
            if (t == JT_RBRACE && state == W_KEY_OR_CLOSE) {
                depth--;
                state = W_AFTER;
                break;
            }
            if (t == JT_RBRACE) {
                *err_pos = comma_pos;
                snprintf(msg, msglen, "a trailing comma is not allowed");
            } else if (t == JT_EOF) {
                snprintf(msg, msglen, "unexpected end of file (a '}' is missing)");
            } else {
                jtok_desc(&lx, t, what, sizeof what);
                snprintf(msg, msglen, "expected a key in double quotes, found %s", what);
            }
            goto out;
        case W_COLON:
            if (t == JT_COLON) {
                state = W_VALUE;
                after_comma = false;
                break;
            }
            if (t == JT_EOF) {
                snprintf(msg, msglen, "unexpected end of file");
            } else {
                char key[64];
                clip_text(s + key_start, key_end - key_start, 30, key, sizeof key);
                jtok_desc(&lx, t, what, sizeof what);
                snprintf(msg, msglen, "expected ':' after \"%s\", found %s", key, what);
            }
            goto out;
        case W_AFTER:
            if (!depth) {
                if (t == JT_EOF) {
                    rc = 0;
                    goto out;
                }
                jtok_desc(&lx, t, what, sizeof what);
                snprintf(msg, msglen, "unexpected %s after the end of the JSON document", what);
                goto out;
            }
            bool obj = stack[depth - 1].is_obj;
            if (t == JT_COMMA) {
                comma_pos = lx.start;
                after_comma = true;
                state = obj ? W_KEY : W_VALUE;
                break;
            }
            if (t == (obj ? JT_RBRACE : JT_RBRACKET)) {
                depth--;
                break;
            }
            jtok_desc(&lx, t, what, sizeof what);
            if (t == JT_EOF)
                snprintf(msg, msglen, "unexpected end of file (a '%c' is missing)", obj ? '}' : ']');
            else if (t == JT_STRING || t == JT_NUMBER || t == JT_WORD || t == JT_LBRACE ||
                     t == JT_LBRACKET)
                snprintf(msg, msglen, "missing ',' before %s", what);
            else
                snprintf(msg, msglen, "expected ',' or '%c', found %s", obj ? '}' : ']', what);
            goto out;
        }
    }
out:
    free(stack);
    return rc;
}

/* Compares a raw JSON string body (escapes undecoded, already validated) with want. */
static bool json_raw_eq(const char *raw, size_t n, const char *want)
{
    size_t w = 0, wn = strlen(want);
    for (size_t i = 0; i < n;) {
        char dec[4];
        size_t dn = 1;
        if (raw[i] != '\\') {
            dec[0] = raw[i++];
        } else {
            char e = raw[i + 1];
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *f = strchr(from, e);
            if (e != 'u' && f) {
                dec[0] = to[f - from];
                i += 2;
            } else {
                unsigned cp = (unsigned)hex4(raw + i + 2, n - i - 2);
                i += 6;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n) {
                    unsigned lo = (unsigned)hex4(raw + i + 2, n - i - 2);
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
                if (cp < 0x80) {
                    dec[0] = (char)cp;
                } else if (cp < 0x800) {
                    dec[0] = (char)(0xC0 | (cp >> 6));
                    dec[1] = (char)(0x80 | (cp & 0x3F));
                    dn = 2;
                } else if (cp < 0x10000) {
                    dec[0] = (char)(0xE0 | (cp >> 12));
                    dec[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    dec[2] = (char)(0x80 | (cp & 0x3F));
                    dn = 3;
                } else {
                    dec[0] = (char)(0xF0 | (cp >> 18));
                    dec[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                    dec[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    dec[3] = (char)(0x80 | (cp & 0x3F));
                    dn = 4;
                }
            }
        }
        if (w + dn > wn || memcmp(want + w, dec, dn) != 0)
            return false;
        w += dn;
    }
    return w == wn;
}

typedef struct keyfind {
    const char *const *path; /* keys from the top-level object down */
    size_t npath;
    size_t nth, seen;        /* which occurrence of the last key (duplicates) */
    size_t found;
} keyfind;

static bool keyfind_cb(void *ctx, const jframe *stack, size_t depth, const char *s, size_t ks,
                       size_t ke)
{
    keyfind *k = ctx;
    if (depth != k->npath || !stack[0].is_obj)
        return false;
    for (size_t i = 1; i < depth; i++)
        if (!stack[i].is_obj || !stack[i].has_key ||
            !json_raw_eq(s + stack[i].key_start, stack[i].key_end - stack[i].key_start,
                         k->path[i - 1]))
            return false;
    if (!json_raw_eq(s + ks, ke - ks, k->path[depth - 1]))
        return false;
    if (k->seen++ != k->nth)
        return false;
    k->found = ks - 1;
    return true;
}

/* 1-based line and column (in characters) of byte offset off. */
static void text_line_col(const char *s, size_t len, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* The line of the nth occurrence of a key path, or 0 when it cannot be found. */
static size_t json_key_line(const char *s, size_t len, const char *const *path, size_t npath,
                            size_t nth)
{
    keyfind k = {.path = path, .npath = npath, .nth = nth};
    size_t pos;
    char msg[8];
    if (json_walk(s, len, keyfind_cb, &k, &pos, msg, sizeof msg) != 1)
        return 0;
    size_t line, col;
    text_line_col(s, len, k.found, &line, &col);
    return line;
}

/* ---------------------------------------------------------------- loading the file */

typedef struct loader {
    config *c;
    const char *text;
    size_t len;
    char *err;
    size_t errlen;
} loader;

/* Which occurrence of its key item is among its siblings (0 for the first). */
static size_t json_nth(const cJSON *item)
{
    size_t n = 0;
    for (const cJSON *p = item->prev; p && p->next; p = p->prev) {
        if (p->string && !strcmp(p->string, item->string))
            n++;
    }
    return n;
}

static void file_err(loader *ld, const char *const *path, size_t npath, size_t nth, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

/* "PATH:LINE: message", the line being that of the key path. */
static void file_err(loader *ld, const char *const *path, size_t npath, size_t nth, const char *fmt,
                     ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line = npath ? json_key_line(ld->text, ld->len, path, npath, nth) : 0;
    if (line)
        set_err(ld->err, ld->errlen, "%s:%zu: %s", ld->c->path, line, msg);
    else
        set_err(ld->err, ld->errlen, "%s: %s", ld->c->path, msg);
}

/* Turns a JSON value for option id into text for opt_parse. Returns 1, 0 for
 * null (not set), or -1 with why. */
static int json_value_text(opt_id id, const cJSON *v, char **text, char *why, size_t whylen)
{
    const opt_def *d = &opt_defs[id];
    char range[64];
    *text = NULL;
    if (cJSON_IsNull(v))
        return 0;
    switch (d->type) {
    case OPT_INT:
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
            v->valuedouble < d->min || v->valuedouble > d->max) {
            range_text(d, range, sizeof range);
            set_err(why, whylen, "must be a whole number %s", range);
            return -1;
        }
        *text = xasprintf("%ld", (long)v->valuedouble);
        return 1;
    case OPT_DOUBLE:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
            range_text(d, range, sizeof range);
            set_err(why, whylen, "must be a number %s", range);
            return -1;
        }
        fmt_num(v->valuedouble, range, sizeof range);
        *text = xstrdup(range);
        return 1;
    case OPT_BOOL:
        if (!cJSON_IsBool(v)) {
            set_err(why, whylen, "must be true or false");
            return -1;
        }
        *text = xstrdup(cJSON_IsTrue(v) ? "true" : "false");
        return 1;
    default:
        if (!cJSON_IsString(v)) {
            set_err(why, whylen, "must be a string");
            return -1;
        }
        *text = xstrdup(v->valuestring);
        return 1;
    }
}

/* Sets the file-layer slot of option id from the file's item, which sits under prof (NULL:
 * top level). null unsets it: the last of duplicate keys wins, as cJSON reads them. */
static int load_value(loader *ld, char **slot, opt_id id, const cJSON *item, const char *prof)
{
    char why[160], *text;
    int r = json_value_text(id, item, &text, why, sizeof why);
    if (r == 0) {
        text_free(*slot, id);
        *slot = NULL;
        return 0;
    }
    if (r > 0) {
        opt_value nv;
        bool ok = opt_parse(id, text, &nv, why, sizeof why);
        text_free(text, id);
        if (ok) {
            text_free(*slot, id);
            *slot = nv.text;
            return 0;
        }
    }
    const char *key = opt_defs[id].key;
    const char *join = str_starts_with(why, "must ") ? " " : ": ";
    size_t nth = json_nth(item);
    if (prof) {
        const char *path[] = {"profiles", prof, key};
        file_err(ld, path, 3, nth, "\"%s\" in profile \"%s\"%s%s", key, prof, join, why);
    } else {
        const char *path[] = {key};
        file_err(ld, path, 1, nth, "\"%s\"%s%s", key, join, why);
    }
    return -1;
}

static void list_profiles(const config *c, char *out, size_t outlen)
{
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < c->nprofiles; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", c->profiles[i].name);
    snprintf(out, outlen, "%s", buf_str(&b));
    buf_free(&b);
}

/* Reads the parsed file into the file layers: top-level values (global options, and profile
 * options shared by every profile), then each profile's own. Sets *file_profile to the
 * file's "profile". */
static int load_doc(loader *ld, const cJSON *root, const cJSON **file_profile, bool *has_profiles)
{
    config *c = ld->c;
    const cJSON *profiles = NULL;
    *file_profile = NULL;
    *has_profiles = false;

    if (!cJSON_IsObject(root)) {
        size_t line, col, i = 0;
        while (i < ld->len && strchr(" \t\r\n", ld->text[i]) && ld->text[i])
            i++;
        text_line_col(ld->text, ld->len, i, &line, &col);
        set_err(ld->err, ld->errlen, "%s:%zu: the top level must be an object ({ ... })", c->path,
                line);
        return -1;
    }

    for (const cJSON *it = root->child; it; it = it->next) {
        const char *k = it->string;
        if (!strcmp(k, "profile")) {
            if (!cJSON_IsString(it) && !cJSON_IsNull(it)) {
                const char *path[] = {"profile"};
                file_err(ld, path, 1, json_nth(it), "\"profile\" must be a string (a profile's name)");
                return -1;
            }
            *file_profile = cJSON_IsString(it) && *it->valuestring ? it : NULL;
            continue;
        }
        if (!strcmp(k, "profiles")) {
            if (!cJSON_IsObject(it) && !cJSON_IsNull(it)) {
                const char *path[] = {"profiles"};
                file_err(ld, path, 1, json_nth(it),
                         "\"profiles\" must be an object of named profiles ({\"NAME\": { ... }})");
                return -1;
            }
            profiles = cJSON_IsObject(it) ? it : NULL;
            continue;
        }
        int id = opt_find(k);
        if (id < 0 || strcmp(k, opt_defs[id].key) != 0)
            continue; /* unknown keys stay in c->doc */
        if (load_value(ld, &c->top[id], (opt_id)id, it, NULL) != 0)
            return -1;
    }

    if (!profiles || !profiles->child) {
        profile_add(c, "openai");
        return 0;
    }
    *has_profiles = true;
    for (const cJSON *p = profiles->child; p; p = p->next) {
        const char *name = p->string;
        const char *path[] = {"profiles", name};
        size_t nth = json_nth(p);
        if (!*name) {
            file_err(ld, path, 2, nth, "a profile needs a name (\"\" is not one)");
            return -1;
        }
        if (text_problem(name, false)) {
            file_err(ld, path, 2, nth, "a profile name must be text without control characters");
            return -1;
        }
        if (!cJSON_IsObject(p)) {
            file_err(ld, path, 2, nth, "profile \"%s\" must be an object ({ ... })", name);
            return -1;
        }
        if (config_profile_find(c, name) >= 0) {
            file_err(ld, path, 2, nth, "profile \"%s\" is defined twice", name);
            return -1;
        }
        profile *pr = profile_add(c, name);
        pr->doc_name = xstrdup(name);
        for (const cJSON *it = p->child; it; it = it->next) {
            int id = opt_find(it->string);
            if (id < 0 || strcmp(it->string, opt_defs[id].key) != 0)
                continue;
            if (opt_defs[id].scope == SCOPE_GLOBAL) {
                const char *kpath[] = {"profiles", name, it->string};
                file_err(ld, kpath, 3, json_nth(it),
                         "\"%s\" applies to all profiles: put it at the top level, not in "
                         "profile \"%s\"",
                         it->string, name);
                return -1;
            }
            if (load_value(ld, &pr->file[id], (opt_id)id, it, name) != 0)
                return -1;
        }
    }
    return 0;
}

/* Reads the whole file. Returns 1 when read, 0 when it does not exist, -1 on error. */
static int read_config_file(const char *path, char **text, size_t *len, struct stat *st, char *err,
                            size_t errlen)
{
    /* O_NONBLOCK so a FIFO (--config <(...)) cannot hang open(); cleared below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (S_ISDIR(st->st_mode) || !(S_ISREG(st->st_mode) || S_ISFIFO(st->st_mode))) {
        set_err(err, errlen, "%s: %s", path,
                S_ISDIR(st->st_mode) ? "is a directory, not a file" : "is not a regular file");
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    buf b;
    buf_init(&b);
    for (;;) {
        buf_reserve(&b, 65536);
        ssize_t n = read(fd, b.data + b.len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_err(err, errlen, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
        b.data[b.len] = '\0';
        if (b.len > CONFIG_MAX_BYTES) {
            set_err(err, errlen, "%s: too large for a config file (more than %zu KiB)", path,
                    CONFIG_MAX_BYTES / 1024);
            goto fail;
        }
    }
    close(fd);
    *len = b.len;
    *text = buf_steal(&b);
    return 1;
fail:
    close(fd);
    buf_free(&b);
    return -1;
}

/* Parses and applies the file text. */
static int load_text(config *c, const char *text, size_t len, bool check_profile,
                     const char **want_profile, bool *has_profiles, char *err, size_t errlen)
{
    loader ld = {c, text, len, err, errlen};
    size_t i = (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) ? 3 : 0;
    while (i < len && strchr(" \t\r\n", text[i]) && text[i])
        i++;
    cJSON *root;
    if (i == len) {
        root = cJSON_CreateObject(); /* an empty file is an empty configuration */
    } else {
        size_t pos = 0, line, col;
        char msg[160];
        if (json_walk(text, len, NULL, NULL, &pos, msg, sizeof msg) != 0) {
            text_line_col(text, len, pos, &line, &col);
            set_err(err, errlen, "%s:%zu:%zu: %s", c->path, line, col, msg);
            return -1;
        }
        /* The BOM is skipped here: cJSON's own skipping misreads a document that is a
         * bare number after one. */
        size_t bom = (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) ? 3 : 0;
        const char *end = NULL;
        root = cJSON_ParseWithLengthOpts(text + bom, len - bom, &end, false);
        if (!root) {
            /* The scanner is stricter than cJSON, so this should not happen. */
            pos = end && end >= text ? (size_t)(end - text) : 0;
            text_line_col(text, len, pos, &line, &col);
            set_err(err, errlen, "%s:%zu:%zu: cannot parse this JSON", c->path, line, col);
            return -1;
        }
    }
    c->doc = root;
    const cJSON *fp;
    if (load_doc(&ld, root, &fp, has_profiles) != 0)
        return -1;
    *want_profile = NULL;
    if (fp && check_profile) {
        *want_profile = fp->valuestring;
        bool found = false;
        for (size_t k = 0; k < c->nprofiles; k++)
            found = found || !strcmp(c->profiles[k].name, fp->valuestring);
        if (!found) {
            const char *path[] = {"profile"};
            char names[256];
            list_profiles(c, names, sizeof names);
            if (*has_profiles)
                file_err(&ld, path, 1, json_nth(fp),
                         "\"profile\" is \"%s\", but there is no such profile (profiles: %s)",
                         fp->valuestring, names);
            else
                file_err(&ld, path, 1, json_nth(fp),
                         "\"profile\" is \"%s\", but the file has no \"profiles\"", fp->valuestring);
            return -1;
        }
    }
    return 0;
}

/* Whether the file holds an API key anywhere. */
static bool file_has_key(const config *c)
{
    if (c->top[OPT_API_KEY] && *c->top[OPT_API_KEY])
        return true;
    for (size_t i = 0; i < c->nprofiles; i++)
        if (c->profiles[i].file[OPT_API_KEY] && *c->profiles[i].file[OPT_API_KEY])
            return true;
    return false;
}

int config_load(config *c, const config_load_args *args, char *err, size_t errlen)
{
    static const config_load_args no_args;
    if (!args)
        args = &no_args;
    const char *(*env)(const char *) = args->getenv_fn ? args->getenv_fn : sys_getenv;
    char *text = NULL;
    size_t len = 0;
    const char *want = NULL;
    bool has_profiles = false;
    struct stat st;

    memset(c, 0, sizeof *c);
    set_err(err, errlen, "%s", "");
    c->path = args->path && *args->path ? xstrdup(args->path) : config_default_path(env);
    c->run_key_cmd = args->run_key_cmd;
    for (int id = 0; id < OPT__COUNT; id++)
        if (opt_defs[id].scope == SCOPE_GLOBAL)
            value_default(&c->global[id], (opt_id)id);

    int r = read_config_file(c->path, &text, &len, &st, err, errlen);
    if (r < 0)
        goto fail;
    c->file_exists = r > 0;
    if (c->file_exists) {
        bool check = !(args->profile && *args->profile); /* --profile overrides it */
        if (load_text(c, text, len, check, &want, &has_profiles, err, errlen) != 0)
            goto fail;
    } else {
        profile_add(c, "openai");
    }

    /* Profile: --profile, else the file's "profile", else the first. */
    if (args->profile && *args->profile) {
        want = args->profile;
        if (config_profile_find(c, want) < 0) {
            char names[256];
            list_profiles(c, names, sizeof names);
            if (!c->file_exists)
                set_err(err, errlen, "no profile \"%s\": %s does not exist", want, c->path);
            else if (!has_profiles)
                set_err(err, errlen, "no profile \"%s\" in %s (it has no \"profiles\")", want,
                        c->path);
            else
                set_err(err, errlen, "no profile \"%s\" in %s (profiles: %s)", want, c->path, names);
            goto fail;
        }
    }
    int found = want ? config_profile_find(c, want) : -1;
    c->current = found >= 0 ? (size_t)found : 0;

    /* Like ssh: a key in a file others can read deserves a warning. */
    if (c->file_exists && S_ISREG(st.st_mode) && (st.st_mode & 077) && file_has_key(c))
        c->warning = xasprintf("%s is readable by others (mode %04o) and holds an API key; "
                               "run: chmod 600 %s",
                               c->path, (unsigned)(st.st_mode & 07777), c->path);

    /* The environment and the flags are read once and kept: they move with the current
     * profile. Each is checked here so that a bad one is reported at start-up. */
    for (int id = 0; id < OPT__COUNT; id++) {
        const char *name = opt_defs[id].env;
        const char *val = name ? env(name) : NULL;
        if (!val || !*val)
            continue;
        opt_value nv;
        if (!layer_parse(c, (opt_id)id, val, SRC_ENV, &nv, err, errlen))
            goto fail;
        c->env[id] = nv.text;
    }
    for (size_t i = 0; i < args->noverrides; i++) {
        const config_override *o = &args->overrides[i];
        if ((unsigned)o->id >= OPT__COUNT || !o->value) {
            set_err(err, errlen, "unknown option");
            goto fail;
        }
        opt_value nv;
        if (!layer_parse(c, o->id, o->value, SRC_FLAG, &nv, err, errlen))
            goto fail;
        text_free(c->flag[o->id], o->id);
        c->flag[o->id] = nv.text;
    }

    if (globals_compute(c, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < c->nprofiles; i++)
        if (profile_compute(c, i, i == c->current, err, errlen) != 0)
            goto fail;
    free(text);
    return 0;
fail:
    if (text) {
        explicit_bzero(text, len);
        free(text);
    }
    config_free(c);
    return -1;
}

void config_free(config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nprofiles; i++)
        profile_done(&c->profiles[i]);
    free(c->profiles);
    for (int id = 0; id < OPT__COUNT; id++) {
        value_clear(&c->global[id], (opt_id)id);
        text_free(c->top[id], (opt_id)id);
        text_free(c->flag[id], (opt_id)id);
        text_free(c->env[id], (opt_id)id);
    }
    cJSON_Delete(c->doc);
    free(c->path);
    free(c->warning);
    memset(c, 0, sizeof *c);
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
        getenv_fn = sys_getenv;
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

/* ---------------------------------------------------------------- the key command */

/* Splits cmd into words the way a shell would for plain words and quotes, but
 * expands nothing. Returns a NULL-terminated vector or NULL with why. */
static char **split_words(const char *cmd, size_t *argc, const char **why)
{
    char **v = NULL;
    size_t n = 0;
    buf w;
    bool in_word = false;
    buf_init(&w);
    for (const char *p = cmd; *p;) {
        char ch = *p;
        if (isspace((unsigned char)ch)) {
            if (in_word) {
                v = xrealloc_array(v, n + 2, sizeof *v);
                v[n++] = buf_steal(&w);
                in_word = false;
            }
            p++;
            continue;
        }
        in_word = true;
        if (ch == '\'') {
            const char *close = strchr(p + 1, '\'');
            if (!close) {
                *why = "a ' is not closed";
                goto fail;
            }
            buf_append(&w, p + 1, (size_t)(close - p - 1));
            p = close + 1;
        } else if (ch == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                    p++;
                buf_putc(&w, *p);
            }
            if (!*p) {
                *why = "a \" is not closed";
                goto fail;
            }
            p++;
        } else if (ch == '\\' && p[1]) {
            buf_putc(&w, p[1]);
            p += 2;
        } else {
            buf_putc(&w, ch);
            p++;
        }
    }
    if (in_word) {
        v = xrealloc_array(v, n + 2, sizeof *v);
        v[n++] = buf_steal(&w);
    }
    if (!n) {
        *why = "the command is empty";
        goto fail;
    }
    v[n] = NULL;
    *argc = n;
    buf_free(&w);
    return v;
fail:
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    buf_free(&w);
    return NULL;
}

static void free_words(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static int pipe_cloexec(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    return 0;
}

/* Reads what is available from fd into b (keeping at most cap bytes). Returns
 * false at end of file or on error. */
static bool drain_fd(int fd, buf *b, size_t cap)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n > 0) {
            if (b->len < cap)
                buf_append(b, chunk, (size_t)n < cap - b->len ? (size_t)n : cap - b->len);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        return false;
    }
}

static void wait_child(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
}

/* The first non-empty line of the program's stderr, made printable. */
static void first_line(const buf *b, char *out, size_t outlen)
{
    const char *s = buf_str(b);
    while (*s == '\n' || *s == '\r' || *s == ' ')
        s++;
    size_t n = strcspn(s, "\r\n");
    clip_text(s, n, 200, out, outlen);
}

int config_run_key_cmd(const char *cmd, int timeout_ms, char **key, char *err, size_t errlen)
{
    char shown[128];
    const char *why = NULL;
    size_t argc = 0;
    *key = NULL;
    clip_text(cmd ? cmd : "", cmd ? strlen(cmd) : 0, 80, shown, sizeof shown);
    char **argv = split_words(cmd ? cmd : "", &argc, &why);
    if (!argv) {
        set_err(err, errlen, "api_key_cmd \"%s\": %s", shown, why);
        return -1;
    }
    if (timeout_ms < 1)
        timeout_ms = 1;

    int out[2] = {-1, -1}, errp[2] = {-1, -1};
    if (pipe_cloexec(out) != 0 || pipe_cloexec(errp) != 0) {
        set_err(err, errlen, "api_key_cmd \"%s\": %s", shown, strerror(errno));
        for (int i = 0; i < 2; i++)
            if (out[i] >= 0)
                close(out[i]);
        free_words(argv);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawnattr_init(&attr);
    /* tchat ignores SIGPIPE and its threads block signals; the command should not inherit that. */
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    static const int reset[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof reset / sizeof *reset; i++)
        sigaddset(&dfl, reset[i]);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    /* A key in tchat's environment is no business of the command's. */
    char **child_env = env_for_child();
    int sr = posix_spawnp(&pid, argv[0], &fa, &attr, argv, child_env);
    free(child_env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out[1]);
    close(errp[1]);
    if (sr != 0) {
        if (sr == ENOENT)
            set_err(err, errlen, "api_key_cmd \"%s\": command not found: %s", shown, argv[0]);
        else
            set_err(err, errlen, "api_key_cmd \"%s\": cannot run %s: %s", shown, argv[0],
                    strerror(sr));
        close(out[0]);
        close(errp[0]);
        free_words(argv);
        return -1;
    }

    buf ob, eb;
    buf_init(&ob);
    buf_init(&eb);
    bool out_open = true, err_open = true, exited = false, timed_out = false;
    int status = 0;
    int64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        if (!exited) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            exited = w == pid;
        }
        if (exited) {
            /* Whatever it wrote before exiting is in the pipes; a background
             * child still holding them open must not keep us waiting. */
            if (out_open)
                drain_fd(out[0], &ob, 65536);
            if (err_open)
                drain_fd(errp[0], &eb, 4096);
            break;
        }
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            wait_child(pid, &status);
            timed_out = true;
            break;
        }
        /* Short slices: the exit is noticed by waitpid, not by a signal. */
        int slice = left < 20 ? (int)left : 20;
        struct pollfd pf[2];
        nfds_t np = 0;
        if (out_open)
            pf[np++] = (struct pollfd){.fd = out[0], .events = POLLIN};
        if (err_open)
            pf[np++] = (struct pollfd){.fd = errp[0], .events = POLLIN};
        if (np == 0) {
            struct timespec ts = {0, (long)slice * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (poll(pf, np, slice) <= 0)
            continue;
        for (nfds_t i = 0; i < np; i++) {
            if (!pf[i].revents)
                continue;
            if (pf[i].fd == out[0])
                out_open = drain_fd(out[0], &ob, 65536);
            else
                err_open = drain_fd(errp[0], &eb, 4096);
        }
    }
    close(out[0]);
    close(errp[0]);

    char line[256];
    first_line(&eb, line, sizeof line);
    int rc = -1;
    if (timed_out) {
        char secs[32];
        fmt_num(timeout_ms / 1000.0, secs, sizeof secs);
        set_err(err, errlen, "api_key_cmd \"%s\": timed out after %s s", shown, secs);
    } else if (WIFSIGNALED(status)) {
        set_err(err, errlen, "api_key_cmd \"%s\": killed by signal %d%s%s", shown, WTERMSIG(status),
                *line ? ": " : "", line);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !*line) {
        set_err(err, errlen, "api_key_cmd \"%s\": command not found: %s", shown, argv[0]);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        set_err(err, errlen, "api_key_cmd \"%s\": exited with status %d%s%s", shown,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1, *line ? ": " : "", line);
    } else {
        size_t n = strcspn(buf_str(&ob), "\n");
        char *k = xstrndup(buf_str(&ob), n);
        str_trim(k);
        if (memchr(buf_str(&ob), '\0', n < ob.len ? n : ob.len)) {
            set_err(err, errlen, "api_key_cmd \"%s\": printed binary data, not a key", shown);
            explicit_bzero(k, strlen(k));
            free(k);
        } else if (!*k) {
            set_err(err, errlen, "api_key_cmd \"%s\": printed no key", shown);
            free(k);
        } else {
            *key = k;
            rc = 0;
        }
    }
    if (ob.data)
        explicit_bzero(ob.data, ob.cap);
    buf_free(&ob);
    buf_free(&eb);
    free_words(argv);
    return rc;
}

/* ---------------------------------------------------------------- saving
 *
 * The kept document is updated (so unknown keys and the shared top-level values survive),
 * printed for a human to edit, and written next to the old file, then renamed over it. */

static cJSON *json_checked(cJSON *item)
{
    if (!item) {
        fputs("tchat: out of memory\n", stderr);
        abort();
    }
    return item;
}

/* The JSON for a file-layer text: numbers and booleans by type, text as strings. */
static cJSON *json_of(opt_id id, const char *text)
{
    opt_value v;
    char why[160];
    if (opt_defs[id].type == OPT_INT || opt_defs[id].type == OPT_DOUBLE ||
        opt_defs[id].type == OPT_BOOL) {
        if (opt_parse(id, text, &v, why, sizeof why)) {
            cJSON *j = opt_defs[id].type == OPT_BOOL ? cJSON_CreateBool(v.b)
                       : opt_defs[id].type == OPT_INT ? cJSON_CreateNumber((double)v.i)
                                                      : cJSON_CreateNumber(v.d);
            value_clear(&v, id);
            return json_checked(j);
        }
    }
    return json_checked(cJSON_CreateString(text));
}

/* Sets key in obj to val (NULL: removes it). The last of duplicate keys is the one that
 * counts, so val takes its place and the earlier ones go; a new key goes at the end. */
static void obj_set(cJSON *obj, const char *key, cJSON *val)
{
    cJSON *last = NULL;
    for (cJSON *it = obj->child, *next; it; it = next) {
        next = it->next;
        if (!it->string || strcmp(it->string, key) != 0)
            continue;
        if (last)
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, last));
        last = it;
    }
    if (!val) {
        if (last)
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, last));
    } else if (last) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val))
            json_checked(NULL);
    } else if (!cJSON_AddItemToObject(obj, key, val)) {
        json_checked(NULL);
    }
}

static cJSON *obj_last(cJSON *obj, const char *key)
{
    cJSON *last = NULL;
    for (cJSON *it = obj->child; it; it = it->next)
        if (it->string && !strcmp(it->string, key))
            last = it;
    return last;
}

static bool profile_has_values(const profile *p)
{
    for (int id = 0; id < OPT__COUNT; id++)
        if (p->file[id])
            return true;
    return false;
}

/* Brings c->doc up to date with the file layers. */
static void doc_update(config *c)
{
    if (!c->doc)
        c->doc = json_checked(cJSON_CreateObject());
    cJSON *root = c->doc;
    for (int id = 0; id < OPT__COUNT; id++)
        if (opt_defs[id].scope == SCOPE_GLOBAL)
            obj_set(root, opt_defs[id].key, c->top[id] ? json_of((opt_id)id, c->top[id]) : NULL);

    /* A file without profiles has one implicit profile, "openai"; while nothing is set in it,
     * writing "profiles" and "profile" would only add noise. */
    const profile *p0 = &c->profiles[0];
    if (c->nprofiles == 1 && !p0->doc_name && !strcmp(p0->name, "openai") &&
        !profile_has_values(p0))
        return;

    cJSON *name = json_checked(cJSON_CreateString(c->profiles[c->current].name));
    if (obj_last(root, "profile")) {
        obj_set(root, "profile", name);
    } else {
        /* First, where a reader looks for it. */
        if (!cJSON_AddItemToObject(root, "profile", name))
            json_checked(NULL);
        cJSON_DetachItemViaPointer(root, name);
        if (!cJSON_InsertItemInArray(root, 0, name))
            json_checked(NULL);
    }

    cJSON *old = obj_last(root, "profiles");
    if (old && !cJSON_IsObject(old))
        old = NULL;
    cJSON *np = json_checked(cJSON_CreateObject());
    for (size_t i = 0; i < c->nprofiles; i++) {
        profile *p = &c->profiles[i];
        cJSON *po = NULL;
        if (p->doc_name && old) {
            po = cJSON_GetObjectItemCaseSensitive(old, p->doc_name);
            if (po)
                cJSON_DetachItemViaPointer(old, po);
        }
        if (!po || !cJSON_IsObject(po)) {
            cJSON_Delete(po);
            po = json_checked(cJSON_CreateObject());
        }
        for (int id = 0; id < OPT__COUNT; id++) {
            if (opt_defs[id].scope != SCOPE_PROFILE)
                continue;
            obj_set(po, opt_defs[id].key, p->file[id] ? json_of((opt_id)id, p->file[id]) : NULL);
        }
        if (!cJSON_AddItemToObject(np, p->name, po))
            json_checked(NULL);
        free(p->doc_name);
        p->doc_name = xstrdup(p->name);
    }
    obj_set(root, "profiles", np); /* what is left in old (deleted profiles) goes with it */
}

static void print_json_string(buf *b, const char *s)
{
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\b':
            buf_puts(b, "\\b");
            break;
        case '\f':
            buf_puts(b, "\\f");
            break;
        default:
            if (*p < 0x20)
                buf_printf(b, "\\u%04x", *p);
            else
                buf_putc(b, (char)*p);
        }
    }
    buf_putc(b, '"');
}

static void print_json_number(buf *b, double d)
{
    char tmp[40];
    if (isnan(d)) {
        buf_puts(b, "null");
    } else if (isinf(d)) {
        buf_puts(b, d < 0 ? "-1e999" : "1e999"); /* what cJSON read as infinity */
    } else {
        fmt_num(d, tmp, sizeof tmp);
        buf_puts(b, tmp);
    }
}

static bool json_is_container(const cJSON *it)
{
    return cJSON_IsArray(it) || cJSON_IsObject(it);
}

/* Two-space indentation, one key per line; arrays of plain values on one line. */
static void print_json(buf *b, const cJSON *it, int depth)
{
    if (cJSON_IsNull(it) || cJSON_IsInvalid(it)) {
        buf_puts(b, "null");
    } else if (cJSON_IsBool(it)) {
        buf_puts(b, cJSON_IsTrue(it) ? "true" : "false");
    } else if (cJSON_IsNumber(it)) {
        print_json_number(b, it->valuedouble);
    } else if (cJSON_IsString(it)) {
        print_json_string(b, it->valuestring ? it->valuestring : "");
    } else if (cJSON_IsRaw(it)) {
        buf_puts(b, it->valuestring ? it->valuestring : "null");
    } else {
        bool obj = cJSON_IsObject(it);
        if (!it->child) {
            buf_puts(b, obj ? "{}" : "[]");
            return;
        }
        bool flat = !obj;
        for (const cJSON *ch = it->child; ch && flat; ch = ch->next)
            flat = !json_is_container(ch);
        buf_putc(b, obj ? '{' : '[');
        for (const cJSON *ch = it->child; ch; ch = ch->next) {
            if (flat) {
                print_json(b, ch, depth + 1);
                if (ch->next)
                    buf_puts(b, ", ");
                continue;
            }
            buf_printf(b, "\n%*s", (depth + 1) * 2, "");
            if (obj) {
                print_json_string(b, ch->string ? ch->string : "");
                buf_puts(b, ": ");
            }
            print_json(b, ch, depth + 1);
            if (ch->next)
                buf_putc(b, ',');
        }
        if (!flat)
            buf_printf(b, "\n%*s", depth * 2, "");
        buf_putc(b, obj ? '}' : ']');
    }
}

/* Where the file really is: symlinks followed, also a dangling one (its target is created).
 * Returns a malloc'd path, or NULL with errno set. */
static char *resolve_target(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    if (errno != ENOENT)
        return NULL;
    char *cur = xstrdup(path);
    for (int hops = 0; hops < 40; hops++) {
        char link[4096];
        ssize_t n = readlink(cur, link, sizeof link);
        if (n < 0) {
            if (errno == EINVAL || errno == ENOENT)
                return cur; /* not a link, or missing: this is the file to create */
            free(cur);
            return NULL;
        }
        if ((size_t)n >= sizeof link) {
            free(cur);
            errno = ENAMETOOLONG;
            return NULL;
        }
        link[n] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (link[0] == '/' || !slash)
            next = xstrdup(link);
        else
            next = xasprintf("%.*s/%s", (int)(slash - cur), cur, link);
        free(cur);
        cur = next;
    }
    free(cur);
    errno = ELOOP;
    return NULL;
}

/* Creates dir and its missing parents, each 0700 (whatever the umask). Directories that
 * exist are left as they are. Returns 0, or -1 with errno and *failed (malloc'd). */
static int make_dirs(const char *dir, char **failed)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        *failed = xstrdup(dir);
        errno = ENOTDIR;
        return -1;
    }
    char *p = xstrdup(dir);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0700) == 0) {
            chmod(p, 0700);
        } else if (errno != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            if (errno == EEXIST)
                errno = ENOTDIR;
            *failed = p;
            return -1;
        }
        *s = saved;
        if (!saved)
            break;
    }
    free(p);
    return 0;
}

/* tchat's own directory (the default .../tchat/config.json) holds keys: one that others
 * can read is made 0700, as DESIGN asks. Any other directory (--config elsewhere) and any
 * directory owned by someone else is left alone. */
static void tighten_own_dir(const char *dir)
{
    const char *slash = strrchr(dir, '/');
    struct stat st;
    if (strcmp(slash ? slash + 1 : dir, "tchat") != 0 || lstat(dir, &st) != 0 ||
        !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || !(st.st_mode & 077))
        return;
    chmod(dir, 0700);
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Replaces the file at path with data: temporary file, fsync, rename, fsync of the
 * directory. Returns 0, or -1 with err naming shown (the path the user knows). */
static int write_atomic(const char *path, const char *shown, const char *data, size_t len,
                        char *err, size_t errlen)
{
    char *target = resolve_target(path);
    if (!target) {
        set_err(err, errlen, "cannot write %s: %s", shown, strerror(errno));
        return -1;
    }
    const char *slash = strrchr(target, '/');
    char *dir;
    if (!slash)
        dir = xstrdup(".");
    else if (slash == target)
        dir = xstrdup("/");
    else
        dir = xstrndup(target, (size_t)(slash - target));
    char *failed = NULL, *tmp = NULL;
    int fd = -1, rc = -1;
    if (make_dirs(dir, &failed) != 0) {
        set_err(err, errlen, "cannot write %s: cannot create the directory %s: %s", shown, failed,
                strerror(errno));
        goto out;
    }
    tighten_own_dir(dir);
    /* Same directory, so rename() replaces the file in one step. */
    tmp = xasprintf("%s.XXXXXX", target);
    fd = mkstemp(tmp);
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "cannot write %s: %s", shown, strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        set_err(err, errlen, "cannot write %s: %s", shown, strerror(errno));
        goto out;
    }
    int cr = close(fd);
    fd = -1;
    if (cr != 0 || rename(tmp, target) != 0) {
        set_err(err, errlen, "cannot write %s: %s", shown, strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
    /* The rename is durable once the directory is: best effort, the file is in place. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(failed);
    free(dir);
    free(target);
    return rc;
}

int config_save(config *c, char *err, size_t errlen)
{
    if (!c || !c->path || !c->nprofiles) {
        set_err(err, errlen, "no configuration to save");
        return -1;
    }
    doc_update(c);
    buf b;
    buf_init(&b);
    print_json(&b, c->doc, 0);
    buf_putc(&b, '\n');
    int rc = write_atomic(c->path, c->path, b.data, b.len, err, errlen);
    explicit_bzero(b.data, b.cap); /* it may hold keys */
    buf_free(&b);
    if (rc != 0)
        return -1;
    c->file_exists = true;
    c->dirty = false;
    free(c->warning); /* the only warning is about the file's mode, now 0600 */
    c->warning = NULL;
    return 0;
}
