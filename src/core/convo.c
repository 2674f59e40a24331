#define _GNU_SOURCE /* mkostemp */
#include "convo.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guide.h"
#include "sanitize.h"
#include "session.h"

/* Far beyond any conversation a person has; a bigger file is not ours. */
#define CONVO_MAX_BYTES ((size_t)512 * 1024 * 1024)
/* 9999-01-01T00:00:00Z: times up to here print with a four-digit year in every zone. */
#define CONVO_TIME_MAX_MS INT64_C(253370764800000)

/* ---------------------------------------------------------------- small helpers */

static void fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "PATH: what is wrong" */
static void fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    int n = snprintf(err, errlen, "%s: ", path);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* A JSON string literal of s[0..n). Runs of plain bytes are copied at once:
 * message text is mostly plain, and this is the cost of every save. */
static void json_str(buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(b, n + 2);
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (ch) {
        case '"': buf_append(b, "\\\"", 2); break;
        case '\\': buf_append(b, "\\\\", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            buf_append(b, u, sizeof u);
        }
        }
    }
    buf_append(b, s + run, n - run);
    buf_putc(b, '"');
}

static void json_cstr(buf *b, const char *s)
{
    json_str(b, s, strlen(s));
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (the
 * era-based algorithms: exact for every date, no tables, no libc). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* localtime_r costs about a microsecond (it takes a lock and walks the zone's
 * rules): 10 ms for a 10,000-message file. The zone offset is cached per
 * quarter hour of UTC, which no offset change since 1970 splits twice. */
typedef struct tz_cache {
    int64_t bucket;
    long off;
    bool valid;
} tz_cache;

static long zone_offset(tz_cache *z, int64_t secs)
{
    int64_t b = secs / 900;
    if (z->valid && z->bucket == b)
        return z->off;
    time_t t0 = (time_t)(b * 900), t1 = t0 + 899, t = (time_t)secs;
    struct tm a, e;
    localtime_r(&t0, &a);
    localtime_r(&t1, &e);
    if (a.tm_gmtoff == e.tm_gmtoff) {
        z->bucket = b;
        z->off = a.tm_gmtoff;
        z->valid = true;
        return z->off;
    }
    localtime_r(&t, &a); /* the quarter hour of a change: no caching */
    return a.tm_gmtoff;
}

static char *put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* As time_iso8601 writes it ("2026-11-29T01:39:13.250+01:00"), for ms >= 0. */
static void json_time(buf *b, tz_cache *z, int64_t ms)
{
    int64_t secs = ms / 1000;
    long off = zone_offset(z, secs);
    int64_t local = secs + off, days = local / 86400, sod = local % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    long aoff = off < 0 ? -off : off;
    char t[40], *p = t;
    *p++ = '"';
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    *p++ = '.';
    p = put_digits(p, ms % 1000, 3);
    *p++ = off < 0 ? '-' : '+';
    p = put_digits(p, aoff / 3600, 2);
    *p++ = ':';
    p = put_digits(p, aoff / 60 % 60, 2);
    *p++ = '"';
    buf_append(b, t, (size_t)(p - t));
}

/* ,"name":value for a kept member; like xmalloc, running out of memory is fatal
 * rather than a member silently dropped. */
static void json_member(buf *b, const cJSON *it)
{
    char *v = cJSON_PrintUnformatted(it);
    if (!v) {
        fprintf(stderr, "tchat: out of memory\n");
        abort();
    }
    buf_putc(b, ',');
    json_cstr(b, it->string ? it->string : "");
    buf_putc(b, ':');
    buf_puts(b, v);
    free(v);
}

static char *sanitized(const char *s)
{
    return s ? sanitize_string(s, strlen(s)) : NULL;
}

/* ---------------------------------------------------------------- times */

static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool convo_parse_time(const char *s, int64_t *ms)
{
    const char *p = s;
    int Y, M, D, h, mi, sec;
    if (!s || !digits(&p, 4, &Y) || !expect(&p, '-') || !digits(&p, 2, &M) || !expect(&p, '-') ||
        !digits(&p, 2, &D))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') ||
        !digits(&p, 2, &sec))
        return false;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || mi > 59 || sec > 60)
        return false;
    int frac = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        for (; *p >= '0' && *p <= '9'; p++, nd++)
            if (nd < 3)
                frac = frac * 10 + (*p - '0');
        if (!nd)
            return false;
        for (; nd < 3; nd++)
            frac *= 10;
    }
    int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, zh, zm;
        if (!digits(&p, 2, &zh))
            return false;
        if (*p == ':')
            p++;
        if (!digits(&p, 2, &zm) || zh > 23 || zm > 59)
            return false;
        t -= sign * (zh * 3600 + zm * 60);
    } else {
        struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
                        .tm_hour = h, .tm_min = mi, .tm_sec = sec, .tm_isdst = -1};
        time_t lt = mktime(&tm);
        if (lt == (time_t)-1)
            return false;
        t = (int64_t)lt;
    }
    if (*p || t < 0)
        return false;
    int64_t v = t * 1000 + frac;
    if (v >= CONVO_TIME_MAX_MS)
        return false;
    *ms = v;
    return true;
}

/* ---------------------------------------------------------------- files */

char *convo_dir(char *err, size_t errlen)
{
    char *d = xdg_path("XDG_DATA_HOME", ".local/share", "tchat/conversations");
    if (!d) {
        snprintf(err, errlen, "cannot find a place for conversations: neither XDG_DATA_HOME nor HOME is set");
        return NULL;
    }
    if (dir_create(d, err, errlen) != 0) {
        free(d);
        return NULL;
    }
    return d;
}

/* The directory part of path ("." when none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/* Replaces path with text: a temp file beside it (hidden, not *.json, so a
 * listing never takes it for a conversation), written, fsynced, renamed over
 * path, then the directory fsynced so the rename itself survives a crash. At
 * every moment path is the old or the new complete file. Returns 0, or the
 * errno of the step that failed, with "SHOWN: what failed" in err. */
