/* Display width and fitting a line to a terminal's columns (the one-shot countdown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "width.h"

#define CJK "\xE4\xBD\xA0\xE5\xA5\xBD" /* 你好: two wide characters */
#define E_ACUTE "e\xCC\x81"            /* e and a combining acute accent */

static void test_fit(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *text;
        size_t cols;
        size_t width;    /* of the whole text */
        const char *fit; /* the prefix that fits */
    } cases[] = {
        {"ASCII that fits", "Retrying in 3.4 s", 40, 17, "Retrying in 3.4 s"},
        {"ASCII cut", "Retrying in 3.4 s", 8, 17, "Retrying"},
        {"exactly the width", "abcd", 4, 4, "abcd"},
        {"no room at all", "abcd", 0, 4, ""},
        {"CJK fits", CJK, 4, 4, CJK},
        {"CJK never half a character", CJK, 3, 4, "\xE4\xBD\xA0"},
        {"CJK one column is too few", CJK, 1, 4, ""},
        {"mixed", "a" CJK "b", 4, 6, "a\xE4\xBD\xA0"},
        {"a combining mark stays with its letter", "x" E_ACUTE "y", 2, 3, "x" E_ACUTE},
        {"middle dot is one column", "a \xC2\xB7 b", 3, 5, "a \xC2\xB7"},
        {"invalid byte is one column",
         "a\xFF"
         "b",
         2, 3, "a\xFF"},
        {"a cut character at the end", "ab\xE4\xBD", 3, 4, "ab\xE4"},
        {"empty", "", 10, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = cases[i].text;
        size_t w = width_of(t, strlen(t));
        if (w != cases[i].width)
            fail_msg("%s: width %zu, want %zu", cases[i].name, w, cases[i].width);
        size_t n = width_fit(t, strlen(t), cases[i].cols);
        if (n != strlen(cases[i].fit) || memcmp(t, cases[i].fit, n) != 0)
            fail_msg("%s: fits %zu bytes, want \"%s\"", cases[i].name, n, cases[i].fit);
    }
}

int main(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8"))
        setlocale(LC_ALL, "");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
