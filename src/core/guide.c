#include "guide.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Defined by the file cmake/embed.cmake generates from assets/errors/ at build time. */
struct catalog_file {
    const char *name;
    const char *data;
    size_t len;
};
extern const struct catalog_file catalog_files[];

#define GUIDE_NAME_(id, name) name,
static const char *const entry_ids[GUIDE__COUNT] = {GUIDE_ENTRIES(GUIDE_NAME_)};
static const char *const type_names[GUIDE_T__COUNT] = {GUIDE_TYPES(GUIDE_NAME_)};
#undef GUIDE_NAME_

static const char *const lang_codes[GUIDE_LANG__COUNT] = {"en", "zh_CN"};

/* A guide_text plus the arrays it owns (the strings themselves live in the cJSON tree). */
struct text_slot {
    guide_text text;
    const char **reasons;
    const char **steps;
    const char **steps_cli;
    guide_link *links;
};

struct lang_catalog {
    cJSON *root;
    const cJSON *strings;
    struct text_slot entries[GUIDE__COUNT];
    struct text_slot types[GUIDE_T__COUNT];
};

struct catalog {
    struct lang_catalog lang[GUIDE_LANG__COUNT];
};

static struct catalog *loaded;

/* Where validation is, so that an error names language, entry and field. */
struct ctx {
    char *err;
    size_t errlen;
    const char *lang;
    const char *kind; /* "entry", "type", NULL at the top level */
    const char *name;
};

__attribute__((format(printf, 2, 3))) static int fail(const struct ctx *c, const char *fmt, ...)
{
    if (!c->err || c->errlen == 0)
        return -1;
    buf b;
    buf_init(&b);
    buf_printf(&b, "guide catalog %s: ", c->lang);
    if (c->kind)
        buf_printf(&b, "%s \"%s\": ", c->kind, c->name);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s", buf_str(&b));
    buf_free(&b);
    return -1;
}

/* Reads obj[field] as a string into *out. An absent optional field reads as "". */
static int get_string(const struct ctx *c, const cJSON *obj, const char *field, bool required,
                      const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    *out = "";
    if (!item) {
        if (required)
            return fail(c, "\"%s\" is missing", field);
        return 0;
    }
    if (!cJSON_IsString(item) || !item->valuestring)
        return fail(c, "\"%s\" is not a string", field);
    if (required && item->valuestring[0] == '\0')
        return fail(c, "\"%s\" is empty", field);
    *out = item->valuestring;
    return 0;
}

/* Reads obj[field] as an array of non-empty strings; *out is malloc'd (the
 * caller frees it, also on failure) and points into the cJSON tree. */
static int get_string_array(const struct ctx *c, const cJSON *obj, const char *field,
                            bool required, const char ***out, size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, field);
    *out = NULL;
    *n = 0;
    if (!arr) {
        if (required)
            return fail(c, "\"%s\" is missing", field);
        return 0;
    }
    if (!cJSON_IsArray(arr))
        return fail(c, "\"%s\" is not an array", field);
    int count = cJSON_GetArraySize(arr);
    if (count <= 0) {
        if (required)
            return fail(c, "\"%s\" is empty", field);
        return 0;
    }
    *out = xmalloc_array((size_t)count, sizeof **out);
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        if (!cJSON_IsString(item) || !item->valuestring || item->valuestring[0] == '\0')
            return fail(c, "\"%s\"[%zu] is not a non-empty string", field, i);
        (*out)[i++] = item->valuestring;
    }
    *n = i;
    return 0;
}

/* "steps": each element is a string, or {"chat": ..., "cli": ...} when the chat's wording
 * (a key, a slash command) has no meaning in one-shot mode. Both arrays are malloc'd
 * (the caller frees them, also on failure) and point into the cJSON tree. */
