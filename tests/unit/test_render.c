/* Markdown rendering and wrapping by display width, as tables of cases.
 *
 * Styles are written one letter per character (not per byte, so that "•",
 * "│" and CJK stay readable): p plain, b bold, i italic, c code, B code
 * block, f fence, h heading, q quote, l list, r rule; in highlighted code
 * k keyword, s string, m comment, n number, v name, + and - a diff's added and
 * removed lines. The helper also checks that every byte of a character carries
 * the same style. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "render.h"

/* ------------------------------------------------------------ helpers */

static const char STYLE_CHARS[MD__COUNT + 1] = "pbicBfhqlrksmnv+-";

static size_t char_len(unsigned char c)
{
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    if (c >= 0xE0)
        return 3;
    if (c >= 0xC2 && c < 0xE0)
        return 2;
    return 1;
}

/* One letter per UTF-8 character of d's text, '?' when its bytes disagree. */
static void style_string(const md_doc *d, char *out, size_t outlen)
{
    const char *t = buf_str(&d->text);
    size_t o = 0;
    for (size_t i = 0; i < d->text.len && o + 1 < outlen;) {
        size_t n = char_len((unsigned char)t[i]);
        if (n > d->text.len - i)
            n = d->text.len - i;
        uint8_t st = d->style[i];
        bool same = true;
        for (size_t k = 1; k < n; k++)
            same = same && d->style[i + k] == st;
        out[o++] = !same ? '?' : st < MD__COUNT ? STYLE_CHARS[st] : '!';
        i += n;
    }
    out[o] = '\0';
}

/* -------------------------------------------------------------- md */

typedef struct md_case {
    const char *name;
    const char *in;
    const char *text;
    const char *styles;
} md_case;

