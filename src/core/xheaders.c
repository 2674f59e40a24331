#include "xheaders.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Headers tchat writes itself, which a profile may not replace. */
static const char *const reserved[] = {"Host",         "Content-Length",
                                       "Content-Type", "Transfer-Encoding",
                                       "Connection",   "Expect"};

/* RFC 9110 token characters. */
static bool token_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *name_problem(const char *name)
{
    size_t n = strlen(name);
    if (!n)
        return "a header needs a name";
    if (n > XHDR_NAME_MAX)
        return "the name is too long";
    for (size_t i = 0; i < n; i++)
        if (!token_char((unsigned char)name[i]))
            return "the name may hold only letters, digits and !#$%&'*+-.^_`|~";
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (str_casecmp(name, reserved[i]) == 0)
            return "tchat sets this header itself";
    return NULL;
}

static const char *value_problem(const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    size_t n = strlen(v);
    if (n > XHDR_VALUE_MAX)
        return "the value is too long";
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = str_utf8_seq(p + i, n - i, &cp);
        if (!k)
            return "the value must be valid UTF-8";
        if ((cp < 0x20 && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
            return "the value must not hold control characters";
        i += k;
    }
    return NULL;
}

static void push(xhdr_list *l, const char *name, const char *value)
{
    l->v = xrealloc_array(l->v, l->n + 1, sizeof *l->v);
    l->v[l->n].name = xstrdup(name);
    l->v[l->n].value = xstrdup(value);
    l->n++;
}

int xhdr_parse(const char *text, xhdr_list *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    const char *p = text ? text : "";
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (!*p)
        return 0;
    cJSON *root = cJSON_ParseWithOpts(p, NULL, true);
    if (!root || !cJSON_IsObject(root)) {
        err_set(why, whylen,
                "must be a JSON object of header names and text values, "
                "e.g. {\"X-Title\": \"tchat\"}");
        cJSON_Delete(root);
        return -1;
    }
    for (const cJSON *it = root->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        const char *problem = name_problem(name);
        if (!problem && !cJSON_IsString(it))
            problem = "the value must be text";
        if (!problem)
            problem = value_problem(it->valuestring);
        if (!problem && xhdr_get(out, name))
            problem = "given twice";
        if (!problem && out->n >= XHDR_MAX)
            problem = "too many headers (at most 32)";
        if (problem) {
            char shown[64];
            str_clip(name, strlen(name), 40, shown, sizeof shown);
            err_set(why, whylen, "header \"%s\": %s", shown, problem);
            xhdr_free(out);
            cJSON_Delete(root);
            return -1;
        }
        push(out, name, it->valuestring);
    }
    cJSON_Delete(root);
    return 0;
}

static char *to_json(const xhdr_list *l, char *(*mask)(const char *secret))
{
    if (!l->n)
        return xstrdup("");
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < l->n; i++) {
        char *shown = mask && xhdr_name_secret(l->v[i].name) ? mask(l->v[i].value) : NULL;
        cJSON_AddItemToObject(o, l->v[i].name, cJSON_CreateString(shown ? shown : l->v[i].value));
        free(shown);
    }
    char *s = cJSON_PrintUnformatted(o);
    char *copy = xstrdup(s ? s : "");
    if (s) {
        explicit_bzero(s, strlen(s));
        cJSON_free(s);
    }
    cJSON_Delete(o);
    return copy;
}

char *xhdr_canonical(const xhdr_list *l)
{
    return to_json(l, NULL);
}

char *xhdr_display(const xhdr_list *l, char *(*mask)(const char *secret))
{
    return to_json(l, mask);
}

void xhdr_free(xhdr_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        if (l->v[i].value)
            explicit_bzero(l->v[i].value, strlen(l->v[i].value));
        free(l->v[i].value);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

bool xhdr_name_secret(const char *name)
{
    static const char *const words[] = {"auth", "key", "token", "secret", "password", "cookie"};
    for (size_t i = 0; name && i < sizeof words / sizeof *words; i++)
        if (str_contains_nocase(name, words[i]))
            return true;
    return false;
}

const char *xhdr_first_secret(const xhdr_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (xhdr_name_secret(l->v[i].name))
            return l->v[i].name;
    return NULL;
}

size_t xhdr_secrets(const xhdr_list *l, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!xhdr_name_secret(l->v[i].name))
            continue;
        const char *v = l->v[i].value, *sp = strrchr(v, ' ');
        if (n < max)
            out[n++] = v;
        if (sp && sp[1] && n < max)
            out[n++] = sp + 1;
    }
    return n;
}

const char *xhdr_get(const xhdr_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (str_casecmp(l->v[i].name, name) == 0)
            return l->v[i].value;
    return NULL;
}