static int write_atomic(const char *path, const char *shown, const char *text, size_t len,
                        mode_t mode, char *err, size_t errlen)
{
    char *dir = dir_of(path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, base);
    int rc = 0;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = errno;
        fail(err, errlen, shown, "cannot create a temporary file in %s: %s", dir, strerror(rc));
        goto out;
    }
    if (mode != 0600 && fchmod(fd, mode) != 0) {
        rc = errno;
        fail(err, errlen, shown, "cannot set the mode of %s: %s", tmp, strerror(rc));
        close(fd);
        unlink(tmp);
        goto out;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? errno : EIO;
            fail(err, errlen, shown, "cannot write %s: %s", tmp, n < 0 ? strerror(rc) : "no progress");
            close(fd);
            unlink(tmp);
            goto out;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0) {
        rc = errno;
        fail(err, errlen, shown, "cannot sync %s: %s", tmp, strerror(rc));
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0) {
        rc = errno;
        fail(err, errlen, shown, "cannot close %s: %s", tmp, strerror(rc));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = errno;
        fail(err, errlen, shown, "cannot replace it: %s", strerror(rc));
        unlink(tmp);
        goto out;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* best effort: some file systems refuse it, the data is written */
        close(dfd);
    }
out:
    free(tmp);
    free(dir);
    return rc;
}

/* Reads a whole regular file. Returns 0 with a malloc'd, NUL-terminated text. */
static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(err, errlen, path, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fail(err, errlen, path, "not a regular file");
        close(fd);
        return -1;
    }
    if ((uintmax_t)st.st_size > CONVO_MAX_BYTES) {
        fail(err, errlen, path, "too large for a conversation (%jd bytes)", (intmax_t)st.st_size);
        close(fd);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *b = xmalloc(cap);
    for (;;) {
        if (n + 1 == cap) {
            if (cap > CONVO_MAX_BYTES) { /* it grew while we read */
                fail(err, errlen, path, "too large for a conversation");
                free(b);
                close(fd);
                return -1;
            }
            cap *= 2;
            b = xrealloc(b, cap);
        }
        ssize_t r = read(fd, b + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(err, errlen, path, "cannot read: %s", strerror(errno));
            free(b);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    *text = b;
    *len = n;
    return 0;
}

/* ---------------------------------------------------------------- parsing */

typedef enum { K_ROLE, K_CONTENT, K_TIME, K_STATUS, K_ERROR, K_FINISH, K_REFUSAL, K__COUNT } msg_key;
static const char *const msg_keys[K__COUNT] = {"role", "content", "time", "status",
                                               "error", "finish_reason", "refusal"};

typedef enum { T_VERSION, T_ID, T_CREATED, T_UPDATED, T_TITLE, T_PROFILE, T_MODEL, T_MESSAGES,
               T__COUNT } top_key;
static const char *const top_keys[T__COUNT] = {"version", "id", "created", "updated",
                                               "title", "profile", "model", "messages"};

static int key_index(const char *name, const char *const *keys, int n)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(name, keys[i]) == 0)
            return i;
    return -1;
}

/* Files each member of obj under its key's index in seen (others set *extra).
 * Returns the index of a key that appears twice, or -1. */
static int index_members(const cJSON *obj, const char *const *keys, int n, const cJSON **seen,
                         bool *extra)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        int k = key_index(it->string, keys, n);
        if (k < 0) {
            *extra = true;
            continue;
        }
        if (seen[k])
            return k;
        seen[k] = it;
    }
    return -1;
}

typedef enum { ST_OK, ST_FAILED, ST_INTERRUPTED, ST_PENDING, ST__COUNT } msg_status;
static const char *const status_names[ST__COUNT] = {"ok", "failed", "interrupted", "pending"};

/* One validated message, pointing into the parsed document. */
typedef struct lmsg {
    api_role role;
    const char *content;
    msg_status status;
    int error;            /* guide_entry; GUIDE__COUNT when none or unknown */
    const char *finish;   /* NULL when none */
    bool refusal;
    int64_t wall_ms;      /* 0 when the file does not say */
    bool has_extra;       /* members beyond the known ones (or an unknown error id) */
    cJSON *obj;
} lmsg;

/* A validated document. */
typedef struct ldoc {
    cJSON *root;
    const char *id, *title, *profile, *model;
    int64_t created_ms, updated_ms;
    cJSON *messages;
    lmsg *msgs;
    size_t n;
    bool has_extra;
} ldoc;

static void ldoc_free(ldoc *d)
{
    cJSON_Delete(d->root);
    free(d->msgs);
    memset(d, 0, sizeof *d);
}

/* "PATH:LINE:COL: what" for a position in text. */
static void fail_at(char *err, size_t errlen, const char *path, const char *text, size_t pos,
                    const char *what)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    char where[64];
    snprintf(where, sizeof where, "%zu:%zu", line, col);
    fail(err, errlen, path, "%s: %s", where, what);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool opt_string(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsNull(v);
}

static const char *str_or_null(const cJSON *v)
{
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse_message(lmsg *m, cJSON *obj, size_t i, const char *path, char *err, size_t errlen)
{
    if (!cJSON_IsObject(obj)) {
        fail(err, errlen, path, "messages[%zu] is not an object", i);
        return -1;
    }
    const cJSON *seen[K__COUNT] = {0};
    memset(m, 0, sizeof *m);
    m->obj = obj;
    m->error = GUIDE__COUNT;
    int twice = index_members(obj, msg_keys, K__COUNT, seen, &m->has_extra);
    if (twice >= 0) {
        fail(err, errlen, path, "messages[%zu]: \"%s\" appears twice", i, msg_keys[twice]);
        return -1;
    }
    const cJSON *v = seen[K_ROLE];
    if (!v) {
        fail(err, errlen, path, "messages[%zu]: no \"role\"", i);
        return -1;
    }
    if (!cJSON_IsString(v)) {
        fail(err, errlen, path, "messages[%zu]: \"role\" is not a string", i);
        return -1;
    }
    if (!strcmp(v->valuestring, "user")) {
        m->role = API_ROLE_USER;
    } else if (!strcmp(v->valuestring, "assistant")) {
        m->role = API_ROLE_ASSISTANT;
    } else if (!strcmp(v->valuestring, "system")) {
        m->role = API_ROLE_SYSTEM;
    } else {
        char *shown = sanitize_string(v->valuestring, strnlen(v->valuestring, 40));
        fail(err, errlen, path, "messages[%zu]: unknown role \"%s\" (user, assistant or system)", i,
             shown);
        free(shown);
        return -1;
    }
    v = seen[K_CONTENT];
    if (!cJSON_IsString(v)) {
        fail(err, errlen, path, v ? "messages[%zu]: \"content\" is not a string"
                                  : "messages[%zu]: no \"content\"", i);
        return -1;
    }
    m->content = v->valuestring;
    if ((v = seen[K_TIME]) && !(cJSON_IsString(v) && convo_parse_time(v->valuestring, &m->wall_ms))) {
        fail(err, errlen, path, "messages[%zu]: \"time\" is not an ISO-8601 time", i);
        return -1;
    }
    if ((v = seen[K_STATUS])) {
        int st = cJSON_IsString(v) ? key_index(v->valuestring, status_names, ST__COUNT) : -1;
        if (st < 0) {
            fail(err, errlen, path,
                 "messages[%zu]: \"status\" is not one of ok, failed, interrupted, pending", i);
            return -1;
        }
        m->status = (msg_status)st;
    }
    if ((v = seen[K_ERROR])) {
        if (!opt_string(v)) {
            fail(err, errlen, path, "messages[%zu]: \"error\" is not a string", i);
            return -1;
        }
        /* An entry a newer tchat knows: kept as it is, shown as no entry. */
        int e = guide_entry_from_id(str_or_null(v));
        if (e >= 0)
            m->error = e;
        else if (cJSON_IsString(v))
            m->has_extra = true;
    }
    if ((v = seen[K_FINISH])) {
        if (!opt_string(v)) {
            fail(err, errlen, path, "messages[%zu]: \"finish_reason\" is not a string", i);
            return -1;
        }
        m->finish = str_or_null(v);
    }
    if ((v = seen[K_REFUSAL])) {
        if (!cJSON_IsBool(v)) {
            fail(err, errlen, path, "messages[%zu]: \"refusal\" is not true or false", i);
            return -1;
        }
        m->refusal = cJSON_IsTrue(v);
    }
    return 0;
}

static int parse_time_member(const cJSON *v, const char *name, int64_t *ms, const char *path,
                             char *err, size_t errlen)
{
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !convo_parse_time(v->valuestring, ms)) {
        fail(err, errlen, path, "\"%s\" is not an ISO-8601 time", name);
        return -1;
    }
    return 0;
}

