/* The config file: loading it (strictly: a syntax or type error names file:line and never
 * quotes a key), the kept cJSON document (so that unknown keys and the shared top-level
 * values survive a save), saving it back atomically, and the config's lifetime
 * (config_load, config_free). */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"
#include "fileio.h"
#include "jsonpos.h"
#include "util.h"
#include "xheaders.h"

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
    size_t line = npath ? jsonpos_key_line(ld->text, ld->len, path, npath, nth) : 0;
    if (line)
        err_set(ld->err, ld->errlen, "%s:%zu: %s", ld->c->path, line, msg);
    else
        err_set(ld->err, ld->errlen, "%s: %s", ld->c->path, msg);
}

/* Turns a JSON value for option id into text for config_opt_parse. Returns 1, 0 for
 * null (not set), or -1 with why. */
static int json_value_text(opt_id id, const cJSON *v, char **text, char *why, size_t whylen)
{
    const opt_def *d = opt_get_def(id);
    char range[64];
    *text = NULL;
    if (cJSON_IsNull(v))
        return 0;
    switch (d->type) {
    case OPT_INT:
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
            v->valuedouble < d->min || v->valuedouble > d->max) {
            config_range_text(d, range, sizeof range);
            err_set(why, whylen, "must be a whole number %s", range);
            return -1;
        }
        *text = xasprintf("%ld", (long)v->valuedouble);
        return 1;
    case OPT_DOUBLE:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
            config_range_text(d, range, sizeof range);
            err_set(why, whylen, "must be a number %s", range);
            return -1;
        }
        config_fmt_num(v->valuedouble, range, sizeof range);
        *text = xstrdup(range);
        return 1;
    case OPT_BOOL:
        if (!cJSON_IsBool(v)) {
            err_set(why, whylen, "must be true or false");
            return -1;
        }
        *text = xstrdup(cJSON_IsTrue(v) ? "true" : "false");
        return 1;
    default:
        if (id == OPT_EXTRA_HEADERS) {
            /* A JSON object in the file; its text is checked like any other value. */
            if (!cJSON_IsObject(v)) {
                err_set(why, whylen,
                        "must be a JSON object of header names and text values, "
                        "e.g. {\"X-Title\": \"tchat\"}");
                return -1;
            }
            char *s = cJSON_PrintUnformatted(v);
            *text = xstrdup(s ? s : "{}");
            if (s) {
                explicit_bzero(s, strlen(s));
                cJSON_free(s);
            }
            return 1;
        }
        if (!cJSON_IsString(v)) {
            err_set(why, whylen, "must be a string");
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
        config_text_free(*slot, id);
        *slot = NULL;
        return 0;
    }
    if (r > 0) {
        opt_value nv;
        bool ok = config_opt_parse(id, text, &nv, why, sizeof why);
        if (id == OPT_EXTRA_HEADERS)
            explicit_bzero(text, strlen(text)); /* it may hold a token */
        config_text_free(text, id);
        if (ok) {
            config_text_free(*slot, id);
            *slot = nv.text;
            return 0;
        }
    }
    const char *key = opt_get_def((opt_id)id)->key;
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
        jsonpos_line_col(ld->text, ld->len, i, &line, &col);
        err_set(ld->err, ld->errlen, "%s:%zu: the top level must be an object ({ ... })", c->path,
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
        if (id < 0 || strcmp(k, opt_get_def((opt_id)id)->key) != 0)
            continue; /* unknown keys stay in c->doc */
        if (load_value(ld, &c->top[id], (opt_id)id, it, NULL) != 0)
            return -1;
    }

    if (!profiles || !profiles->child) {
        config_profile_new(c, "openai");
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
        if (config_text_problem(name, false)) {
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
        profile *pr = config_profile_new(c, name);
        pr->doc_name = xstrdup(name);
        for (const cJSON *it = p->child; it; it = it->next) {
            int id = opt_find(it->string);
            if (id < 0 || strcmp(it->string, opt_get_def((opt_id)id)->key) != 0)
                continue;
            if (opt_get_def((opt_id)id)->scope == SCOPE_GLOBAL) {
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

/* The keys of the secret options, and extra_headers (whose headers may hold tokens): their
 * values are never quoted in a syntax error. */
static const char *const *secret_keys(size_t *n)
{
    static const char *keys[OPT__COUNT];
    static size_t nkeys;
    if (!nkeys)
        for (int id = 0; id < OPT__COUNT; id++)
            if (opt_get_def((opt_id)id)->type == OPT_SECRET || id == OPT_EXTRA_HEADERS)
                keys[nkeys++] = opt_get_def((opt_id)id)->key;
    *n = nkeys;
    return keys;
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
        jsonpos_secrets secrets = {.mask = config_mask_key};
        secrets.keys = secret_keys(&secrets.nkeys);
        jsonpos_error je;
        if (jsonpos_check(text, len, &secrets, &je) != 0) {
            err_set(err, errlen, "%s:%zu:%zu: %s", c->path, je.line, je.col, je.why);
            return -1;
        }
        /* The BOM is skipped here: cJSON's own skipping misreads a document that is a
         * bare number after one. */
        size_t bom = (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) ? 3 : 0;
        const char *end = NULL;
        root = cJSON_ParseWithLengthOpts(text + bom, len - bom, &end, false);
        if (!root) {
            /* The scanner is stricter than cJSON, so this should not happen. */
            size_t pos = end && end >= text ? (size_t)(end - text) : 0, line, col;
            jsonpos_line_col(text, len, pos, &line, &col);
            err_set(err, errlen, "%s:%zu:%zu: cannot parse this JSON", c->path, line, col);
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

/* Whether a file-layer text holds a secret: a key, or an extra header that is one. */
static bool holds_secret(const char *key, const char *headers)
{
    if (key && *key)
        return true;
    xhdr_list l;
    if (!headers || xhdr_parse(headers, &l, NULL, 0) != 0)
        return false;
    bool yes = xhdr_first_secret(&l) != NULL;
    xhdr_free(&l);
    return yes;
}

/* Whether the file holds an API key (or a secret header) anywhere. */
static bool file_has_key(const config *c)
{
    if (holds_secret(c->top[OPT_API_KEY], c->top[OPT_EXTRA_HEADERS]))
        return true;
    for (size_t i = 0; i < c->nprofiles; i++)
        if (holds_secret(c->profiles[i].file[OPT_API_KEY], c->profiles[i].file[OPT_EXTRA_HEADERS]))
            return true;
    return false;
}

int config_load(config *c, const config_load_args *args, char *err, size_t errlen)
{
    static const config_load_args no_args;
    if (!args)
        args = &no_args;
    const char *(*env)(const char *) = args->getenv_fn ? args->getenv_fn : config_getenv;
    char *text = NULL;
    size_t len = 0;
    const char *want = NULL;
    bool has_profiles = false;
    struct stat st;

    memset(c, 0, sizeof *c);
    c->getenv_fn = env;
    err_set(err, errlen, "%s", "");
    c->path = args->path && *args->path ? xstrdup(args->path) : config_default_path(env);
    const char *tc = env("TCHAT_CONFIG");
    bool named = (args->path && *args->path) || (tc && *tc);
    c->run_key_cmd = args->run_key_cmd;
    for (int id = 0; id < OPT__COUNT; id++)
        if (opt_get_def((opt_id)id)->scope == SCOPE_GLOBAL)
            config_value_default(&c->global[id], (opt_id)id);

    /* A config named on purpose (--config <(...), TCHAT_CONFIG) may be a pipe or a device,
     * read against a deadline so that a writer that never writes cannot hang start-up; the
     * default one must be a regular file. */
    char too_large[64];
    snprintf(too_large, sizeof too_large, "too large for a config file (more than %zu KiB)",
             CONFIG_MAX_BYTES / 1024);
    fileio_read_opts ro = {CONFIG_MAX_BYTES, too_large, named ? CONFIG_STREAM_MS : 0};
    if (fileio_read(c->path, &ro, &text, &len, &st, err, errlen) != 0) {
        if (errno != ENOENT)
            goto fail;
        err_set(err, errlen, "%s", "");
    }
    c->file_exists = text != NULL;
    if (c->file_exists) {
        bool check = !(args->profile && *args->profile); /* --profile overrides it */
        if (load_text(c, text, len, check, &want, &has_profiles, err, errlen) != 0)
            goto fail;
    } else {
        config_profile_new(c, "openai");
    }

    /* Profile: --profile, else the file's "profile", else the first. */
    if (args->profile && *args->profile) {
        want = args->profile;
        if (config_profile_find(c, want) < 0) {
            char names[256];
            list_profiles(c, names, sizeof names);
            if (!c->file_exists)
                err_set(err, errlen, "no profile \"%s\": %s does not exist", want, c->path);
            else if (!has_profiles)
                err_set(err, errlen, "no profile \"%s\" in %s (it has no \"profiles\")", want,
                        c->path);
            else
                err_set(err, errlen, "no profile \"%s\" in %s (profiles: %s)", want, c->path, names);
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

    /* The flags are read once and kept: they move with the current profile, as the
     * environment does (which variables apply depends on the profile's provider: they are
     * read as the values are computed, below). Each is checked here so that a bad one is
     * reported at start-up. */
    for (size_t i = 0; i < args->noverrides; i++) {
        const config_override *o = &args->overrides[i];
        if ((unsigned)o->id >= OPT__COUNT || !o->value) {
            err_set(err, errlen, "unknown option");
            goto fail;
        }
        opt_value nv;
        if (!config_layer_parse(c, o->id, o->value, SRC_FLAG, &nv, err, errlen))
            goto fail;
        config_text_free(c->flag[o->id], o->id);
        c->flag[o->id] = nv.text;
    }

    if (config_globals_compute(c, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < c->nprofiles; i++)
        if (config_profile_compute(c, i, i == c->current, err, errlen) != 0)
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
        config_profile_done(&c->profiles[i]);
    free(c->profiles);
    for (int id = 0; id < OPT__COUNT; id++) {
        config_value_clear(&c->global[id], (opt_id)id);
        config_text_free(c->top[id], (opt_id)id);
        config_text_free(c->flag[id], (opt_id)id);
        config_text_free(c->env[id], (opt_id)id);
    }
    config_env_free(c);
    cJSON_Delete(c->doc);
    free(c->path);
    free(c->warning);
    memset(c, 0, sizeof *c);
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
    if (id == OPT_EXTRA_HEADERS) {
        /* The canonical text is compact JSON of an object, "" for none. */
        cJSON *o = *text ? cJSON_Parse(text) : cJSON_CreateObject();
        if (o)
            return o;
    }
    if (opt_get_def((opt_id)id)->type == OPT_INT || opt_get_def((opt_id)id)->type == OPT_DOUBLE ||
        opt_get_def((opt_id)id)->type == OPT_BOOL) {
        if (config_opt_parse(id, text, &v, why, sizeof why)) {
            cJSON *j = opt_get_def((opt_id)id)->type == OPT_BOOL ? cJSON_CreateBool(v.b)
                       : opt_get_def((opt_id)id)->type == OPT_INT ? cJSON_CreateNumber((double)v.i)
                                                      : cJSON_CreateNumber(v.d);
            config_value_clear(&v, id);
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
        if (opt_get_def((opt_id)id)->scope == SCOPE_GLOBAL)
            obj_set(root, opt_get_def((opt_id)id)->key, c->top[id] ? json_of((opt_id)id, c->top[id]) : NULL);

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
            if (opt_get_def((opt_id)id)->scope != SCOPE_PROFILE)
                continue;
            obj_set(po, opt_get_def((opt_id)id)->key, p->file[id] ? json_of((opt_id)id, p->file[id]) : NULL);
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
        config_fmt_num(d, tmp, sizeof tmp);
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

/* tchat's own directory (the default .../tchat/config.json) holds keys, and tchat saves
 * them there: one that others can read or enter is made 0700, so that a key is private
 * even when a file in it gets a looser mode (an editor's backup, a copy). Any other
 * directory (--config elsewhere) and any directory owned by someone else is left alone. */
static void tighten_own_dir(const char *dir)
{
    const char *slash = strrchr(dir, '/');
    struct stat st;
    if (strcmp(slash ? slash + 1 : dir, "tchat") != 0 || lstat(dir, &st) != 0 ||
        !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || !(st.st_mode & 077))
        return;
    chmod(dir, 0700);
}

/* Writes text to the config file: its target when it is a symlink, in directories created
 * 0700 when missing. Returns 0, or -1 with "cannot write PATH: why". */
static int write_config(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    /* A pipe or a device is read (--config <(...)), never replaced by a file. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        err_set(err, errlen,
                "cannot write %s: not a regular file (a pipe or a device): it is read, never "
                "replaced",
                path);
        return -1;
    }
    char *target = fileio_resolve(path);
    if (!target) {
        err_set(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    char *dir = fileio_dir_of(target), *failed = NULL;
    int rc = -1;
    if (dir_make(dir, &failed) != 0) {
        err_set(err, errlen, "cannot write %s: cannot create the directory %s: %s", path, failed,
                strerror(errno));
        goto out;
    }
    tighten_own_dir(dir);
    char why[512];
    fileio_write_opts wo = {.mode = 0600};
    if (fileio_write_atomic(target, text, len, &wo, why, sizeof why) != 0) {
        /* The user knows the file, not the temporary one: the reason is enough. */
        err_set(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(failed);
    free(dir);
    free(target);
    return rc;
}

int config_save(config *c, char *err, size_t errlen)
{
    if (!c || !c->path || !c->nprofiles) {
        err_set(err, errlen, "no configuration to save");
        return -1;
    }
    doc_update(c);
    buf b;
    buf_init(&b);
    print_json(&b, c->doc, 0);
    buf_putc(&b, '\n');
    int rc = write_config(c->path, b.data, b.len, err, errlen);
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
