#include "think.h"

#include <string.h>

enum {
    TS_START, /* nothing but white space yet: "<think>" may still come */
    TS_OPENED, /* just after "<think>": line breaks before the reasoning are dropped */
    TS_IN,    /* inside the block: reasoning until "</think>" */
    TS_AFTER, /* just after "</think>": line breaks before the answer are dropped */
    TS_PASS,  /* content, to the end */
};

static const char OPEN[] = "<think>";
static const char CLOSE[] = "</think>";
#define OPEN_LEN (sizeof OPEN - 1)
#define CLOSE_LEN (sizeof CLOSE - 1)

void think_init(think_split *t)
{
    t->state = TS_START;
    t->nheld = 0;
}

static void emit(think_cb cb, void *ud, bool reasoning, const char *p, size_t n)
{
    if (n)
        cb(ud, reasoning, p, n);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* TS_START: held is white space, then the first `tag` bytes of "<think>". Returns how much
 * of p was taken; the state tells what to do with the rest. */
static size_t feed_start(think_split *t, const char *p, size_t n, think_cb cb, void *ud)
{
    size_t tag = 0;
    while (tag < t->nheld && !is_space(t->held[t->nheld - 1 - tag]))
        tag++;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (tag == 0 && is_space(c) && t->nheld < THINK_SPACE_MAX) {
            t->held[t->nheld++] = c;
            continue;
        }
        if (c == OPEN[tag]) {
            t->held[t->nheld++] = c;
            if (++tag == OPEN_LEN) {
                t->nheld = 0;
                t->state = TS_OPENED;
                return i + 1;
            }
            continue;
        }
        /* Not a block: what was held is the answer's beginning, and so is the rest. */
        emit(cb, ud, false, t->held, t->nheld);
        t->nheld = 0;
        t->state = TS_PASS;
        return i;
    }
    return n;
}

/* TS_IN: held is the first bytes of "</think>". */
static size_t feed_in(think_split *t, const char *p, size_t n, think_cb cb, void *ud)
{
    size_t i = 0;
    while (t->nheld && i < n) {
        if (p[i] == CLOSE[t->nheld]) {
            t->held[t->nheld++] = p[i++];
            if (t->nheld == CLOSE_LEN) {
                t->nheld = 0;
                t->state = TS_AFTER;
                return i;
            }
            continue;
        }
        /* Not the end tag after all: reasoning, and p[i] is looked at afresh. */
        emit(cb, ud, true, t->held, t->nheld);
        t->nheld = 0;
    }
    while (i < n) {
        const char *lt = memchr(p + i, '<', n - i);
        if (!lt) {
            emit(cb, ud, true, p + i, n - i);
            return n;
        }
        size_t at = (size_t)(lt - p), k = 0;
        emit(cb, ud, true, p + i, at - i);
        while (at + k < n && k < CLOSE_LEN && p[at + k] == CLOSE[k])
            k++;
        if (k == CLOSE_LEN) {
            t->state = TS_AFTER;
            return at + k;
        }
        if (at + k == n) { /* a tag that may go on in the next delta */
            memcpy(t->held, p + at, k);
            t->nheld = k;
            return n;
        }
        emit(cb, ud, true, p + at, 1);
        i = at + 1;
    }
    return n;
}

void think_feed(think_split *t, const char *p, size_t n, think_cb cb, void *ud)
{
    while (n) {
        size_t used = 0;
        switch (t->state) {
        case TS_START:
            used = feed_start(t, p, n, cb, ud);
            break;
        case TS_IN:
            used = feed_in(t, p, n, cb, ud);
            break;
        case TS_OPENED:
        case TS_AFTER:
            while (used < n && (p[used] == '\n' || p[used] == '\r'))
                used++;
            if (used < n)
                t->state = t->state == TS_OPENED ? TS_IN : TS_PASS;
            break;
        default:
            emit(cb, ud, false, p, n);
            used = n;
            break;
        }
        p += used;
        n -= used;
    }
}

void think_finish(think_split *t, think_cb cb, void *ud)
{
    if (t->state == TS_START || t->state == TS_IN)
        emit(cb, ud, t->state == TS_IN, t->held, t->nheld);
    t->nheld = 0;
    if (t->state == TS_START)
        t->state = TS_PASS;
}

/* The first occurrence of needle in p[0..n), or NULL. */
static const char *find(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return p + i;
    return NULL;
}

bool think_lone_close(const char *text, size_t len, size_t *reason_len, size_t *answer_at)
{
    const char *tag = find(text, len, CLOSE);
    if (!tag || tag == text)
        return false;
    size_t at = (size_t)(tag - text), end = at + CLOSE_LEN;
    if (text[at - 1] != '\n' || find(text, at, OPEN) || find(text, at, "```"))
        return false;
    size_t a = end;
    while (a < len && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
        a++;
    if (a < len && text[a] != '\n')
        return false;
    while (a < len && is_space(text[a]))
        a++;
    size_t r = at;
    while (r && is_space(text[r - 1]))
        r--;
    if (!r)
        return false;
    *reason_len = r;
    *answer_at = a;
    return true;
}
