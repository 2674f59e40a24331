#include "retry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Anything further away than this (about 31 years) is garbage, not a delay. */
#define ABSURD_MS INT64_C(1000000000000)

const char *delay_source_name(delay_source s)
{
#define NAME_(id, name) [id] = name,
    static const char *const names[] = {DELAY_SOURCES(NAME_)};
#undef NAME_
    return (unsigned)s < DELAY__COUNT ? names[s] : "?";
}

const char *retry_verdict_text(retry_verdict v)
{
#define TEXT_(id, text) [id] = text,
    static const char *const texts[] = {RETRY_VERDICTS(TEXT_)};
#undef TEXT_
    return (unsigned)v < RETRY__COUNT ? texts[v] : "?";
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ---- Go durations ---- */

static const struct {
    const char *name;
    uint64_t ns;
} go_units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xC2\xB5s", 1000}, /* U+00B5 micro sign */
    {"\xCE\xBCs", 1000}, /* U+03BC Greek mu */
    {"ms", 1000000},
    {"s", 1000000000},
    {"m", UINT64_C(60) * 1000000000},
    {"h", UINT64_C(3600) * 1000000000},
};

static bool unit_byte(unsigned char c)
{
    return c != '.' && !is_digit((char)c) && c != '\0';
}

/* ns rounded up to whole ms. */
static int64_t ns_to_ms(uint64_t ns)
{
    return (int64_t)(ns / 1000000 + (ns % 1000000 != 0));
}

/* Parses one Go duration, s[0..len), into nanoseconds, following the grammar of
 * time.ParseDuration: (digits [. digits] unit)+, overflow of int64 rejected. */
static int go_duration_ns(const char *s, size_t len, uint64_t *out)
{
    const uint64_t max = (uint64_t)INT64_MAX;
    const char *p = s, *end = s + len;
    if (p < end && *p == '+')
        p++;
    if (end - p == 1 && *p == '0') { /* Go's special case: a bare "0" */
        *out = 0;
        return 0;
    }
    if (p == end)
        return -1;
    uint64_t total = 0;
    while (p < end) {
        if (!(*p == '.' || is_digit(*p)))
            return -1;
        uint64_t v = 0;
        bool pre = false, post = false;
        for (; p < end && is_digit(*p); p++) {
            if (v > (max - (uint64_t)(*p - '0')) / 10)
                return -1;
            v = v * 10 + (uint64_t)(*p - '0');
            pre = true;
        }
        uint64_t frac = 0;
        double scale = 1;
        if (p < end && *p == '.') {
            p++;
            bool overflow = false;
            for (; p < end && is_digit(*p); p++) {
                post = true;
                if (overflow)
                    continue; /* digits beyond int64 precision change nothing */
                if (frac > (max - 9) / 10) {
                    overflow = true;
                    continue;
                }
                frac = frac * 10 + (uint64_t)(*p - '0');
                scale *= 10;
            }
        }
        if (!pre && !post)
            return -1;
        const char *u = p;
        while (p < end && unit_byte((unsigned char)*p))
            p++;
        size_t ulen = (size_t)(p - u);
        uint64_t unit = 0;
        for (size_t i = 0; i < sizeof go_units / sizeof go_units[0]; i++)
            if (strlen(go_units[i].name) == ulen && memcmp(go_units[i].name, u, ulen) == 0)
                unit = go_units[i].ns;
        if (!unit)
            return -1;
        if (v > max / unit)
            return -1;
        v *= unit;
        if (frac) {
            double add = (double)frac * ((double)unit / scale);
            if (!(add < (double)max) || v > max - (uint64_t)add)
                return -1;
            v += (uint64_t)add;
        }
        if (total > max - v)
            return -1;
        total += v;
    }
    *out = total;
    return 0;
}

int retry_parse_go_duration(const char *s, int64_t *ms)
{
    if (!s)
        return -1;
    uint64_t ns;
    if (go_duration_ns(s, strlen(s), &ns) != 0)
        return -1;
    *ms = ns_to_ms(ns);
    return 0;
}

/* ---- decimal numbers ("1.5", "20", "120.25") ---- */