static int get_steps(const struct ctx *c, const cJSON *obj, const char ***chat, const char ***cli,
                     size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "steps");
    *chat = *cli = NULL;
    *n = 0;
    if (!arr)
        return fail(c, "\"steps\" is missing");
    if (!cJSON_IsArray(arr))
        return fail(c, "\"steps\" is not an array");
    int count = cJSON_GetArraySize(arr);
    if (count <= 0)
        return fail(c, "\"steps\" is empty");
    *chat = xmalloc_array((size_t)count, sizeof **chat);
    *cli = xmalloc_array((size_t)count, sizeof **cli);
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        const char *a = NULL, *b = NULL;
        if (cJSON_IsString(item)) {
            a = b = item->valuestring;
        } else if (cJSON_IsObject(item)) {
            const cJSON *ca = cJSON_GetObjectItemCaseSensitive(item, "chat");
            const cJSON *cb = cJSON_GetObjectItemCaseSensitive(item, "cli");
            a = cJSON_IsString(ca) ? ca->valuestring : NULL;
            b = cJSON_IsString(cb) ? cb->valuestring : NULL;
            if (!a || !b || !*a || !*b || cJSON_GetArraySize(item) != 2)
                return fail(c, "\"steps\"[%zu] needs exactly a non-empty \"chat\" and \"cli\"", i);
        }
        if (!a || !*a)
            return fail(c, "\"steps\"[%zu] is not a non-empty string", i);
        (*chat)[i] = a;
        (*cli)[i] = b;
        i++;
    }
    *n = i;
    return 0;
}

static int get_links(const struct ctx *c, const cJSON *obj, guide_link **out, size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "links");
    *out = NULL;
    *n = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return fail(c, "\"links\" is not an array");
    int count = cJSON_GetArraySize(arr);
    if (count <= 0)
        return 0;
    *out = xcalloc((size_t)count, sizeof **out);
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        const cJSON *label = cJSON_GetObjectItemCaseSensitive(item, "label");
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(item, "url");
        if (!cJSON_IsObject(item) || !cJSON_IsString(label) || !cJSON_IsString(url) ||
            !label->valuestring || !url->valuestring || !label->valuestring[0] ||
            !url->valuestring[0])
            return fail(c, "\"links\"[%zu] needs a non-empty \"label\" and \"url\"", i);
        (*out)[i].label = label->valuestring;
        (*out)[i].url = url->valuestring;
        i++;
    }
    *n = i;
    return 0;
}

static void slot_free(struct text_slot *s)
{
    free(s->reasons);
    free(s->steps);
    free(s->steps_cli);
    free(s->links);
    memset(s, 0, sizeof *s);
}

static int parse_text(struct ctx *c, const cJSON *section, bool is_entry, struct text_slot *s)
{
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(section, c->name);
    if (!cJSON_IsObject(obj)) {
        struct ctx top = {.err = c->err, .errlen = c->errlen, .lang = c->lang};
        return fail(&top, "%s \"%s\" is %s", c->kind, c->name, obj ? "not an object" : "missing");
    }

    guide_text *t = &s->text;
    if (get_string(c, obj, "title", true, &t->title) < 0 ||
        get_string(c, obj, "cause", true, &t->cause) < 0 ||
        get_steps(c, obj, &s->steps, &s->steps_cli, &t->nsteps) < 0 ||
        get_string_array(c, obj, "reasons", false, &s->reasons, &t->nreasons) < 0 ||
        get_links(c, obj, &s->links, &t->nlinks) < 0)
        return -1;
    t->steps = s->steps;
    t->steps_cli = s->steps_cli;
    t->reasons = s->reasons;
    t->links = s->links;

    if (!is_entry) {
        /* The library types are the guide's second table. */
        t->status = "";
        t->from_guide = true;
        return 0;
    }
    if (get_string(c, obj, "status", false, &t->status) < 0)
        return -1;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(obj, "guide");
    if (g && !cJSON_IsBool(g))
        return fail(c, "\"guide\" is not true or false");
    t->from_guide = cJSON_IsTrue(g);
    return 0;
}

/* Finds the next printf conversion at or after *p and writes into tok what
 * decides the argument it consumes (position, '*', length modifier,
 * conversion letter); flags, widths and precisions do not matter. */
static bool next_conversion(const char **p, char *tok, size_t toklen)
{
    const char *s = *p;
    size_t n = 0;
#define TOK_ADD(ch)                \
    do {                           \
        if (n + 1 < toklen)        \
            tok[n++] = (ch);       \
    } while (0)
    for (;;) {
        s = strchr(s, '%');
        if (!s)
            return false;
        s++;
        if (*s != '%')
            break;
        s++;
    }
    const char *q = s;
    while (*q >= '0' && *q <= '9')
        q++;
    if (*q == '$' && q > s) {
        for (; s <= q; s++)
            TOK_ADD(*s);
    }
    while (*s && strchr("-+ #0'", *s))
        s++;
    for (int part = 0; part < 2; part++) { /* width, then precision */
        if (part == 1) {
            if (*s != '.')
                break;
            s++;
        }
        if (*s == '*') {
            TOK_ADD('*');
            s++;
            for (q = s; *q >= '0' && *q <= '9'; q++)
                ;
            if (*q == '$') {
                for (; s <= q; s++)
                    TOK_ADD(*s);
            }
        }
        while (*s >= '0' && *s <= '9')
            s++;
    }
    while (*s && strchr("hlLqjzt", *s)) {
        TOK_ADD(*s);
        s++;
    }
    if (*s) {
        TOK_ADD(*s);
        s++;
    } else {
        TOK_ADD('?'); /* a lone '%' at the end */
    }
#undef TOK_ADD
    tok[n] = '\0';
    *p = s;
    return true;
}

