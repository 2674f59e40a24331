/* The leading <think> block split off a reply's content, as a table of cases. Each case
 * is fed whole, cut in two at every byte position, and one byte at a time: the output is
 * the same however the deltas fall. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "think.h"
#include "util.h"

typedef struct think_case {
    const char *name;
    const char *in;
    const char *reasoning;
    const char *content;
} think_case;

static const think_case CASES[] = {
    {"no block", "Hello", "", "Hello"},
    {"empty", "", "", ""},
    {"a block, then the answer", "<think>\nLet me see.\n</think>\n\nFour.", "Let me see.\n",
     "Four."},
    {"white space before the block", " \n\t<think>x</think>y", "x", "y"},
    {"white space alone is the answer's", "  \n", "", "  \n"},
    {"white space then text", "\n\nHi", "", "\n\nHi"},
    {"an empty block", "<think></think>Answer", "", "Answer"},
    {"CRLF after the tags", "<think>\r\na\r\n</think>\r\n\r\nb", "a\r\n", "b"},
    {"spaces after the end tag stay (they may be the answer's)", "<think>a</think>  b", "a",
     "  b"},
    {"not at the start: text", "Hi <think>x</think>", "", "Hi <think>x</think>"},
    {"a second block is the answer's", "<think>a</think>b<think>c</think>", "a",
     "b<think>c</think>"},
    {"a tag that is not one", "<thinking>x</thinking>", "", "<thinking>x</thinking>"},
    {"case matters", "<THINK>x</THINK>", "", "<THINK>x</THINK>"},
    {"a lone <", "<", "", "<"},
    {"a cut opening tag is the answer's", "<thin", "", "<thin"},
    {"never closed: reasoning to the end", "<think>still going", "still going", ""},
    {"cut inside the end tag: reasoning", "<think>abc</thi", "abc</thi", ""},
    {"'<' inside the reasoning", "<think>a < b, a</b> <</think>c", "a < b, a</b> <", "c"},
    {"an end tag begun twice", "<think>x<</think>y", "x<", "y"},
    {"almost an end tag", "<think>x</thinky</think>z", "x</thinky", "z"},
    {"too much white space first", "                                  <think>x</think>", "",
     "                                  <think>x</think>"},
    {"UTF-8 on both sides", "<think>思考中…</think>\n答案🙂", "思考中…", "答案🙂"},
    {"only the end tag: text", "</think>x", "", "</think>x"},
};

typedef struct out {
    buf reasoning, content;
    bool last_reasoning; /* the last call's kind, to check that nothing comes empty */
} out;

static void collect(void *ud, bool reasoning, const char *p, size_t n)
{
    out *o = ud;
    assert_true(n > 0);
    buf_append(reasoning ? &o->reasoning : &o->content, p, n);
    o->last_reasoning = reasoning;
}

static void check(const think_case *c, out *o, const char *how)
{
    if (strcmp(buf_str(&o->reasoning), c->reasoning) != 0 ||
        strcmp(buf_str(&o->content), c->content) != 0)
        fail_msg("%s (%s): reasoning [%s] content [%s], want [%s] [%s]", c->name, how,
                 buf_str(&o->reasoning), buf_str(&o->content), c->reasoning, c->content);
}

static void run(const think_case *c, const size_t *cuts, size_t ncuts, out *o)
{
    think_split t;
    think_init(&t);
    buf_reset(&o->reasoning);
    buf_reset(&o->content);
    size_t len = strlen(c->in), at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        think_feed(&t, c->in + at, end - at, collect, o);
        at = end;
    }
    think_finish(&t, collect, o);
}

static void test_cases(void **state)
{
    (void)state;
    out o;
    buf_init(&o.reasoning);
    buf_init(&o.content);
    char how[64];
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const think_case *c = &CASES[i];
        size_t len = strlen(c->in);
        run(c, NULL, 0, &o);
        check(c, &o, "whole");
        for (size_t cut = 0; cut <= len; cut++) {
            run(c, &cut, 1, &o);
            snprintf(how, sizeof how, "cut at %zu", cut);
            check(c, &o, how);
        }
        size_t *every = xmalloc_array(len ? len : 1, sizeof *every);
        for (size_t k = 0; k < len; k++)
            every[k] = k + 1;
        run(c, every, len ? len - 1 : 0, &o);
        check(c, &o, "a byte at a time");
        free(every);
    }
    buf_free(&o.reasoning);
    buf_free(&o.content);
}

/* White space held at the start goes out as content once a byte that is no tag comes. */
static void test_passing(void **state)
{
    (void)state;
    think_split t;
    think_init(&t);
    out o;
    buf_init(&o.reasoning);
    buf_init(&o.content);
    think_feed(&t, "  ", 2, collect, &o);
    assert_string_equal(buf_str(&o.content), "");
    think_feed(&t, "x", 1, collect, &o);
    assert_string_equal(buf_str(&o.content), "  x");
    buf_free(&o.reasoning);
    buf_free(&o.content);
}

/* A reply whose template opened the block in the prompt: the reasoning, then "</think>"
 * on its own line. Anything that is not clearly that stays the answer. */
typedef struct lone_case {
    const char *name;
    const char *in;
    const char *reasoning; /* NULL: not a lone block */
    const char *answer;
} lone_case;

static const lone_case LONE[] = {
    {"reasoning, the tag, the answer", "Let me see.\n</think>\n\nFour.", "Let me see.", "Four."},
    {"CRLF and spaces around the tag", "a b\r\n</think>  \r\n\r\nc", "a b", "c"},
    {"the tag ends the reply", "thinking\n</think>", "thinking", ""},
    {"no tag", "Four.", NULL, NULL},
    {"the tag first: nothing to fold", "</think>\nFour.", NULL, NULL},
    {"only white space before it", " \n</think>\nFour.", NULL, NULL},
    {"the tag inside a line", "Write </think> to end it.", NULL, NULL},
    {"text after the tag on its line", "a\n</think> b", NULL, NULL},
    {"an opening tag before it (the splitter's case)", "<think>\na\n</think>\nb", NULL, NULL},
    {"inside a code block", "```\nx\n</think>\n```", NULL, NULL},
    {"only the first tag counts", "a\n</think>\nb\n</think>\nc", "a", "b\n</think>\nc"},
};

static void test_lone_close(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof LONE / sizeof LONE[0]; i++) {
        const lone_case *c = &LONE[i];
        size_t r = 99, a = 99;
        bool got = think_lone_close(c->in, strlen(c->in), &r, &a);
        bool ok = got == (c->reasoning != NULL);
        if (ok && got)
            ok = r == strlen(c->reasoning) && memcmp(c->in, c->reasoning, r) == 0 &&
                 strcmp(c->in + a, c->answer) == 0;
        if (!ok)
            print_error("%s: got %d (reasoning %zu bytes, answer at %zu)\n", c->name, got, r, a);
        assert_true(ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_lone_close),
        cmocka_unit_test(test_passing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