static const md_case MD_CASES[] = {
    {"empty", "", "", ""},
    {"plain", "hello", "hello", "ppppp"},
    {"trailing newline kept", "a\n", "a\n", "pp"},
    {"bold", "a **b** c", "a b c", "ppbpp"},
    {"bold underscores", "__b__", "b", "b"},
    {"italic both kinds", "*i* and _j_", "i and j", "ipppppi"},
    {"italic inside a word with *", "a*b*c", "abc", "pip"},
    {"bold italic nest: bold wins", "***x***", "x", "b"},
    {"intraword triple stars", "a***b***c", "abc", "pbp"},
    {"rule of three", "*a**b*", "a**b", "iiii"},
    {"italic around bold", "*a **b** c*", "a b c", "iibii"},
    {"snake_case stays", "use snake_case_name", "use snake_case_name", "ppppppppppppppppppp"},
    {"intraword _ cannot open", "file_name_ here", "file_name_ here", "ppppppppppppppp"},
    {"underscores inside a word stay", "foo__bar__baz", "foo__bar__baz", "ppppppppppppp"},
    {"dunder is strong (CommonMark)", "__init__", "init", "bbbb"},
    {"lone star", "2 * 3 = 6", "2 * 3 = 6", "ppppppppp"},
    {"stars with spaces then italic", "a * b *c*", "a * b c", "ppppppi"},
    {"unclosed bold", "**open", "**open", "pppppp"},
    {"unclosed italic", "_open", "_open", "ppppp"},
    {"bold does not cross lines", "**a\nb**", "**a\nb**", "ppppppp"},
    {"escaped stars", "\\*not\\*", "*not*", "ppppp"},
    {"escaped backslash", "a\\\\b", "a\\b", "ppp"},
    {"backslash before a letter stays", "C:\\dir", "C:\\dir", "pppppp"},
    {"inline code", "run `ls -l` now", "run ls -l now", "ppppcccccpppp"},
    {"code keeps markup", "`**x**`", "**x**", "ccccc"},
    {"double backticks hold one", "``a`b``", "a`b", "ccc"},
    {"code padding stripped", "`` `x` ``", "`x`", "ccc"},
    {"code of spaces kept", "` `", " ", "c"},
    {"unclosed backtick literal", "`open", "`open", "ppppp"},
    {"unmatched run lengths literal", "``a`", "``a`", "pppp"},
    {"escaped backtick literal", "\\`x`", "`x`", "ppp"},
    {"backslash inside code literal", "`a\\`b", "a\\b", "ccp"},
    {"heading", "## Title", "Title", "hhhhh"},
    {"heading closing hashes", "# T #", "T", "h"},
    {"heading spaces trimmed", "###   T  ", "T", "h"},
    {"heading only hashes is empty", "## ##", "", ""},
    {"heading keeps C#", "# C#", "C#", "hh"},
    {"heading with bold", "# a **b**", "a b", "hhb"},
    {"hashtag is not a heading", "#tag", "#tag", "pppp"},
    {"seven hashes are text", "####### x", "####### x", "ppppppppp"},
    {"quote", "> hi", "\u2502 hi", "qqqq"},
    {"quote without space", ">hi", "\u2502 hi", "qqqq"},
    {"nested quote", "> > x", "\u2502 \u2502 x", "qqqqq"},
    {"quote with bold", "> **b**", "\u2502 b", "qqb"},
    {"quoted list", "> - a", "\u2502 \u2022 a", "qqllq"},
    {"quoted heading", "> # T", "\u2502 T", "qqh"},
    {"bullet", "- item", "\u2022 item", "llpppp"},
    {"bullets * and +", "* a\n+ b", "\u2022 a\n\u2022 b", "llppllp"},
    {"nested bullets", "- a\n  - b\n    * c", "\u2022 a\n  \u2022 b\n    \u2022 c",
     "llpp"
     "ppllpp"
     "ppppllp"},
    {"empty bullet while streaming", "- ", "\u2022 ", "ll"},
    {"dash without space is text", "-x", "-x", "pp"},
    {"ordered", "1. one\n2) two", "1. one\n2) two",
     "lllppp"
     "p"
     "lllppp"},
    {"too many digits", "1234567890. x", "1234567890. x", "ppppppppppppp"},
    {"bold line is not a bullet", "**b** c", "b c", "bpp"},
    {"rule dashes", "---", "\u2500\u2500\u2500", "rrr"},
    {"rule stars spaced", "* * *", "\u2500\u2500\u2500", "rrr"},
    {"rule underscores", "_____", "\u2500\u2500\u2500", "rrr"},
    {"not a rule", "--- x", "--- x", "ppppp"},
    {"fence", "```python\nprint(1)\n```\nafter", "```python\nprint(1)\n```\nafter",
     "fffffffff"
     "p"
     "BBBBBBnB"
     "p"
     "fff"
     "p"
     "ppppp"},
    {"two backticks are not a fence", "``\nx", "``\nx", "pppp"},
    {"unclosed fence while streaming", "```c\nint *p = **q;\n", "```c\nint *p = **q;\n",
     "ffff"
     "p"
     "kkkBBBBBBBBBB"
     "p"},
    {"tilde fence holds backticks", "~~~\n```\n~~~", "~~~\n```\n~~~",
     "fff"
     "p"
     "BBB"
     "p"
     "fff"},
    {"shorter fence does not close", "````\n```\n````", "````\n```\n````",
     "ffff"
     "p"
     "BBB"
     "p"
     "ffff"},
    {"fence indented 3", "   ```\nx\n   ```", "   ```\nx\n   ```",
     "ffffff"
     "p"
     "B"
     "p"
     "ffffff"},
    {"indented 4 is not a fence", "    ```", "    ```", "ppppppp"},
    {"backticks in info: inline code", "```foo```", "foo", "ccc"},
    {"code block keeps blank lines", "```\na\n\nb\n```", "```\na\n\nb\n```",
     "fff"
     "p"
     "B"
     "p"
     "p"
     "B"
     "p"
     "fff"},
    {"cjk bold", "\u4e2d\u6587**\u5f3a\u8c03**\u4e2d\u6587", "\u4e2d\u6587\u5f3a\u8c03\u4e2d\u6587",
     "ppbbpp"},
    {"link literal", "[t](http://x/a_b)", "[t](http://x/a_b)", "ppppppppppppppppp"},
};

static void test_md_cases(void **state)
{
    (void)state;
    md_doc d;
    md_init(&d);
    int failures = 0;
    for (size_t i = 0; i < sizeof MD_CASES / sizeof MD_CASES[0]; i++) {
        const md_case *c = &MD_CASES[i];
        md_render(&d, c->in, strlen(c->in));
        char styles[512];
        style_string(&d, styles, sizeof styles);
        if (strcmp(buf_str(&d.text), c->text) != 0 || d.text.len != strlen(c->text) ||
            strcmp(styles, c->styles) != 0) {
            print_error("md case '%s':\n  text   '%s' want '%s'\n  styles '%s' want '%s'\n",
                        c->name, buf_str(&d.text), c->text, styles, c->styles);
            failures++;
        }
    }
    md_free(&d);
    assert_int_equal(failures, 0);
}

