/* Fuzzes loading a conversation file: arbitrary bytes either load or are
 * refused with "PATH: why" and an untouched session. What loads must render
 * to a file that loads again and renders to the same text (saving is stable,
 * nothing is lost on the second round), and must export to Markdown. */
#include "convo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define FUZZ_PATH "/nowhere/fuzz.json"

static uint64_t no_submit(void *ud, const worker_job *job)
{
    (void)ud;
    (void)job;
    return 0;
}

static void no_cancel(void *ud, uint64_t job)
{
    (void)ud;
    (void)job;
}

static void new_session(session *s)
{
    session_transport tr = {no_submit, no_cancel, NULL};
    session_init(s, &tr, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        /* Times print in one zone, whatever the machine's. */
        setenv("TZ", "UTC", 1);
        once = 1;
    }
    session s;
    new_session(&s);
    session_append(&s, API_ROLE_USER, "before", 6);
    char err[1024] = "";
    convo *c = convo_parse(FUZZ_PATH, (const char *)data, size, &s, err, sizeof err);
    if (!c) {
        if (strncmp(err, FUZZ_PATH ": ", strlen(FUZZ_PATH ": ")) != 0)
            abort();
        if (s.nmsgs != 1 || strcmp(buf_str(&s.msgs[0].text), "before") != 0)
            abort();
        session_done(&s);
        return 0;
    }
    buf first, second, md;
    buf_init(&first);
    buf_init(&second);
    buf_init(&md);
    convo_render(c, &s, &first);

    session again;
    new_session(&again);
    convo *c2 = convo_parse(FUZZ_PATH, first.data, first.len, &again, err, sizeof err);
    if (!c2) {
        fprintf(stderr, "the rendered file does not load: %s\n%s\n", err, buf_str(&first));
        abort();
    }
    convo_render(c2, &again, &second);
    if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0) {
        fprintf(stderr, "not stable:\n%s\n%s\n", buf_str(&first), buf_str(&second));
        abort();
    }
    if (again.nmsgs != s.nmsgs)
        abort();
    convo_markdown(&s, NULL, &md);
    if (!str_starts_with(buf_str(&md), "# "))
        abort();

    buf_free(&first);
    buf_free(&second);
    buf_free(&md);
    convo_free(c2);
    convo_free(c);
    session_done(&again);
    session_done(&s);
    return 0;
}
