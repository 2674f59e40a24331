/* The filter of the pickers and of tchat --list --search: text folded once, a folded query
 * found in it, case aside, in every script that has case, and CJK as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "util.h"

/* Whether needle occurs in text, case aside: both folded, as the callers fold them. */
static bool fold_contains(const char *text, const char *needle)
{
    buf t, q;
    buf_init(&t);
    buf_init(&q);
    fold_append(&t, text ? text : "", text ? strlen(text) : 0);
    fold_append(&q, needle ? needle : "", needle ? strlen(needle) : 0);
    bool yes = fold_find(buf_str(&t), t.len, buf_str(&q), q.len);
    buf_free(&t);
    buf_free(&q);
    return yes;
}

static void test_fold(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *in;
        const char *out;
    } cases[] = {
        {"ASCII", "Explain BACKOFF in One Line.", "explain backoff in one line."},
        {"digits and punctuation as they are", "GPT-4o_mini/2024", "gpt-4o_mini/2024"},
        {"Latin-1", "ÀÉÎÕÜ Ñandú ÆØÅ ß ×", "àéîõü ñandú æøå ß ×"},
        {"Latin Extended-A", "ŁÓDŹ ŠĐČĆŽ ĞİŞ Ÿ", "łódź šđčćž ğiş ÿ"},
        {"Greek, final sigma", "ΑΘΗΝΑ Σοφός", "αθηνα σοφόσ"},
        {"Cyrillic", "МОСКВА Ёлка ЖУК", "москва ёлка жук"},
        {"fullwidth Latin", "ＧＰＴ", "ｇｐｔ"},
        {"CJK has no case", "速率限制 API", "速率限制 api"},
        {"emoji as it is", "OK 🙂", "ok 🙂"},
        {"invalid UTF-8 bytes as they are", "A\377B\303", "a\377b\303"},
        {"empty", "", ""},
        {"folded text stays as it is", "àéîõü łódź αθηνα москва", "àéîõü łódź αθηνα москва"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf b;
        buf_init(&b);
        fold_append(&b, cases[i].in, strlen(cases[i].in));
        if (strcmp(buf_str(&b), cases[i].out) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, buf_str(&b), cases[i].out);
        assert_int_equal(b.len, strlen(buf_str(&b)));
        buf_free(&b);
    }
}

static void test_find(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *text;
        const char *query;
        bool found;
    } cases[] = {
        {"ASCII", "Explain backoff in one line", "backoff", true},
        {"case aside", "Explain backoff in one line", "BackOff", true},
        {"query upper, text lower", "rate limit", "RATE LIM", true},
        {"in the middle of a word", "exponential", "pone", true},
        {"empty filter matches all", "anything", "", true},
        {"empty filter matches the empty text", "", "", true},
        {"no match", "Explain backoff", "retry", false},
        {"longer than the text", "abc", "abcd", false},
        {"Latin-1 case aside", "Crème BRÛLÉE", "brûlée", true},
        {"Greek case aside", "ΑΘΗΝΑ", "αθη", true},
        {"Cyrillic case aside", "привет МИР", "мир", true},
        {"CJK", "速率限制按组织计算，而不是按用户计算。", "按组织", true},
        {"CJK no match", "速率限制按组织计算", "用户", false},
        {"mixed CJK and ASCII", "使用 GPT-4o 模型", "gpt-4o 模", true},
        {"an accent matters", "resume", "résumé", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = fold_contains(cases[i].text, cases[i].query);
        if (got != cases[i].found)
            fail_msg("%s: \"%s\" in \"%s\": got %d, want %d", cases[i].name, cases[i].query,
                     cases[i].text, got, cases[i].found);
    }
    assert_true(fold_contains(NULL, ""));
    assert_false(fold_contains(NULL, "x"));
    assert_true(fold_find(NULL, 0, "", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