/* Parses a plain non-negative decimal (no sign, no exponent, no hex, no inf)
 * and returns value * 10^shift rounded up, or -1. Whitespace around is allowed. */
static int64_t parse_decimal_scaled(const char *s, int shift)
{
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    int64_t v = 0;
    bool digits = false, round_up = false;
    for (; is_digit(*s); s++) {
        if (v > ABSURD_MS)
            return -1;
        v = v * 10 + (*s - '0');
        digits = true;
    }
    int frac_digits = 0;
    if (*s == '.') {
        s++;
        for (; is_digit(*s); s++) {
            digits = true;
            if (frac_digits < shift) {
                v = v * 10 + (*s - '0');
                frac_digits++;
            } else if (*s != '0') {
                round_up = true;
            }
        }
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (!digits || *s)
        return -1;
    for (; frac_digits < shift; frac_digits++)
        v *= 10;
    return v + round_up;
}

/* ---- HTTP-date ---- */

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_short[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const day_long[] = {"monday", "tuesday",  "wednesday", "thursday",
                                       "friday", "saturday", "sunday"};

/* Matches a word from a table, case-insensitively; returns its length, 0 if none. */
static size_t match_word(const char *p, const char *const *words, size_t n, int *index)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        if (str_ncasecmp(p, words[i], len) == 0) {
            *index = (int)i;
            return len;
        }
    }
    return 0;
}