/* A doc is reused: a shorter render replaces a longer one entirely. */
static void test_md_rerender(void **state)
{
    (void)state;
    md_doc d;
    md_init(&d);
    md_render(&d, "# long heading here", 19);
    md_render(&d, "**x**", 5);
    assert_string_equal(buf_str(&d.text), "x");
    assert_int_equal(d.text.len, 1);
    assert_int_equal(d.style[0], MD_BOLD);
    md_render(&d, "", 0);
    assert_int_equal(d.text.len, 0);
    md_render(&d, NULL, 0);
    assert_int_equal(d.text.len, 0);
    md_free(&d);
}

/* ------------------------------------------------------ code blocks */

typedef struct exp_block {
    const char *code;  /* what md_block_text gives */
    const char *lang;
    bool closed;
    size_t lines;
} exp_block;

typedef struct block_case {
    const char *name;
    const char *in;
    size_t n;
    exp_block b[3];
} block_case;

static const block_case BLOCK_CASES[] = {
    {"no fence, inline code", "text `code` here", 0, {{0}}},
    {"backticks with a language", "Intro\n```c\nint x;\n```\nafter", 1,
     {{"int x;", "c", true, 1}}},
    {"tildes", "~~~python\nprint(1)\nprint(2)\n~~~\n", 1,
     {{"print(1)\nprint(2)", "python", true, 2}}},
    {"numbered in order", "```sh\nmake\n```\ntext\n```\nrun\n```\n~~~go\nx\n~~~", 3,
     {{"make", "sh", true, 1}, {"run", "", true, 1}, {"x", "go", true, 1}}},
    {"the language is the info string's first word", "```python title=\"x.py\"\ncode\n```", 1,
     {{"code", "python", true, 1}}},
    {"spaces before the language", "```  js\nx\n```", 1, {{"x", "js", true, 1}}},
    {"unclosed while streaming: no final line break", "```js\nlet a;\nlet b;\n", 1,
     {{"let a;\nlet b;", "js", false, 2}}},
    {"unclosed in the middle of a line", "```js\nlet a", 1, {{"let a", "js", false, 1}}},
    {"only the opening fence so far", "text\n```rust", 1, {{"", "rust", false, 0}}},
    {"longer fence holds shorter ones", "````md\n```c\nx\n```\n````", 1,
     {{"```c\nx\n```", "md", true, 3}}},
    {"tildes hold backticks", "~~~\n```\n~~~", 1, {{"```", "", true, 1}}},
    {"a shorter closing fence does not close", "````\na\n```\nb\n````", 1,
     {{"a\n```\nb", "", true, 3}}},
    {"backticks inside code", "```js\nconsole.log(`${a}`)\n```", 1,
     {{"console.log(`${a}`)", "js", true, 1}}},
    {"triple backticks inline are no fence", "```foo``` bar", 0, {{0}}},
    {"indented fence: its indentation comes off each line",
     "1. Build:\n  ```c\n  int x;\n    y;\n z;\n  ```", 1,
     {{"int x;\n  y;\nz;", "c", true, 3}}},
    {"four spaces are no fence", "    ```\n    x\n    ```", 0, {{0}}},
    {"CRLF", "```c\r\nint x;\r\nint y;\r\n```\r\nafter", 1,
     {{"int x;\nint y;", "c", true, 2}}},
    {"empty block", "```\n```", 1, {{"", "", true, 0}}},
    {"blank lines inside are kept", "```\na\n\nb\n```", 1, {{"a\n\nb", "", true, 3}}},
    {"closing fence with trailing spaces", "```\na\n```   \nz", 1, {{"a", "", true, 1}}},
    {"tabs and indentation kept", "```py\ndef f():\n\treturn 1\n        pass\n```", 1,
     {{"def f():\n\treturn 1\n        pass", "py", true, 3}}},
    {"a long line stays one line", "```\n"
     "aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh\n```",
     1, {{"aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh",
          "", true, 1}}},
};