/* Where cJSON gives up is not always where the text goes wrong (it points at
 * the start of a bad string), and a truncated file deserves its own words. So
 * when cJSON fails, this walks the text to find the first byte that cannot be
 * JSON. Returns 0 when it finds none, 1 when the text ends early, 2 with *pos
 * at a wrong byte. */
typedef struct jscan {
    const char *s;
    size_t n, i;
    int depth;
} jscan;

enum { JS_OK, JS_EOF, JS_BAD };

static void js_ws(jscan *j)
{
    while (j->i < j->n && is_space(j->s[j->i]))
        j->i++;
}

static int js_lit(jscan *j, const char *word)
{
    size_t start = j->i;
    for (size_t k = 0; word[k]; k++, j->i++) {
        if (j->i >= j->n)
            return JS_EOF;
        if (j->s[j->i] != word[k]) {
            j->i = start; /* point at the word, not into it */
            return JS_BAD;
        }
    }
    return JS_OK;
}

static bool js_digit(const jscan *j)
{
    return j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9';
}

static int js_number(jscan *j)
{
    if (j->s[j->i] == '-')
        j->i++;
    if (j->i >= j->n)
        return JS_EOF;
    if (j->s[j->i] == '0')
        j->i++;
    else if (js_digit(j))
        while (js_digit(j))
            j->i++;
    else
        return JS_BAD;
    if (j->i < j->n && j->s[j->i] == '.') {
        j->i++;
        if (j->i >= j->n)
            return JS_EOF;
        if (!js_digit(j))
            return JS_BAD;
        while (js_digit(j))
            j->i++;
    }
    if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
            j->i++;
        if (j->i >= j->n)
            return JS_EOF;
        if (!js_digit(j))
            return JS_BAD;
        while (js_digit(j))
            j->i++;
    }
    return JS_OK;
}

