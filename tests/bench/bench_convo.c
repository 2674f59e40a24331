/* Cost of keeping a long conversation on disk: a 10,000-message conversation
 * (about 300 bytes a message, some code blocks and CJK), measured on the
 * calling thread (the UI's) for the first save and for a save after one more
 * message, then the time until the saver thread has it on disk, the load time
 * (budget: 150 ms), the time to list a directory of 200 conversations, and what opening
 * the conversations browser costs: reading 1,000 conversations of 20 messages with their
 * search text (convo_list_search, once per opening; the files are in the page cache).
 * Prints the median and the fastest of several runs.
 *
 * Built with the tests (target bench_convo); run from anywhere:
 *   ./bench_convo [MESSAGES]
 * It works in a temporary directory under $TMPDIR (or /tmp) and removes it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "convo.h"
#include "session.h"
#include "util.h"

#define RUNS 7
#define LOAD_BUDGET_MS 150.0
#define FRAME_MS 16.0

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *v, int n, double budget)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    printf("%-44s median %8.3f ms  fastest %8.3f ms", what, v[n / 2], v[0]);
    if (budget > 0)
        printf("  (budget %.0f ms: %s)", budget, v[n / 2] <= budget ? "ok" : "OVER");
    putchar('\n');
}

static const char *const user_texts[] = {
    "How do I retry a request that failed with a 429 without hammering the server?",
    "Can you show the same thing in C, with \"quotes\" and a tab\there?",
    "为什么我的请求总是返回 429？我每分钟只发送了几次请求。",
    "Thanks. And what about a 503 that says the engine is overloaded?",
};

static const char *const reply_texts[] = {
    "Wait longer after each failure and add a little randomness, so that many clients do not "
    "retry in lockstep. When the response carries `retry-after`, use it as the delay instead of "
    "your own backoff, and never retry a request that failed because of an invalid key or an "
    "exhausted quota: those do not get better with time.\n",
    "Here is a small helper:\n\n```c\nstatic double backoff(int attempt)\n{\n    double d = 0.5 * "
    "(1 << attempt);\n    return d > 20 ? 20 : d;\n}\n```\n\nCall it with the number of retries "
    "already taken, then sleep that long (plus jitter).\n",
    "速率限制按每分钟请求数和每分钟令牌数计算，先达到哪一个就按哪一个限制。请检查响应头中的 "
    "x-ratelimit-remaining-requests 和 x-ratelimit-remaining-tokens，它们会告诉你还剩多少。\n",
    "An overloaded engine is a temporary condition on the server side: retry with backoff, as for "
    "a 429, and check the status page if it lasts. It is not a problem with your key, your "
    "organization or your request, so changing those will not help.\n",
};

static void fill(session *s, size_t n)
{
    buf t;
    buf_init(&t);
    for (size_t i = 0; i < n; i++) {
        buf_reset(&t);
        if (i % 2) {
            /* Two paragraphs a reply: about 300 bytes a message overall. */
            buf_puts(&t, reply_texts[(i / 2) % 4]);
            buf_putc(&t, '\n');
            buf_puts(&t, reply_texts[(i / 2 + 1) % 4]);
        } else {
            buf_puts(&t, user_texts[(i / 2) % 4]);
        }
        chat_msg *m = session_append_msg(s, i % 2 ? API_ROLE_ASSISTANT : API_ROLE_USER, t.data,
                                         t.len);
        if (i % 2)
            m->finish_reason = xstrdup("stop");
        /* A message every 20 s: a conversation over about two days. */
        m->wall_ms = INT64_C(1764379153250) + (int64_t)i * 20000;
    }
    buf_free(&t);
}

