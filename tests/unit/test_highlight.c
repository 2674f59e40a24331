/* Syntax highlighting, as tables of cases: a language, lines of code, and the style of each
 * character, one letter per character: B plain code, k keyword, s string, m comment,
 * n number (and literals), v name, + and - a diff's added and removed lines. Lines of a case
 * are highlighted in order, so what spans lines (block comments, long strings) is seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "highlight.h"
#include "render.h"

static char letter(uint8_t st)
{
    switch (st) {
    case MD_CODE_BLOCK:
        return 'B';
    case MD_CODE_KEYWORD:
        return 'k';
    case MD_CODE_STRING:
        return 's';
    case MD_CODE_COMMENT:
        return 'm';
    case MD_CODE_NUMBER:
        return 'n';
    case MD_CODE_NAME:
        return 'v';
    case MD_DIFF_ADD:
        return '+';
    case MD_DIFF_DEL:
        return '-';
    default:
        return '!';
    }
}

typedef struct hl_case {
    const char *lang;
    const char *lines[6];
    const char *want[6];
} hl_case;

static const hl_case CASES[] = {
    /* C */
    {"c", {"int main(void) {"}, {"kkkBBBBBBkkkkBBB"}},
    {"c", {"return x + 0x1F;"}, {"kkkkkkBBBBBnnnnB"}},
    {"c", {"char *s = \"a\\\"b\"; // note"}, {"kkkkBBBBBBssssssBBmmmmmmm"}},
    {"c", {"#include <stdio.h>"}, {"kkkkkkkkBsssssssss"}},
    {"c", {"  # define N 10"}, {"BBkkkkkkkkBBBnn"}},
    {"c", {"x = 'a'; p = NULL;"}, {"BBBBsssBBBBBBnnnnB"}},
    {"c", {"a /* one", "two */ b", "/* c */ if"}, {"BBmmmmmm", "mmmmmmBB", "mmmmmmmBkk"}},
    {"c", {"double d = 1.5e-3;"}, {"kkkkkkBBBBBnnnnnnB"}},
    {"c", {"snake_case_if"}, {"BBBBBBBBBBBBB"}},
    /* C++ */
    {"cpp", {"template <typename T> class A {};"}, {"kkkkkkkkBBkkkkkkkkBBBBkkkkkBBBBBB"}},
    {"C++", {"auto p = nullptr;"}, {"kkkkBBBBBnnnnnnnB"}},
    /* Python */
    {"python", {"def f(x):  # add", "    return None"}, {"kkkBBBBBBBBmmmmm", "BBBBkkkkkkBnnnn"}},
    {"py", {"s = f'{x}' + r\"\\d\""}, {"BBBBssssssBBBsssss"}},
    {"py", {"doc = \"\"\"one", "two\"\"\" if"}, {"BBBBBBssssss", "ssssssBkk"}},
    {"py", {"x = '''a''' # c"}, {"BBBBsssssssBmmm"}},
    {"py", {"x = f\"\"\"doc", "still", "\"\"\"", "y = 1"}, {"BBBBsssssss", "sssss", "sss", "BBBBn"}},
    {"py", {"a or'x' in\"y\""}, {"BBkksssBkksss"}},
    /* JavaScript, TypeScript */
    {"js", {"const $a = `t ${x}", "end` ?? null;"}, {"kkkkkBBBBBBsssssss", "ssssBBBBnnnnB"}},
    {"javascript", {"function f() { return 'x'; }"}, {"kkkkkkkkBBBBBBBkkkkkkBsssBBB"}},
    {"ts", {"interface A { n: number }"}, {"kkkkkkkkkBBBBBBBBkkkkkkBB"}},
    {"TypeScript", {"let u = undefined; // x"}, {"kkkBBBBBnnnnnnnnnBBmmmm"}},
    /* Go */
    {"go",
     {"func main() {", "\ts := `raw", "\\n` + \"x\"", "}"},
     {"kkkkBBBBBBBBB", "BBBBBBssss", "sssBBBsss", "B"}},
    {"golang", {"var p *T = nil"}, {"kkkBBBBBBBBnnn"}},
    /* Rust */
    {"rust", {"fn f<'a>(s: &'a str) -> Option<u8> {"}, {"kkBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"}},
    {"rs", {"let c = 'x'; let n = '\\n';"}, {"kkkBBBBBsssBBkkkBBBBBssssB"}},
    {"rs", {"/* a /* b */ c */ d"}, {"mmmmmmmmmmmmmmmmmBB"}},
    {"rs", {"Some(true)"}, {"nnnnBnnnnB"}},
    /* Shell */
    {"sh",
     {"if [ -n \"$HOME\" ]; then echo ${X}; fi # end"},
     {"kkBBBBBBsvvvvvsBBBBkkkkBBBBBBvvvvBBkkBmmmmm"}},
    {"bash", {"echo '$NOT' $1 a#b"}, {"BBBBBssssssBvvBBBB"}},
    {"shell", {"for f in *.c; do", "done"}, {"kkkBBBkkBBBBBBkk", "kkkk"}},
    {"zsh", {"msg=\"two", "lines\" $x"}, {"BBBBssss", "ssssssBvv"}},
    /* JSON */
    {"json",
     {"{\"key\": \"value\", \"n\": -3.5e2, \"ok\": true, \"z\": null}"},
     {"BvvvvvBBsssssssBBvvvBBnnnnnnBBvvvvBBnnnnBBvvvBBnnnnB"}},
    /* YAML */
    {"yaml",
     {"name: tchat  # the name", "- port: 8080", "  on: true", "---"},
     {"vvvvBBBBBBBBBmmmmmmmmmm", "BBvvvvBBnnnn", "BBvvBBnnnn", "kkk"}},
    {"yml", {"url: \"http://x\"", "http://not:a key"}, {"vvvBBssssssssss", "BBBBBBBBBBBBBBBB"}},
    /* SQL */
    {"sql",
     {"SELECT a, \"B\" FROM t WHERE x = 'y' -- c", "select null;"},
     {"kkkkkkBBBBvvvBkkkkBBBkkkkkBBBBBsssBmmmm", "kkkkkkBnnnnB"}},
    /* diff */
    {"diff",
     {"diff --git a/x b/x", "--- a/x", "+++ b/x", "@@ -1 +1 @@", "-old", "+new"},
     {"kkkkkkkkkkkkkkkkkk", "kkkkkkk", "kkkkkkk", "kkkkkkkkkkk", "----", "++++"}},
    {"patch", {" same", "+"}, {"BBBBB", "+"}},
    /* Unknown: plain */
    {"brainfuck", {"if \"x\" // 1"}, {"BBBBBBBBBBB"}},
    /* UTF-8 keeps one style a character (one letter a character here) */
    {"python", {"s = \"你好\" # 注释"}, {"BBBBssssBmmmm"}},
};