static bool same_conversions(const char *a, const char *b)
{
    char ta[32], tb[32];
    for (;;) {
        bool ha = next_conversion(&a, ta, sizeof ta);
        bool hb = next_conversion(&b, tb, sizeof tb);
        if (ha != hb)
            return false;
        if (!ha)
            return true;
        if (strcmp(ta, tb) != 0)
            return false;
    }
}

static int check_strings(struct ctx *c, const cJSON *strings, const cJSON *english)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, strings) {
        if (!item->string)
            continue;
        if (!cJSON_IsString(item) || !item->valuestring)
            return fail(c, "string \"%s\" is not a string", item->string);
        if (!english)
            continue;
        /* A translation that consumes other arguments than the English text
         * would be undefined behaviour in printf, so it is refused here. */
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(english, item->string);
        if (cJSON_IsString(en) && en->valuestring &&
            !same_conversions(en->valuestring, item->valuestring))
            return fail(c, "string \"%s\": printf conversions differ from English (\"%s\")",
                        item->string, en->valuestring);
    }
    return 0;
}

static void catalog_free(struct catalog *cat)
{
    if (!cat)
        return;
    for (int l = 0; l < GUIDE_LANG__COUNT; l++) {
        struct lang_catalog *lc = &cat->lang[l];
        for (int e = 0; e < GUIDE__COUNT; e++)
            slot_free(&lc->entries[e]);
        for (int t = 0; t < GUIDE_T__COUNT; t++)
            slot_free(&lc->types[t]);
        cJSON_Delete(lc->root);
    }
    free(cat);
}

static int parse_lang(struct ctx *c, const char *text, size_t len, struct lang_catalog *lc,
                      const cJSON *english)
{
    if (!text)
        return fail(c, "no catalog (assets/errors/%s.json)", c->lang);
    const char *end = NULL;
    lc->root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!lc->root) {
        size_t at = (end && end >= text && end <= text + len) ? (size_t)(end - text) : 0;
        return fail(c, "not valid JSON (near byte %zu)", at);
    }
    if (!cJSON_IsObject(lc->root))
        return fail(c, "the top level is not an object");

    const char *lang;
    if (get_string(c, lc->root, "lang", true, &lang) < 0)
        return -1;
    if (strcmp(lang, c->lang) != 0)
        return fail(c, "\"lang\" is \"%s\", expected \"%s\"", lang, c->lang);

    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(lc->root, "entries");
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(lc->root, "types");
    const cJSON *strings = cJSON_GetObjectItemCaseSensitive(lc->root, "strings");
    if (!cJSON_IsObject(entries))
        return fail(c, "\"entries\" is missing or not an object");
    if (!cJSON_IsObject(types))
        return fail(c, "\"types\" is missing or not an object");
    if (!cJSON_IsObject(strings))
        return fail(c, "\"strings\" is missing or not an object");

    c->kind = "entry";
    for (int e = 0; e < GUIDE__COUNT; e++) {
        c->name = entry_ids[e];
        if (parse_text(c, entries, true, &lc->entries[e]) < 0)
            return -1;
    }
    c->kind = "type";
    for (int t = 0; t < GUIDE_T__COUNT; t++) {
        c->name = type_names[t];
        if (parse_text(c, types, false, &lc->types[t]) < 0)
            return -1;
    }
    c->kind = NULL;
    if (check_strings(c, strings, english) < 0)
        return -1;
    lc->strings = strings;
    return 0;
}

