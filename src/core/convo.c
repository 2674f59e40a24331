/* The conversation model: the file format of docs/conversations.md, parsed and validated
 * into a session (text sanitised, unknown members kept), and rendered back from a cache of
 * each message's JSON, so that a save costs what changed; titles and times as the file
 * writes them. Files and the saver thread are convo_store.c's, Markdown convo_export.c's. */
#include "convo.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convo_internal.h"
#include "fold.h"
#include "guide.h"
#include "jsonpos.h"
#include "sanitize.h"
#include "session.h"

/* 9999-01-01T00:00:00Z: times up to here print with a four-digit year in every zone. */
#define CONVO_TIME_MAX_MS INT64_C(253370764800000)

/* ---------------------------------------------------------------- small helpers */

void convo_fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
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

/* The zone's offset from UTC at secs, cached per quarter hour (see tz_cache). */
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
    time_civil_from_days(days, &y, &m, &d);
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

static char *title_from_text(const char *p, size_t n);

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
    if (M < 1 || M > 12 || D < 1 || D > time_days_in_month(Y, M) || h > 23 || mi > 59 || sec > 60)
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
    int64_t t = time_days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec;
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

/* ---------------------------------------------------------------- parsing */

typedef enum {
    K_ROLE,
    K_CONTENT,
    K_TIME,
    K_STATUS,
    K_ERROR,
    K_FINISH,
    K_REFUSAL,
    K_REASONING,
    K_REASONING_MS,
    K__COUNT
} msg_key;
static const char *const msg_keys[K__COUNT] = {"role",    "content",       "time",
                                               "status",  "error",         "finish_reason",
                                               "refusal", "reasoning",     "reasoning_ms"};

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
    const char *reasoning; /* NULL when none */
    int64_t think_ms;     /* -1 when the file does not say */
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

/* "PATH: LINE:COL: what" for a position in text. */
static void fail_at(char *err, size_t errlen, const char *path, const char *text, size_t len,
                    size_t pos, const char *what)
{
    size_t line, col;
    jsonpos_line_col(text, len, pos, &line, &col);
    convo_fail(err, errlen, path, "%zu:%zu: %s", line, col, what);
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
        convo_fail(err, errlen, path, "messages[%zu] is not an object", i);
        return -1;
    }
    const cJSON *seen[K__COUNT] = {0};
    memset(m, 0, sizeof *m);
    m->obj = obj;
    m->error = GUIDE__COUNT;
    m->think_ms = -1;
    int twice = index_members(obj, msg_keys, K__COUNT, seen, &m->has_extra);
    if (twice >= 0) {
        convo_fail(err, errlen, path, "messages[%zu]: \"%s\" appears twice", i, msg_keys[twice]);
        return -1;
    }
    const cJSON *v = seen[K_ROLE];
    if (!v) {
        convo_fail(err, errlen, path, "messages[%zu]: no \"role\"", i);
        return -1;
    }
    if (!cJSON_IsString(v)) {
        convo_fail(err, errlen, path, "messages[%zu]: \"role\" is not a string", i);
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
        convo_fail(err, errlen, path, "messages[%zu]: unknown role \"%s\" (user, assistant or system)", i,
             shown);
        free(shown);
        return -1;
    }
    v = seen[K_CONTENT];
    if (!cJSON_IsString(v)) {
        convo_fail(err, errlen, path, v ? "messages[%zu]: \"content\" is not a string"
                                  : "messages[%zu]: no \"content\"", i);
        return -1;
    }
    m->content = v->valuestring;
    if ((v = seen[K_TIME]) && !(cJSON_IsString(v) && convo_parse_time(v->valuestring, &m->wall_ms))) {
        convo_fail(err, errlen, path, "messages[%zu]: \"time\" is not an ISO-8601 time", i);
        return -1;
    }
    if ((v = seen[K_STATUS])) {
        int st = cJSON_IsString(v) ? key_index(v->valuestring, status_names, ST__COUNT) : -1;
        if (st < 0) {
            convo_fail(err, errlen, path,
                 "messages[%zu]: \"status\" is not one of ok, failed, interrupted, pending", i);
            return -1;
        }
        m->status = (msg_status)st;
    }
    if ((v = seen[K_ERROR])) {
        if (!opt_string(v)) {
            convo_fail(err, errlen, path, "messages[%zu]: \"error\" is not a string", i);
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
            convo_fail(err, errlen, path, "messages[%zu]: \"finish_reason\" is not a string", i);
            return -1;
        }
        m->finish = str_or_null(v);
    }
    if ((v = seen[K_REFUSAL])) {
        if (!cJSON_IsBool(v)) {
            convo_fail(err, errlen, path, "messages[%zu]: \"refusal\" is not true or false", i);
            return -1;
        }
        m->refusal = cJSON_IsTrue(v);
    }
    if ((v = seen[K_REASONING])) {
        if (!opt_string(v)) {
            convo_fail(err, errlen, path, "messages[%zu]: \"reasoning\" is not a string", i);
            return -1;
        }
        m->reasoning = str_or_null(v);
    }
    if ((v = seen[K_REASONING_MS])) {
        /* Up to about 30 years: anything more is no duration a reply took. */
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 1e12) {
            convo_fail(err, errlen, path,
                       "messages[%zu]: \"reasoning_ms\" is not a number of milliseconds", i);
            return -1;
        }
        m->think_ms = (int64_t)v->valuedouble;
    }
    return 0;
}