static void style_letters(const char *line, const uint8_t *st, char *out, size_t outlen)
{
    size_t o = 0, n = strlen(line);
    for (size_t i = 0; i < n && o + 1 < outlen;) {
        size_t k = 1;
        while (i + k < n && ((unsigned char)line[i + k] & 0xC0) == 0x80)
            k++;
        bool same = true;
        for (size_t j = 1; j < k; j++)
            same = same && st[i + j] == st[i];
        out[o++] = same ? letter(st[i]) : '?';
        i += k;
    }
    out[o] = '\0';
}

static void test_cases(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        const hl_case *t = &CASES[c];
        hl_lang lang = hl_lang_find(t->lang, strlen(t->lang));
        hl_state st;
        memset(&st, 0, sizeof st);
        for (size_t l = 0; l < 6 && t->lines[l]; l++) {
            size_t n = strlen(t->lines[l]);
            uint8_t style[256];
            assert_true(n < sizeof style);
            memset(style, MD_CODE_BLOCK, n);
            hl_line(lang, &st, t->lines[l], n, style);
            char got[256];
            style_letters(t->lines[l], style, got, sizeof got);
            if (strcmp(got, t->want[l]) != 0) {
                print_error("%s: %s\n  got  %s\n  want %s\n", t->lang, t->lines[l], got,
                            t->want[l]);
                failures++;
            }
        }
    }
    assert_int_equal(failures, 0);
}

static void test_languages(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        hl_lang lang;
    } names[] = {
        {"c", HL_C},           {"C", HL_C},           {"h", HL_CPP},           {"cpp", HL_CPP},
        {"c++", HL_CPP},       {"cc", HL_CPP},        {"hpp", HL_CPP},       {"python", HL_PYTHON},
        {"Py", HL_PYTHON},     {"js", HL_JS},         {"javascript", HL_JS}, {"ts", HL_TS},
        {"typescript", HL_TS}, {"go", HL_GO},         {"rust", HL_RUST},     {"rs", HL_RUST},
        {"sh", HL_SH},         {"bash", HL_SH},       {"shell", HL_SH},      {"zsh", HL_SH},
        {"json", HL_JSON},     {"yaml", HL_YAML},     {"yml", HL_YAML},      {"sql", HL_SQL},
        {"diff", HL_DIFF},     {"patch", HL_DIFF},    {"", HL_NONE},         {"text", HL_NONE},
        {"cs", HL_NONE},       {"pythonic", HL_NONE}, {"c+", HL_NONE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (hl_lang_find(names[i].name, strlen(names[i].name)) != names[i].lang)
            fail_msg("\"%s\": %d, want %d", names[i].name,
                     hl_lang_find(names[i].name, strlen(names[i].name)), names[i].lang);
}

/* Each line costs its length: a line of a million quotes or slashes is no harder. */
static void test_linear(void **state)
{
    (void)state;
    enum { N = 1 << 20 };
    static char line[N];
    static uint8_t style[N];
    static const char fill[] = "\"/'`#$*-{:";
    for (size_t f = 0; f < sizeof fill - 1; f++) {
        memset(line, fill[f], N);
        for (int lang = HL_NONE; lang < HL__COUNT; lang++) {
            hl_state st;
            memset(&st, 0, sizeof st);
            memset(style, MD_CODE_BLOCK, N);
            hl_line((hl_lang)lang, &st, line, N, style);
            for (size_t i = 0; i < N; i += 4096)
                assert_true(md_is_code(style[i]));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
