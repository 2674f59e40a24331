/* Conversations on disk: the file format (round trip of every message kind,
 * unknown members kept, the version field, every kind of damaged file),
 * pending prompts, atomic saving by the saver thread (coalescing, flush,
 * failures that leave the old file), listing, finding, titles and the
 * Markdown export. Times are checked with TZ=UTC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "convo.h"
#include "fold.h"
#include "guide.h"
#include "session.h"

#define NONE GUIDE__COUNT
#define T0 INT64_C(1764379153250) /* 2025-11-29T01:19:13.250Z */

/* ---------------------------------------------------------------- helpers */

static int64_t clock_now = T0;

static int64_t fake_wall(void)
{
    return clock_now;
}

typedef struct fake_net {
    int submits;
    char *last_body;
} fake_net;

static uint64_t fake_submit(void *ud, const worker_job *job)
{
    fake_net *n = ud;
    free(n->last_body);
    n->last_body = xstrdup(job->body);
    return (uint64_t)++n->submits;
}

static void fake_cancel(void *ud, uint64_t job)
{
    (void)ud;
    (void)job;
}

static fake_net net;

static void new_session(session *s)
{
    session_transport tr = {fake_submit, fake_cancel, &net};
    session_init(s, &tr, NULL);
    s->wall_clock = fake_wall;
    s->p.base_url = xstrdup("http://127.0.0.1:1/v1");
    s->p.model = xstrdup("gpt-4o-mini");
}

static char *make_tmpdir(void)
{
    char *d = xstrdup("/tmp/test_convo-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char *p = xasprintf("%s/%s", path, de->d_name);
            rm_rf(p);
            free(p);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b);
}

/* The names in dir, sorted, joined by spaces. */
static char *dir_names(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[64];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    buf b;
    buf_init(&b);
    buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, "%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
    return buf_steal(&b);
}

typedef struct msg_spec {
    api_role role;
    const char *text;
    unsigned flags;
    int error;
    const char *finish;
    int64_t wall_ms;
    const char *reasoning; /* NULL: none */
    int64_t think_ms;      /* with reasoning: -1 unknown */
} msg_spec;

static chat_msg *add(session *s, const msg_spec *m)
{
    chat_msg *c = session_append_msg(s, m->role, m->text, strlen(m->text));
    assert_non_null(c);
    c->flags = m->flags;
    c->error = (guide_entry)m->error;
    c->finish_reason = xstrdup(m->finish);
    c->wall_ms = m->wall_ms;
    if (m->reasoning) {
        buf_puts(&c->reasoning, m->reasoning);
        c->think_ms = m->think_ms;
    }
    return c;
}

static void check_msg(const chat_msg *got, const msg_spec *want, const char *name)
{
    if (got->role != want->role || strcmp(buf_str(&got->text), want->text) != 0 ||
        got->flags != want->flags || (int)got->error != want->error ||
        (got->finish_reason == NULL) != (want->finish == NULL) ||
        (want->finish && strcmp(got->finish_reason, want->finish) != 0) ||
        got->wall_ms != want->wall_ms ||
        strcmp(buf_str(&got->reasoning), want->reasoning ? want->reasoning : "") != 0 ||
        got->think_ms != (want->reasoning ? want->think_ms : -1)) {
        print_error("%s: got role %d text \"%s\" flags %u error %d finish %s time %lld\n", name,
                    (int)got->role, buf_str(&got->text), got->flags, (int)got->error,
                    got->finish_reason ? got->finish_reason : "(none)", (long long)got->wall_ms);
        fail();
    }
}

/* ---------------------------------------------------------------- round trip */

typedef struct rt_case {
    const char *name;
    msg_spec m;
} rt_case;

static const rt_case rt_cases[] = {
    {"prompt", {API_ROLE_USER, "Explain backoff in one line.", 0, NONE, NULL, T0, NULL, 0}},
    {"reply", {API_ROLE_ASSISTANT, "Wait longer after each failure.", 0, NONE, "stop", T0 + 1500, NULL, 0}},
    {"reply cut by the token limit", {API_ROLE_ASSISTANT, "A long ans", 0, NONE, "length", T0 + 2, NULL, 0}},
    {"content filter, no text", {API_ROLE_ASSISTANT, "", 0, NONE, "content_filter", T0 + 3, NULL, 0}},
    {"failed prompt", {API_ROLE_USER, "Are you there?", MSG_FAILED, GUIDE_RATE_LIMIT, NULL, T0 + 4, NULL, 0}},
    {"failed prompt, no entry", {API_ROLE_USER, "Hello?", MSG_FAILED, NONE, NULL, T0 + 5, NULL, 0}},
    {"interrupted reply",
     {API_ROLE_ASSISTANT, "Part of an ans", MSG_INTERRUPTED, GUIDE_STREAM_INTERRUPTED, NULL, T0 + 6, NULL, 0}},
    {"cancelled before any text", {API_ROLE_ASSISTANT, "", MSG_INTERRUPTED, GUIDE_CANCELLED, NULL, T0 + 7, NULL, 0}},
    {"refusal", {API_ROLE_ASSISTANT, "I can't help with that.", MSG_REFUSAL, NONE, "stop", T0 + 8, NULL, 0}},
    {"refusal cut short",
     {API_ROLE_ASSISTANT, "I can't", MSG_REFUSAL | MSG_INTERRUPTED, GUIDE_CONNECTION, NULL, T0 + 9, NULL, 0}},
    {"system", {API_ROLE_SYSTEM, "You are terse.", 0, NONE, NULL, T0 + 10, NULL, 0}},
    {"CJK and emoji", {API_ROLE_USER, "为什么返回 429？速率限制 👍🏽 👨‍👩‍👧", 0, NONE, NULL, T0 + 11, NULL, 0}},
    {"newlines, quotes, backslashes, tabs, code",
     {API_ROLE_ASSISTANT,
      "line 1\nline \"2\"\n\tC:\\path\\file\n\n```c\nprintf(\"%d\\n\", x);\n```\n", 0, NONE, "stop",
      T0 + 12, NULL, 0}},
    {"no time", {API_ROLE_USER, "timeless", 0, NONE, NULL, 0, NULL, 0}},
    {"an old time", {API_ROLE_USER, "1999", 0, NONE, NULL, INT64_C(915148800000), NULL, 0}},
    {"a reply with its reasoning",
     {API_ROLE_ASSISTANT, "Four.", 0, NONE, "stop", T0 + 13, "Two and \"two\".\n\tSo: 4", 12034}},
    {"reasoning of an unknown length", {API_ROLE_ASSISTANT, "x", 0, NONE, NULL, T0 + 14, "hm", -1}},
    {"cut while thinking",
     {API_ROLE_ASSISTANT, "", MSG_INTERRUPTED, GUIDE_STREAM_INTERRUPTED, NULL, T0 + 15, "Let me",
      1500}},
};
#define N_RT (sizeof rt_cases / sizeof rt_cases[0])

