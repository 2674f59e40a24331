#include "sse.h"

#include <string.h>

/* Lines are split on CR, LF or CRLF. A complete line lying inside one chunk is
 * parsed in place; only the unfinished tail of a chunk is copied into d->line,
 * so the cost is one memchr pass plus the copy of data values. */

static const unsigned char sse_bom[3] = {0xEF, 0xBB, 0xBF};

void sse_init(sse_decoder *d, size_t max_line)
{
    buf_init(&d->line);
    buf_init(&d->data);
    buf_init(&d->event);
    buf_init(&d->id);
    d->max_line = max_line ? max_line : SSE_DEFAULT_MAX_LINE;
    d->has_data = false;
    d->last_cr = false;
    d->bom_checked = false;
    d->fields = false;
    d->failed = false;
}

void sse_done(sse_decoder *d)
{
    buf_free(&d->line);
    buf_free(&d->data);
    buf_free(&d->event);
    buf_free(&d->id);
}

void sse_reset(sse_decoder *d)
{
    buf_reset(&d->line);
    buf_reset(&d->data);
    buf_reset(&d->event);
    buf_reset(&d->id);
    d->has_data = false;
    d->last_cr = false;
    d->bom_checked = false;
    d->fields = false;
    d->failed = false;
}

static sse_status sse_fail(sse_decoder *d)
{
    d->failed = true;
    return SSE_LINE_TOO_LONG;
}

static sse_status sse_dispatch(sse_decoder *d, sse_callback cb, void *ud)
{
    /* The data buffer holds "value\n" per data line: an event whose joined
     * data is empty is skipped, as is one without data lines
     * (docs/protocol.md#server-sent-events). */
    bool send = d->has_data && d->data.len > 1;
    int rc = 0;
    if (send) {
        d->data.len--;
        d->data.data[d->data.len] = '\0';
        sse_event ev = {
            .event = d->event.len ? d->event.data : "message",
            .event_len = d->event.len ? d->event.len : strlen("message"),
            .data = d->data.data,
            .data_len = d->data.len,
            .id = buf_str(&d->id),
        };
        if (cb)
            rc = cb(ud, &ev);
    }
    d->has_data = false;
    buf_reset(&d->data);
    buf_reset(&d->event);
    return rc ? SSE_STOPPED : SSE_OK;
}

static bool sse_field_is(const char *f, size_t n, const char *name)
{
    size_t len = strlen(name);
    return n == len && memcmp(f, name, len) == 0;
}

static sse_status sse_line(sse_decoder *d, const char *s, size_t n, sse_callback cb, void *ud)
{
    if (n == 0)
        return sse_dispatch(d, cb, ud);
    if (s[0] == ':')
        return SSE_OK;
    d->fields = true;

    const char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = (size_t)(s + n - v);
    if (vlen && *v == ' ') {
        v++;
        vlen--;
    }

    if (sse_field_is(s, flen, "data")) {
        /* The joined data may not exceed max_line either: the previous lines'
         * separators are already counted in data.len. */
        if (d->data.len > d->max_line || vlen > d->max_line - d->data.len)
            return sse_fail(d);
        buf_reserve(&d->data, vlen + 1);
        memcpy(d->data.data + d->data.len, v, vlen);
        d->data.len += vlen;
        d->data.data[d->data.len++] = '\n';
        d->data.data[d->data.len] = '\0';
        d->has_data = true;
    } else if (sse_field_is(s, flen, "event")) {
        buf_reset(&d->event);
        buf_append(&d->event, v, vlen);
    } else if (sse_field_is(s, flen, "id")) {
        /* The standard ignores an id containing NUL: it could not be sent
         * back in a Last-Event-ID header. */
        if (!memchr(v, '\0', vlen)) {
            buf_reset(&d->id);
            buf_append(&d->id, v, vlen);
        }
    }
    /* retry: and unknown fields are ignored. */
    return SSE_OK;
}

/* Consumes a leading UTF-8 BOM, which may itself be split across chunks. The
 * bytes of a partial match wait in d->line; on a mismatch they simply stay
 * there as the start of the first line (they are neither CR nor LF). */
static size_t sse_skip_bom(sse_decoder *d, const char *p, size_t n)
{
    size_t used = 0;
    while (used < n && d->line.len < sizeof sse_bom) {
        if ((unsigned char)p[used] != sse_bom[d->line.len]) {
            d->bom_checked = true;
            return used;
        }
        buf_putc(&d->line, p[used]);
        used++;
    }
    if (d->line.len == sizeof sse_bom) {
        buf_reset(&d->line);
        d->bom_checked = true;
    }
    return used;
}

sse_status sse_feed(sse_decoder *d, const char *p, size_t n, sse_callback cb, void *ud)
{
    if (d->failed)
        return SSE_LINE_TOO_LONG;
    if (n == 0)
        return SSE_OK;

    const char *s = p, *end = p + n;
    if (d->last_cr) {
        d->last_cr = false;
        if (*s == '\n')
            s++;
    }
    if (!d->bom_checked) {
        s += sse_skip_bom(d, s, (size_t)(end - s));
        if (!d->bom_checked)
            return SSE_OK;
    }

    /* Cached positions of the next LF and CR at or after s (NULL: none left
     * in this chunk), so that a chunk of CR-terminated lines is not rescanned
     * to its end for every line. */
    const char *lf = NULL, *cr = NULL;
    bool lf_known = false, cr_known = false;

    while (s < end) {
        if (!lf_known || (lf && lf < s)) {
            lf = memchr(s, '\n', (size_t)(end - s));
            lf_known = true;
        }
        if (!cr_known || (cr && cr < s)) {
            cr = memchr(s, '\r', (size_t)(end - s));
            cr_known = true;
        }
        const char *eol = lf && (!cr || lf < cr) ? lf : cr;

        if (!eol) {
            size_t tail = (size_t)(end - s);
            if (tail > d->max_line - d->line.len)
                return sse_fail(d);
            buf_append(&d->line, s, tail);
            if (d->line.len && d->line.data[0] != ':')
                d->fields = true;
            break;
        }

        size_t len = (size_t)(eol - s);
        sse_status st;
        if (d->line.len) {
            if (len > d->max_line - d->line.len)
                return sse_fail(d);
            buf_append(&d->line, s, len);
            st = sse_line(d, d->line.data, d->line.len, cb, ud);
            buf_reset(&d->line);
        } else {
            if (len > d->max_line)
                return sse_fail(d);
            st = sse_line(d, s, len, cb, ud);
        }

        s = eol + 1;
        if (*eol == '\r') {
            if (s == end)
                d->last_cr = true;
            else if (*s == '\n')
                s++;
        }
        if (st != SSE_OK)
            return st;
    }
    return SSE_OK;
}

bool sse_finish(sse_decoder *d)
{
    bool partial = d->failed || d->line.len || d->has_data || d->event.len;
    /* The next feed starts a new stream; the last event id is kept, as a
     * reconnecting client would send it back. */
    buf_reset(&d->line);
    buf_reset(&d->data);
    buf_reset(&d->event);
    d->has_data = false;
    d->last_cr = false;
    d->bom_checked = false;
    d->fields = false;
    d->failed = false;
    return partial;
}