static bool take(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Exactly n digits. */
static bool take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool take_month(const char **p, int *mon)
{
    size_t n = match_word(*p, month_names, 12, mon);
    *p += n;
    return n != 0;
}

static bool take_time(const char **p, int *h, int *m, int *s)
{
    return take_digits(p, 2, h) && take(p, ":") && take_digits(p, 2, m) && take(p, ":") &&
           take_digits(p, 2, s);
}

int retry_parse_http_date(const char *s, int64_t *epoch_ms)
{
    if (!s)
        return -1;
    const char *p = s;
    int wd, day, mon, year, hh, mm, ss;
    size_t n;
    if ((n = match_word(p, day_long, 7, &wd)) != 0 && p[n] == ',') {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        p += n;
        int yy;
        if (!(take(&p, ", ") && take_digits(&p, 2, &day) && take(&p, "-") && take_month(&p, &mon) &&
              take(&p, "-") && take_digits(&p, 2, &yy) && take(&p, " ") &&
              take_time(&p, &hh, &mm, &ss) && take(&p, " GMT")))
            return -1;
        year = yy < 70 ? 2000 + yy : 1900 + yy;
    } else if ((n = match_word(p, day_short, 7, &wd)) != 0 && p[n] == ',') {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        p += n;
        if (!(take(&p, ", ") && take_digits(&p, 2, &day) && take(&p, " ") && take_month(&p, &mon) &&
              take(&p, " ") && take_digits(&p, 4, &year) && take(&p, " ") &&
              take_time(&p, &hh, &mm, &ss) && take(&p, " GMT")))
            return -1;
    } else if (n != 0 && p[n] == ' ') {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        p += n + 1;
        if (!(take_month(&p, &mon) && take(&p, " ")))
            return -1;
        if (*p == ' ') {
            p++;
            if (!take_digits(&p, 1, &day))
                return -1;
        } else if (!take_digits(&p, 2, &day)) {
            return -1;
        }
        if (!(take(&p, " ") && take_time(&p, &hh, &mm, &ss) && take(&p, " ") &&
              take_digits(&p, 4, &year)))
            return -1;
    } else {
        return -1;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p)
        return -1;
    int dim = time_days_in_month(year, mon + 1); /* mon is 0-11 */
    if (day < 1 || day > dim || hh > 23 || mm > 59 || ss > 60)
        return -1;
    if (ss == 60) /* a leap second: the next second is close enough */
        ss = 59;
    int64_t days = time_days_from_civil(year, mon + 1, day); /* mon is 0-11 */
    *epoch_ms = ((days * 24 + hh) * 60 + mm) * INT64_C(60000) + ss * INT64_C(1000);
    return 0;
}

/* ---- "Please try again in 26.604s" ---- */

/* Words servers spell units with, and the Go unit each stands for. */
static const struct {
    const char *word;
    const char *go;
} word_units[] = {
    {"milliseconds", "ms"}, {"millisecond", "ms"}, {"msec", "ms"}, {"seconds", "s"},
    {"second", "s"},        {"secs", "s"},         {"sec", "s"},   {"minutes", "m"},
    {"minute", "m"},        {"mins", "m"},         {"min", "m"},   {"hours", "h"},
    {"hour", "h"},
};

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Reads a duration right at p: Go style ("1m30s", "26.604s", "120ms") or a
 * number and a word ("2 seconds", "120 ms"). A sentence's full stop after the
 * unit is not part of it. */
static int message_duration(const char *p, int64_t *ms)
{
    /* The Go form: the longest run of number+unit tokens. */
    const char *q = p;
    for (;;) {
        if (is_digit(*q) || is_alpha(*q) || (*q == '.' && is_digit(q[1])))
            q++;
        else if (str_starts_with(q, "\xC2\xB5") || str_starts_with(q, "\xCE\xBC"))
            q += 2;
        else
            break;
    }
    uint64_t ns;
    if (q > p && go_duration_ns(p, (size_t)(q - p), &ns) == 0) {
        *ms = ns_to_ms(ns);
        return 0;
    }
    /* Number, optional spaces, unit word. */
    q = p;
    while (is_digit(*q) || (*q == '.' && is_digit(q[1])))
        q++;
    if (q == p)
        return -1;
    size_t numlen = (size_t)(q - p);
    while (*q == ' ')
        q++;
    const char *w = q;
    while (is_alpha(*q))
        q++;
    size_t wlen = (size_t)(q - w);
    if (!wlen)
        return -1;
    char word[16];
    if (wlen >= sizeof word)
        return -1;
    for (size_t i = 0; i < wlen; i++)
        word[i] = lower(w[i]);
    word[wlen] = '\0';
    const char *unit = w; /* Go units written after a space: "120 ms" */
    size_t unitlen = wlen;
    for (size_t i = 0; i < sizeof word_units / sizeof word_units[0]; i++) {
        if (strcmp(word, word_units[i].word) == 0) {
            unit = word_units[i].go;
            unitlen = strlen(unit);
            break;
        }
    }
    buf b;
    buf_init(&b);
    buf_append(&b, p, numlen);
    buf_append(&b, unit, unitlen);
    int rc = go_duration_ns(b.data, b.len, &ns);
    buf_free(&b);
    if (rc != 0)
        return -1;
    *ms = ns_to_ms(ns);
    return 0;
}

int retry_parse_message_delay(const char *msg, int64_t *ms)
{
    static const char *const needles[] = {"try again in", "retry in", "retry after"};
    if (!msg)
        return -1;
    for (const char *p = msg; *p; p++) {
        for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
            size_t n = strlen(needles[i]);
            if (str_ncasecmp(p, needles[i], n) != 0)
                continue;
            const char *q = p + n;
            if (*q != ' ')
                continue;
            while (*q == ' ')
                q++;
            if (message_duration(q, ms) == 0)
                return 0;
        }
    }
    return -1;
}

/* ---- reset times: RFC 3339 and bare numbers ---- */

int retry_parse_rfc3339(const char *s, int64_t *epoch_ms)
{
    if (!s)
        return -1;
    const char *p = s;
    int year, mon, day, hh, mm, ss;
    if (!(take_digits(&p, 4, &year) && take(&p, "-") && take_digits(&p, 2, &mon) && take(&p, "-") &&
          take_digits(&p, 2, &day)))
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if (!take_time(&p, &hh, &mm, &ss))
        return -1;
    int64_t frac_ms = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        for (; is_digit(*p); p++, digits++)
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
        if (!digits)
            return -1;
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    int64_t offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!(take_digits(&p, 2, &oh) && take(&p, ":") && take_digits(&p, 2, &om)) || oh > 23 ||
            om > 59)
            return -1;
        offset_min = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (*p)
        return -1;
    if (mon < 1 || mon > 12)
        return -1;
    int dim = time_days_in_month(year, mon);
    if (day < 1 || day > dim || hh > 23 || mm > 59 || ss > 60)
        return -1;
    if (ss == 60)
        ss = 59;
    int64_t days = time_days_from_civil(year, mon, day);
    *epoch_ms = ((days * 24 + hh) * 60 + mm - offset_min) * INT64_C(60000) + ss * INT64_C(1000) +
                frac_ms;
    return 0;
}