static void test_md_blocks(void **state)
{
    (void)state;
    md_doc d;
    md_init(&d);
    buf code;
    buf_init(&code);
    int failures = 0;
    for (size_t i = 0; i < sizeof BLOCK_CASES / sizeof BLOCK_CASES[0]; i++) {
        const block_case *c = &BLOCK_CASES[i];
        md_render(&d, c->in, strlen(c->in));
        if (d.nblocks != c->n) {
            print_error("block case '%s': %zu blocks, want %zu\n", c->name, d.nblocks, c->n);
            failures++;
            continue;
        }
        for (size_t k = 0; k < c->n; k++) {
            const md_block *b = &d.blocks[k];
            const exp_block *e = &c->b[k];
            buf_reset(&code);
            size_t lines = md_block_text(&d, k, &code);
            bool fence_ok = b->fence < d.text.len && d.style[b->fence] == MD_FENCE &&
                            (b->fence == 0 || d.text.data[b->fence - 1] == '\n');
            if (strcmp(buf_str(&code), e->code) != 0 || lines != e->lines ||
                b->lang_len != strlen(e->lang) ||
                memcmp(d.text.data + b->lang, e->lang, b->lang_len) != 0 ||
                b->closed != e->closed || !fence_ok || md_block_at(&d, b->fence) != (long)k ||
                md_block_at(&d, b->fence + 1) != -1) {
                print_error("block case '%s' block %zu:\n  code '%s' want '%s' (%zu lines, want "
                            "%zu)\n  lang '%.*s' want '%s', closed %d want %d, fence ok %d\n",
                            c->name, k + 1, buf_str(&code), e->code, lines, e->lines,
                            (int)b->lang_len, d.text.data + b->lang, e->lang, b->closed,
                            e->closed, fence_ok);
                failures++;
            }
        }
    }
    /* The blocks go with the text they came from. */
    md_render(&d, "```\nx\n```", 9);
    md_render(&d, "plain", 5);
    assert_int_equal(d.nblocks, 0);
    md_render(&d, "```\nx\n```", 9);
    md_plain(&d, "```\nx\n```", 9);
    assert_int_equal(d.nblocks, 0);
    assert_int_equal(d.style[0], MD_PLAIN);
    buf_free(&code);
    md_free(&d);
    assert_int_equal(failures, 0);
}

/* ------------------------------------------------------------ wrap */

typedef struct exp_line {
    const char *text;
    int cols, indent;
    bool cut;
} exp_line;

#define MAX_LINES 8

typedef struct wrap_case {
    const char *name;
    const char *in;
    bool md;        /* render in as Markdown first (styles drive indent and cut) */
    int width;
    bool code_wrap;
    size_t n;
    exp_line lines[MAX_LINES];
} wrap_case;

