#include "jsonpos.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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
    const jsonpos_secrets *sec;
    bool secret;       /* the next token is (part of) a secret's value */
    size_t err_pos;
    bool truncated;
    char msg[160];
} jlex;

typedef struct jframe {
    bool is_obj;
    bool has_key;
    bool secret;               /* the container is (inside) a secret's value */
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

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex4(const char *s, size_t n)
{
    if (n < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit((unsigned char)s[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Whether s[from..len) could begin a \uXXXX escape: the text ends inside one. */
static bool escape_cut(const char *s, size_t from, size_t len)
{
    static const char shape[] = "\\uXXXX";
    for (size_t i = 0; from + i < len; i++) {
        if (i >= 6)
            return false;
        char c = s[from + i];
        if (shape[i] == 'X' ? hex_digit((unsigned char)c) < 0 : c != shape[i])
            return false;
    }
    return true;
}

/* Whether t[0..n) looks like an API key: "sk-" first, or a run of 20 or more letters,
 * digits, '-' and '_' with letters and digits both. */
static bool looks_like_key(const char *t, size_t n)
{
    if (n >= 3 && !memcmp(t, "sk-", 3))
        return true;
    size_t run = 0;
    bool alpha = false, digit = false;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)t[i] : 0;
        if (c && (isalnum(c) || c == '-' || c == '_') && c < 0x80) {
            run++;
            alpha = alpha || isalpha(c);
            digit = digit || isdigit(c);
            continue;
        }
        if (run >= 20 && alpha && digit)
            return true;
        run = 0;
        alpha = digit = false;
    }
    return false;
}

/* A short excerpt of t[0..n) for a message, masked when it is secret or looks like one. */
static void excerpt(const jlex *lx, const char *t, size_t n, size_t max, char *out, size_t outlen)
{
    if (!lx->secret && !looks_like_key(t, n)) {
        str_clip(t, n, max, out, outlen);
        return;
    }
    char *copy = xstrndup(t, n);
    char *shown = lx->sec && lx->sec->mask ? lx->sec->mask(copy) : xstrdup("…");
    str_clip(shown, strlen(shown), max, out, outlen);
    explicit_bzero(copy, strlen(copy));
    free(copy);
    free(shown);
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
            lx->truncated = escape_cut(s, p, lx->len) && p + 6 > lx->len;
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
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    lx->truncated = escape_cut(s, p + 6, lx->len) && p + 12 > lx->len;
                    return jlex_fail(lx, p, "invalid \\u escape: a high surrogate without its pair");
                }
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
            size_t k = str_utf8_seq((const unsigned char *)s + p, lx->len - p, &cp);
            if (!k)
                return jlex_fail(lx, p, "invalid UTF-8 in a string");
            p += k;
            continue;
        }
        p++;
    }
    lx->truncated = true;
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

/* Whether a bad word or number that runs to the end of the text is the start of a good one. */
static bool cut_short(const char *t, size_t n)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (n < strlen(words[i]) && !memcmp(t, words[i], n))
            return true;
    return n && strchr("-.eE+", t[n - 1]) && (isdigit((unsigned char)t[0]) || t[0] == '-');
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
        char shown[64];
        if (isalpha(c)) {
            if ((n == 4 && !memcmp(s + lx->start, "true", 4)) ||
                (n == 5 && !memcmp(s + lx->start, "false", 5)) ||
                (n == 4 && !memcmp(s + lx->start, "null", 4)))
                return JT_WORD;
            lx->truncated = p == lx->len && cut_short(s + lx->start, n);
            excerpt(lx, s + lx->start, n, 24, shown, sizeof shown);
            return jlex_fail(lx, lx->start,
                             "'%s' is not a JSON value (use true, false, null or a \"string\")", shown);
        }
        if (!json_number_ok(s + lx->start, n)) {
            lx->truncated = p == lx->len && cut_short(s + lx->start, n);
            excerpt(lx, s + lx->start, n, 24, shown, sizeof shown);
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
    size_t k = str_utf8_seq((const unsigned char *)s + lx->pos, lx->len - lx->pos, &cp);
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
        excerpt(lx, lx->s + lx->start + 1, lx->end - lx->start - 2, 30, shown, sizeof shown);
        snprintf(out, outlen, "\"%s\"", shown);
        return;
    default:
        excerpt(lx, lx->s + lx->start, lx->end - lx->start, 30, shown, sizeof shown);
        snprintf(out, outlen, "'%s'", shown);
        return;
    }
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

static bool secret_key(const jsonpos_secrets *sec, const char *raw, size_t n)
{
    for (size_t i = 0; sec && i < sec->nkeys; i++)
        if (json_raw_eq(raw, n, sec->keys[i]))
            return true;
    return false;
}

/* Leaves the innermost container: what follows stands where it stood, after its key. */
static void leave(const jframe *stack, size_t *depth, bool *has_key, size_t *key_start,
                  size_t *key_end)
{
    const jframe *f = &stack[--*depth];
    *has_key = f->has_key;
    *key_start = f->key_start;
    *key_end = f->key_end;
}

/* Called for every object key; returning true stops the walk. */
typedef bool (*jkey_fn)(void *ctx, const jframe *stack, size_t depth, const char *s, size_t kstart,
                        size_t kend);

enum { W_VALUE, W_VALUE_OR_CLOSE, W_KEY, W_KEY_OR_CLOSE, W_COLON, W_AFTER };

/* Checks that s is one strict JSON value. Returns 0 if it is, 1 when fn stopped the walk,
 * -1 with the position and reason of the first error. */
static int json_walk(const char *s, size_t len, const jsonpos_secrets *sec, jkey_fn fn, void *ctx,
                     jsonpos_error *e)
{
    jlex lx = {.s = s, .len = len, .sec = sec};
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        lx.pos = 3;
    jframe *stack = NULL;
    size_t depth = 0, cap = 0, comma_pos = 0;
    bool after_comma = false, has_key = false;
    size_t key_start = 0, key_end = 0;
    int state = W_VALUE, rc = -1;
    char what[96];
    char *msg = e->why;
    size_t msglen = sizeof e->why;
    e->truncated = false;

    for (;;) {
        /* What comes next is secret when the container is, or in the place of the value of
         * a secret key: after the key, after its colon, and right after a plain value. */
        bool frame_secret = depth && stack[depth - 1].secret;
        lx.secret = frame_secret || (has_key && (state == W_COLON || state == W_VALUE ||
                                                 state == W_AFTER) &&
                                     secret_key(sec, s + key_start, key_end - key_start));
        jtok t = jlex_next(&lx);
        if (t == JT_ERROR) {
            e->pos = lx.err_pos;
            if (state == W_AFTER && !depth) {
                snprintf(msg, msglen, "unexpected text after the end of the JSON document");
            } else {
                e->truncated = lx.truncated;
                snprintf(msg, msglen, "%s", lx.msg);
            }
            goto out;
        }
        e->pos = lx.start;
        e->truncated = t == JT_EOF;
        switch (state) {
        case W_VALUE:
        case W_VALUE_OR_CLOSE:
            if (state == W_VALUE_OR_CLOSE && t == JT_RBRACKET) {
                leave(stack, &depth, &has_key, &key_start, &key_end);
                state = W_AFTER;
                break;
            }
            if (t == JT_STRING || t == JT_NUMBER || t == JT_WORD) {
                state = W_AFTER;
                break;
            }
            if (t == JT_LBRACE || t == JT_LBRACKET) {
                if (depth >= JSONPOS_MAX_DEPTH) {
                    snprintf(msg, msglen, "nested more than %d levels deep", JSONPOS_MAX_DEPTH);
                    goto out;
                }
                if (depth == cap) {
                    cap = cap ? cap * 2 : 16;
                    stack = xrealloc_array(stack, cap, sizeof *stack);
                }
                stack[depth++] = (jframe){t == JT_LBRACE, has_key, lx.secret, key_start, key_end};
                has_key = false;
                state = t == JT_LBRACE ? W_KEY_OR_CLOSE : W_VALUE_OR_CLOSE;
                break;
            }
            if (t == JT_RBRACKET && after_comma && depth && !stack[depth - 1].is_obj) {
                e->pos = comma_pos;
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
                leave(stack, &depth, &has_key, &key_start, &key_end);
                state = W_AFTER;
                break;
            }
            if (t == JT_RBRACE) {
                e->pos = comma_pos;
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
                bool secret = lx.secret;
                lx.secret = false; /* the key's own name is shown, unless it looks like a key */
                excerpt(&lx, s + key_start, key_end - key_start, 30, key, sizeof key);
                lx.secret = secret;
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
                has_key = false;
                state = obj ? W_KEY : W_VALUE;
                break;
            }
            if (t == (obj ? JT_RBRACE : JT_RBRACKET)) {
                leave(stack, &depth, &has_key, &key_start, &key_end);
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
    if (rc >= 0)
        e->truncated = false;
    return rc;
}

void jsonpos_line_col(const char *s, size_t len, size_t off, size_t *line, size_t *col)
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

int jsonpos_check(const char *s, size_t len, const jsonpos_secrets *secrets, jsonpos_error *e)
{
    memset(e, 0, sizeof *e);
    if (json_walk(s, len, secrets, NULL, NULL, e) == 0)
        return 0;
    jsonpos_line_col(s, len, e->pos, &e->line, &e->col);
    return -1;
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

size_t jsonpos_key_line(const char *s, size_t len, const char *const *path, size_t npath,
                        size_t nth)
{
    keyfind k = {.path = path, .npath = npath, .nth = nth};
    jsonpos_error e;
    if (json_walk(s, len, NULL, keyfind_cb, &k, &e) != 1)
        return 0;
    size_t line, col;
    jsonpos_line_col(s, len, k.found, &line, &col);
    return line;
}