static int js_string(jscan *j)
{
    j->i++; /* the opening quote */
    while (j->i < j->n) {
        unsigned char c = (unsigned char)j->s[j->i];
        if (c == '"') {
            j->i++;
            return JS_OK;
        }
        if (c < 0x20)
            return JS_BAD;
        if (c != '\\') {
            j->i++;
            continue;
        }
        j->i++;
        if (j->i >= j->n)
            return JS_EOF;
        c = (unsigned char)j->s[j->i];
        if (c == 'u') {
            for (int k = 0; k < 4; k++) {
                j->i++;
                if (j->i >= j->n)
                    return JS_EOF;
                c = (unsigned char)j->s[j->i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                    return JS_BAD;
            }
        } else if (!strchr("\"\\/bfnrt", c) || !c) {
            return JS_BAD;
        }
        j->i++;
    }
    return JS_EOF;
}

static int js_value(jscan *j)
{
    js_ws(j);
    if (j->i >= j->n)
        return JS_EOF;
    char c = j->s[j->i];
    switch (c) {
    case '"':
        return js_string(j);
    case 't':
        return js_lit(j, "true");
    case 'f':
        return js_lit(j, "false");
    case 'n':
        return js_lit(j, "null");
    case '{':
    case '[': {
        char close = c == '{' ? '}' : ']';
        if (++j->depth > 1000) /* cJSON's nesting limit */
            return JS_BAD;
        j->i++;
        js_ws(j);
        if (j->i >= j->n)
            return JS_EOF;
        if (j->s[j->i] == close) {
            j->i++;
            j->depth--;
            return JS_OK;
        }
        for (;;) {
            int rc;
            if (c == '{') {
                js_ws(j);
                if (j->i >= j->n)
                    return JS_EOF;
                if (j->s[j->i] != '"')
                    return JS_BAD;
                if ((rc = js_string(j)) != JS_OK)
                    return rc;
                js_ws(j);
                if (j->i >= j->n)
                    return JS_EOF;
                if (j->s[j->i] != ':')
                    return JS_BAD;
                j->i++;
            }
            if ((rc = js_value(j)) != JS_OK)
                return rc;
            js_ws(j);
            if (j->i >= j->n)
                return JS_EOF;
            if (j->s[j->i] == close) {
                j->i++;
                j->depth--;
                return JS_OK;
            }
            if (j->s[j->i] != ',')
                return JS_BAD;
            j->i++;
        }
    }
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return js_number(j);
        return JS_BAD;
    }
}

static int js_check(const char *s, size_t n, size_t *pos)
{
    jscan j = {s, n, 0, 0};
    int rc = js_value(&j);
    *pos = j.i;
    return rc;
}

/* Parses and validates everything; on failure d is empty and err says why. */
static int ldoc_parse(ldoc *d, const char *path, const char *text, size_t len, char *err,
                      size_t errlen)
{
    memset(d, 0, sizeof *d);
    size_t first = 0, last = len;
    while (first < len && is_space(text[first]))
        first++;
    while (last > first && is_space(text[last - 1]))
        last--;
    if (first == last) {
        fail(err, errlen, path, "empty file, not a conversation");
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        size_t pos;
        int rc = js_check(text, len, &pos);
        if (rc == JS_EOF)
            fail(err, errlen, path, "the JSON ends early (a truncated file?)");
        else if (rc == JS_BAD)
            fail_at(err, errlen, path, text, pos, "not valid JSON");
        else /* what cJSON refuses beyond the grammar (a lone surrogate) */
            fail_at(err, errlen, path, text,
                    end && end >= text && end <= text + len ? (size_t)(end - text) : 0,
                    "not valid JSON");
        return -1;
    }
    size_t pos = end ? (size_t)(end - text) : len;
    while (pos < len && is_space(text[pos]))
        pos++;
    if (pos < len) {
        fail_at(err, errlen, path, text, pos, "unexpected text after the JSON");
        cJSON_Delete(root);
        return -1;
    }
    d->root = root;
    if (!cJSON_IsObject(root)) {
        fail(err, errlen, path, "not a conversation (the top level is not a JSON object)");
        goto bad;
    }
    const cJSON *seen[T__COUNT] = {0};
    int twice = index_members(root, top_keys, T__COUNT, seen, &d->has_extra);
    if (twice >= 0) {
        fail(err, errlen, path, "\"%s\" appears twice", top_keys[twice]);
        goto bad;
    }
    const cJSON *v = seen[T_VERSION];
    if (!v) {
        fail(err, errlen, path, "no \"version\": not a tchat conversation");
        goto bad;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble != floor(v->valuedouble)) {
        fail(err, errlen, path, "\"version\" is not a whole number from 1");
        goto bad;
    }
    if (v->valuedouble > CONVO_VERSION) {
        fail(err, errlen, path,
             "written by a newer tchat (format version %.0f; this one reads version %d): "
             "not opened, and left as it is",
             v->valuedouble, CONVO_VERSION);
        goto bad;
    }
    for (int k = T_ID; k <= T_MODEL; k++) {
        if (k == T_CREATED || k == T_UPDATED)
            continue;
        if (seen[k] && !opt_string(seen[k])) {
            fail(err, errlen, path, "\"%s\" is not a string", top_keys[k]);
            goto bad;
        }
    }
    d->id = str_or_null(seen[T_ID]);
    d->title = str_or_null(seen[T_TITLE]);
    d->profile = str_or_null(seen[T_PROFILE]);
    d->model = str_or_null(seen[T_MODEL]);
    if (parse_time_member(seen[T_CREATED], "created", &d->created_ms, path, err, errlen) != 0 ||
        parse_time_member(seen[T_UPDATED], "updated", &d->updated_ms, path, err, errlen) != 0)
        goto bad;
    cJSON *msgs = (cJSON *)seen[T_MESSAGES];
    if (!msgs) {
        fail(err, errlen, path, "no \"messages\"");
        goto bad;
    }
    if (!cJSON_IsArray(msgs)) {
        fail(err, errlen, path, "\"messages\" is not an array");
        goto bad;
    }
    d->messages = msgs;
    size_t n = 0;
    for (cJSON *it = msgs->child; it; it = it->next)
        n++;
    d->msgs = xmalloc_array(n ? n : 1, sizeof *d->msgs);
    size_t i = 0;
    for (cJSON *it = msgs->child; it; it = it->next, i++)
        if (parse_message(&d->msgs[i], it, i, path, err, errlen) != 0)
            goto bad;
    d->n = n;
    return 0;
bad:
    ldoc_free(d);
    return -1;
}

/* ---------------------------------------------------------------- the handle */

/* The cached JSON of one message, valid while its key matches the message. */
typedef struct frag {
    uint64_t id;
    size_t text_len;
    unsigned flags;
    int error;
    int64_t wall_ms;
    char *finish;
    char *json;
    size_t json_len;
} frag;

/* Unknown members of a loaded message, found by message id. */
typedef struct msg_extra {
    uint64_t id;
    cJSON *obj;     /* the message object as loaded; known members are skipped on output */
} msg_extra;

struct convo {
    char *path, *id, *title, *profile, *model;
    int64_t created_ms, updated_ms;
    char *top_extra;          /* unknown top-level members as ,"k":v... or NULL */
    msg_extra *extras;        /* sorted by id */
    size_t nextras;
    frag *frags;
    size_t nfrags, capfrags;
    bool header_dirty;
    bool on_disk;             /* loaded from, or handed to be written to, the file */
    tz_cache tz;

    /* Shared with the saver thread, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_started, quit, failed, hold;
    char *pending;            /* the newest snapshot not taken yet */
    size_t pending_len;
    unsigned long submitted, written, writes;
    char errmsg[512];
};

static convo *convo_alloc(void)
{
    convo *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    return c;
}

static void random_hex4(char out[5])
{
    unsigned char r[2];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        uint64_t x = (uint64_t)clock_mono_ms() * 2654435761u ^ (uint64_t)getpid() * 40503u;
        r[0] = (unsigned char)x;
        r[1] = (unsigned char)(x >> 8);
    }
    snprintf(out, 5, "%02x%02x", r[0], r[1]);
}

convo *convo_new(const char *dir, const char *profile, const char *model)
{
    convo *c = convo_alloc();
    int64_t now = clock_wall_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    /* Two conversations begun in the same second differ by the random part. */
    for (int tries = 0; tries < 32; tries++) {
        char hex[5];
        random_hex4(hex);
        free(c->id);
        free(c->path);
        c->id = xasprintf("%s-%s", stamp, hex);
        c->path = xasprintf("%s/%s.json", dir ? dir : ".", c->id);
        if (access(c->path, F_OK) != 0)
            break;
    }
    c->created_ms = now;
    c->profile = xstrdup(profile);
    c->model = xstrdup(model);
    return c;
}

const char *convo_id(const convo *c)
{
    return c->id;
}

const char *convo_path(const convo *c)
{
    return c->path;
}