static const wrap_case WRAP_CASES[] = {
    {"empty text: no lines", "", false, 10, true, 0, {{0}}},
    {"one line", "abc", false, 10, true, 1, {{"abc", 3, 0, false}}},
    {"trailing newline adds no line", "a\n", false, 10, true, 1, {{"a", 1, 0, false}}},
    {"lone newline is one empty line", "\n", false, 10, true, 1, {{"", 0, 0, false}}},
    {"blank line in the middle", "a\n\nb", false, 10, true, 3,
     {{"a", 1, 0, false}, {"", 0, 0, false}, {"b", 1, 0, false}}},
    {"two trailing newlines", "a\n\n", false, 10, true, 2, {{"a", 1, 0, false}, {"", 0, 0, false}}},
    {"at spaces", "the quick brown fox", false, 10, true, 2,
     {{"the quick", 9, 0, false}, {"brown fox", 9, 0, false}}},
    {"exact fit", "abc def", false, 7, true, 1, {{"abc def", 7, 0, false}}},
    {"spaces collapse at the break", "aaa    bbb", false, 5, true, 2,
     {{"aaa", 3, 0, false}, {"bbb", 3, 0, false}}},
    {"inner spaces kept", "a  b", false, 10, true, 1, {{"a  b", 4, 0, false}}},
    {"trailing spaces that fit are kept", "ab ", false, 4, true, 1, {{"ab ", 3, 0, false}}},
    {"trailing spaces past the edge vanish", "abcd   ", false, 4, true, 1,
     {{"abcd", 4, 0, false}}},
    {"leading spaces kept", "  ab", false, 10, true, 1, {{"  ab", 4, 0, false}}},
    {"leading spaces wider than the line", "      x", false, 4, true, 2,
     {{"    ", 4, 0, false}, {"  x", 3, 0, false}}},
    {"long word broken", "abcdefghij", false, 4, true, 3,
     {{"abcd", 4, 0, false}, {"efgh", 4, 0, false}, {"ij", 2, 0, false}}},
    {"long word after a short one", "ab cdefghij", false, 4, true, 3,
     {{"ab", 2, 0, false}, {"cdef", 4, 0, false}, {"ghij", 4, 0, false}}},
    {"cjk never split at width 5", "\u4f60\u597d\u4e16\u754c\u4f60\u597d\u4e16\u754c", false, 5,
     true, 4,
     {{"\u4f60\u597d", 4, 0, false},
      {"\u4e16\u754c", 4, 0, false},
      {"\u4f60\u597d", 4, 0, false},
      {"\u4e16\u754c", 4, 0, false}}},
    {"ascii then cjk", "a\u4f60\u597d", false, 4, true, 2,
     {{"a\u4f60", 3, 0, false}, {"\u597d", 2, 0, false}}},
    /* glibc's wcwidth gives the skin-tone modifier 2 columns, as curses
     * will count it; it stays with its base. */
    {"emoji with modifier kept whole", "\U0001F44D\U0001F3FD\U0001F44D\U0001F3FD", false, 5, true,
     2,
     {{"\U0001F44D\U0001F3FD", 4, 0, false}, {"\U0001F44D\U0001F3FD", 4, 0, false}}},
    {"modifier not split from its base", "a\U0001F44D\U0001F3FD", false, 4, true, 2,
     {{"a", 1, 0, false}, {"\U0001F44D\U0001F3FD", 4, 0, false}}},
    {"zwj family moves whole", "ab \U0001F468\u200D\U0001F469\u200D\U0001F467", false, 7, true,
     2, {{"ab", 2, 0, false}, {"\U0001F468\u200D\U0001F469\u200D\U0001F467", 6, 0, false}}},
    {"zwj family not split after a word", "ab\U0001F468\u200D\U0001F469\u200D\U0001F467", false,
     7, true, 2, {{"ab", 2, 0, false}, {"\U0001F468\u200D\U0001F469\u200D\U0001F467", 6, 0, false}}},
    {"zwj family wider than the line splits", "\U0001F468\u200D\U0001F469\u200D\U0001F467",
     false, 4, true, 2,
     {{"\U0001F468\u200D\U0001F469\u200D", 4, 0, false}, {"\U0001F467", 2, 0, false}}},
    {"flags are pairs", "\U0001F1EB\U0001F1F7\U0001F1E9\U0001F1EA", false, 3, true, 2,
     {{"\U0001F1EB\U0001F1F7", 2, 0, false}, {"\U0001F1E9\U0001F1EA", 2, 0, false}}},
    {"combining marks stay attached", "e\u0301e\u0301e\u0301", false, 2, true, 2,
     {{"e\u0301e\u0301", 2, 0, false}, {"e\u0301", 1, 0, false}}},
    {"variation selector attached", "\u2764\uFE0F\u2764\uFE0F", false, 1, true, 2,
     {{"\u2764\uFE0F", 1, 0, false}, {"\u2764\uFE0F", 1, 0, false}}},
    {"leading combining mark", "\u0301a", false, 5, true, 1, {{"\u0301a", 1, 0, false}}},
    {"tab to the next stop", "a\tb", false, 10, true, 1, {{"a\tb", 5, 0, false}}},
    {"tab at the start", "\tx", false, 10, true, 1, {{"\tx", 5, 0, false}}},
    /* A tab is clipped at the right edge rather than pushed down. */
    {"tab clipped at the edge", "abcd\tx", false, 5, true, 2,
     {{"abcd\t", 5, 0, false}, {"x", 1, 0, false}}},
    {"width 1 ascii", "ab", false, 1, true, 2, {{"a", 1, 0, false}, {"b", 1, 0, false}}},
    /* Width 1 cannot hold a wide character: it goes alone on its line and
     * overflows by one column, so that wrapping always makes progress. */
    {"width 1 wide char alone", "a\u4f60b", false, 1, true, 3,
     {{"a", 1, 0, false}, {"\u4f60", 2, 0, false}, {"b", 1, 0, false}}},
    {"invalid bytes take a column each", "a\xff\xfe" "b", false, 2, true, 2,
     {{"a\xff", 2, 0, false}, {"\xfe" "b", 2, 0, false}}},
    {"truncated sequence", "\xe4\xbd", false, 10, true, 1, {{"\xe4\xbd", 2, 0, false}}},
    {"surrogate encoded is invalid", "\xed\xa0\x80", false, 10, true, 1,
     {{"\xed\xa0\x80", 3, 0, false}}},
    {"list hanging indent", "- one two three four", true, 10, true, 3,
     {{"\u2022 one two", 9, 0, false}, {"three", 5, 2, false}, {"four", 4, 2, false}}},
    {"no break inside the marker", "- abcdefghijkl", true, 6, true, 3,
     {{"\u2022 abcd", 6, 0, false}, {"efgh", 4, 2, false}, {"ijkl", 4, 2, false}}},
    {"nested list indent", "  - alpha beta gamma", true, 12, true, 3,
     {{"  \u2022 alpha", 9, 0, false}, {"beta", 4, 4, false}, {"gamma", 5, 4, false}}},
    {"ordered list indent", "10. aaa bbb", true, 8, true, 2,
     {{"10. aaa", 7, 0, false}, {"bbb", 3, 4, false}}},
    {"quote hanging indent", "> one two three", true, 8, true, 3,
     {{"\u2502 one", 5, 0, false}, {"two", 3, 2, false}, {"three", 5, 2, false}}},
    {"quoted list indent", "> - aa bb", true, 7, true, 2,
     {{"\u2502 \u2022 aa", 6, 0, false}, {"bb", 2, 3, false}}},
    {"indent capped at half the width", "      - aaa bbb", true, 8, true, 3,
     {{"      \u2022 ", 8, 0, false}, {"aaa", 3, 4, false}, {"bbb", 3, 4, false}}},
    {"plain text gets no indent", "  aaa bbb", true, 5, true, 2,
     {{"  aaa", 5, 0, false}, {"bbb", 3, 0, false}}},
    {"code cut", "```\nint very_long_line = 1;\n```", true, 10, false, 3,
     {{"```", 3, 0, false}, {"int very_l", 10, 0, true}, {"```", 3, 0, false}}},
    {"code wrapped", "```\nint very_long_line = 1;\n```", true, 10, true, 5,
     {{"```", 3, 0, false},
      {"int", 3, 0, false},
      {"very_long_", 10, 0, false},
      {"line = 1;", 9, 0, false},
      {"```", 3, 0, false}}},
    {"code that fills the line is not cut", "```\nabc\n", true, 3, false, 2,
     {{"```", 3, 0, false}, {"abc", 3, 0, false}}},
    {"code cut keeps cjk whole", "```\n\u4f60\u597d\u4e16\n", true, 5, false, 2,
     {{"```", 3, 0, false}, {"\u4f60\u597d", 4, 0, true}}},
    {"code cut keeps indentation", "```\n    x = 1\n", true, 6, false, 2,
     {{"```", 3, 0, false}, {"    x ", 6, 0, true}}},
};

