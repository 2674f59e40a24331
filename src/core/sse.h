/* Incremental, byte-level Server-Sent Events decoder, as docs/protocol.md#server-sent-events
 * describes. Feed it network chunks of any size; it calls back once per dispatched event. */
#ifndef TCHAT_SSE_H
#define TCHAT_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define SSE_DEFAULT_MAX_LINE ((size_t)8 << 20) /* 8 MiB */

typedef struct sse_event {
    const char *event;  /* "message" when no event: field was given */
    size_t event_len;
    const char *data;   /* data: lines joined with '\n', NUL-terminated */
    size_t data_len;
    const char *id;     /* last id: field seen, "" if none */
} sse_event;

/* Return non-zero to stop decoding; sse_feed then returns SSE_STOPPED. */
typedef int (*sse_callback)(void *ud, const sse_event *ev);

typedef enum { SSE_OK = 0, SSE_STOPPED = 1, SSE_LINE_TOO_LONG = -1 } sse_status;

typedef struct sse_decoder {
    buf line;        /* the current, incomplete line */
    buf data;        /* data of the event being built */
    buf event;       /* event type of the event being built */
    buf id;
    bool has_data;   /* at least one data: line (even empty) in this event */
    bool last_cr;    /* the previous chunk ended with CR: a leading LF is part of that break */
    bool bom_checked;
    bool fields;     /* a line that is neither a comment nor blank has begun (even partly):
                        the stream holds more than keep-alives (until sse_finish) */
    size_t max_line;
    bool failed;
} sse_decoder;

void sse_init(sse_decoder *d, size_t max_line); /* 0: SSE_DEFAULT_MAX_LINE */
void sse_done(sse_decoder *d);
void sse_reset(sse_decoder *d);
sse_status sse_feed(sse_decoder *d, const char *p, size_t n, sse_callback cb, void *ud);
/* End of input. An event not terminated by a blank line is discarded, as the
 * SSE standard says. Returns true if the decoder held a partial line or event
 * (the stream was cut in the middle of something). */
bool sse_finish(sse_decoder *d);

#endif