const char *convo_title(const convo *c)
{
    return c->title ? c->title : "";
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

void convo_set_model(convo *c, const char *profile, const char *model)
{
    if (str_eq(c->profile, profile) && str_eq(c->model, model))
        return;
    free(c->profile);
    free(c->model);
    c->profile = xstrdup(profile);
    c->model = xstrdup(model);
    c->header_dirty = true;
}

static const cJSON *extra_of(const convo *c, uint64_t id)
{
    size_t lo = 0, hi = c->nextras;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->extras[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nextras && c->extras[lo].id == id ? c->extras[lo].obj : NULL;
}

static void frag_free(frag *f)
{
    free(f->finish);
    free(f->json);
    memset(f, 0, sizeof *f);
}

static bool frag_matches(const frag *f, const chat_msg *m)
{
    return f->json && f->id == m->id && f->text_len == m->text.len && f->flags == m->flags &&
           f->error == (int)m->error && f->wall_ms == m->wall_ms && str_eq(f->finish, m->finish_reason);
}

static const char *status_of(unsigned flags)
{
    if (flags & MSG_PENDING)
        return "pending";
    if (flags & MSG_FAILED)
        return "failed";
    if (flags & MSG_INTERRUPTED)
        return "interrupted";
    return "ok";
}

static void frag_build(frag *f, convo *c, const chat_msg *m)
{
    frag_free(f);
    buf out;
    buf_init(&out);
    /* Room for the escapes of ordinary text and the other members: built once. */
    buf_reserve(&out, m->text.len + m->text.len / 16 + 192);
    buf *tmp = &out;
    buf_puts(tmp, "{\"role\":");
    json_cstr(tmp, api_role_name(m->role));
    buf_puts(tmp, ",\"content\":");
    json_str(tmp, buf_str(&m->text), m->text.len);
    if (m->wall_ms > 0) {
        buf_puts(tmp, ",\"time\":");
        json_time(tmp, &c->tz, m->wall_ms);
    }
    buf_puts(tmp, ",\"status\":\"");
    buf_puts(tmp, status_of(m->flags));
    buf_putc(tmp, '"');
    bool has_error = (unsigned)m->error < GUIDE__COUNT;
    if (has_error) {
        buf_puts(tmp, ",\"error\":");
        json_cstr(tmp, guide_entry_id(m->error));
    }
    if (m->finish_reason) {
        buf_puts(tmp, ",\"finish_reason\":");
        json_cstr(tmp, m->finish_reason);
    }
    if (m->flags & MSG_REFUSAL)
        buf_puts(tmp, ",\"refusal\":true");
    const cJSON *ex = extra_of(c, m->id);
    for (const cJSON *it = ex ? ex->child : NULL; it; it = it->next) {
        int k = key_index(it->string, msg_keys, K__COUNT);
        /* Kept: unknown members, and an error id this tchat does not know
         * while the message has no error of its own. */
        if (k >= 0 && !(k == K_ERROR && !has_error && cJSON_IsString(it) &&
                        guide_entry_from_id(it->valuestring) < 0))
            continue;
        json_member(tmp, it);
    }
    buf_putc(tmp, '}');
    f->id = m->id;
    f->text_len = m->text.len;
    f->flags = m->flags;
    f->error = (int)m->error;
    f->wall_ms = m->wall_ms;
    f->finish = xstrdup(m->finish_reason);
    f->json_len = out.len;
    f->json = buf_steal(&out);
}

/* Brings the cache up to s; returns whether anything differed. */
static bool update_cache(convo *c, const session *s)
{
    bool changed = c->nfrags != s->nmsgs;
    if (s->nmsgs > c->capfrags) {
        size_t cap = c->capfrags ? c->capfrags : 64;
        while (cap < s->nmsgs)
            cap *= 2;
        c->frags = xrealloc_array(c->frags, cap, sizeof *c->frags);
        memset(c->frags + c->capfrags, 0, (cap - c->capfrags) * sizeof *c->frags);
        c->capfrags = cap;
    }
    for (size_t i = 0; i < s->nmsgs; i++) {
        if (!frag_matches(&c->frags[i], &s->msgs[i])) {
            frag_build(&c->frags[i], c, &s->msgs[i]);
            changed = true;
        }
    }
    for (size_t i = s->nmsgs; i < c->nfrags; i++)
        frag_free(&c->frags[i]);
    c->nfrags = s->nmsgs;
    if (!c->title || !*c->title) {
        char *t = convo_make_title(s);
        if (*t) {
            free(c->title);
            c->title = t;
            changed = true;
        } else {
            free(t);
        }
    }
    return changed;
}

static void render(convo *c, buf *out)
{
    size_t total = 512 + (c->top_extra ? strlen(c->top_extra) : 0);
    for (size_t i = 0; i < c->nfrags; i++)
        total += c->frags[i].json_len + 2;
    buf_reserve(out, total);
    buf_printf(out, "{\"version\":%d,\"id\":", CONVO_VERSION);
    json_cstr(out, c->id);
    if (c->created_ms > 0) {
        buf_puts(out, ",\"created\":");
        json_time(out, &c->tz, c->created_ms);
    }
    if (c->updated_ms > 0) {
        buf_puts(out, ",\"updated\":");
        json_time(out, &c->tz, c->updated_ms);
    }
    buf_puts(out, ",\"title\":");
    json_cstr(out, c->title ? c->title : "");
    if (c->profile) {
        buf_puts(out, ",\"profile\":");
        json_cstr(out, c->profile);
    }
    if (c->model) {
        buf_puts(out, ",\"model\":");
        json_cstr(out, c->model);
    }
    if (c->top_extra)
        buf_puts(out, c->top_extra);
    /* One message a line: readable, and a diff shows what changed. */
    buf_puts(out, ",\"messages\":[\n");
    for (size_t i = 0; i < c->nfrags; i++) {
        buf_append(out, c->frags[i].json, c->frags[i].json_len);
        buf_puts(out, i + 1 < c->nfrags ? ",\n" : "\n");
    }
    buf_puts(out, "]}\n");
}

void convo_render(convo *c, const session *s, buf *out)
{
    update_cache(c, s);
    render(c, out);
}

/* ---------------------------------------------------------------- loading */

static int cmp_extra(const void *a, const void *b)
{
    uint64_t x = ((const msg_extra *)a)->id, y = ((const msg_extra *)b)->id;
    return (x > y) - (x < y);
}

/* The id from the file name: what --list shows and --resume takes. */
static char *id_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && ends_with(base, ".json"))
        n -= 5;
    return sanitize_string(base, n);
}

