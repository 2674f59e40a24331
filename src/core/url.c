#include "url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "util.h"

/* The pieces of scheme://userinfo@host:port/path that matter here. */
typedef struct url_parts {
    const char *at;       /* the '@' that ends the user information, or NULL */
    const char *hostport; /* host[:port] */
    size_t hostport_len;
    const char *host;     /* without brackets */
    size_t host_len;
} url_parts;

static void url_split(const char *url, url_parts *p)
{
    const char *a = strstr(url, "://");
    a = a ? a + 3 : url;
    size_t alen = strcspn(a, "/?#");
    /* The last '@' ends the user information, as the config's URL check reads it. */
    p->at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (a[i] == '@')
            p->at = a + i;
    p->hostport = p->at ? p->at + 1 : a;
    p->hostport_len = (size_t)(a + alen - p->hostport);
    const char *h = p->hostport;
    size_t hl = p->hostport_len;
    if (hl && *h == '[') {
        const char *close = memchr(h, ']', hl);
        p->host = h + 1;
        p->host_len = close ? (size_t)(close - p->host) : hl - 1;
    } else {
        const char *colon = memchr(h, ':', hl);
        p->host = h;
        p->host_len = colon ? (size_t)(colon - h) : hl;
    }
}

/* Where the password of the user information starts (after its ':'), or NULL; *end is
 * the '@' after it. A user name alone is no secret. */
static const char *password_at(const char *url, const char **end)
{
    url_parts p;
    url_split(url, &p);
    if (!p.at)
        return NULL;
    const char *a = strstr(url, "://");
    a = a ? a + 3 : url;
    const char *colon = memchr(a, ':', (size_t)(p.at - a));
    if (!colon || colon + 1 == p.at)
        return NULL;
    *end = p.at;
    return colon + 1;
}

char *url_display(const char *url)
{
    if (!url)
        return NULL;
    const char *end, *pw = password_at(url, &end);
    return pw ? xasprintf("%.*s***%s", (int)(pw - url), url, end) : xstrdup(url);
}

char *url_password(const char *url)
{
    const char *end, *pw = url ? password_at(url, &end) : NULL;
    return pw ? xstrndup(pw, (size_t)(end - pw)) : NULL;
}

char *url_authority(const char *url)
{
    url_parts p;
    url_split(url ? url : "", &p);
    return xstrndup(p.hostport, p.hostport_len);
}

char *url_host(const char *url)
{
    url_parts p;
    url_split(url ? url : "", &p);
    size_t n = p.host_len;
    if (n && p.host[n - 1] == '.')
        n--;
    char *h = xstrndup(p.host, n);
    for (char *q = h; *q; q++)
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q - 'A' + 'a');
    return h;
}

const char *url_path(const char *url)
{
    if (!url)
        return "";
    const char *a = strstr(url, "://");
    a = a ? a + 3 : url;
    return a + strcspn(a, "/?#");
}

bool url_is_plain_http(const char *url)
{
    return url && str_ncasecmp(url, "http://", 7) == 0;
}

static bool ends_with_nocase(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && str_ncasecmp(s + n - k, suffix, k) == 0;
}

bool url_is_loopback(const char *url)
{
    if (!url)
        return false;
    url_parts p;
    url_split(url, &p);
    char host[256];
    size_t n = p.host_len;
    if (n == 0 || n >= sizeof host)
        return false;
    memcpy(host, p.host, n);
    host[n] = '\0';
    if (host[n - 1] == '.') /* "localhost." is the same name, fully qualified */
        host[--n] = '\0';
    if (str_casecmp(host, "localhost") == 0 || ends_with_nocase(host, n, ".localhost"))
        return true;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    struct in6_addr v6;
    if (inet_pton(AF_INET6, host, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
    return false;
}
