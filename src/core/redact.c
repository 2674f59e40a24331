#define _GNU_SOURCE /* memmem */
#include "redact.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "url.h"

static bool worth_masking(const char *secret)
{
    return secret && strlen(secret) >= 4;
}

/* Replaces every occurrence of secret in text with mask. */
static void replace_all(buf *text, const char *secret, const char *mask)
{
    size_t slen = strlen(secret);
    if (!text->len || !memmem(text->data, text->len, secret, slen))
        return;
    buf out;
    buf_init(&out);
    const char *p = buf_str(text), *end = p + text->len;
    for (;;) {
        const char *hit = memmem(p, (size_t)(end - p), secret, slen);
        if (!hit) {
            buf_append(&out, p, (size_t)(end - p));
            break;
        }
        buf_append(&out, p, (size_t)(hit - p));
        buf_puts(&out, mask);
        p = hit + slen;
    }
    buf_free(text);
    *text = out;
}

void redact_buf(buf *text, const char *key, const char *base_url)
{
    if (worth_masking(key)) {
        char *mask = config_mask_key(key);
        replace_all(text, key, mask);
        free(mask);
    }
    char *pw = url_password(base_url);
    if (worth_masking(pw))
        replace_all(text, pw, "***");
    free(pw);
}

void redact_string(char **s, const char *key, const char *base_url)
{
    if (!*s)
        return;
    buf b;
    buf_init(&b);
    buf_puts(&b, *s);
    redact_buf(&b, key, base_url);
    free(*s);
    *s = buf_steal(&b);
}

void redact_failure(failure *f, const char *key, const char *base_url)
{
#define REDACT_(name) redact_string(&f->name, key, base_url);
    FAILURE_STRINGS(REDACT_)
#undef REDACT_
}

void redact_headers(http_headers *h, const char *key, const char *base_url)
{
    for (size_t i = 0; i < h->n; i++)
        redact_string(&h->v[i].value, key, base_url);
}