int retry_parse_reset(const char *value, reset_unit unit, int64_t now_wall_ms, int64_t *ms)
{
    if (!value)
        return -1;
    int64_t at;
    if (retry_parse_rfc3339(value, &at) == 0) {
        *ms = at > now_wall_ms ? at - now_wall_ms : 0;
        return 0;
    }
    /* A bare number: what it counts depends on who sent it. */
    int64_t v = parse_decimal_scaled(value, 3); /* thousandths of the number */
    if (v < 0)
        return retry_parse_go_duration(value, ms);
    int64_t whole = v / 1000;
    bool guess = unit == RESET_UNIT_GUESS;
    if (unit == RESET_UNIT_EPOCH_MS || (guess && whole >= INT64_C(1000000000000)))
        at = whole;
    else if (guess && whole >= INT64_C(1000000000))
        at = v; /* epoch seconds: v is their milliseconds */
    else
        at = now_wall_ms + v; /* seconds left: v is their milliseconds */
    *ms = at > now_wall_ms ? at - now_wall_ms : 0;
    return 0;
}

void retry_gauge_read(const http_headers *h, reset_unit unit, int64_t now_wall_ms, retry_gauge *g)
{
    memset(g, 0, sizeof *g);
    g->reset_ms = -1;
    if (!h)
        return;
#define FIRST_(a, b, c) \
    (hdrs_get(h, a) ? hdrs_get(h, a) : hdrs_get(h, b) ? hdrs_get(h, b) : hdrs_get(h, c))
    g->req_left = FIRST_("x-ratelimit-remaining-requests", "x-ratelimit-remaining",
                         "anthropic-ratelimit-requests-remaining");
    g->req_limit = FIRST_("x-ratelimit-limit-requests", "x-ratelimit-limit",
                          "anthropic-ratelimit-requests-limit");
    g->tok_left = FIRST_("x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining",
                         "anthropic-ratelimit-input-tokens-remaining");
    g->tok_limit = FIRST_("x-ratelimit-limit-tokens", "anthropic-ratelimit-tokens-limit",
                          "anthropic-ratelimit-input-tokens-limit");
#undef FIRST_
    static const char *const resets[] = {"x-ratelimit-reset-requests", "x-ratelimit-reset",
                                         "anthropic-ratelimit-requests-reset",
                                         "x-ratelimit-reset-tokens",
                                         "anthropic-ratelimit-tokens-reset"};
    for (size_t i = 0; i < sizeof resets / sizeof resets[0]; i++) {
        const char *v = hdrs_get(h, resets[i]);
        int64_t ms;
        if (v && retry_parse_reset(v, unit, now_wall_ms, &ms) == 0) {
            g->reset_ms = ms;
            if (retry_parse_go_duration(v, &ms) == 0 && parse_decimal_scaled(v, 0) < 0)
                g->reset_text = v;
            return;
        }
    }
}

/* ---- the decision ---- */

static bool header_is(const http_headers *h, const char *name, const char *value)
{
    const char *v = h ? hdrs_get(h, name) : NULL;
    return v && str_casecmp(v, value) == 0;
}