int guide_init_from(const char *const texts[GUIDE_LANG__COUNT],
                    const size_t lens[GUIDE_LANG__COUNT], char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    struct catalog *cat = xcalloc(1, sizeof *cat);
    /* English first: the other languages' strings are checked against it. */
    for (int l = 0; l < GUIDE_LANG__COUNT; l++) {
        struct ctx c = {.err = err, .errlen = errlen, .lang = lang_codes[l]};
        const cJSON *english = l == GUIDE_LANG_EN ? NULL : cat->lang[GUIDE_LANG_EN].strings;
        if (parse_lang(&c, texts[l], lens[l], &cat->lang[l], english) < 0) {
            catalog_free(cat);
            return -1;
        }
    }
    catalog_free(loaded);
    loaded = cat;
    return 0;
}

int guide_init(char *err, size_t errlen)
{
    if (loaded)
        return 0;
    const char *texts[GUIDE_LANG__COUNT] = {NULL};
    size_t lens[GUIDE_LANG__COUNT] = {0};
    for (const struct catalog_file *f = catalog_files; f->name; f++) {
        for (int l = 0; l < GUIDE_LANG__COUNT; l++) {
            if (strcmp(f->name, lang_codes[l]) == 0) {
                texts[l] = f->data;
                lens[l] = f->len;
            }
        }
    }
    return guide_init_from(texts, lens, err, errlen);
}

void guide_done(void)
{
    catalog_free(loaded);
    loaded = NULL;
}

/* The catalog is parsed on first use: a reply that succeeds never needs it,
 * and one-shot start-up is measured in milliseconds. The embedded catalog is
 * checked by the tests, so failing here means a broken build. */
static bool ensure_loaded(void)
{
    if (loaded)
        return true;
    char err[512];
    if (guide_init(err, sizeof err) != 0) {
        fprintf(stderr, "tchat: %s\n", err);
        return false;
    }
    return true;
}

static guide_lang valid_lang(guide_lang lang)
{
    return (unsigned)lang < GUIDE_LANG__COUNT ? lang : GUIDE_LANG_EN;
}

const guide_text *guide_entry_text(guide_entry e, guide_lang lang)
{
    if (!ensure_loaded() || (unsigned)e >= GUIDE__COUNT)
        return NULL;
    return &loaded->lang[valid_lang(lang)].entries[e].text;
}

const guide_text *guide_type_text(guide_type t, guide_lang lang)
{
    if (!ensure_loaded() || (unsigned)t >= GUIDE_T__COUNT)
        return NULL;
    return &loaded->lang[valid_lang(lang)].types[t].text;
}

static const char *lookup_str(guide_lang lang, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(loaded->lang[lang].strings, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

const char *guide_str(guide_lang lang, const char *key)
{
    if (!key)
        return "";
    if (!ensure_loaded())
        return key;
    const char *s = lookup_str(valid_lang(lang), key);
    if (!s)
        s = lookup_str(GUIDE_LANG_EN, key);
    return s ? s : key;
}

const char *guide_entry_id(guide_entry e)
{
    return (unsigned)e < GUIDE__COUNT ? entry_ids[e] : "";
}

int guide_entry_from_id(const char *id)
{
    if (!id)
        return -1;
    for (int e = 0; e < GUIDE__COUNT; e++)
        if (strcmp(entry_ids[e], id) == 0)
            return e;
    return -1;
}

const char *guide_type_name(guide_type t)
{
    return (unsigned)t < GUIDE_T__COUNT ? type_names[t] : "";
}

const char *guide_lang_code(guide_lang l)
{
    return lang_codes[valid_lang(l)];
}

bool guide_lang_parse(const char *s, guide_lang *out)
{
    if (!s)
        return false;
    guide_lang l;
    if (str_ncasecmp(s, "en", 2) == 0)
        l = GUIDE_LANG_EN;
    else if (str_ncasecmp(s, "zh", 2) == 0)
        l = GUIDE_LANG_ZH_CN;
    else
        return false;
    /* "en", "en_US.UTF-8", "zh-CN", "zh@variant"; not "english" or "zhx". */
    char next = s[2];
    if (next != '\0' && next != '_' && next != '-' && next != '.' && next != '@')
        return false;
    if (out)
        *out = l;
    return true;
}

guide_lang guide_lang_from_env(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (!v || !*v)
            continue;
        /* The first one set decides, as setlocale does: LC_ALL=C beats LANG=zh_CN. */
        guide_lang l;
        return guide_lang_parse(v, &l) && l == GUIDE_LANG_ZH_CN ? GUIDE_LANG_ZH_CN
                                                                : GUIDE_LANG_EN;
    }
    return GUIDE_LANG_EN;
}