static void round_trip(const msg_spec *const *msgs, size_t n, const char *name)
{
    char *dir = make_tmpdir();
    session s;
    new_session(&s);
    for (size_t i = 0; i < n; i++)
        add(&s, msgs[i]);
    convo *c = convo_new(dir, "openai", "gpt-4o-mini");
    assert_int_equal(convo_save(c, &s), 1);
    assert_int_equal(convo_flush(c), 0);
    char *path = xstrdup(convo_path(c));
    convo_free(c);
    char *file = read_text(path);
    assert_non_null(file);

    session l;
    new_session(&l);
    char err[512] = "";
    convo *o = convo_open(path, &l, NULL, err, sizeof err);
    if (!o) {
        print_error("%s: %s\n", name, err);
        fail();
    }
    assert_int_equal(l.nmsgs, n);
    for (size_t i = 0; i < n; i++)
        check_msg(&l.msgs[i], msgs[i], name);
    /* Nothing changed: the same text, and a save writes nothing. */
    buf again;
    buf_init(&again);
    convo_render(o, &l, &again);
    assert_string_equal(buf_str(&again), file);
    assert_int_equal(convo_save(o, &l), 0);
    assert_int_equal(convo_flush(o), 0);
    assert_int_equal(convo_writes(o), 0);
    buf_free(&again);
    convo_free(o);
    session_done(&l);
    session_done(&s);
    free(file);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_round_trip(void **state)
{
    (void)state;
    const msg_spec *all[N_RT];
    for (size_t i = 0; i < N_RT; i++) {
        const msg_spec *one[1] = {&rt_cases[i].m};
        round_trip(one, 1, rt_cases[i].name);
        all[i] = &rt_cases[i].m;
    }
    round_trip(all, N_RT, "all kinds in one conversation");
}

/* The exact text of a saved file: the format is a contract. */
static void test_file_text(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    session s;
    new_session(&s);
    add(&s, &(msg_spec){API_ROLE_USER, "Hi \"there\"\nsecond line", 0, NONE, NULL, T0, NULL, 0});
    add(&s, &(msg_spec){API_ROLE_ASSISTANT, "Hel", MSG_INTERRUPTED | MSG_REFUSAL, GUIDE_RATE_LIMIT,
                        "length", T0 + 1000, NULL, 0});
    convo *c = convo_new(dir, "openai", "gpt-4o-mini");
    buf out;
    buf_init(&out);
    convo_render(c, &s, &out);
    char *want = xasprintf("{\"version\":1,\"id\":\"%s\",\"created\":\"", convo_id(c));
    assert_true(str_starts_with(buf_str(&out), want));
    const char *rest = strstr(buf_str(&out), "\",\"title\"");
    assert_non_null(rest);
    assert_string_equal(
        rest,
        "\",\"title\":\"Hi \\\"there\\\"\",\"profile\":\"openai\",\"model\":\"gpt-4o-mini\",\"messages\":[\n"
        "{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\\nsecond line\",\"time\":\"2025-11-29T01:19:13.250+00:00\","
        "\"status\":\"ok\"},\n"
        "{\"role\":\"assistant\",\"content\":\"Hel\",\"time\":\"2025-11-29T01:19:14.250+00:00\","
        "\"status\":\"interrupted\",\"error\":\"rate-limit\",\"finish_reason\":\"length\",\"refusal\":true}\n"
        "]}\n");
    /* The id: local time and four hex digits. */
    const char *id = convo_id(c);
    assert_int_equal(strlen(id), 20);
    for (size_t i = 0; i < 20; i++) {
        if (i == 8 || i == 15)
            assert_int_equal(id[i], '-');
        else if (i < 15)
            assert_true(id[i] >= '0' && id[i] <= '9');
        else
            assert_non_null(strchr("0123456789abcdef", id[i]));
    }
    free(want);
    buf_free(&out);
    convo_free(c);
    session_done(&s);
    rm_rf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- unknown members */

#define UNK_HEAD                                                                                  \
    "{\"version\":1,\"id\":\"c1\",\"created\":\"2025-11-29T01:19:13.250+00:00\","                 \
    "\"updated\":\"2025-11-29T01:20:00.000+00:00\",\"title\":\"T\",\"profile\":\"openai\","       \
    "\"model\":\"gpt-4o-mini\",\"tags\":[\"work\",{\"k\":1}],\"pinned\":true,\"messages\":[\n"
#define UNK_USER                                                                                  \
    "{\"role\":\"user\",\"content\":\"hi\",\"time\":\"2025-11-29T01:19:13.250+00:00\","           \
    "\"status\":\"ok\",\"tokens\":12,\"meta\":{\"a\":[1,2.5,null]}}"

typedef enum { UNK_AS_LOADED, UNK_SET_ERROR, UNK_REGENERATE, UNK_APPEND } unk_op;

typedef struct unk_case {
    const char *name;
    const char *input;
    unk_op op;
    const char *want;
} unk_case;

static const unk_case unk_cases[] = {
    {"kept as loaded, in the order written",
     "{\"version\": 1, \"id\": \"c1\", \"created\": \"2025-11-29T01:19:13.250Z\", \"updated\": "
     "\"2025-11-29T02:20:00+01:00\", \"title\": \"T\", \"profile\": \"openai\", \"model\": "
     "\"gpt-4o-mini\", \"tags\": [\"work\", {\"k\": 1}], \"pinned\": true, \"messages\": [\n"
     " {\"tokens\": 12, \"role\": \"user\", \"content\": \"hi\", \"time\": "
     "\"2025-11-29T01:19:13.250+00:00\", \"meta\": {\"a\": [1, 2.5, null]}},\n"
     " {\"role\": \"assistant\", \"content\": \"hello\", \"time\": \"2025-11-29T01:19:14.000+00:00\", "
     "\"status\": \"interrupted\", \"error\": \"entry-from-the-future\", \"finish_reason\": null}]}",
     UNK_AS_LOADED,
     UNK_HEAD
     "{\"role\":\"user\",\"content\":\"hi\",\"time\":\"2025-11-29T01:19:13.250+00:00\","
     "\"status\":\"ok\",\"tokens\":12,\"meta\":{\"a\":[1,2.5,null]}},\n"
     "{\"role\":\"assistant\",\"content\":\"hello\",\"time\":\"2025-11-29T01:19:14.000+00:00\","
     "\"status\":\"interrupted\",\"error\":\"entry-from-the-future\"}\n"
     "]}\n"},
    {"an error this tchat knows replaces an unknown one",
     UNK_HEAD UNK_USER ",\n"
     "{\"role\":\"assistant\",\"content\":\"hello\",\"status\":\"interrupted\","
     "\"error\":\"entry-from-the-future\",\"x\":\"y\"}\n]}\n",
     UNK_SET_ERROR,
     UNK_HEAD UNK_USER ",\n"
     "{\"role\":\"assistant\",\"content\":\"hello\",\"status\":\"interrupted\","
     "\"error\":\"rate-limit\",\"x\":\"y\"}\n]}\n"},
    {"a regenerated reply is a new message, the prompt keeps its members",
     UNK_HEAD UNK_USER ",\n"
     "{\"role\":\"assistant\",\"content\":\"hello\",\"status\":\"ok\",\"x\":\"y\"}\n]}\n",
     UNK_REGENERATE,
     UNK_HEAD UNK_USER ",\n"
     "{\"role\":\"assistant\",\"content\":\"again\",\"time\":\"2025-11-29T01:19:13.250+00:00\","
     "\"status\":\"ok\"}\n]}\n"},
    {"kept when messages are added",
     UNK_HEAD UNK_USER "\n]}\n",
     UNK_APPEND,
     UNK_HEAD UNK_USER ",\n"
     "{\"role\":\"assistant\",\"content\":\"added\",\"time\":\"2025-11-29T01:19:13.250+00:00\","
     "\"status\":\"ok\",\"finish_reason\":\"stop\"}\n]}\n"},
};

static void test_unknown_members(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof unk_cases / sizeof unk_cases[0]; i++) {
        const unk_case *tc = &unk_cases[i];
        session s;
        new_session(&s);
        char err[512] = "";
        convo *c = convo_parse("/nowhere/c1.json", tc->input, strlen(tc->input), &s, err, sizeof err);
        if (!c) {
            print_error("%s: %s\n", tc->name, err);
            fail();
        }
        switch (tc->op) {
        case UNK_AS_LOADED:
            break;
        case UNK_SET_ERROR:
            s.msgs[1].error = GUIDE_RATE_LIMIT;
            break;
        case UNK_REGENERATE:
            /* As F5 does: the reply goes, a new one comes. */
            s.nmsgs--;
            buf_free(&s.msgs[1].text);
            free(s.msgs[1].finish_reason);
            add(&s, &(msg_spec){API_ROLE_ASSISTANT, "again", 0, NONE, NULL, T0, NULL, 0});
            break;
        case UNK_APPEND:
            add(&s, &(msg_spec){API_ROLE_ASSISTANT, "added", 0, NONE, "stop", T0, NULL, 0});
            break;
        }
        buf out;
        buf_init(&out);
        convo_render(c, &s, &out);
        if (strcmp(buf_str(&out), tc->want) != 0) {
            print_error("%s:\n got: %s\nwant: %s\n", tc->name, buf_str(&out), tc->want);
            fail();
        }
        buf_free(&out);
        convo_free(c);
        session_done(&s);
    }
}

/* ---------------------------------------------------------------- damaged files */

#define GOOD_MSG "{\"role\":\"user\",\"content\":\"hi\"}"

typedef struct bad_case {
    const char *name;
    const char *input;
    const char *want;  /* err after "PATH: " */
} bad_case;

static const bad_case bad_cases[] = {
    {"empty", "", "empty file, not a conversation"},
    {"blank", " \n\t\n", "empty file, not a conversation"},
    {"not JSON", "hello world", "1:1: not valid JSON"},
    {"not JSON on line 2", "{\"version\":1,\n \"messages\": [nope]}", "2:15: not valid JSON"},
    {"truncated", "{\"version\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hel",
     "the JSON ends early (a truncated file?)"},
    {"truncated after a message", "{\"version\":1,\"messages\":[" GOOD_MSG ",\n",
     "the JSON ends early (a truncated file?)"},
    {"text after the JSON", "{\"version\":1,\"messages\":[]}\n{}", "2:1: unexpected text after the JSON"},
    {"top level is an array", "[1,2]", "not a conversation (the top level is not a JSON object)"},
    {"no version", "{\"messages\":[]}", "no \"version\": not a tchat conversation"},
    {"version is a string", "{\"version\":\"1\",\"messages\":[]}", "\"version\" is not a whole number from 1"},
    {"version 0", "{\"version\":0,\"messages\":[]}", "\"version\" is not a whole number from 1"},
    {"version 1.5", "{\"version\":1.5,\"messages\":[]}", "\"version\" is not a whole number from 1"},
    {"version 2", "{\"version\":2,\"messages\":[" GOOD_MSG "],\"future\":true}",
     "written by a newer tchat (format version 2; this one reads version 1): not opened, and left "
     "as it is"},
    {"version twice", "{\"version\":1,\"version\":1,\"messages\":[]}", "\"version\" appears twice"},
    {"title is a number", "{\"version\":1,\"title\":5,\"messages\":[]}", "\"title\" is not a string"},
    {"model is an object", "{\"version\":1,\"model\":{},\"messages\":[]}", "\"model\" is not a string"},
    {"created is not a time", "{\"version\":1,\"created\":\"yesterday\",\"messages\":[]}",
     "\"created\" is not an ISO-8601 time"},
    {"updated is a number", "{\"version\":1,\"updated\":1764379153,\"messages\":[]}",
     "\"updated\" is not an ISO-8601 time"},
    {"no messages", "{\"version\":1,\"title\":\"x\"}", "no \"messages\""},
    {"messages is an object", "{\"version\":1,\"messages\":{}}", "\"messages\" is not an array"},
    {"message is a string", "{\"version\":1,\"messages\":[" GOOD_MSG ",\"hi\"]}",
     "messages[1] is not an object"},
    {"no role", "{\"version\":1,\"messages\":[{\"content\":\"hi\"}]}", "messages[0]: no \"role\""},
    {"role is a number", "{\"version\":1,\"messages\":[{\"role\":1,\"content\":\"hi\"}]}",
     "messages[0]: \"role\" is not a string"},
    {"unknown role", "{\"version\":1,\"messages\":[" GOOD_MSG ",{\"role\":\"robot\",\"content\":\"hi\"}]}",
     "messages[1]: unknown role \"robot\" (user, assistant or system)"},
    {"unknown role with an escape", "{\"version\":1,\"messages\":[{\"role\":\"\\u001b[2Jx\",\"content\":\"\"}]}",
     "messages[0]: unknown role \"x\" (user, assistant or system)"},
    {"no content", "{\"version\":1,\"messages\":[{\"role\":\"user\"}]}", "messages[0]: no \"content\""},
    {"content is null", "{\"version\":1,\"messages\":[{\"role\":\"user\",\"content\":null}]}",
     "messages[0]: \"content\" is not a string"},
    {"content twice", "{\"version\":1,\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"content\":\"b\"}]}",
     "messages[0]: \"content\" appears twice"},
    {"bad time", "{\"version\":1,\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"time\":\"2025-02-30T00:00:00Z\"}]}",
     "messages[0]: \"time\" is not an ISO-8601 time"},
    {"unknown status", "{\"version\":1,\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"status\":\"done\"}]}",
     "messages[0]: \"status\" is not one of ok, failed, interrupted, pending"},
    {"error is a number", "{\"version\":1,\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"error\":429}]}",
     "messages[0]: \"error\" is not a string"},
    {"finish_reason is a bool",
     "{\"version\":1,\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"finish_reason\":true}]}",
     "messages[0]: \"finish_reason\" is not a string"},
    {"refusal is a string",
     "{\"version\":1,\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"refusal\":\"yes\"}]}",
     "messages[0]: \"refusal\" is not true or false"},
    {"reasoning is a number",
     "{\"version\":1,\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"reasoning\":1}]}",
     "messages[0]: \"reasoning\" is not a string"},
    {"reasoning_ms is a string",
     "{\"version\":1,\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"reasoning\":\"r\","
     "\"reasoning_ms\":\"12\"}]}",
     "messages[0]: \"reasoning_ms\" is not a number of milliseconds"},
    {"reasoning_ms below zero",
     "{\"version\":1,\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"reasoning_ms\":-1}]}",
     "messages[0]: \"reasoning_ms\" is not a number of milliseconds"},
};
#define N_BAD (sizeof bad_cases / sizeof bad_cases[0])

static void test_damaged_files(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    for (size_t i = 0; i < N_BAD; i++) {
        const bad_case *tc = &bad_cases[i];
        char *path = xasprintf("%s/bad-%02zu.json", dir, i);
        write_text(path, tc->input);
        session s;
        new_session(&s);
        session_append(&s, API_ROLE_USER, "keep me", 7);
        char err[512] = "";
        convo *c = convo_open(path, &s, NULL, err, sizeof err);
        char *want = xasprintf("%s: %s", path, tc->want);
        if (c || strcmp(err, want) != 0) {
            print_error("%s:\n got: %s\nwant: %s\n", tc->name, c ? "(opened)" : err, want);
            fail();
        }
        /* Nothing touched: the session, and the file. */
        assert_int_equal(s.nmsgs, 1);
        assert_string_equal(buf_str(&s.msgs[0].text), "keep me");
        char *after = read_text(path);
        assert_string_equal(after, tc->input);
        assert_int_equal(convo_load(path, &s, err, sizeof err), -1);
        assert_string_equal(err, want);
        free(after);
        free(want);
        free(path);
        session_done(&s);
    }
    /* A listing skips each one and reports it by name; the good one is listed. */
    char *good = xasprintf("%s/20250101-000000-0000.json", dir);
    write_text(good, "{\"version\":1,\"messages\":[" GOOD_MSG "]}");
    char *other = xasprintf("%s/notes.txt", dir);
    write_text(other, "not listed: not *.json");
    free(other);
    convo_info *v;
    size_t n, np;
    char **problems;
    char err[512];
    assert_int_equal(convo_list(dir, &v, &n, &problems, &np, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].id, "20250101-000000-0000");
    assert_string_equal(v[0].path, good);
    assert_string_equal(v[0].title, "hi");
    assert_int_equal(v[0].nmsgs, 1);
    assert_int_equal(np, N_BAD);
    for (size_t i = 0; i < N_BAD; i++) {
        char *want = xasprintf("%s/bad-%02zu.json: %s", dir, i, bad_cases[i].want);
        bool found = false;
        for (size_t j = 0; j < np; j++)
            found |= strcmp(problems[j], want) == 0;
        if (!found) {
            print_error("not reported: %s\n", want);
            fail();
        }
        free(want);
    }
    convo_list_free(v, n);
    convo_problems_free(problems, np);
    free(good);
    rm_rf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- pending */

typedef struct pending_case {
    const char *name;
    const char *messages;
    size_t n;
    unsigned want_flags[3];
} pending_case;

static const pending_case pending_cases[] = {
    {"a prompt sent, no answer", "{\"role\":\"user\",\"content\":\"q\",\"status\":\"pending\"}", 1,
     {MSG_FAILED}},
    {"a prompt and the reply being written",
     "{\"role\":\"user\",\"content\":\"q\",\"status\":\"pending\"},"
     "{\"role\":\"assistant\",\"content\":\"half\",\"status\":\"pending\"}",
     2, {0, MSG_INTERRUPTED}},
    {"an earlier answered prompt, then a pending one",
     "{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
     "{\"role\":\"user\",\"content\":\"q\",\"status\":\"pending\"}",
     3, {0, 0, MSG_FAILED}},
    {"a pending refusal", "{\"role\":\"assistant\",\"content\":\"no\",\"status\":\"pending\",\"refusal\":true}",
     1, {MSG_REFUSAL | MSG_INTERRUPTED}},
    {"pending system message", "{\"role\":\"system\",\"content\":\"s\",\"status\":\"pending\"}", 1, {0}},
};

static void test_pending(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pending_cases / sizeof pending_cases[0]; i++) {
        const pending_case *tc = &pending_cases[i];
        char *text = xasprintf("{\"version\":1,\"messages\":[%s]}", tc->messages);
        session s;
        new_session(&s);
        char err[512] = "";
        convo *c = convo_parse("p.json", text, strlen(text), &s, err, sizeof err);
        if (!c) {
            print_error("%s: %s\n", tc->name, err);
            fail();
        }
        assert_int_equal(s.nmsgs, tc->n);
        for (size_t k = 0; k < tc->n; k++) {
            if (s.msgs[k].flags != tc->want_flags[k]) {
                print_error("%s: message %zu has flags %u, want %u\n", tc->name, k, s.msgs[k].flags,
                            tc->want_flags[k]);
                fail();
            }
        }
        convo_free(c);
        session_done(&s);
        free(text);
    }
    /* F5 resends a prompt that was pending when tchat stopped. */
    const char *text = "{\"version\":1,\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                       "{\"role\":\"assistant\",\"content\":\"b\"},"
                       "{\"role\":\"user\",\"content\":\"resend me\",\"status\":\"pending\"}]}";
    session s;
    new_session(&s);
    char err[512];
    convo *c = convo_parse("p.json", text, strlen(text), &s, err, sizeof err);
    assert_non_null(c);
    net.submits = 0;
    assert_int_equal(session_retry_now(&s, 0), 0);
    assert_int_equal(net.submits, 1);
    assert_int_equal(s.prompt_index, 2);
    assert_int_equal(s.msgs[2].flags, MSG_PENDING);
    assert_non_null(strstr(net.last_body, "resend me"));
    assert_non_null(strstr(net.last_body, "\"content\":\"b\""));
    /* And is saved as pending while it is being sent. */
    buf out;
    buf_init(&out);
    convo_render(c, &s, &out);
    assert_non_null(strstr(buf_str(&out), "\"content\":\"resend me\",\"status\":\"pending\"}"));
    buf_free(&out);
    session_cancel(&s, 0);
    convo_free(c);
    session_done(&s);
}

/* ---------------------------------------------------------------- saving */

static void test_save_basics(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *sub = xasprintf("%s/made/on/demand", dir);
    session s;
    new_session(&s);
    convo *c = convo_new(sub, "openai", "gpt-4o-mini");
    char *file = xasprintf("%s/%s.json", sub, convo_id(c));
    assert_string_equal(convo_path(c), file);

    /* An empty conversation is never written. */
    assert_int_equal(convo_save(c, &s), 0);
    assert_int_equal(convo_flush(c), 0);
    assert_int_equal(convo_writes(c), 0);
    assert_int_equal(access(sub, F_OK), -1);

    /* The prompt, as soon as it is sent; the directory is made (0700), the file is 0600. */
    assert_int_equal(session_submit(&s, "first question\nwith detail", 0), 0);
    assert_int_equal(convo_save(c, &s), 1);
    assert_int_equal(convo_flush(c), 0);
    assert_int_equal(convo_writes(c), 1);
    assert_string_equal(convo_title(c), "first question");
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char *text = read_text(file);
    assert_non_null(strstr(text, "\"content\":\"first question\\nwith detail\","
                                 "\"time\":\"2025-11-29T01:19:13.250+00:00\",\"status\":\"pending\"}"));
    free(text);

    /* Nothing changed: nothing written. */
    assert_int_equal(convo_save(c, &s), 0);
    assert_int_equal(convo_flush(c), 0);
    assert_int_equal(convo_writes(c), 1);

    /* The reply as it completes. */
    session_cancel(&s, 0);
    assert_int_equal(convo_save(c, &s), 1);
    assert_int_equal(convo_flush(c), 0);
    assert_int_equal(convo_writes(c), 2);
    text = read_text(file);
    assert_non_null(strstr(text, "\"status\":\"failed\",\"error\":\"cancelled\"}"));
    free(text);

    /* /model changes the header. */
    convo_set_model(c, "local", "llama");
    assert_int_equal(convo_save(c, &s), 1);
    assert_int_equal(convo_flush(c), 0);
    assert_int_equal(convo_writes(c), 3);
    text = read_text(file);
    assert_non_null(strstr(text, "\"profile\":\"local\",\"model\":\"llama\""));
    buf out;
    buf_init(&out);
    convo_render(c, &s, &out);
    assert_string_equal(buf_str(&out), text);
    buf_free(&out);
    free(text);

    /* No temp file is left beside it. */
    char *names = dir_names(sub);
    char *want = xasprintf("%s.json", convo_id(c));
    assert_string_equal(names, want);
    free(names);
    free(want);

    convo_free(c);
    session_done(&s);
    free(file);
    free(sub);
    rm_rf(dir);
    free(dir);
}

typedef enum { BREAK_DIRECTORY, BREAK_FILE_SIZE } break_kind;

typedef struct fail_case {
    const char *name;
    break_kind kind;
    const char *want_prefix; /* after "cannot save PATH: " */
    const char *want_suffix;
} fail_case;

static const fail_case fail_cases[] = {
    {"the target path is a directory", BREAK_DIRECTORY, "cannot replace it: Is a directory", ""},
    {"the disk refuses the bytes (file size limit)", BREAK_FILE_SIZE, "cannot write ",
     ": File too large"},
};

static void test_save_failures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fail_cases / sizeof fail_cases[0]; i++) {
        const fail_case *tc = &fail_cases[i];
        char *dir = make_tmpdir();
        session s;
        new_session(&s);
        convo *c = convo_new(dir, NULL, "m");
        session_append(&s, API_ROLE_USER, "small", 5);
        char *old = NULL;
        struct rlimit saved;
        if (tc->kind == BREAK_DIRECTORY) {
            assert_int_equal(mkdir(convo_path(c), 0700), 0);
            char *inside = xasprintf("%s/x", convo_path(c));
            write_text(inside, "x"); /* not empty: rename cannot replace it */
            free(inside);
        } else {
            assert_int_equal(convo_save(c, &s), 1);
            assert_int_equal(convo_flush(c), 0);
            old = read_text(convo_path(c));
            char big[20000];
            memset(big, 'x', sizeof big - 1);
            big[sizeof big - 1] = '\0';
            session_append(&s, API_ROLE_ASSISTANT, big, strlen(big));
            assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
            struct rlimit small = saved;
            small.rlim_cur = 4096;
            assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
        }
        assert_int_equal(convo_save(c, &s), 1);
        int rc = convo_flush(c);
        if (tc->kind == BREAK_FILE_SIZE)
            assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
        assert_int_equal(rc, -1);
        char err[1024] = "";
        assert_true(convo_last_error(c, err, sizeof err));
        char *prefix = xasprintf("cannot save %s: %s", convo_path(c), tc->want_prefix);
        if (!str_starts_with(err, prefix) || strlen(err) < strlen(tc->want_suffix) ||
            strcmp(err + strlen(err) - strlen(tc->want_suffix), tc->want_suffix) != 0) {
            print_error("%s: got \"%s\", want \"%s...%s\"\n", tc->name, err, prefix, tc->want_suffix);
            fail();
        }
        /* The old file is intact and no temp file is left (the lock file is there while the
         * conversation is open). */
        char *names = dir_names(dir);
        char *want_names = xasprintf(".%s.lock %s.json", convo_id(c), convo_id(c));
        assert_string_equal(names, want_names);
        if (old) {
            char *now = read_text(convo_path(c));
            assert_string_equal(now, old);
            free(now);
            /* Once the disk takes it again, the next save writes, changed or not. */
            assert_int_equal(convo_save(c, &s), 1);
            assert_int_equal(convo_flush(c), 0);
            assert_false(convo_last_error(c, err, sizeof err));
            now = read_text(convo_path(c));
            buf out;
            buf_init(&out);
            convo_render(c, &s, &out);
            assert_string_equal(now, buf_str(&out));
            buf_free(&out);
            free(now);
        }
        free(names);
        free(want_names);
        free(prefix);
        free(old);
        convo_free(c);
        session_done(&s);
        rm_rf(dir);
        free(dir);
    }
}