static bool check_wrap_case(const wrap_case *c, md_doc *d, wrap_lines *w)
{
    const char *text = c->in;
    size_t len = strlen(c->in);
    const uint8_t *style = NULL;
    if (c->md) {
        md_render(d, c->in, len);
        text = buf_str(&d->text);
        len = d->text.len;
        style = d->style;
    }
    wrap_text(w, text, len, style, c->width, c->code_wrap);
    bool ok = w->n == c->n;
    for (size_t i = 0; ok && i < c->n; i++) {
        const wrap_line *l = &w->v[i];
        const exp_line *e = &c->lines[i];
        ok = l->len == strlen(e->text) && memcmp(text + l->start, e->text, l->len) == 0 &&
             l->cols == e->cols && l->indent == e->indent && l->cut == e->cut;
    }
    if (ok)
        return true;
    print_error("wrap case '%s' (width %d): got %zu lines, want %zu\n", c->name, c->width, w->n,
                c->n);
    for (size_t i = 0; i < w->n; i++)
        print_error("  got  '%.*s' cols %d indent %d%s\n", (int)w->v[i].len, text + w->v[i].start,
                    w->v[i].cols, w->v[i].indent, w->v[i].cut ? " cut" : "");
    for (size_t i = 0; i < c->n; i++)
        print_error("  want '%s' cols %d indent %d%s\n", c->lines[i].text, c->lines[i].cols,
                    c->lines[i].indent, c->lines[i].cut ? " cut" : "");
    return false;
}