static unsigned flags_of(const ldoc *d, size_t i)
{
    const lmsg *m = &d->msgs[i];
    unsigned f = m->refusal ? MSG_REFUSAL : 0;
    switch (m->status) {
    case ST_OK:
        break;
    case ST_FAILED:
        f |= MSG_FAILED;
        break;
    case ST_INTERRUPTED:
        f |= MSG_INTERRUPTED;
        break;
    case ST_PENDING:
        /* Saved while in flight, and tchat stopped since: a prompt without a
         * reply was never answered (F5 resends it); a reply was cut short. */
        if (m->role == API_ROLE_ASSISTANT)
            f |= MSG_INTERRUPTED;
        else if (m->role == API_ROLE_USER &&
                 !(i + 1 < d->n && d->msgs[i + 1].role == API_ROLE_ASSISTANT))
            f |= MSG_FAILED;
        break;
    case ST__COUNT:
        break;
    }
    return f;
}

convo *convo_parse(const char *path, const char *text, size_t len, session *s, char *err,
                   size_t errlen)
{
    if (session_busy(s)) {
        fail(err, errlen, path, "cannot be opened while a request is in progress");
        return NULL;
    }
    ldoc d;
    if (ldoc_parse(&d, path, text, len, err, errlen) != 0)
        return NULL;

    convo *c = convo_alloc();
    c->path = xstrdup(path);
    c->id = id_from_path(path);
    c->title = sanitized(d.title);
    c->profile = sanitized(d.profile);
    c->model = sanitized(d.model);
    c->created_ms = d.created_ms;
    c->updated_ms = d.updated_ms;
    c->on_disk = true;
    if (d.has_extra) {
        buf b;
        buf_init(&b);
        for (const cJSON *it = d.root->child; it; it = it->next) {
            if (key_index(it->string, top_keys, T__COUNT) >= 0)
                continue;
            json_member(&b, it);
        }
        c->top_extra = buf_steal(&b);
    }

    session_clear(s);
    size_t nex = 0;
    for (size_t i = 0; i < d.n; i++)
        nex += d.msgs[i].has_extra;
    if (nex)
        c->extras = xmalloc_array(nex, sizeof *c->extras);
    for (size_t i = 0; i < d.n; i++) {
        const lmsg *lm = &d.msgs[i];
        chat_msg *m = session_append_msg(s, lm->role, "", 0);
        sanitizer san;
        sanitize_init(&san);
        sanitize_feed(&san, lm->content, strlen(lm->content), &m->text);
        sanitize_finish(&san, &m->text);
        m->flags = flags_of(&d, i);
        m->error = (guide_entry)lm->error;
        m->finish_reason = sanitized(lm->finish);
        m->wall_ms = lm->wall_ms;
        if (lm->has_extra) {
            c->extras[c->nextras].id = m->id;
            c->extras[c->nextras].obj = cJSON_DetachItemViaPointer(d.messages, lm->obj);
            c->nextras++;
        }
    }
    if (c->nextras > 1)
        qsort(c->extras, c->nextras, sizeof *c->extras, cmp_extra);
    ldoc_free(&d);
    /* The file already holds this: saving before a change writes nothing. */
    update_cache(c, s);
    c->header_dirty = false;
    return c;
}

convo *convo_open(const char *path, session *s, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, err, errlen) != 0)
        return NULL;
    convo *c = convo_parse(path, text, len, s, err, errlen);
    free(text);
    if (c) {
        /* Saves go to the target of a symlink, which stays a symlink. */
        char *real = realpath(path, NULL);
        if (real) {
            free(c->path);
            c->path = real;
        }
    }
    return c;
}

int convo_load(const char *path, session *s, char *err, size_t errlen)
{
    convo *c = convo_open(path, s, err, errlen);
    if (!c)
        return -1;
    convo_free(c);
    return 0;
}

/* ---------------------------------------------------------------- saving */

static void *saver_main(void *arg)
{
    convo *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while ((!c->pending || c->hold) && !c->quit)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->pending)
            break;
        char *text = c->pending;
        size_t len = c->pending_len;
        unsigned long seq = c->submitted;
        c->pending = NULL;
        pthread_mutex_unlock(&c->mu);

        char err[512] = "";
        int rc = write_atomic(c->path, c->path, text, len, 0600, err, sizeof err);
        if (rc == ENOENT) {
            /* The directory went away (or was never made): make it, once more. */
            char *dir = dir_of(c->path);
            if (dir_create(dir, err, sizeof err) == 0)
                rc = write_atomic(c->path, c->path, text, len, 0600, err, sizeof err);
            free(dir);
        }
        free(text);

        pthread_mutex_lock(&c->mu);
        c->written = seq;
        c->writes++;
        c->failed = rc != 0;
        if (rc != 0)
            snprintf(c->errmsg, sizeof c->errmsg, "cannot save %s", err);
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* The saver must not take signals meant for the UI's signal fd. */
static bool start_saver(convo *c)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&c->thread, NULL, saver_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0;
}

int convo_save(convo *c, const session *s)
{
    bool changed = update_cache(c, s) || c->header_dirty;
    pthread_mutex_lock(&c->mu);
    /* A failed write is tried again at the next save, changed or not. */
    bool retry = c->failed && c->written == c->submitted;
    pthread_mutex_unlock(&c->mu);
    if (!changed && !retry)
        return 0;
    if (!s->nmsgs && !c->on_disk)
        return 0;
    c->updated_ms = clock_wall_ms();
    if (c->created_ms <= 0)
        c->created_ms = c->updated_ms;
    c->header_dirty = false;
    c->on_disk = true;
    buf text;
    buf_init(&text);
    render(c, &text);
    size_t len = text.len;
    char *snapshot = buf_steal(&text);

    pthread_mutex_lock(&c->mu);
    free(c->pending); /* superseded before the saver took it */
    c->pending = snapshot;
    c->pending_len = len;
    c->submitted++;
    if (!c->thread_started)
        c->thread_started = start_saver(c);
    if (c->thread_started) {
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        return 1;
    }
    /* No thread to be had: write here rather than not at all. */
    c->pending = NULL;
    char err[512] = "";
    int rc = write_atomic(c->path, c->path, snapshot, len, 0600, err, sizeof err);
    c->written = c->submitted;
    c->writes++;
    c->failed = rc != 0;
    if (rc != 0)
        snprintf(c->errmsg, sizeof c->errmsg, "cannot save %s", err);
    pthread_mutex_unlock(&c->mu);
    free(snapshot);
    return 1;
}

int convo_flush(convo *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->written != c->submitted)
        pthread_cond_wait(&c->cv, &c->mu);
    int rc = c->failed ? -1 : 0;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