/* Snapshots handed over while the saver is busy are coalesced: only the
 * newest is written. convo_flush waits for it. */
static void test_saver_coalesces(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    session s;
    new_session(&s);
    convo *c = convo_new(dir, "p", "m");
    convo_hold(c, true);
    for (int i = 0; i < 10; i++) {
        char t[32];
        snprintf(t, sizeof t, "message %d", i);
        session_append(&s, i % 2 ? API_ROLE_ASSISTANT : API_ROLE_USER, t, strlen(t));
        assert_int_equal(convo_save(c, &s), 1);
    }
    assert_int_equal(convo_writes(c), 0);
    assert_int_equal(access(convo_path(c), F_OK), -1);
    convo_hold(c, false);
    assert_int_equal(convo_flush(c), 0);
    assert_int_equal(convo_writes(c), 1);
    char *text = read_text(convo_path(c));
    buf out;
    buf_init(&out);
    convo_render(c, &s, &out);
    assert_string_equal(text, buf_str(&out));
    assert_non_null(strstr(text, "message 9"));
    free(text);

    /* Many saves while the saver writes (a race for TSan to look at): the
     * file ends as the last snapshot. */
    for (int i = 0; i < 200; i++) {
        char t[32];
        snprintf(t, sizeof t, "burst %d", i);
        session_append(&s, API_ROLE_USER, t, strlen(t));
        assert_int_equal(convo_save(c, &s), 1);
    }
    assert_int_equal(convo_flush(c), 0);
    assert_true(convo_writes(c) >= 2 && convo_writes(c) <= 201);
    text = read_text(convo_path(c));
    buf_reset(&out);
    convo_render(c, &s, &out);
    assert_string_equal(text, buf_str(&out));
    free(text);

    /* convo_free writes what is pending, even while held. */
    session_append(&s, API_ROLE_USER, "the last word", 13);
    convo_hold(c, true);
    assert_int_equal(convo_save(c, &s), 1);
    char *path = xstrdup(convo_path(c));
    convo_free(c);
    text = read_text(path);
    assert_non_null(strstr(text, "the last word"));
    free(text);
    free(path);
    buf_free(&out);
    session_done(&s);
    rm_rf(dir);
    free(dir);
}