/* ------------------------------------------------------- streaming */

/* What md_render_more and wrap_text_more give equals a whole render and wrap. */
static void same_doc(const md_doc *a, const md_doc *b, const char *what)
{
    if (a->text.len != b->text.len || memcmp(buf_str(&a->text), buf_str(&b->text), a->text.len) ||
        (a->text.len && memcmp(a->style, b->style, a->text.len)) || a->nblocks != b->nblocks)
        fail_msg("%s: the render differs", what);
    for (size_t i = 0; i < a->nblocks; i++) {
        const md_block *x = &a->blocks[i], *y = &b->blocks[i];
        if (x->fence != y->fence || x->start != y->start || x->end != y->end ||
            x->lang != y->lang || x->lang_len != y->lang_len || x->indent != y->indent ||
            x->closed != y->closed || x->hl != y->hl)
            fail_msg("%s: block %zu differs", what, i);
    }
}

static void same_lines(const wrap_lines *a, const wrap_lines *b, const char *what)
{
    if (a->n != b->n)
        fail_msg("%s: %zu lines, want %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const wrap_line *x = &a->v[i], *y = &b->v[i];
        if (x->start != y->start || x->len != y->len || x->cols != y->cols ||
            x->indent != y->indent || x->cut != y->cut)
            fail_msg("%s: line %zu differs", what, i);
    }
}

static const char *const STREAMED[] = {
    "Here:\n\n```c\nint f(void) { /* a\nb */ return \"x\"; }\n```\n\nand **bold** `code`",
    "```python\ns = '''one\ntwo''' # c\n```\n> quoted *text* that goes on\n- item\n\n---",
    "~~~sh\necho \"$A\nB\" done\n~~~~\n```json\n{\"k\": 1}\n```",
    "   ```go\n   x := `raw\n   ` \n   ```\nafter ```inline``` 你好 **世界**",
    "```\nplain\n```\n```diff\n-a\n+b",
    "no fences, just *words* and words\n\nand more",
};

/* A reply that streams in pieces cut anywhere renders and wraps as the whole does. */
static void test_md_streamed(void **state)
{
    (void)state;
    md_doc part, whole;
    md_init(&part);
    md_init(&whole);
    wrap_lines wp, ww;
    wrap_init(&wp);
    wrap_init(&ww);
    char what[96];
    for (size_t c = 0; c < sizeof STREAMED / sizeof STREAMED[0]; c++) {
        const char *in = STREAMED[c];
        size_t len = strlen(in);
        md_render(&whole, in, len);
        for (int width = 7; width <= 40; width += 33) {
            wrap_text(&ww, buf_str(&whole.text), whole.text.len, whole.style, width, false);
            /* Cut in two at every byte. */
            for (size_t k = 0; k <= len; k++) {
                snprintf(what, sizeof what, "case %zu cut at %zu width %d", c, k, width);
                md_render(&part, in, k);
                wrap_text(&wp, buf_str(&part.text), part.text.len, part.style, width, false);
                size_t same = md_render_more(&part, in, len);
                assert_true(same <= part.text.len);
                same_doc(&part, &whole, what);
                wrap_text_more(&wp, buf_str(&part.text), part.text.len, part.style, width, false,
                               same);
                same_lines(&wp, &ww, what);
            }
            /* A byte at a time. */
            md_render(&part, in, 0);
            wrap_text(&wp, "", 0, NULL, width, false);
            for (size_t k = 1; k <= len; k++) {
                size_t same = md_render_more(&part, in, k);
                wrap_text_more(&wp, buf_str(&part.text), part.text.len, part.style, width, false,
                               same);
            }
            snprintf(what, sizeof what, "case %zu a byte at a time, width %d", c, width);
            same_doc(&part, &whole, what);
            same_lines(&wp, &ww, what);
        }
    }
    /* A shorter text is no continuation: rendered afresh. */
    md_render(&part, "abc **d**", 9);
    assert_int_equal(md_render_more(&part, "ab", 2), 0);
    assert_string_equal(buf_str(&part.text), "ab");
    wrap_free(&wp);
    wrap_free(&ww);
    md_free(&part);
    md_free(&whole);
}