bool convo_last_error(convo *c, char *out, size_t outlen)
{
    pthread_mutex_lock(&c->mu);
    bool failed = c->failed;
    if (failed && out && outlen)
        snprintf(out, outlen, "%s", c->errmsg);
    pthread_mutex_unlock(&c->mu);
    return failed;
}

void convo_hold(convo *c, bool hold)
{
    pthread_mutex_lock(&c->mu);
    c->hold = hold;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

unsigned long convo_writes(convo *c)
{
    pthread_mutex_lock(&c->mu);
    unsigned long n = c->writes;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void convo_free(convo *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->quit = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (c->thread_started)
        pthread_join(c->thread, NULL); /* it writes what is pending first */
    free(c->pending);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    for (size_t i = 0; i < c->nfrags; i++)
        frag_free(&c->frags[i]);
    free(c->frags);
    for (size_t i = 0; i < c->nextras; i++)
        cJSON_Delete(c->extras[i].obj);
    free(c->extras);
    free(c->top_extra);
    free(c->path);
    free(c->id);
    free(c->title);
    free(c->profile);
    free(c->model);
    free(c);
}

/* ---------------------------------------------------------------- titles */

/* The first line with something on it, trimmed, cut to CONVO_TITLE_MAX characters. */
static char *title_from_text(const char *p, size_t n)
{
    const char *end = p + n;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p == '\n') {
            p++;
            continue;
        }
        break;
    }
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    while (eol > p && (eol[-1] == ' ' || eol[-1] == '\t'))
        eol--;
    buf t;
    buf_init(&t);
    buf_puts(&t, "");
    size_t chars = 0;
    for (const char *q = p; q < eol; chars++) {
        const char *r = q + 1;
        while (r < eol && ((unsigned char)*r & 0xC0) == 0x80)
            r++;
        if (chars == CONVO_TITLE_MAX - 1 && r < eol) {
            buf_puts(&t, "…");
            break;
        }
        if (*q == '\t')
            buf_putc(&t, ' ');
        else
            buf_append(&t, q, (size_t)(r - q));
        q = r;
    }
    return buf_steal(&t);
}

char *convo_make_title(const session *s)
{
    for (size_t i = 0; i < s->nmsgs; i++)
        if (s->msgs[i].role == API_ROLE_USER)
            return title_from_text(buf_str(&s->msgs[i].text), s->msgs[i].text.len);
    return xstrdup("");
}

/* ---------------------------------------------------------------- listing */

void convo_list_free(convo_info *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].path);
        free(v[i].title);
    }
    free(v);
}

void convo_info_line(const convo_info *info, buf *out)
{
    char when[32] = "-";
    int64_t ms = info->updated_ms ? info->updated_ms : info->created_ms;
    if (ms > 0) {
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        localtime_r(&secs, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    }
    buf_printf(out, "%s  %s  %zu %s", info->id, when, info->nmsgs,
               info->nmsgs == 1 ? "message" : "messages");
    if (info->title && *info->title)
        buf_printf(out, "  %s", info->title);
}

void convo_problems_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A conversation's file name: <id>.json, not hidden (temp files are). */
static bool convo_file_name(const char *name)
{
    return name[0] != '.' && strlen(name) > 5 && ends_with(name, ".json");
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_info(const void *a, const void *b)
{
    const convo_info *x = a, *y = b;
    if (x->updated_ms != y->updated_ms)
        return x->updated_ms > y->updated_ms ? -1 : 1;
    return -strcmp(x->id, y->id);
}

static int info_of(const char *path, convo_info *info, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, err, errlen) != 0)
        return -1;
    ldoc d;
    int rc = ldoc_parse(&d, path, text, len, err, errlen);
    free(text);
    if (rc != 0)
        return -1;
    memset(info, 0, sizeof *info);
    info->id = id_from_path(path);
    info->path = xstrdup(path);
    if (d.title && *d.title) {
        info->title = sanitized(d.title);
    } else {
        /* As a save would make it. */
        const char *first = NULL;
        for (size_t i = 0; i < d.n && !first; i++)
            if (d.msgs[i].role == API_ROLE_USER)
                first = d.msgs[i].content;
        char *clean = sanitize_string(first ? first : "", first ? strlen(first) : 0);
        info->title = title_from_text(clean, strlen(clean));
        free(clean);
    }
    info->created_ms = d.created_ms;
    info->updated_ms = d.updated_ms ? d.updated_ms : d.created_ms;
    info->nmsgs = d.n;
    ldoc_free(&d);
    return 0;
}

int convo_list(const char *dir, convo_info **out, size_t *n, char ***problems, size_t *nproblems,
               char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (problems) {
        *problems = NULL;
        *nproblems = 0;
    }
    DIR *dh = opendir(dir);
    if (!dh) {
        if (errno == ENOENT)
            return 0;
        fail(err, errlen, dir, "cannot read the directory: %s", strerror(errno));
        return -1;
    }
    size_t cap = 0, pcap = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (!convo_file_name(de->d_name))
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        convo_info info;
        char why[1024];
        if (info_of(path, &info, why, sizeof why) == 0) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                *out = xrealloc_array(*out, cap, sizeof **out);
            }
            (*out)[(*n)++] = info;
        } else if (problems) {
            if (*nproblems == pcap) {
                pcap = pcap ? pcap * 2 : 4;
                *problems = xrealloc_array(*problems, pcap, sizeof **problems);
            }
            (*problems)[(*nproblems)++] = xstrdup(why);
        }
        free(path);
    }
    closedir(dh);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, cmp_info);
    return 0;
}