/* kill -9 at any moment leaves a file that loads and holds every message that
 * was on disk before: a child saves as fast as it can and says, after each
 * flush, how many messages the file holds; the parent kills it at a varying
 * moment and loads what is left. */
static void test_kill9(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = NULL;
    size_t flushed = 0;
    for (int round = 0; round < 6; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            session s;
            new_session(&s);
            char err[512];
            convo *c = path ? convo_open(path, &s, NULL, err, sizeof err) : convo_new(dir, "p", "m");
            if (!c)
                _exit(3);
            if (!path) {
                /* The parent learns the path from the first report. */
                size_t n = strlen(convo_path(c));
                if (write(fds[1], &n, sizeof n) != (ssize_t)sizeof n ||
                    write(fds[1], convo_path(c), n) != (ssize_t)n)
                    _exit(4);
            }
            char text[2048];
            memset(text, 'k', sizeof text - 1);
            text[sizeof text - 1] = '\0';
            for (unsigned i = 0;; i++) {
                session_append(&s, i % 2 ? API_ROLE_ASSISTANT : API_ROLE_USER, text, strlen(text));
                convo_save(c, &s);
                if (i % 8 == 7) {
                    if (convo_flush(c) != 0)
                        _exit(5);
                    size_t n = s.nmsgs;
                    if (write(fds[1], &n, sizeof n) != (ssize_t)sizeof n)
                        _exit(6);
                }
            }
        }
        close(fds[1]);
        if (!path) {
            size_t n;
            assert_int_equal(read(fds[0], &n, sizeof n), (ssize_t)sizeof n);
            path = xmalloc(n + 1);
            assert_int_equal(read(fds[0], path, n), (ssize_t)n);
            path[n] = '\0';
        }
        /* The first flush: from here on the file exists. */
        size_t n;
        assert_int_equal(read(fds[0], &n, sizeof n), (ssize_t)sizeof n);
        assert_true(n >= flushed);
        flushed = n;
        /* Let it run a little, differently each round, then kill it mid-work. */
        struct timespec ts = {0, (long)(15 + round * 7) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        while (read(fds[0], &n, sizeof n) == (ssize_t)sizeof n)
            flushed = n;
        close(fds[0]);

        session l;
        new_session(&l);
        char err[512] = "";
        convo *c = convo_open(path, &l, NULL, err, sizeof err);
        if (!c) {
            print_error("round %d: %s\n", round, err);
            fail();
        }
        if (l.nmsgs < flushed) {
            print_error("round %d: %zu messages on disk, %zu were flushed\n", round, l.nmsgs,
                        flushed);
            fail();
        }
        flushed = l.nmsgs; /* the next round goes on from here */
        convo_free(c);
        session_done(&l);
    }
    /* The listing sees one conversation, whatever temp files the kills left. */
    convo_info *v;
    size_t n, np;
    char **problems;
    char err[512];
    assert_int_equal(convo_list(dir, &v, &n, &problems, &np, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(np, 0);
    assert_int_equal(v[0].nmsgs, flushed);
    convo_list_free(v, n);
    convo_problems_free(problems, np);
    free(path);
    rm_rf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- list, find */

typedef struct list_file {
    const char *name;
    const char *text;
} list_file;

static const list_file list_files[] = {
    {"20250101-090000-aaaa.json",
     "{\"version\":1,\"created\":\"2025-01-01T09:00:00Z\",\"updated\":\"2025-01-03T10:00:00Z\","
     "\"title\":\"oldest created, updated last\",\"messages\":[" GOOD_MSG "," GOOD_MSG "]}"},
    {"20250102-090000-bbbb.json",
     "{\"version\":1,\"created\":\"2025-01-02T09:00:00Z\",\"updated\":\"2025-01-02T09:30:00Z\","
     "\"title\":\"middle\",\"messages\":[]}"},
    {"20250102-100000-cccc.json",
     "{\"version\":1,\"created\":\"2025-01-02T10:00:00Z\",\"updated\":\"2025-01-02T09:30:00Z\","
     "\"messages\":[{\"role\":\"user\",\"content\":\"\\n  same update time: the later id first\\nmore\"}]}"},
    {"no-times.json", "{\"version\":1,\"messages\":[]}"},
    {".hidden.json", "{\"version\":1,\"messages\":[]}"},
    {".20250104-000000-dddd.json.tmp-Ab12Cd", "{\"version\":1,\"mess"},
    {"notes.txt", "not a conversation"},
};

static void make_list_dir(const char *dir)
{
    for (size_t i = 0; i < sizeof list_files / sizeof list_files[0]; i++) {
        char *p = xasprintf("%s/%s", dir, list_files[i].name);
        write_text(p, list_files[i].text);
        free(p);
    }
}

static void test_list(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    make_list_dir(dir);
    convo_info *v;
    size_t n, np;
    char **problems;
    char err[512];
    assert_int_equal(convo_list(dir, &v, &n, &problems, &np, err, sizeof err), 0);
    assert_int_equal(np, 0);
    static const struct {
        const char *id, *title;
        size_t nmsgs;
        int64_t created, updated;
        const char *line;
    } want[] = {
        {"20250101-090000-aaaa", "oldest created, updated last", 2, INT64_C(1735722000000),
         INT64_C(1735898400000),
         "20250101-090000-aaaa  2025-01-03 10:00  2 messages  oldest created, updated last"},
        {"20250102-100000-cccc", "same update time: the later id first", 1, INT64_C(1735812000000),
         INT64_C(1735810200000),
         "20250102-100000-cccc  2025-01-02 09:30  1 message  same update time: the later id first"},
        {"20250102-090000-bbbb", "middle", 0, INT64_C(1735808400000), INT64_C(1735810200000),
         "20250102-090000-bbbb  2025-01-02 09:30  0 messages  middle"},
        {"no-times", "", 0, 0, 0, "no-times  -  0 messages"},
    };
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(v[i].id, want[i].id);
        assert_string_equal(v[i].title, want[i].title);
        assert_int_equal(v[i].nmsgs, want[i].nmsgs);
        assert_int_equal(v[i].created_ms, want[i].created);
        assert_int_equal(v[i].updated_ms, want[i].updated);
        char *p = xasprintf("%s/%s.json", dir, want[i].id);
        assert_string_equal(v[i].path, p);
        free(p);
        buf line;
        buf_init(&line);
        convo_info_line(&v[i], &line);
        assert_string_equal(buf_str(&line), want[i].line);
        buf_free(&line);
    }
    convo_list_free(v, n);
    convo_problems_free(problems, np);

    char *path;
    assert_int_equal(convo_latest(dir, &path, err, sizeof err), 0);
    char *p = xasprintf("%s/20250101-090000-aaaa.json", dir);
    assert_string_equal(path, p);
    free(p);
    free(path);

    /* A missing directory is an empty list, and --continue finds nothing. */
    char *missing = xasprintf("%s/missing", dir);
    assert_int_equal(convo_list(missing, &v, &n, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(n, 0);
    convo_list_free(v, n);
    assert_int_equal(convo_latest(missing, &path, err, sizeof err), 1);
    assert_null(path);
    p = xasprintf("no saved conversation in %s", missing);
    assert_string_equal(err, p);
    free(p);
    free(missing);
    rm_rf(dir);
    free(dir);
}

typedef struct find_case {
    const char *name;
    const char *arg;
    const char *want_file; /* the file found (in dir), or NULL */
    const char *want_err;  /* "DIR" stands for the directory */
} find_case;

/* tmpl with its first "DIR" replaced by dir. */
static char *with_dir(const char *tmpl, const char *dir)
{
    const char *at = strstr(tmpl, "DIR");
    if (!at)
        return xstrdup(tmpl);
    return xasprintf("%.*s%s%s", (int)(at - tmpl), tmpl, dir, at + 3);
}

static const find_case find_cases[] = {
    {"exact id", "20250102-090000-bbbb", "20250102-090000-bbbb.json", NULL},
    {"unique prefix", "20250101", "20250101-090000-aaaa.json", NULL},
    {"unique longer prefix", "20250102-10", "20250102-100000-cccc.json", NULL},
    {"ambiguous prefix", "20250102", NULL,
     "20250102 is ambiguous: it matches 20250102-090000-bbbb, 20250102-100000-cccc"},
    {"no match", "2024", NULL, "no conversation 2024 in DIR (tchat --list shows them)"},
    {"hidden files are not conversations", ".hidden", NULL,
     "no conversation .hidden in DIR (tchat --list shows them)"},
    {"an id that is also a prefix of another wins", "no-times", "no-times.json", NULL},
    {"empty", "", NULL, "no conversation id given"},
};

static void test_find(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    make_list_dir(dir);
    char *p2 = xasprintf("%s/no-times-2.json", dir);
    write_text(p2, "{\"version\":1,\"messages\":[]}");
    free(p2);
    for (size_t i = 0; i < sizeof find_cases / sizeof find_cases[0]; i++) {
        const find_case *tc = &find_cases[i];
        char *path = NULL;
        char err[512] = "";
        int rc = convo_find(dir, tc->arg, &path, err, sizeof err);
        if (tc->want_file) {
            char *want = xasprintf("%s/%s", dir, tc->want_file);
            if (rc != 0 || strcmp(path, want) != 0) {
                print_error("%s: got %d %s %s\n", tc->name, rc, path ? path : "", err);
                fail();
            }
            free(want);
        } else {
            char *want = with_dir(tc->want_err, dir);
            if (rc != -1 || path || strcmp(err, want) != 0) {
                print_error("%s: got %d \"%s\", want \"%s\"\n", tc->name, rc, err, want);
                fail();
            }
            free(want);
        }
        free(path);
    }
    /* A path is taken as it is. */
    char *file = xasprintf("%s/20250101-090000-aaaa.json", dir);
    char *path;
    char err[512];
    assert_int_equal(convo_find("/elsewhere", file, &path, err, sizeof err), 0);
    assert_string_equal(path, file);
    free(path);
    char *gone = xasprintf("%s/gone.json", dir);
    assert_int_equal(convo_find(dir, gone, &path, err, sizeof err), -1);
    char *want = xasprintf("%s: No such file or directory", gone);
    assert_string_equal(err, want);
    free(want);
    free(gone);
    free(file);
    rm_rf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- titles, times */

typedef struct title_case {
    const char *name;
    const char *first_prompt; /* NULL: no user message */
    const char *want;
} title_case;

static const title_case title_cases[] = {
    {"short", "Explain backoff", "Explain backoff"},
    {"first line only", "Explain backoff\nin one line", "Explain backoff"},
    {"blank lines and spaces skipped", "\n  \n\t Explain backoff  \nmore", "Explain backoff"},
    {"tabs become spaces", "a\tb", "a b"},
    {"exactly 60 characters", "123456789012345678901234567890123456789012345678901234567890",
     "123456789012345678901234567890123456789012345678901234567890"},
    {"61 characters are cut with an ellipsis",
     "1234567890123456789012345678901234567890123456789012345678901",
     "12345678901234567890123456789012345678901234567890123456789…"},
    {"CJK counted in characters",
     "速率限制按每分钟请求数和每分钟令牌数计算先达到哪一个就按哪一个限制请检查响应头中的剩余请求数和剩余令牌数它们会告诉你还剩多少",
     "速率限制按每分钟请求数和每分钟令牌数计算先达到哪一个就按哪一个限制请检查响应头中的剩余请求数和剩余令牌数它们会告诉你还…"},
    {"no prompt", NULL, ""},
};

static void test_titles(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof title_cases / sizeof title_cases[0]; i++) {
        const title_case *tc = &title_cases[i];
        session s;
        new_session(&s);
        session_append(&s, API_ROLE_SYSTEM, "system text", 11);
        if (tc->first_prompt) {
            session_append(&s, API_ROLE_USER, tc->first_prompt, strlen(tc->first_prompt));
            session_append(&s, API_ROLE_USER, "second", 6);
        }
        char *t = convo_make_title(&s);
        if (strcmp(t, tc->want) != 0) {
            print_error("%s: got \"%s\", want \"%s\"\n", tc->name, t, tc->want);
            fail();
        }
        free(t);
        session_done(&s);
    }
}

typedef struct time_case {
    const char *in;
    bool ok;
    int64_t ms;
} time_case;

static const time_case time_cases[] = {
    {"2025-11-29T01:19:13.250+00:00", true, T0},
    {"2025-11-29T02:19:13.250+01:00", true, T0},
    {"2025-11-28T20:04:13.250-05:15", true, T0},
    {"2025-11-29T01:19:13.250Z", true, T0},
    {"2025-11-29T01:19:13.25Z", true, T0},
    {"2025-11-29T01:19:13.250999Z", true, T0},
    {"2025-11-29T01:19:13Z", true, T0 - 250},
    {"2025-11-29 01:19:13+0000", true, T0 - 250},
    {"2025-11-29T01:19:13", true, T0 - 250}, /* local time: UTC here */
    {"1970-01-01T00:00:00Z", true, 0},
    {"2024-02-29T00:00:00Z", true, INT64_C(1709164800000)},
    {"2025-02-29T00:00:00Z", false, 0},
    {"2025-13-01T00:00:00Z", false, 0},
    {"2025-11-29T24:00:00Z", false, 0},
    {"2025-11-29T01:19:13.Z", false, 0},
    {"2025-11-29T01:19:13+1", false, 0},
    {"2025-11-29T01:19:13Z ", false, 0},
    {"1969-12-31T23:59:59Z", false, 0},
    {"9999-06-01T00:00:00Z", false, 0},
    {"25-11-29T01:19:13Z", false, 0},
    {"", false, 0},
};

static void test_times(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof time_cases / sizeof time_cases[0]; i++) {
        int64_t ms = -1;
        bool ok = convo_parse_time(time_cases[i].in, &ms);
        if (ok != time_cases[i].ok || (ok && ms != time_cases[i].ms)) {
            print_error("\"%s\": got %d %lld\n", time_cases[i].in, ok, (long long)ms);
            fail();
        }
    }
}

/* Times in the file are written without localtime_r for each message; they
 * must read exactly as time_iso8601 writes them, in zones with DST and with
 * offsets that are not whole hours, on both sides of each change. */
static const char *const zones[] = {"UTC", "Europe/Paris", "America/St_Johns", "Asia/Kathmandu",
                                    "Australia/Lord_Howe", "America/Los_Angeles"};
static const int64_t zone_instants[] = {
    0,
    INT64_C(1711846799999), /* 2024-03-31T00:59:59.999Z: Paris, before summer time */
    INT64_C(1711846800000), /* 2024-03-31T01:00:00Z: after */
    INT64_C(1730595600000), /* 2024-11-03T01:00:00Z */
    INT64_C(1730617200000), /* 2024-11-03T07:00:00Z: Los Angeles, 00:00 local PDT */
    INT64_C(1730624400000), /* 2024-11-03T09:00:00Z: 01:00 PST again */
    INT64_C(1730624399000),
    INT64_C(1712415600000), /* 2024-04-06T15:00:00Z: Lord Howe's half-hour change */
    INT64_C(1712417400000),
    INT64_C(1712419200000),
    T0,
    INT64_C(4102444800000), /* 2100-01-01 */
    INT64_C(253370764798000), /* near the last time a file can hold (9999-01-01) */
};

static void test_times_in_zones(void **state)
{
    (void)state;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        session s;
        new_session(&s);
        size_t n = sizeof zone_instants / sizeof zone_instants[0];
        for (size_t i = 0; i < n; i++) {
            /* Every instant twice, the second time a second later: the cache. */
            add(&s, &(msg_spec){API_ROLE_USER, "t", 0, NONE, NULL, zone_instants[i] + 1, NULL, 0});
            add(&s, &(msg_spec){API_ROLE_USER, "t", 0, NONE, NULL, zone_instants[i] + 1001, NULL, 0});
        }
        convo *c = convo_new("/nowhere", NULL, NULL);
        buf out;
        buf_init(&out);
        convo_render(c, &s, &out);
        const char *p = buf_str(&out);
        for (size_t i = 0; i < s.nmsgs; i++) {
            char want[64], iso[48];
            time_iso8601(s.msgs[i].wall_ms, iso, sizeof iso);
            snprintf(want, sizeof want, "\"time\":\"%s\"", iso);
            const char *hit = strstr(p, want);
            if (!hit) {
                print_error("%s: %lld should be %s\n%s\n", zones[z], (long long)s.msgs[i].wall_ms,
                            iso, p);
                fail();
            }
            p = hit + strlen(want);
            int64_t back;
            assert_true(convo_parse_time(iso, &back));
            assert_int_equal(back, s.msgs[i].wall_ms);
        }
        buf_free(&out);
        convo_free(c);
        session_done(&s);
    }
    setenv("TZ", "UTC", 1);
    tzset();
}

/* ---------------------------------------------------------------- Markdown */

static const msg_spec md_msgs[] = {
    {API_ROLE_SYSTEM, "You are terse.", 0, NONE, NULL, T0, NULL, 0},
    {API_ROLE_USER, "Show a **retry** loop in C", 0, NONE, NULL, T0 + 60000, NULL, 0},
    {API_ROLE_ASSISTANT, "Here:\n\n```c\nfor (;;) {\n    # not a heading\n}\n```", 0, NONE, "stop",
     T0 + 61000, NULL, 0},
    {API_ROLE_USER, "And in Python?", 0, NONE, NULL, T0 + 120000, NULL, 0},
    {API_ROLE_ASSISTANT, "```python\nwhile True:\n    try", MSG_INTERRUPTED, GUIDE_RATE_LIMIT, NULL,
     T0 + 121000, NULL, 0},
    {API_ROLE_USER, "Still there?", MSG_FAILED, GUIDE_CONNECT_REFUSED, NULL, T0 + 180000, NULL, 0},
    {API_ROLE_ASSISTANT, "I can't help with that.", MSG_REFUSAL, NONE, "length", 0, NULL, 0},
    {API_ROLE_ASSISTANT, "", MSG_INTERRUPTED, NONE, NULL, 0, NULL, 0},
    {API_ROLE_ASSISTANT, "Four.", 0, NONE, "stop", 0,
     "Is it **4**?\n</details> would close it\n```\nopen fence\n\n", 12034},
    {API_ROLE_ASSISTANT, "Hm", 0, NONE, "stop", 0, "untimed", -1},
};

static const char md_want[] =
    "# Show a **retry** loop in C\n"
    "\n## System · 2025-11-29 01:19\n\nYou are terse.\n"
    "\n## You · 2025-11-29 01:20\n\nShow a **retry** loop in C\n"
    "\n## Assistant · 2025-11-29 01:20\n\nHere:\n\n```c\nfor (;;) {\n    # not a heading\n}\n```\n"
    "\n## You · 2025-11-29 01:21\n\nAnd in Python?\n"
    "\n## Assistant · 2025-11-29 01:21\n\n```python\nwhile True:\n    try\n```\n"
    "\n> ⚠ interrupted: rate-limit\n"
    "\n## You · 2025-11-29 01:22\n\nStill there?\n"
    "\n> ⚠ failed: connect-refused\n"
    "\n## Assistant\n\nI can't help with that.\n"
    "\n> ⚠ refusal; finish reason: length\n"
    "\n## Assistant\n"
    "\n> ⚠ interrupted\n"
    "\n## Assistant\n"
    "\n<details><summary>Thought for 12 s</summary>\n\n"
    "Is it **4**?\n&lt;/details> would close it\n```\nopen fence\n```\n"
    "\n</details>\n"
    "\nFour.\n"
    "\n## Assistant\n"
    "\n<details><summary>Thought</summary>\n\nuntimed\n\n</details>\n"
    "\nHm\n";

static void test_markdown(void **state)
{
    (void)state;
    session s;
    new_session(&s);
    for (size_t i = 0; i < sizeof md_msgs / sizeof md_msgs[0]; i++)
        add(&s, &md_msgs[i]);
    buf out;
    buf_init(&out);
    convo_markdown(&s, NULL, &out);
    if (strcmp(buf_str(&out), md_want) != 0) {
        print_error("got:\n%s\nwant:\n%s\n", buf_str(&out), md_want);
        fail();
    }

    char *dir = make_tmpdir();
    char *path = xasprintf("%s/chat.md", dir);
    char err[512] = "";
    /* An existing file is replaced; a symlink to it stays a symlink. */
    write_text(path, "old");
    char *link = xasprintf("%s/link.md", dir);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(convo_export_markdown(&s, "My title", link, err, sizeof err), 0);
    char *text = read_text(path);
    assert_true(str_starts_with(text, "# My title\n\n## System"));
    assert_string_equal(text + strlen("# My title\n"), md_want + strlen("# Show a **retry** loop in C\n"));
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    free(text);

    /* A failed export leaves what was there, and no temp file. */
    char *isdir = xasprintf("%s/sub", dir);
    assert_int_equal(mkdir(isdir, 0700), 0);
    char *keep = xasprintf("%s/keep", isdir);
    write_text(keep, "k");
    free(keep);
    assert_int_equal(convo_export_markdown(&s, NULL, isdir, err, sizeof err), -1);
    char *want = xasprintf("%s: cannot replace it: Is a directory", isdir);
    assert_string_equal(err, want);
    char *names = dir_names(dir);
    assert_string_equal(names, "chat.md link.md sub");
    char *missing = xasprintf("%s/no/such/dir/x.md", dir);
    assert_int_equal(convo_export_markdown(&s, NULL, missing, err, sizeof err), -1);
    assert_true(str_starts_with(err, missing));
    assert_non_null(strstr(err, "No such file or directory"));

    free(missing);
    free(names);
    free(want);
    free(isdir);
    free(link);
    free(path);
    rm_rf(dir);
    free(dir);
    buf_free(&out);
    session_done(&s);
}

static void test_convo_dir(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char err[512];
    char *home = xasprintf("%s/home", dir);
    setenv("HOME", home, 1);
    setenv("XDG_DATA_HOME", "relative/ignored", 1);
    char *d = convo_dir(err, sizeof err);
    char *want = xasprintf("%s/.local/share/tchat/conversations", home);
    assert_non_null(d);
    assert_string_equal(d, want);
    struct stat st;
    assert_int_equal(stat(d, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(d);
    free(want);
    char *data = xasprintf("%s/data", dir);
    setenv("XDG_DATA_HOME", data, 1);
    d = convo_dir(err, sizeof err);
    want = xasprintf("%s/tchat/conversations", data);
    assert_string_equal(d, want);
    assert_int_equal(access(d, W_OK), 0);
    free(d);
    free(want);
    /* A file where the directory should be. */
    char *blocked = xasprintf("%s/blocked", dir);
    write_text(blocked, "x");
    setenv("XDG_DATA_HOME", blocked, 1);
    assert_null(convo_dir(err, sizeof err));
    want = xasprintf("cannot create %s/tchat: Not a directory", blocked);
    assert_string_equal(err, want);
    free(want);
    free(blocked);
    free(data);
    free(home);
    rm_rf(dir);
    free(dir);
}

/* One window per conversation. A second open of a held conversation continues in a copy
 * (or fails when no copy is wanted); the lock goes with its holder, a process that dies
 * included, and its file with it. */
static void test_lock_and_copy(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    session s;
    new_session(&s);
    session_append(&s, API_ROLE_USER, "first", 5);
    session_append(&s, API_ROLE_ASSISTANT, "reply", 5);
    convo *a = convo_new(dir, "p", "m");
    assert_int_equal(convo_save(a, &s), 1);
    assert_int_equal(convo_flush(a), 0);
    char *path = xstrdup(convo_path(a));
    char *lock = xasprintf("%s/.%s.lock", dir, convo_id(a));
    assert_true(convo_in_use(path));
    assert_int_equal(access(lock, F_OK), 0);

    /* A second window without a copy: refused, its session untouched. */
    session b;
    new_session(&b);
    char err[512] = "", *from = NULL;
    assert_null(convo_open(path, &b, NULL, err, sizeof err));
    assert_non_null(strstr(err, "open in another tchat window"));
    assert_int_equal(b.nmsgs, 0);

    /* With a copy: the messages, a new file, "continued_from" naming the original. */
    convo *cb = convo_open(path, &b, &from, err, sizeof err);
    assert_non_null(cb);
    assert_non_null(from);
    assert_string_equal(from, convo_id(a));
    assert_string_not_equal(convo_path(cb), path);
    assert_int_equal(b.nmsgs, 2);
    assert_int_equal(access(convo_path(cb), F_OK), -1); /* written at its first save */
    session_append(&b, API_ROLE_USER, "second window", 13);
    assert_int_equal(convo_save(cb, &b), 1);
    assert_int_equal(convo_flush(cb), 0);
    char *copy = read_text(convo_path(cb));
    assert_non_null(copy);
    assert_non_null(strstr(copy, "\"continued_from\":\""));
    assert_non_null(strstr(copy, convo_id(a)));
    assert_non_null(strstr(copy, "second window"));
    assert_non_null(strstr(copy, "\"first\""));
    char *copy_path = xstrdup(convo_path(cb));
    assert_true(convo_in_use(copy_path));

    /* The first window goes on writing its own file. */
    session_append(&s, API_ROLE_USER, "first window again", 18);
    assert_int_equal(convo_save(a, &s), 1);
    assert_int_equal(convo_flush(a), 0);
    char *orig = read_text(path);
    assert_non_null(strstr(orig, "first window again"));
    assert_null(strstr(orig, "second window"));

    /* Letting go: the lock and its file are gone; the conversation opens as itself. */
    convo_free(a);
    assert_false(convo_in_use(path));
    assert_int_equal(access(lock, F_OK), -1);
    session again;
    new_session(&again);
    free(from);
    from = NULL;
    convo *ca = convo_open(path, &again, &from, err, sizeof err);
    assert_non_null(ca);
    assert_null(from);
    assert_string_equal(convo_path(ca), path);
    convo_free(ca);

    /* A holder that dies lets go: flock ends with its process. */
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        session cs;
        new_session(&cs);
        char e[256];
        convo *cc = convo_open(path, &cs, NULL, e, sizeof e);
        if (write(ready[1], cc ? "y" : "n", 1) != 1)
            _exit(2);
        pause();
        _exit(0);
    }
    char got = 0;
    assert_int_equal(read(ready[0], &got, 1), 1);
    assert_int_equal(got, 'y');
    assert_true(convo_in_use(path));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_false(convo_in_use(path));
    close(ready[0]);
    close(ready[1]);

    convo_free(cb);
    assert_false(convo_in_use(copy_path));
    session_done(&again);
    session_done(&b);
    session_done(&s);
    free(copy);
    free(orig);
    free(copy_path);
    free(lock);
    free(path);
    rm_rf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- the browser's files */

/* A conversation file with unknown members, a pending prompt and an "updated" time. */
#define RENAME_FILE                                                                                \
    "{\"version\":1,\"id\":\"20250101-090000-aaaa\",\"created\":\"2025-01-01T09:00:00.000+00:"     \
    "00\","                                                                                        \
    "\"updated\":\"2025-01-03T10:00:00.000+00:00\",\"title\":\"Old title\",\"profile\":\"p\","     \
    "\"model\":\"m\",\"x-top\":{\"k\":[1,2]},\"messages\":[\n"                                     \
    "{\"role\":\"user\",\"content\":\"How does BACKOFF work?\",\"status\":\"ok\",\"x-m\":true},\n" \
    "{\"role\":\"assistant\",\"content\":\"Wait longer each time.\",\"status\":\"ok\"}\n"          \
    "]}\n"

/* text with its title "Old title" replaced. Caller frees. */
static char *with_title(const char *text, const char *title)
{
    const char *at = strstr(text, "Old title");
    assert_non_null(at);
    return xasprintf("%.*s%s%s", (int)(at - text), text, title, at + strlen("Old title"));
}

static void test_rename_and_delete(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/20250101-090000-aaaa.json", dir);
    char err[1024];

    /* Renamed: the title, and nothing else (unknown members, "updated", the messages). */
    write_text(path, RENAME_FILE);
    assert_int_equal(convo_rename_file(path, "  New\ttitle: 速率  ", err, sizeof err), 0);
    char *text = read_text(path);
    char *want = with_title(RENAME_FILE, "New title: 速率");
    assert_string_equal(text, want);
    free(text);
    free(want);
    /* Written atomically: no temp file, no lock file left. */
    char *names = dir_names(dir);
    assert_string_equal(names, "20250101-090000-aaaa.json");
    free(names);

    /* Refused: an empty title; the file stays as it was. */
    char *before = read_text(path);
    assert_int_equal(convo_rename_file(path, " \t ", err, sizeof err), -1);
    char *msg = xasprintf("%s: a title cannot be empty", path);
    assert_string_equal(err, msg);
    free(msg);

    /* Refused while another window has it: rename and delete. */
    session s;
    new_session(&s);
    convo *held = convo_open(path, &s, NULL, err, sizeof err);
    assert_non_null(held);
    assert_int_equal(convo_rename_file(path, "Other", err, sizeof err), -1);
    msg = xasprintf("%s: open in another tchat window", path);
    assert_string_equal(err, msg);
    assert_int_equal(convo_delete_file(path, err, sizeof err), -1);
    assert_string_equal(err, msg);
    free(msg);
    char *now = read_text(path);
    assert_string_equal(now, before);
    free(now);

    /* The window renames its own: the next save writes the title. */
    assert_int_equal(convo_set_title(held, "Mine now", err, sizeof err), 0);
    assert_string_equal(convo_title(held), "Mine now");
    assert_int_equal(convo_set_title(held, "", err, sizeof err), -1);
    assert_int_equal(convo_save(held, &s), 1);
    assert_int_equal(convo_flush(held), 0);
    now = read_text(path);
    assert_non_null(strstr(now, "\"title\":\"Mine now\""));
    assert_non_null(strstr(now, "\"x-top\":{\"k\":[1,2]}"));
    free(now);
    convo_free(held);
    session_done(&s);

    /* A long title is cut as a first prompt's is. */
    char long_title[200];
    memset(long_title, 'x', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = '\0';
    assert_int_equal(convo_rename_file(path, long_title, err, sizeof err), 0);
    char *cut = convo_clean_title(long_title);
    assert_int_equal(strlen(cut), CONVO_TITLE_MAX - 1 + strlen("…"));
    now = read_text(path);
    char *member = xasprintf("\"title\":\"%s\"", cut);
    assert_non_null(strstr(now, member));
    free(member);
    free(cut);
    free(now);

    /* A write that fails (a file-size limit below the file's size) leaves the old file
     * whole, and no temp file. */
    free(before);
    write_text(path, RENAME_FILE);
    before = read_text(path);
    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = strlen(before) / 2;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = convo_rename_file(path, "Too big to write", err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    assert_int_equal(rc, -1);
    assert_true(str_starts_with(err, path));
    now = read_text(path);
    assert_string_equal(now, before);
    free(now);
    free(before);
    names = dir_names(dir);
    assert_string_equal(names, "20250101-090000-aaaa.json");
    free(names);

    /* A damaged file is not renamed; deleting it works. */
    char *bad = xasprintf("%s/20250102-090000-bbbb.json", dir);
    write_text(bad, "{\"version\":1,\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}");
    assert_int_equal(convo_rename_file(bad, "x", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown role"));
    assert_int_equal(convo_delete_file(bad, err, sizeof err), 0);
    assert_int_equal(access(bad, F_OK), -1);

    /* Deleted: the file and its lock file. */
    assert_int_equal(convo_delete_file(path, err, sizeof err), 0);
    names = dir_names(dir);
    assert_string_equal(names, "");
    free(names);
    assert_int_equal(convo_delete_file(path, err, sizeof err), -1);
    msg = xasprintf("%s: cannot delete it: No such file or directory", path);
    assert_string_equal(err, msg);
    free(msg);
    free(bad);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_list_search(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *a = xasprintf("%s/20250101-090000-aaaa.json", dir);
    write_text(a, RENAME_FILE);
    char *b = xasprintf("%s/20250102-090000-bbbb.json", dir);
    write_text(b, "{\"version\":1,\"updated\":\"2025-01-04T10:00:00Z\",\"messages\":["
                  "{\"role\":\"user\",\"content\":\"速率限制是什么？\"},"
                  "{\"role\":\"assistant\",\"content\":\"Ограничение СКОРОСТИ.\"}]}");
    char *c = xasprintf("%s/20250103-090000-cccc.json", dir);
    write_text(c, "{\"version\":1,\"messages\":[");
    convo_info *v;
    size_t n;
    char err[512];
    assert_int_equal(convo_list_search(dir, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    /* Newest first, the damaged file last with what is wrong. */
    assert_string_equal(v[0].id, "20250102-090000-bbbb");
    assert_string_equal(v[0].title, "速率限制是什么？");
    assert_string_equal(v[1].id, "20250101-090000-aaaa");
    assert_string_equal(v[1].search, "old title\nhow does backoff work?\nwait longer each time.");
    assert_int_equal(v[1].search_len, strlen(v[1].search));
    assert_null(v[1].problem);
    assert_string_equal(v[2].id, "20250103-090000-cccc");
    assert_null(v[2].title);
    assert_null(v[2].search);
    char *why = xasprintf("%s: the JSON ends early (a truncated file?)", c);
    assert_string_equal(v[2].problem, why);
    free(why);

    static const struct {
        const char *name;
        const char *query;
        const char *want; /* the ids that match, in order */
    } cases[] = {
        {"empty: every good file", "", "20250102-090000-bbbb 20250101-090000-aaaa"},
        {"a title", "old TITLE", "20250101-090000-aaaa"},
        {"a prompt, case aside", "backoff", "20250101-090000-aaaa"},
        {"a reply", "LONGER each", "20250101-090000-aaaa"},
        {"CJK", "限制", "20250102-090000-bbbb"},
        {"Cyrillic, case aside", "скорости", "20250102-090000-bbbb"},
        {"no match", "quota", ""},
        {"not across two messages", "work? wait", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf q, got;
        buf_init(&q);
        buf_init(&got);
        fold_append(&q, cases[i].query, strlen(cases[i].query));
        buf_puts(&got, "");
        for (size_t k = 0; k < n; k++)
            if (convo_info_matches(&v[k], buf_str(&q), q.len))
                buf_printf(&got, "%s%s", got.len ? " " : "", v[k].id);
        if (strcmp(buf_str(&got), cases[i].want) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, buf_str(&got), cases[i].want);
        buf_free(&q);
        buf_free(&got);
    }
    convo_list_free(v, n);
    free(a);
    free(b);
    free(c);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    /* The file-size test makes write() fail; the signal must not kill us. */
    signal(SIGXFSZ, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_lock_and_copy),
        cmocka_unit_test(test_file_text),
        cmocka_unit_test(test_unknown_members),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_save_basics),
        cmocka_unit_test(test_save_failures),
        cmocka_unit_test(test_saver_coalesces),
        cmocka_unit_test(test_kill9),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_titles),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_times_in_zones),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_convo_dir),
        cmocka_unit_test(test_rename_and_delete),
        cmocka_unit_test(test_list_search),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(net.last_body);
    return rc;
}
