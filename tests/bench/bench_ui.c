/* bench_ui: what drawing costs with a 10,000-message conversation loaded.
 *
 * The chat screen (conversation, panel, input line) draws into curses windows on
 * a terminal whose output goes to /dev/null, so the figures are the CPU cost of
 * tchat's work per event, without the terminal's. Figures are CPU time
 * (CLOCK_PROCESS_CPUTIME_ID), medians over many repetitions; the same runs with
 * a 100-message conversation show whether any cost grows with its length.
 * Budgets: keypress or streamed delta < 1 ms, full redraw < 5 ms. The picker
 * (the conversations browser, /model) is measured with 1,000 conversations of about 8 kB
 * of text each and with 10,000 short names: a keystroke that narrows the filter, one
 * that widens it again (every item looked at), and the draw after each. */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat.h"
#include "commands.h"
#include "config.h"
#include "fold.h"
#include "input.h"
#include "picker.h"
#include "term.h"
#include "theme.h"

static uint64_t next_job;

static uint64_t fake_submit(void *ud, const worker_job *job)
{
    (void)ud;
    (void)job;
    return ++next_job;
}

static void fake_cancel(void *ud, uint64_t job)
{
    (void)ud;
    (void)job;
}

static const char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void event(chat *c, worker_event_kind kind, const char *text)
{
    worker_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.job = c->s.job;
    ev.job_kind = JOB_CHAT;
    buf_init(&ev.text);
    buf_init(&ev.body);
    hdrs_init(&ev.headers);
    if (text)
        buf_puts(&ev.text, text);
    c->base.ops->event(&c->base, &ev);
    buf_free(&ev.text);
}

static const char *const replies[] = {
    "Exponential **backoff** waits longer after each failure: `delay = base * 2^n`, capped, "
    "with a little *jitter* so that clients do not retry in step.\n\n- first retry after 1 s\n"
    "- then 2 s, 4 s, 8 s\n- give up after five attempts",
    "```c\nfor (int i = 0; i < 5; i++) {\n    if (send() == 0)\n        break;\n    sleep(1 << i);\n}\n```\n"
    "The loop above retries five times.",
    "速率限制按组织计算，而不是按用户计算。请检查团队其他成员的用量。 🙂",
    "# Heading\n\n> A quote that goes on for a while so that it wraps at least once on an ordinary "
    "terminal of eighty columns or so.\n\n1. one\n2. two",
};

static void load_conversation(chat *c, int messages)
{
    char prompt[128];
    for (int i = 0; i < messages / 2; i++) {
        int n = snprintf(prompt, sizeof prompt, "Question number %d: how should a client back off?", i);
        session_append(&c->s, API_ROLE_USER, prompt, (size_t)n);
        session_append(&c->s, API_ROLE_ASSISTANT, replies[i % 4], strlen(replies[i % 4]));
    }
}

static void full_redraw(chat *c)
{
    clearok(curscr, TRUE);
    chat_touch(c);
    chat_draw(c, UI_REDRAW_ALL, false, 0);
    doupdate();
}

