/* The editor's command line and the text it brings back, without a terminal: which
 * variable names the editor, when a shell runs it, and what the input line gets from
 * the file. Running it in a terminal is tests/e2e/t_writing.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "editor.h"
#include "util.h"

static void test_command(void **state)
{
    (void)state;
    static const struct {
        const char *name, *visual, *editor, *want;
    } cases[] = {
        {"VISUAL first", "code --wait", "nano", "code --wait"},
        {"then EDITOR", NULL, "nano", "nano"},
        {"an empty VISUAL is unset", "", "nano", "nano"},
        {"blanks are unset", " \t", "", "vi"},
        {"else vi", NULL, NULL, "vi"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (cases[i].visual)
            setenv("VISUAL", cases[i].visual, 1);
        else
            unsetenv("VISUAL");
        if (cases[i].editor)
            setenv("EDITOR", cases[i].editor, 1);
        else
            unsetenv("EDITOR");
        if (strcmp(editor_command(), cases[i].want) != 0)
            fail_msg("%s: got [%s], want [%s]", cases[i].name, editor_command(), cases[i].want);
    }
}

static void test_argv(void **state)
{
    (void)state;
    static const struct {
        const char *name, *cmd;
        const char *want[7]; /* {NULL}: cannot be split */
    } cases[] = {
        {"a plain command", "vim", {"vim", "/t/m.md"}},
        {"with arguments, no shell", "code --wait -n", {"code", "--wait", "-n", "/t/m.md"}},
        {"a quoted path, no shell", "'/opt/My Editor/ed' -x", {"/opt/My Editor/ed", "-x", "/t/m.md"}},
        {"an expansion needs the shell", "$HOME/bin/ed",
         {"/bin/sh", "-c", "$HOME/bin/ed \"$@\"", "$HOME/bin/ed", "/t/m.md"}},
        {"a tilde needs the shell", "~/bin/ed", {"/bin/sh", "-c", "~/bin/ed \"$@\"", "~/bin/ed", "/t/m.md"}},
        {"a pipe needs the shell", "ed | cat", {"/bin/sh", "-c", "ed | cat \"$@\"", "ed | cat", "/t/m.md"}},
        {"an assignment first needs the shell", "TERM=xterm vim",
         {"/bin/sh", "-c", "TERM=xterm vim \"$@\"", "TERM=xterm vim", "/t/m.md"}},
        {"= in an argument does not", "vim --cmd=x", {"vim", "--cmd=x", "/t/m.md"}},
        {"an unclosed quote", "vim 'x", {NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *why = NULL;
        char **v = editor_argv(cases[i].cmd, "/t/m.md", &why);
        if (!cases[i].want[0]) {
            if (v || !why)
                fail_msg("%s: should fail", cases[i].name);
            continue;
        }
        if (!v)
            fail_msg("%s: failed: %s", cases[i].name, why);
        size_t n = 0;
        for (; cases[i].want[n]; n++)
            if (!v[n] || strcmp(v[n], cases[i].want[n]) != 0)
                fail_msg("%s: word %zu is [%s], want [%s]", cases[i].name, n, v[n] ? v[n] : "(end)",
                         cases[i].want[n]);
        if (v[n])
            fail_msg("%s: an extra word [%s]", cases[i].name, v[n]);
        str_free_words(v);
    }
}

static void test_clean(void **state)
{
    (void)state;
    static const struct {
        const char *name, *in, *want;
    } cases[] = {
        {"the final newline goes", "hello\n", "hello"},
        {"all final line breaks go", "hello\n\n\r\n", "hello"},
        {"inner lines stay", "one\n\ntwo\n", "one\n\ntwo"},
        {"CRLF as LF", "one\r\ntwo\r\n", "one\ntwo"},
        {"leading blanks stay", "  indented\n", "  indented"},
        {"escape sequences go", "a\033[31mred\033[0m\n", "ared"},
        {"invalid UTF-8 replaced", "caf\xe9\n", "caf\xef\xbf\xbd"},
        {"empty", "", ""},
        {"only newlines", "\n\n", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = editor_clean(cases[i].in, strlen(cases[i].in));
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s: got [%s], want [%s]", cases[i].name, got, cases[i].want);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command),
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