static void test_wrap_cases(void **state)
{
    (void)state;
    md_doc d;
    md_init(&d);
    wrap_lines w;
    wrap_init(&w);
    int failures = 0;
    for (size_t i = 0; i < sizeof WRAP_CASES / sizeof WRAP_CASES[0]; i++)
        failures += !check_wrap_case(&WRAP_CASES[i], &d, &w);
    wrap_free(&w);
    md_free(&d);
    assert_int_equal(failures, 0);
}

/* Unwrapped: a line's cols is what render_width says of its bytes. */
static void test_wrap_cols_match_render_width(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "plain words that wrap around a few times at this width",
        ("\u4f60\u597d\u4e16\u754c mixed \u4f60\u597d ascii \U0001F44D\U0001F3FD e\u0301 "
         "\U0001F468\u200D\U0001F469\u200D\U0001F467 end"),
        "bad \xff\xfe bytes \xe4\xbd and more words",
    };
    wrap_lines w;
    wrap_init(&w);
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        for (int width = 1; width <= 30; width++) {
            wrap_text(&w, texts[t], strlen(texts[t]), NULL, width, true);
            assert_true(w.n > 0);
            for (size_t i = 0; i < w.n; i++) {
                const wrap_line *l = &w.v[i];
                assert_int_equal(render_width(texts[t] + l->start, l->len), l->cols);
                assert_true(l->cols <= width || (width == 1 && l->cols == 2));
            }
        }
    }
    wrap_free(&w);
}

typedef struct width_case {
    const char *name;
    const char *s;
    int cols;
} width_case;

static const width_case WIDTH_CASES[] = {
    {"empty", "", 0},
    {"ascii", "abc", 3},
    {"cjk", "\u4f60\u597d", 4},
    {"combining", "e\u0301", 1},
    {"zwj family", "\U0001F468\u200D\U0001F469\u200D\U0001F467", 6},
    {"tab stops", "a\tb\t", 8},
    {"invalid bytes", "\xff\xc3", 2},
    {"overlong encoding", "\xc0\xaf", 2},
    {"box drawing", "\u2502\u2500", 2},
};

static void test_render_width(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof WIDTH_CASES / sizeof WIDTH_CASES[0]; i++) {
        const width_case *c = &WIDTH_CASES[i];
        int got = render_width(c->s, strlen(c->s));
        if (got != c->cols) {
            print_error("width case '%s': %d, want %d\n", c->name, got, c->cols);
            fail();
        }
    }
}

/* Markup that used to make naive parsers quadratic must stay fast. */
static void test_linear_on_pathological_input(void **state)
{
    (void)state;
    enum { N = 200000 };
    static char in[N + 1];
    static const char *const units[] = {"*", "`", "_a", "**a", "*a _", "` `` ", "> ", "\\"};
    md_doc d;
    md_init(&d);
    wrap_lines w;
    wrap_init(&w);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u]), n = 0;
        while (n + ul <= N) {
            memcpy(in + n, units[u], ul);
            n += ul;
        }
        int64_t t0 = clock_mono_ms();
        md_render(&d, in, n);
        wrap_text(&w, buf_str(&d.text), d.text.len, d.style, 80, true);
        int64_t ms = clock_mono_ms() - t0;
        if (ms > 1000) {
            print_error("'%s' x %zu took %lld ms\n", units[u], n / ul, (long long)ms);
            fail();
        }
    }
    /* Backtick runs of every length, none closed: the worst case for code spans. */
    size_t n = 0;
    for (size_t l = 1; n + l + 1 <= N; l++) {
        memset(in + n, '`', l);
        n += l;
        in[n++] = 'x';
    }
    int64_t t0 = clock_mono_ms();
    md_render(&d, in, n);
    assert_true(clock_mono_ms() - t0 < 1000);
    assert_int_equal(d.text.len, n);
    wrap_free(&w);
    md_free(&d);
}

int main(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8")) {
        fprintf(stderr, "test_render: the C.UTF-8 locale is missing\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md_cases),     cmocka_unit_test(test_md_rerender),
        cmocka_unit_test(test_md_blocks),    cmocka_unit_test(test_md_streamed),
        cmocka_unit_test(test_wrap_cases),   cmocka_unit_test(test_wrap_cols_match_render_width),
        cmocka_unit_test(test_render_width), cmocka_unit_test(test_linear_on_pathological_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
