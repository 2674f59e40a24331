#include "http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "util.h"

const char *net_result_name(net_result r)
{
#define NET_NAME_(id, name) [id] = name,
    static const char *const names[] = {NET_RESULTS(NET_NAME_)};
#undef NET_NAME_
    return (unsigned)r < NET__COUNT ? names[r] : "?";
}

void hdrs_init(http_headers *h)
{
    h->v = NULL;
    h->n = 0;
    h->cap = 0;
}

void hdrs_clear(http_headers *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].value);
    }
    h->n = 0;
}

void hdrs_free(http_headers *h)
{
    hdrs_clear(h);
    free(h->v);
    hdrs_init(h);
}

void hdrs_add(http_headers *h, const char *name, size_t name_len, const char *value, size_t value_len)
{
    while (value_len && isspace((unsigned char)*value)) {
        value++;
        value_len--;
    }
    while (value_len && isspace((unsigned char)value[value_len - 1]))
        value_len--;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->v = xrealloc_array(h->v, h->cap, sizeof *h->v);
    }
    char *n = xstrndup(name, name_len);
    for (char *p = n; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    h->v[h->n].name = n;
    h->v[h->n].value = xstrndup(value, value_len);
    h->n++;
}

/* Header lines come from the network: anything but printable ASCII is cleaned, and a
 * hostile server cannot make one value fill the screen or the report. */
enum { HEADER_CAP = 4096 };

static bool plain_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7F)
            return false;
    return n <= HEADER_CAP;
}

int hdrs_parse_line(http_headers *h, const char *line, size_t len)
{
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        hdrs_clear(h);
        const char *sp = memchr(line, ' ', len);
        if (!sp)
            return 0;
        int code = 0;
        for (const char *p = sp + 1; p < line + len && isdigit((unsigned char)*p); p++)
            code = code * 10 + (*p - '0');
        return code;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return 0;
    const char *value = colon + 1;
    size_t name_len = (size_t)(colon - line), value_len = len - name_len - 1;
    if (plain_ascii(line, len)) {
        hdrs_add(h, line, name_len, value, value_len);
        return 0;
    }
    char *n = sanitize_line(line, name_len, HEADER_CAP);
    char *v = sanitize_line(value, value_len, HEADER_CAP);
    hdrs_add(h, n, strlen(n), v, strlen(v));
    free(n);
    free(v);
    return 0;
}

const char *hdrs_get(const http_headers *h, const char *name)
{
    for (size_t i = h->n; i-- > 0;)
        if (str_casecmp(h->v[i].name, name) == 0)
            return h->v[i].value;
    return NULL;
}

void hdrs_copy(http_headers *dst, const http_headers *src)
{
    hdrs_clear(dst);
    for (size_t i = 0; i < src->n; i++)
        hdrs_add(dst, src->v[i].name, strlen(src->v[i].name), src->v[i].value,
                 strlen(src->v[i].value));
}