int convo_find(const char *dir, const char *arg, char **path, char *err, size_t errlen)
{
    *path = NULL;
    if (!arg || !*arg) {
        snprintf(err, errlen, "no conversation id given");
        return -1;
    }
    struct stat st;
    if (strchr(arg, '/') || (ends_with(arg, ".json") && stat(arg, &st) == 0)) {
        if (stat(arg, &st) != 0) {
            fail(err, errlen, arg, "%s", strerror(errno));
            return -1;
        }
        *path = xstrdup(arg);
        return 0;
    }
    DIR *dh = opendir(dir);
    if (!dh) {
        if (errno == ENOENT)
            snprintf(err, errlen, "no conversation %s: none saved yet", arg);
        else
            fail(err, errlen, dir, "cannot read the directory: %s", strerror(errno));
        return -1;
    }
    size_t alen = strlen(arg), nmatch = 0, cap = 0;
    char **match = NULL;
    bool exact = false;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (!convo_file_name(de->d_name))
            continue;
        size_t idlen = strlen(de->d_name) - 5;
        if (idlen < alen || strncmp(de->d_name, arg, alen) != 0)
            continue;
        char *id = xstrndup(de->d_name, idlen);
        if (idlen == alen) {
            /* An exact id wins over ids it is a prefix of. */
            for (size_t i = 0; i < nmatch; i++)
                free(match[i]);
            nmatch = 0;
            exact = true;
        } else if (exact) {
            free(id);
            continue;
        }
        if (nmatch == cap) {
            cap = cap ? cap * 2 : 4;
            match = xrealloc_array(match, cap, sizeof *match);
        }
        match[nmatch++] = id;
    }
    closedir(dh);
    int rc = -1;
    if (nmatch == 1) {
        *path = xasprintf("%s/%s.json", dir, match[0]);
        rc = 0;
    } else if (nmatch == 0) {
        snprintf(err, errlen, "no conversation %s in %s (tchat --list shows them)", arg, dir);
    } else {
        qsort(match, nmatch, sizeof *match, cmp_str_ptr);
        buf b;
        buf_init(&b);
        buf_printf(&b, "%s is ambiguous: it matches ", arg);
        for (size_t i = 0; i < nmatch && i < 5; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", match[i]);
        if (nmatch > 5)
            buf_printf(&b, " and %zu more", nmatch - 5);
        snprintf(err, errlen, "%s", buf_str(&b));
        buf_free(&b);
    }
    for (size_t i = 0; i < nmatch; i++)
        free(match[i]);
    free(match);
    return rc;
}

int convo_latest(const char *dir, char **path, char *err, size_t errlen)
{
    *path = NULL;
    convo_info *v;
    size_t n;
    if (convo_list(dir, &v, &n, NULL, NULL, err, errlen) != 0)
        return -1;
    if (!n) {
        snprintf(err, errlen, "no saved conversation in %s", dir);
        convo_list_free(v, n);
        return 1;
    }
    *path = xstrdup(v[0].path);
    convo_list_free(v, n);
    return 0;
}

/* ---------------------------------------------------------------- Markdown */

/* Whether line[0..n) opens or closes a code fence; its character and length. */
static bool fence_line(const char *line, size_t n, char *ch, size_t *len, bool *bare)
{
    size_t i = 0;
    while (i < n && i < 3 && line[i] == ' ')
        i++;
    if (i >= n || (line[i] != '`' && line[i] != '~'))
        return false;
    char c = line[i];
    size_t k = 0;
    while (i + k < n && line[i + k] == c)
        k++;
    if (k < 3)
        return false;
    size_t j = i + k;
    while (j < n && (line[j] == ' ' || line[j] == '\t'))
        j++;
    *ch = c;
    *len = k;
    *bare = j == n; /* nothing after it: it can close a fence */
    return true;
}

/* The fence left open at the end of text, if any (its character and length). */
static bool open_fence(const char *text, size_t n, char *ch, size_t *len)
{
    bool open = false;
    char och = 0;
    size_t olen = 0;
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t ln = eol ? (size_t)(eol - p) : (size_t)(end - p);
        char c;
        size_t k;
        bool bare;
        if (fence_line(p, ln, &c, &k, &bare)) {
            if (!open) {
                open = true;
                och = c;
                olen = k;
            } else if (c == och && k >= olen && bare) {
                open = false;
            }
        }
        p = eol ? eol + 1 : end;
    }
    *ch = och;
    *len = olen;
    return open;
}

static void md_note(buf *notes, const char *what, int error)
{
    buf_puts(notes, notes->len ? "; " : "");
    buf_puts(notes, what);
    if ((unsigned)error < GUIDE__COUNT) {
        buf_puts(notes, ": ");
        buf_puts(notes, guide_entry_id((guide_entry)error));
    }
}

void convo_markdown(const session *s, const char *title, buf *out)
{
    char *made = title ? NULL : convo_make_title(s);
    const char *t = title ? title : made;
    buf_printf(out, "# %s\n", *t ? t : "Conversation");
    free(made);
    buf notes;
    buf_init(&notes);
    for (size_t i = 0; i < s->nmsgs; i++) {
        const chat_msg *m = &s->msgs[i];
        const char *who = m->role == API_ROLE_USER ? "You"
                          : m->role == API_ROLE_ASSISTANT ? "Assistant" : "System";
        buf_printf(out, "\n## %s", who);
        if (m->wall_ms > 0) {
            time_t secs = (time_t)(m->wall_ms / 1000);
            struct tm tm;
            char when[32];
            localtime_r(&secs, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
            buf_printf(out, " · %s", when);
        }
        buf_putc(out, '\n');
        if (m->text.len) {
            buf_putc(out, '\n');
            buf_append(out, m->text.data, m->text.len);
            if (m->text.data[m->text.len - 1] != '\n')
                buf_putc(out, '\n');
            char ch;
            size_t flen;
            if (open_fence(m->text.data, m->text.len, &ch, &flen)) {
                for (size_t k = 0; k < flen; k++)
                    buf_putc(out, ch);
                buf_putc(out, '\n');
            }
        }
        buf_reset(&notes);
        if (m->flags & MSG_FAILED)
            md_note(&notes, "failed", m->error);
        else if (m->flags & MSG_INTERRUPTED)
            md_note(&notes, "interrupted", m->error);
        else if (m->flags & MSG_PENDING)
            md_note(&notes, "pending", GUIDE__COUNT);
        if (m->flags & MSG_REFUSAL)
            md_note(&notes, "refusal", GUIDE__COUNT);
        if (m->finish_reason && *m->finish_reason && strcmp(m->finish_reason, "stop") != 0) {
            buf_puts(&notes, notes.len ? "; " : "");
            buf_printf(&notes, "finish reason: %s", m->finish_reason);
        }
        if (notes.len)
            buf_printf(out, "\n> ⚠ %s\n", buf_str(&notes));
    }
    buf_free(&notes);
}

int convo_export_markdown(const session *s, const char *title, const char *path, char *err,
                          size_t errlen)
{
    if (!path || !*path) {
        snprintf(err, errlen, "no file name given for the export");
        return -1;
    }
    buf md;
    buf_init(&md);
    convo_markdown(s, title, &md);
    /* An existing symlink stays one: write to its target. */
    char *real = realpath(path, NULL);
    int rc = write_atomic(real ? real : path, path, buf_str(&md), md.len, 0644, err, errlen) ? -1 : 0;
    free(real);
    buf_free(&md);
    return rc;
}