static size_t total_bytes(const session *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nmsgs; i++)
        n += s->msgs[i].text.len;
    return n;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *p = xasprintf("%s/%s", dir, de->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    size_t nmsgs = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/bench_convo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char *listdir = xasprintf("%s/list", dir);
    session_transport tr = {0};
    session s;
    session_init(&s, &tr, NULL);
    fill(&s, nmsgs);
    printf("conversation: %zu messages, %zu bytes of text\n", s.nmsgs, total_bytes(&s));

    double first[RUNS], incr[RUNS], flushed[RUNS], load[RUNS], list[RUNS], list_big[RUNS];
    char err[1024];
    char *path = NULL;
    for (int r = 0; r < RUNS; r++) {
        convo *c = convo_new(dir, "openai", "gpt-4o-mini");
        double t0 = now_ms();
        convo_save(c, &s);
        first[r] = now_ms() - t0;
        convo_flush(c);
        flushed[r] = now_ms() - t0;
        session_append(&s, API_ROLE_USER, "one more", 8);
        t0 = now_ms();
        convo_save(c, &s);
        incr[r] = now_ms() - t0;
        convo_flush(c);
        if (convo_last_error(c, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        free(path);
        path = xstrdup(convo_path(c));
        convo_free(c);
        s.nmsgs--; /* back to nmsgs for the next run */
        buf_free(&s.msgs[s.nmsgs].text);
        if (r + 1 < RUNS)
            unlink(path);
    }
    report("save on the calling thread, first", first, RUNS, FRAME_MS);
    report("save on the calling thread, one more msg", incr, RUNS, FRAME_MS);
    report("first save until on disk", flushed, RUNS, 0);

    for (int r = 0; r < RUNS; r++) {
        session l;
        session_init(&l, &tr, NULL);
        double t0 = now_ms();
        convo *c = convo_open(path, &l, NULL, err, sizeof err);
        load[r] = now_ms() - t0;
        if (!c || l.nmsgs != nmsgs + 1) {
            fprintf(stderr, "load failed: %s\n", c ? "wrong count" : err);
            return 1;
        }
        convo_free(c);
        session_done(&l);
    }
    report("load", load, RUNS, LOAD_BUDGET_MS);

    /* 200 ordinary conversations (40 messages each). */
    session small;
    session_init(&small, &tr, NULL);
    fill(&small, 40);
    if (mkdir(listdir, 0700) != 0) {
        perror(listdir);
        return 1;
    }
    for (int i = 0; i < 200; i++) {
        convo *c = convo_new(listdir, "openai", "gpt-4o-mini");
        convo_save(c, &small);
        convo_free(c);
    }
    for (int r = 0; r < RUNS; r++) {
        convo_info *v;
        size_t n;
        double t0 = now_ms();
        if (convo_list(listdir, &v, &n, NULL, NULL, err, sizeof err) != 0 || n != 200) {
            fprintf(stderr, "list failed: %s (%zu)\n", err, n);
            return 1;
        }
        list[r] = now_ms() - t0;
        convo_list_free(v, n);
    }
    report("list 200 conversations of 40 messages", list, RUNS, 0);
    /* The same with the big one among them. */
    char *big = xasprintf("%s/99999999-999999-ffff.json", listdir);
    if (rename(path, big) != 0) {
        perror(big);
        return 1;
    }
    for (int r = 0; r < RUNS; r++) {
        convo_info *v;
        size_t n;
        double t0 = now_ms();
        if (convo_list(listdir, &v, &n, NULL, NULL, err, sizeof err) != 0 || n != 201) {
            fprintf(stderr, "list failed: %s\n", err);
            return 1;
        }
        list_big[r] = now_ms() - t0;
        convo_list_free(v, n);
    }
    report("list the same plus the 10,000-message one", list_big, RUNS, 0);

    /* The browser: 1,000 conversations of 20 messages, written without the saver (no fsync:
     * this is set-up), listed with and without their search text. */
    char *browsedir = xasprintf("%s/browse", dir);
    if (mkdir(browsedir, 0700) != 0) {
        perror(browsedir);
        return 1;
    }
    session twenty;
    session_init(&twenty, &tr, NULL);
    fill(&twenty, 20);
    size_t bytes = 0;
    for (int i = 0; i < 1000; i++) {
        convo *c = convo_new(browsedir, "openai", "gpt-4o-mini");
        buf text;
        buf_init(&text);
        convo_render(c, &twenty, &text);
        FILE *f = fopen(convo_path(c), "wb");
        if (!f || fwrite(text.data, 1, text.len, f) != text.len || fclose(f) != 0) {
            perror(convo_path(c));
            return 1;
        }
        bytes += text.len;
        buf_free(&text);
        convo_free(c);
    }
    double browse[RUNS], browse_plain[RUNS];
    for (int r = 0; r < RUNS; r++) {
        convo_info *v;
        size_t n;
        double t0 = now_ms();
        if (convo_list(browsedir, &v, &n, NULL, NULL, err, sizeof err) != 0 || n != 1000) {
            fprintf(stderr, "list failed: %s (%zu)\n", err, n);
            return 1;
        }
        browse_plain[r] = now_ms() - t0;
        convo_list_free(v, n);
        t0 = now_ms();
        if (convo_list_search(browsedir, &v, &n, err, sizeof err) != 0 || n != 1000) {
            fprintf(stderr, "list failed: %s (%zu)\n", err, n);
            return 1;
        }
        browse[r] = now_ms() - t0;
        convo_list_free(v, n);
    }
    printf("1,000 conversations of 20 messages: %.1f MB\n", (double)bytes / 1e6);
    report("list them (--list)", browse_plain, RUNS, 0);
    report("list them with their text (the browser)", browse, RUNS, 0);
    session_done(&twenty);
    remove_dir(browsedir);
    free(browsedir);

    session_done(&small);
    session_done(&s);
    remove_dir(listdir);
    remove_dir(dir);
    free(big);
    free(path);
    free(listdir);
    free(dir);
    return 0;
}
