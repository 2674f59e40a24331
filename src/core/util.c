#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(size_t size)
{
    fprintf(stderr, "tchat: out of memory (%zu bytes)\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *np = realloc(p, size ? size : 1);
    if (!np)
        oom(size);
    return np;
}

void *xmalloc_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        oom(SIZE_MAX);
    return xmalloc(n * size);
}

void *xrealloc_array(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        oom(SIZE_MAX);
    return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    buf b;
    buf_init(&b);
    buf_vprintf(&b, fmt, ap);
    return buf_steal(&b);
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void buf_init(buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_reserve(buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        oom(SIZE_MAX);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(buf *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_vprintf(buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_fill(buf *b, const char *tmpl, int nargs, ...)
{
    va_list ap;
    va_start(ap, nargs);
    int used = 0;
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%') {
            buf_putc(b, *p);
            continue;
        }
        if (p[1] == '%') {
            buf_putc(b, '%');
            p++;
            continue;
        }
        size_t skip = strspn(p + 1, "lz");
        char conv = p[1 + skip];
        if (conv != 's' && conv != 'd' && conv != 'u') {
            buf_putc(b, '%');
            continue;
        }
        p += 1 + skip;
        if (used < nargs) {
            buf_puts(b, va_arg(ap, const char *));
            used++;
        }
    }
    va_end(ap);
}

char *buf_steal(buf *b)
{
    char *s = b->data ? b->data : xstrdup("");
    buf_init(b);
    return s;
}

const char *buf_str(const buf *b)
{
    return b->data ? b->data : "";
}

void err_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int str_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

int str_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);
        if (ca != cb || !ca)
            return ca - cb;
    }
    return 0;
}

bool str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool str_contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return true;
    for (; *hay; hay++)
        if (str_ncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

char *str_trim(char *s)
{
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    size_t start = 0;
    while (isspace((unsigned char)s[start]))
        start++;
    if (start)
        memmove(s, s + start, len - start + 1);
    return s;
}

size_t str_utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    if (!n)
        return 0;
    unsigned c = s[0], v, need;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n < need + 1)
        return 0;
    for (unsigned i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((need == 2 && v < 0x800) || (need == 3 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return need + 1;
}

void str_clip(const char *s, size_t n, size_t max, char *out, size_t outlen)
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
        size_t k = str_utf8_seq(p + i, n - i, &cp);
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

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

char **str_split_words(const char *cmd, size_t *argc, const char **why)
{
    char **v = NULL;
    size_t n = 0;
    buf w;
    bool in_word = false;
    buf_init(&w);
    for (const char *p = cmd; *p;) {
        char ch = *p;
        if (is_blank(ch)) {
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

void str_free_words(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

int dir_make(const char *path, char **failed)
{
    if (failed)
        *failed = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (!*path) {
        if (failed)
            *failed = xstrdup(path);
        errno = ENOENT;
        return -1;
    }
    char *p = xstrdup(path);
    for (char *q = p + 1;; q++) {
        if (*q && *q != '/')
            continue;
        char c = *q;
        *q = '\0';
        /* Something that exists on the way is checked by the next mkdir (which names the
         * first directory that cannot be made); the last one is checked here. */
        if (mkdir(p, 0700) == 0) {
            chmod(p, 0700); /* the umask may have taken more than the group's and others' bits */
        } else if (errno != EEXIST || (!c && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)))) {
            /* A file, or a symlink to nowhere, where the directory should be. */
            int e = errno == EEXIST ? ENOTDIR : errno;
            if (failed)
                *failed = p;
            else
                free(p);
            errno = e;
            return -1;
        }
        *q = c;
        if (!c)
            break;
    }
    free(p);
    return 0;
}

int dir_create(const char *path, char *err, size_t errlen)
{
    char *failed;
    if (dir_make(path, &failed) == 0)
        return 0;
    int e = errno;
    err_set(err, errlen, "cannot create %s: %s", failed, strerror(e));
    free(failed);
    errno = e;
    return -1;
}

char *xdg_path(const char *var, const char *home_rel, const char *tail)
{
    const char *base = getenv(var);
    if (base && base[0] == '/')
        return xasprintf("%s/%s", base, tail);
    const char *home = getenv("HOME");
    if (home && *home)
        return xasprintf("%s/%s/%s", home, home_rel, tail);
    return NULL;
}

extern char **environ;

/* Names a key was read from besides NAME_API_KEY ones; few, kept for the process's life. */
static char *withheld[8];

void env_child_withhold(const char *name)
{
    size_t i = 0;
    for (; i < sizeof withheld / sizeof withheld[0] && withheld[i]; i++)
        if (!strcmp(withheld[i], name))
            return;
    if (i < sizeof withheld / sizeof withheld[0])
        withheld[i] = xstrdup(name);
}

static bool is_withheld(const char *var, size_t name)
{
    if (name >= 8 && !strncmp(var + name - 8, "_API_KEY", 8))
        return true;
    for (size_t i = 0; i < sizeof withheld / sizeof withheld[0] && withheld[i]; i++)
        if (strlen(withheld[i]) == name && !strncmp(var, withheld[i], name))
            return true;
    return false;
}

char **env_for_child(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **v = xmalloc_array(n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        /* OPENAI_API_KEY and every provider's (GROQ_API_KEY...): NAME_API_KEY=... */
        const char *eq = strchr(environ[i], '=');
        size_t name = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        if (!is_withheld(environ[i], name))
            v[k++] = environ[i];
    }
    v[k] = NULL;
    return v;
}

size_t fd_write_all(int fd, const void *p, size_t n, int64_t deadline_ms)
{
    const char *s = p;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, s + off, n - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int64_t left = deadline_ms - clock_mono_ms();
            if (left <= 0)
                break;
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, left < 100 ? (int)left : 100);
            continue;
        }
        break;
    }
    return off;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The era-based algorithms: a 400-year era has a fixed number of days (146097), and a year
 * counted from March puts the leap day last, so month lengths follow a linear formula. */
int time_days_in_month(int64_t year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

int64_t time_days_from_civil(int64_t year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void time_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

void time_iso8601(int64_t wall_ms, char *out, size_t outlen)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    char date[32], zone[8];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof zone, "%z", &tm); /* +0100 */
    snprintf(out, outlen, "%s.%03d%.3s:%.2s", date, (int)(wall_ms % 1000), zone, zone + 3);
}
