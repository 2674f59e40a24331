/* Cost of showing one long reply: md_render and wrap_text over a ~100 KB
 * Markdown message (prose, lists, quotes, code blocks, CJK and emoji) at width
 * 80, plus pathological inputs that would make a backtracking parser
 * quadratic. Prints the median and the fastest time per call over many runs
 * (the fastest is the steadier figure on a busy machine).
 *
 * Build and run by hand from the repository root:
 *   gcc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc/core -Isrc/ui \
 *       src/core/util.c src/ui/render.c tests/bench/bench_wrap.c -lm -o /tmp/bench_wrap \
 *       && /tmp/bench_wrap [KB]
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "util.h"

#define RUNS 201

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A realistic reply, repeated up to about kb kilobytes. */
static void make_message(buf *b, size_t kb)
{
    static const char *const parts[] = {
        "## Retrying with backoff\n\n",
        "When a request fails with **429** or a *5xx*, wait a little longer after each "
        "failure and add some randomness, so that many clients do not retry in lockstep. "
        "The `retry-after` header, when present, says how long the server wants you to wait.\n\n",
        "- Start with a short delay, such as half a second.\n"
        "- Double it after each failure, up to a ceiling of `max_backoff` seconds.\n"
        "  - Add jitter: a random fraction of the delay.\n"
        "1. Never retry a request that failed because of an invalid key.\n\n",
        "> Rate limits are measured in requests per minute and tokens per minute; "
        "whichever you reach first applies.\n\n",
        "```python\nimport random, time\n\ndef backoff(attempt, base=0.5, cap=20.0):\n"
        "    delay = min(cap, base * 2 ** attempt)\n"
        "    return delay * (0.5 + random.random() / 2)  # full jitter would be random() * delay\n"
        "```\n\n",
        "在请求失败后，逐步增加等待时间，并加入少量随机性，这样许多客户端不会同时重试。"
        "如果服务器返回了 retry-after 头，就按它的要求等待。👍🏽 👨‍👩‍👧\n\n",
        "snake_case_names and 2 * 3 stay as they are; \\*escaped\\* stars too. "
        "A long URL: https://platform.openai.com/docs/guides/rate-limits?context=with_a_long_query\n\n",
    };
    size_t want = kb * 1024;
    for (size_t i = 0; b->len < want; i++)
        buf_puts(b, parts[i % (sizeof parts / sizeof parts[0])]);
}

static void time_it(const char *what, const char *text, size_t len, bool wrap_only)
{
    static double t[RUNS];
    md_doc d;
    md_init(&d);
    wrap_lines w;
    wrap_init(&w);
    md_render(&d, text, len);
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_us();
        if (wrap_only)
            wrap_text(&w, buf_str(&d.text), d.text.len, d.style, 80, true);
        else
            md_render(&d, text, len);
        t[r] = now_us() - t0;
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    printf("%-36s %7zu bytes  median %8.1f us  min %8.1f us", what,
           wrap_only ? d.text.len : len, t[RUNS / 2], t[0]);
    if (wrap_only)
        printf("  (%zu lines)", w.n);
    putchar('\n');
    wrap_free(&w);
    md_free(&d);
}

static void repeat(buf *b, const char *unit, size_t total)
{
    buf_reset(b);
    size_t n = strlen(unit);
    while (b->len + n <= total)
        buf_append(b, unit, n);
}

int main(int argc, char **argv)
{
    if (!setlocale(LC_ALL, "C.UTF-8")) {
        fprintf(stderr, "bench_wrap: the C.UTF-8 locale is missing\n");
        return 1;
    }
    size_t kb = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
    if (kb == 0)
        kb = 100;
    buf msg;
    buf_init(&msg);
    make_message(&msg, kb);
    printf("median of %d runs, width 80\n", RUNS);
    time_it("md_render (message)", msg.data, msg.len, false);
    time_it("wrap_text (rendered message)", msg.data, msg.len, true);

    /* Same size, made of what trips backtracking parsers. */
    static const char *const patho[] = {"*", "`", "**a", "_a", "*a _b ", "> ", "\\*"};
    buf p;
    buf_init(&p);
    for (size_t i = 0; i < sizeof patho / sizeof patho[0]; i++) {
        repeat(&p, patho[i], msg.len);
        char name[64];
        snprintf(name, sizeof name, "md_render ('%s' repeated)", patho[i]);
        time_it(name, p.data, p.len, false);
    }
    buf_reset(&p);
    for (size_t l = 1; p.len + l + 1 <= msg.len; l++) { /* every backtick run length once */
        for (size_t k = 0; k < l; k++)
            buf_putc(&p, '`');
        buf_putc(&p, 'x');
    }
    time_it("md_render (runs of 1..n backticks)", p.data, p.len, false);
    buf_free(&p);
    buf_free(&msg);
    return 0;
}