static int parse_time_member(const cJSON *v, const char *name, int64_t *ms, const char *path,
                             char *err, size_t errlen)
{
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !convo_parse_time(v->valuestring, ms)) {
        convo_fail(err, errlen, path, "\"%s\" is not an ISO-8601 time", name);
        return -1;
    }
    return 0;
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
        convo_fail(err, errlen, path, "empty file, not a conversation");
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        /* Where cJSON gives up is not always where the text goes wrong (it points at the
         * start of a bad string), and a truncated file deserves its own words. */
        jsonpos_error je;
        if (jsonpos_check(text, len, NULL, &je) != 0 && je.truncated)
            convo_fail(err, errlen, path, "the JSON ends early (a truncated file?)");
        else if (je.why[0])
            fail_at(err, errlen, path, text, len, je.pos, "not valid JSON");
        else /* what cJSON refuses beyond the scanner (it should not happen) */
            fail_at(err, errlen, path, text, len,
                    end && end >= text && end <= text + len ? (size_t)(end - text) : 0,
                    "not valid JSON");
        return -1;
    }
    size_t pos = end ? (size_t)(end - text) : len;
    while (pos < len && is_space(text[pos]))
        pos++;
    if (pos < len) {
        fail_at(err, errlen, path, text, len, pos, "unexpected text after the JSON");
        cJSON_Delete(root);
        return -1;
    }
    d->root = root;
    if (!cJSON_IsObject(root)) {
        convo_fail(err, errlen, path, "not a conversation (the top level is not a JSON object)");
        goto bad;
    }
    const cJSON *seen[T__COUNT] = {0};
    int twice = index_members(root, top_keys, T__COUNT, seen, &d->has_extra);
    if (twice >= 0) {
        convo_fail(err, errlen, path, "\"%s\" appears twice", top_keys[twice]);
        goto bad;
    }
    const cJSON *v = seen[T_VERSION];
    if (!v) {
        convo_fail(err, errlen, path, "no \"version\": not a tchat conversation");
        goto bad;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble != floor(v->valuedouble)) {
        convo_fail(err, errlen, path, "\"version\" is not a whole number from 1");
        goto bad;
    }
    if (v->valuedouble > CONVO_VERSION) {
        convo_fail(err, errlen, path,
             "written by a newer tchat (format version %.0f; this one reads version %d): "
             "not opened, and left as it is",
             v->valuedouble, CONVO_VERSION);
        goto bad;
    }
    for (int k = T_ID; k <= T_MODEL; k++) {
        if (k == T_CREATED || k == T_UPDATED)
            continue;
        if (seen[k] && !opt_string(seen[k])) {
            convo_fail(err, errlen, path, "\"%s\" is not a string", top_keys[k]);
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
        convo_fail(err, errlen, path, "no \"messages\"");
        goto bad;
    }
    if (!cJSON_IsArray(msgs)) {
        convo_fail(err, errlen, path, "\"messages\" is not an array");
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

/* ---------------------------------------------------------------- the header; rendering */

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

char *convo_clean_title(const char *text)
{
    char *clean = sanitize_line(text ? text : "", text ? strlen(text) : 0, 0);
    char *t = title_from_text(clean, strlen(clean));
    free(clean);
    return t;
}

int convo_set_title(convo *c, const char *title, char *err, size_t errlen)
{
    char *t = convo_clean_title(title);
    if (!*t) {
        free(t);
        convo_fail(err, errlen, c->path, "a title cannot be empty");
        return -1;
    }
    if (c->title && strcmp(c->title, t) == 0) {
        free(t);
        return 0;
    }
    free(c->title);
    c->title = t;
    c->header_dirty = true;
    return 0;
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
    return f->json && f->id == m->id && f->text_len == m->text.len &&
           f->reasoning_len == m->reasoning.len && f->think_ms == m->think_ms &&
           f->flags == m->flags && f->error == (int)m->error && f->wall_ms == m->wall_ms &&
           str_eq(f->finish, m->finish_reason);
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
    buf_reserve(&out, m->text.len + m->text.len / 16 + m->reasoning.len + 192);
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
    if (m->reasoning.len) {
        buf_puts(tmp, ",\"reasoning\":");
        json_str(tmp, buf_str(&m->reasoning), m->reasoning.len);
        if (m->think_ms >= 0)
            buf_printf(tmp, ",\"reasoning_ms\":%lld", (long long)m->think_ms);
    }
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
    f->reasoning_len = m->reasoning.len;
    f->think_ms = m->think_ms;
    f->flags = m->flags;
    f->error = (int)m->error;
    f->wall_ms = m->wall_ms;
    f->finish = xstrdup(m->finish_reason);
    f->json_len = out.len;
    f->json = buf_steal(&out);
}

/* Brings the cache up to s; returns whether anything differed. */
bool convo_update_cache(convo *c, const session *s)
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

void convo_render_cached(convo *c, buf *out)
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
    convo_update_cache(c, s);
    convo_render_cached(c, out);
}

/* ---------------------------------------------------------------- loading into a session */

static int cmp_extra(const void *a, const void *b)
{
    uint64_t x = ((const msg_extra *)a)->id, y = ((const msg_extra *)b)->id;
    return (x > y) - (x < y);
}

char *convo_id_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && str_ends_with(base, ".json"))
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
        convo_fail(err, errlen, path, "cannot be opened while a request is in progress");
        return NULL;
    }
    ldoc d;
    if (ldoc_parse(&d, path, text, len, err, errlen) != 0)
        return NULL;

    convo *c = convo_alloc();
    c->path = xstrdup(path);
    c->id = convo_id_from_path(path);
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
        if (lm->reasoning) {
            sanitize_init(&san);
            sanitize_feed(&san, lm->reasoning, strlen(lm->reasoning), &m->reasoning);
            sanitize_finish(&san, &m->reasoning);
            m->think_ms = lm->think_ms;
        }
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
    convo_update_cache(c, s);
    c->header_dirty = false;
    return c;
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


/* ---------------------------------------------------------------- the listing's view */

int convo_info_parse(const char *path, const char *text, size_t len, convo_info *info,
                     bool with_text, char *err, size_t errlen)
{
    ldoc d;
    if (ldoc_parse(&d, path, text, len, err, errlen) != 0)
        return -1;
    memset(info, 0, sizeof *info);
    info->id = convo_id_from_path(path);
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
    if (with_text) {
        /* What the filter looks in: the title, then every message, folded once. */
        buf t;
        buf_init(&t);
        fold_append(&t, info->title, strlen(info->title));
        for (size_t i = 0; i < d.n; i++) {
            buf_putc(&t, '\n');
            fold_append(&t, d.msgs[i].content, strlen(d.msgs[i].content));
        }
        info->search_len = t.len;
        info->search = buf_steal(&t);
    }
    ldoc_free(&d);
    return 0;
}

bool convo_info_matches(const convo_info *info, const char *query, size_t qlen)
{
    return !info->problem && fold_find(info->search, info->search_len, query, qlen);
}

void convo_model_free(convo *c)
{
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
}