static bool status_retryable(long status)
{
    return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

static bool kind_retryable(const failure *f)
{
    /* The same page, or the same demand for proxy credentials, comes back; so does a
     * request the server cannot take, whatever status it came with (llama.cpp answered
     * a too-long prompt with a 500). */
    switch (f->entry) {
    case GUIDE_MALFORMED_RESPONSE:
    case GUIDE_PROXY_AUTH:
    case GUIDE_CONTEXT_LENGTH:
    case GUIDE_MODEL_NOT_FOUND:
    case GUIDE_NOT_FOUND:
    case GUIDE_MODEL_NOT_LOADED:
    case GUIDE_DEPLOYMENT_NOT_FOUND:
        return false;
    default:
        break;
    }
    switch (f->net) {
    case NET_OK:
        break;
    case NET_DNS:
    case NET_REFUSED:
    case NET_CONNECT:
    case NET_PROXY:
    case NET_TIMEOUT_CONNECT:
    case NET_TIMEOUT_IDLE:
    case NET_TIMEOUT_FIRST_TOKEN:
    case NET_STREAM_CUT:
    case NET_OTHER:
        return true;
    default:
        return false;
    }
    if (f->status >= 400)
        return status_retryable(f->status);
    /* An error event inside a 200 stream, before any content. */
    switch (f->entry) {
    case GUIDE_OVERLOADED:
    case GUIDE_RATE_LIMIT:
    case GUIDE_SERVER_ERROR:
    case GUIDE_GATEWAY:
    case GUIDE_TIMEOUT:
    case GUIDE_MODEL_LOADING:
        return true;
    case GUIDE_STREAM_ERROR: {
        /* Some gateways put an HTTP status in the code of a stream error. */
        long code = 0;
        const char *c = f->err_code;
        if (c && strlen(c) == 3 && is_digit(c[0]) && is_digit(c[1]) && is_digit(c[2]))
            code = strtol(c, NULL, 10);
        return code >= 400 && code <= 599 ? status_retryable(code) : true;
    }
    default:
        return false;
    }
}

/* A server-given delay: 1 when used (or too long), 0 to fall through. */
static int offer(retry_decision *d, int64_t ms, delay_source src, double max_wait_ms)
{
    if (ms <= 0 || ms > ABSURD_MS)
        return 0;
    d->delay_ms = ms;
    d->source = src;
    d->verdict = (double)ms <= max_wait_ms ? RETRY_YES : RETRY_NO_TOO_LONG;
    return 1;
}

/* Seconds from the config: NaN and negatives are 0, infinity is "very long". */
static double sane(double v)
{
    return v > 0 ? fmin(v, 1e9) : 0;
}

static int64_t backoff_ms(const retry_config *cfg, int n, double u)
{
    if (!(u >= 0))
        u = 0;
    if (u > 1)
        u = 1;
    double initial = sane(cfg->initial_s), cap = sane(cfg->max_delay_s);
    double base = initial * pow(2.0, n < 0 ? 0 : n > 200 ? 200 : n);
    double s = fmin(base, cap) * (1.0 - 0.25 * u);
    /* Round up, but not a float's last-bit noise: 1000.0000000001 is 1000. */
    return (int64_t)ceil(s * 1000.0 - 1e-6);
}

static void choose_delay(const retry_config *cfg, const failure *f, const http_headers *h,
                         int retries_taken, int64_t now_wall_ms, double u, retry_decision *d)
{
    double max_wait_ms = sane(cfg->max_server_wait_s) * 1000.0;
    const char *v;
    int64_t ms;

    if (h && (v = hdrs_get(h, "retry-after-ms")) != NULL &&
        offer(d, parse_decimal_scaled(v, 0), DELAY_RETRY_AFTER_MS, max_wait_ms))
        return;
    if (h && (v = hdrs_get(h, "retry-after")) != NULL) {
        int64_t secs = parse_decimal_scaled(v, 3);
        if (secs >= 0) {
            if (offer(d, secs, DELAY_RETRY_AFTER, max_wait_ms))
                return;
        } else if (retry_parse_http_date(v, &ms) == 0) {
            int64_t left = ms > now_wall_ms ? ms - now_wall_ms : 0;
            if (offer(d, left, DELAY_RETRY_AFTER_DATE, max_wait_ms))
                return;
        }
    }
    if (header_is(h, "x-ratelimit-remaining-requests", "0") &&
        retry_parse_go_duration(hdrs_get(h, "x-ratelimit-reset-requests"), &ms) == 0 &&
        offer(d, ms, DELAY_RESET_REQUESTS, max_wait_ms))
        return;
    if (header_is(h, "x-ratelimit-remaining-tokens", "0") &&
        retry_parse_go_duration(hdrs_get(h, "x-ratelimit-reset-tokens"), &ms) == 0 &&
        offer(d, ms, DELAY_RESET_TOKENS, max_wait_ms))
        return;
    /* OpenRouter's and Together's bare x-ratelimit-reset, in the unit of the provider. */
    if (header_is(h, "x-ratelimit-remaining", "0") &&
        retry_parse_reset(hdrs_get(h, "x-ratelimit-reset"), f->reset_unit, now_wall_ms, &ms) == 0 &&
        offer(d, ms, DELAY_RESET, max_wait_ms))
        return;
    static const char *const anthropic[] = {"requests", "tokens", "input-tokens", "output-tokens"};
    for (size_t i = 0; i < sizeof anthropic / sizeof anthropic[0]; i++) {
        char left[64], reset[64];
        snprintf(left, sizeof left, "anthropic-ratelimit-%s-remaining", anthropic[i]);
        snprintf(reset, sizeof reset, "anthropic-ratelimit-%s-reset", anthropic[i]);
        if (header_is(h, left, "0") && retry_parse_rfc3339(hdrs_get(h, reset), &ms) == 0 &&
            offer(d, ms > now_wall_ms ? ms - now_wall_ms : 0, DELAY_ANTHROPIC_RESET, max_wait_ms))
            return;
    }
    if (retry_parse_go_duration(f->retry_delay, &ms) == 0 &&
        offer(d, ms, DELAY_RETRY_INFO, max_wait_ms))
        return;
    if (retry_parse_message_delay(f->err_message, &ms) == 0 &&
        offer(d, ms, DELAY_MESSAGE, max_wait_ms))
        return;
    d->verdict = RETRY_YES;
    d->delay_ms = backoff_ms(cfg, retries_taken, u);
    d->source = DELAY_BACKOFF;
}

retry_decision retry_decide(const retry_config *cfg, const failure *f, const http_headers *h,
                            int retries_taken, bool got_content, int64_t now_wall_ms, double u)
{
    static const retry_config defaults = RETRY_CONFIG_DEFAULT;
    if (!cfg)
        cfg = &defaults;
    retry_decision d = {RETRY_NO_STATUS, 0, DELAY_NONE, false};

    if (f->entry == GUIDE_CANCELLED || f->net == NET_CANCELLED) {
        d.verdict = RETRY_NO_CANCELLED;
        d.retryable = true;
        return d;
    }
    if (got_content) {
        d.verdict = RETRY_NO_CONTENT;
        d.retryable = true;
        return d;
    }
    if (f->entry == GUIDE_QUOTA) {
        d.verdict = RETRY_NO_QUOTA;
        return d;
    }
    if (classify_is_billing(f->entry)) {
        d.verdict = RETRY_NO_BILLING;
        return d;
    }
    /* The same input is flagged again; the same request is too large after any wait. */
    if (f->entry == GUIDE_MODERATION || f->entry == GUIDE_REQUEST_TOO_LARGE)
        return d;
    if (f->entry == GUIDE_TLS_PLAIN_HTTP)
        return d; /* no certificate involved, but the same answer every time */
    if (f->entry == GUIDE_TLS || f->net == NET_TLS) {
        d.verdict = RETRY_NO_TLS;
        return d;
    }
    if (f->entry == GUIDE_NO_KEY || f->entry == GUIDE_INSECURE_HTTP)
        return d;
    if (header_is(h, "x-should-retry", "false")) {
        d.verdict = RETRY_NO_HEADER;
        return d;
    }
    if (!header_is(h, "x-should-retry", "true") && !kind_retryable(f))
        return d;

    d.retryable = true;
    if (cfg->max_retries <= 0) {
        d.verdict = RETRY_NO_DISABLED;
        return d;
    }
    if (retries_taken >= cfg->max_retries) {
        d.verdict = RETRY_NO_EXHAUSTED;
        return d;
    }
    choose_delay(cfg, f, h, retries_taken, now_wall_ms, u, &d);
    return d;
}