static void run(int messages)
{
    config cfg;
    char err[256];
    config_load_args args = {.getenv_fn = no_env, .path = "/nonexistent/tchat.json"};
    if (config_load(&cfg, &args, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    screens stack = {0};
    size_t ncmds;
    const ui_command *cmds = commands_table(&ncmds);
    chat_opts o = {.cfg = &cfg, .stack = &stack, .cmds = cmds, .ncmds = ncmds,
                   .lang = GUIDE_LANG_EN};
    chat *c = chat_new(&o);
    screens_push(&stack, &c->base);
    /* No network: requests go to a transport that only counts them. */
    c->s.tr = (session_transport){fake_submit, fake_cancel, NULL};
    c->s.p.key_required = false;

    double t0 = cpu_ms();
    load_conversation(c, messages);
    double load = cpu_ms() - t0;

    t0 = cpu_ms();
    full_redraw(c); /* cold: every visible message rendered and wrapped */
    double cold = cpu_ms() - t0;

    enum { N = 200 };
    double v[N];
    for (int i = 0; i < N; i++) {
        t0 = cpu_ms();
        full_redraw(c);
        v[i] = cpu_ms() - t0;
    }
    double redraw = median(v, N);

    /* A streamed reply: one delta, then what the loop draws for it. */
    session_submit(&c->s, "stream now", 0);
    for (int i = 0; i < N; i++) {
        t0 = cpu_ms();
        event(c, WEV_CONTENT, "word after word, ");
        chat_draw(c, UI_REDRAW_CONV, false, 0);
        doupdate();
        v[i] = cpu_ms() - t0;
    }
    double delta = median(v, N);
    event(c, WEV_DONE, NULL);

    /* A streamed reply that is a long code block (1,500 lines of C, about 100 kB): each
     * delta adds to its last line, which is what re-rendering a growing reply costs. */
    session_submit(&c->s, "stream code", 0);
    buf code;
    buf_init(&code);
    buf_puts(&code, "Here it is:\n\n```c\n");
    for (int i = 0; i < 1500; i++)
        buf_printf(&code, "    if (n > %d && p[%d] != '\\0') /* line %d */ x = f(\"s%d\", x);\n", i,
                   i, i, i);
    event(c, WEV_CONTENT, buf_str(&code));
    buf_free(&code);
    chat_draw(c, UI_REDRAW_CONV, false, 0);
    doupdate();
    for (int i = 0; i < N; i++) {
        t0 = cpu_ms();
        event(c, WEV_CONTENT, i % 8 == 7 ? "x++;\n" : "x = y; ");
        chat_draw(c, UI_REDRAW_CONV, false, 0);
        doupdate();
        v[i] = cpu_ms() - t0;
    }
    double code_delta = median(v, N);
    event(c, WEV_DONE, NULL);

    /* A reasoning model thinking: its reasoning shown as it grows (about 20 kB of it). */
    session_submit(&c->s, "think", 0);
    for (int i = 0; i < 400; i++)
        event(c, WEV_REASONING, "Let me weigh the options once more, carefully. ");
    chat_draw(c, UI_REDRAW_CONV, false, 0);
    doupdate();
    for (int i = 0; i < N; i++) {
        t0 = cpu_ms();
        event(c, WEV_REASONING, i % 16 == 15 ? "Then:\n" : "and so on, ");
        chat_draw(c, UI_REDRAW_CONV, false, 0);
        doupdate();
        v[i] = cpu_ms() - t0;
    }
    double think_delta = median(v, N);
    event(c, WEV_CONTENT, "The answer.");
    event(c, WEV_DONE, NULL);

    /* Alt-h: its reasoning unfolded and folded again. */
    for (int i = 0; i < N; i++) {
        t0 = cpu_ms();
        unsigned f = c->base.ops->key(&c->base, TERM_KEY_ALT | 'h');
        chat_draw(c, f & UI_REDRAW_ALL, false, 0);
        doupdate();
        v[i] = cpu_ms() - t0;
    }
    double unfold = median(v, N);

    /* A keypress in the input line, as the loop handles and draws it. */
    for (int i = 0; i < N; i++) {
        t0 = cpu_ms();
        unsigned f = c->base.ops->key(&c->base, 'a' + i % 26);
        chat_draw(c, f & UI_REDRAW_ALL, false, 0);
        doupdate();
        v[i] = cpu_ms() - t0;
    }
    double key = median(v, N);

    /* Scrolling a page up, deep into the conversation. */
    for (int i = 0; i < N; i++) {
        t0 = cpu_ms();
        unsigned f = c->base.ops->key(&c->base, KEY_PPAGE);
        chat_draw(c, f & UI_REDRAW_ALL, false, 0);
        doupdate();
        v[i] = cpu_ms() - t0;
    }
    double page = median(v, N);

    /* Alt-Up: the prompt before, walking back through the conversation. */
    for (int i = 0; i < N; i++) {
        t0 = cpu_ms();
        unsigned f = c->base.ops->key(&c->base, TERM_KEY_ALT | KEY_UP);
        chat_draw(c, f & UI_REDRAW_ALL, false, 0);
        doupdate();
        v[i] = cpu_ms() - t0;
    }
    double walk = median(v, N);

    printf("%6d messages: load %7.1f ms · first frame %6.2f ms · full redraw %5.3f ms · "
           "streamed delta %5.3f ms · into a 100 kB code block %5.3f ms · of 20 kB of "
           "reasoning %5.3f ms · keypress %5.3f ms · PgUp %5.3f ms · Alt-Up %5.3f ms · Alt-h "
           "%5.3f ms\n",
           messages, load, cold, redraw, delta, code_delta, think_delta, key, page, walk, unfold);

    screens_close_all(&stack);
    config_free(&cfg);
}

/* A keystroke in a picker of n items, each with search text of text_len bytes (0: none). */
static void run_picker(const char *what, size_t n, size_t text_len)
{
    static const guide_lang lang = GUIDE_LANG_EN;
    picker_opts o = {.name = "bench", .title = what, .lang = &lang};
    picker *p = picker_new(&o);
    picker_item *items = xcalloc(n, sizeof *items);
    char **labels = xcalloc(n, sizeof *labels);
    buf text, folded;
    buf_init(&text);
    buf_init(&folded);
    while (text.len < text_len) {
        buf_puts(&text, replies[text.len % 4]);
        buf_putc(&text, '\n');
    }
    fold_append(&folded, buf_str(&text), text.len);
    for (size_t i = 0; i < n; i++) {
        labels[i] = xasprintf("Question number %zu: how should a client back off?", i);
        items[i] = (picker_item){.label = labels[i], .search = text_len ? folded.data : NULL};
    }
    double t0 = cpu_ms();
    picker_set_items(p, items, n);
    double set = cpu_ms() - t0;
    screen *s = picker_screen(p);
    WINDOW *w = newwin(LINES - 1, COLS, 1, 0);
    enum { N = 50 };
    double narrow[N], widen[N], miss[N];
    for (int i = 0; i < N; i++) {
        /* "qu" then "e": every item still matches (early in its label). */
        s->ops->key(s, 'q');
        s->ops->key(s, 'u');
        t0 = cpu_ms();
        s->ops->key(s, 'e');
        s->ops->draw(s, w, 0);
        doupdate();
        narrow[i] = cpu_ms() - t0;
        t0 = cpu_ms();
        s->ops->key(s, KEY_BACKSPACE);
        s->ops->draw(s, w, 0);
        doupdate();
        widen[i] = cpu_ms() - t0;
        s->ops->key(s, 21);
        /* The worst case: a filter that matches nothing, typed after one that did, so every
         * byte of every item is looked at. */
        s->ops->key(s, 'q');
        t0 = cpu_ms();
        s->ops->key(s, 'z');
        s->ops->draw(s, w, 0);
        doupdate();
        miss[i] = cpu_ms() - t0;
        s->ops->key(s, 21);
    }
    printf("picker, %s: set %5.1f ms · keystroke + draw: narrowing %5.3f ms, widening "
           "%5.3f ms, no match (every byte read) %5.3f ms\n",
           what, set, median(narrow, N), median(widen, N), median(miss, N));
    s->ops->close(s);
    delwin(w);
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
    free(items);
    buf_free(&text);
    buf_free(&folded);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    setenv("LINES", "50", 1);
    setenv("COLUMNS", "160", 1);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *scr = newterm("xterm-256color", out, in);
    if (!scr) {
        fprintf(stderr, "bench_ui: no terminfo for xterm-256color\n");
        return 1;
    }
    theme t;
    char err[256];
    theme_load("default", &t, err, sizeof err);
    theme_apply(&t, false);
    printf("terminal 160x50; CPU time per event, medians (budgets: keypress/delta < 1 ms, "
           "full redraw < 5 ms)\n");
    run(100);
    run(10000);
    run_picker("1,000 conversations of 8 kB", 1000, 8000);
    run_picker("10,000 names", 10000, 0);
    endwin();
    delscreen(scr);
    return 0;
}
