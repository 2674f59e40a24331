/* The picker screen without a terminal: what the filter lets through as keys are typed
 * (ASCII, case, UTF-8 and CJK, an item's search text, an empty filter, no match,
 * Backspace and Ctrl-U over whole characters, a character typed a byte at a time), the
 * selection, Enter, the caller's keys and where the focus sends them, the yes/no question
 * and the text prompt, and items replaced while it is open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curses.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "picker.h"

/* What the callbacks saw. */
typedef struct seen {
    char chosen[64];
    int key;
    char key_id[64];
    char answer_id[64];
    char answer_text[64];
    int answers;
} seen;

static unsigned on_choose(void *ud, picker *p, const char *id)
{
    (void)p;
    snprintf(((seen *)ud)->chosen, 64, "%s", id);
    return UI_CLOSE;
}

static unsigned on_key(void *ud, picker *p, int key, const char *id)
{
    (void)p;
    seen *s = ud;
    s->key = key;
    snprintf(s->key_id, sizeof s->key_id, "%s", id ? id : "(none)");
    return 0;
}

static unsigned on_answer(void *ud, picker *p, const char *id, const char *text)
{
    (void)p;
    seen *s = ud;
    s->answers++;
    snprintf(s->answer_id, sizeof s->answer_id, "%s", id);
    snprintf(s->answer_text, sizeof s->answer_text, "%s", text ? text : "(yes)");
    return 0;
}

static const guide_lang lang = GUIDE_LANG_EN;

static picker *make(seen *s)
{
    picker_opts o = {.name = "test",
                     .title = "Test",
                     .lang = &lang,
                     .keys = {'d', 'r'},
                     .keys_help = "d delete · r rename",
                     .calls = {.choose = on_choose, .key = on_key},
                     .ud = s};
    picker *p = picker_new(&o);
    buf search;
    buf_init(&search);
    const char *contents = "How do I write the Retry Loop in C?\nLike this.";
    fold_append(&search, contents, strlen(contents));
    picker_item items[] = {
        {.label = "gpt-4o-mini", .current = true},
        {.label = "GPT-4.1"},
        {.label = "Crème brûlée recipe"},
        {.label = "速率限制 explained", .id = "cjk"},
        {.label = "Москва trip", .id = "moscow"},
        {.label = "C questions", .id = "c", .search = buf_str(&search)},
        {.label = "broken.json", .disabled = true, .detail = "broken.json: not valid JSON"},
    };
    picker_set_items(p, items, sizeof items / sizeof items[0]);
    buf_free(&search);
    return p;
}

static unsigned key(picker *p, int k)
{
    screen *s = picker_screen(p);
    return s->ops->key(s, k);
}

static void type(picker *p, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        key(p, *c);
}

/* The ids shown, space separated. */
static void shown(const picker *p, char *out, size_t outlen)
{
    out[0] = '\0';
    for (size_t i = 0; i < picker_shown(p); i++) {
        size_t len = strlen(out);
        snprintf(out + len, outlen - len, "%s%s", i ? " " : "", picker_shown_id(p, i));
    }
}

static void close_picker(picker *p)
{
    screen *s = picker_screen(p);
    s->ops->close(s);
}

static void test_filter(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *typed; /* bytes; \x15 is Ctrl-U, \x7f Backspace */
        const char *want;  /* the ids shown */
    } cases[] = {
        {"empty filter: everything", "",
         "gpt-4o-mini GPT-4.1 Crème brûlée recipe cjk moscow c broken.json"},
        {"ASCII", "gpt", "gpt-4o-mini GPT-4.1"},
        {"case aside", "GPT-4O", "gpt-4o-mini"},
        {"Latin-1, case aside", "BRÛLÉE", "Crème brûlée recipe"},
        {"CJK", "速率", "cjk"},
        {"Cyrillic, case aside", "москва", "moscow"},
        {"the search text", "retry loop", "c"},
        {"the search text, case aside", "RETRY LOOP IN C", "c"},
        {"no match", "zzz", ""},
        {"a filter spanning label and search text matches nothing", "questions how", ""},
        {"Backspace takes a whole character", "速率x\x7f", "cjk"},
        {"Backspace on a CJK character",
         "速率限制 explainedz\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f", "cjk"},
        {"Ctrl-U empties it", "gpt\x15",
         "gpt-4o-mini GPT-4.1 Crème brûlée recipe cjk moscow c broken.json"},
        {"a character arriving a byte at a time waits for its last byte", "gpt\xe9\x80",
         "gpt-4o-mini GPT-4.1"},
        {"damaged items are filtered too", "broken", "broken.json"},
    };
    char got[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seen s = {0};
        picker *p = make(&s);
        type(p, cases[i].typed);
        shown(p, got, sizeof got);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s: shown \"%s\", want \"%s\"", cases[i].name, got, cases[i].want);
        close_picker(p);
    }
}

static void test_narrowing_and_widening(void **state)
{
    (void)state;
    seen s = {0};
    picker *p = make(&s);
    char got[512];
    type(p, "g");
    shown(p, got, sizeof got);
    assert_string_equal(got, "gpt-4o-mini GPT-4.1");
    type(p, "pt-4.");
    shown(p, got, sizeof got);
    assert_string_equal(got, "GPT-4.1");
    /* Backspace widens again: every item is looked at, not only those shown. */
    key(p, KEY_BACKSPACE);
    key(p, KEY_BACKSPACE);
    shown(p, got, sizeof got);
    assert_string_equal(got, "gpt-4o-mini GPT-4.1");
    assert_string_equal(picker_filter(p), "gpt-");
    close_picker(p);
}

static void test_selection_and_enter(void **state)
{
    (void)state;
    seen s = {0};
    picker *p = make(&s);
    /* The current item is selected at first. */
    assert_string_equal(picker_selected(p), "gpt-4o-mini");
    key(p, KEY_DOWN);
    assert_string_equal(picker_selected(p), "GPT-4.1");
    /* A filter that keeps the selected item keeps it selected; one that drops it selects
     * the first. */
    type(p, "4");
    assert_string_equal(picker_selected(p), "GPT-4.1");
    key(p, 21);
    type(p, "trip");
    assert_string_equal(picker_selected(p), "moscow");
    key(p, 21);
    key(p, KEY_END);
    assert_string_equal(picker_selected(p), "broken.json");
    key(p, KEY_HOME);
    assert_string_equal(picker_selected(p), "gpt-4o-mini");
    key(p, KEY_UP); /* stays at the first */
    assert_string_equal(picker_selected(p), "gpt-4o-mini");
    key(p, KEY_NPAGE);
    assert_non_null(picker_selected(p));

    /* A disabled item is not chosen. */
    key(p, KEY_END);
    assert_int_equal(key(p, '\r') & UI_CLOSE, 0);
    assert_string_equal(s.chosen, "");
    /* Nothing shown: Enter does nothing. */
    type(p, "zzz");
    assert_null(picker_selected(p));
    assert_int_equal(key(p, '\r') & UI_CLOSE, 0);
    assert_string_equal(s.chosen, "");
    key(p, 21);
    type(p, "москва");
    assert_true(key(p, '\r') & UI_CLOSE);
    assert_string_equal(s.chosen, "moscow");
    close_picker(p);

    /* Esc and Ctrl-C close it. */
    p = make(&s);
    assert_true(key(p, 27) & UI_CLOSE);
    assert_true(key(p, 3) & UI_CLOSE);
    close_picker(p);
}

static void test_caller_keys_and_focus(void **state)
{
    (void)state;
    seen s = {0};
    picker *p = make(&s);
    /* The filter has the focus: d and r are typed. */
    type(p, "dr");
    assert_int_equal(s.key, 0);
    assert_string_equal(picker_filter(p), "dr");
    key(p, 21);
    /* A move gives the list the focus: d goes to the caller, with the selected item. */
    key(p, KEY_DOWN);
    key(p, 'd');
    assert_int_equal(s.key, 'd');
    assert_string_equal(s.key_id, "GPT-4.1");
    /* Another character goes to the filter, and the focus with it. */
    key(p, 'm');
    assert_string_equal(picker_filter(p), "m");
    s.key = 0;
    key(p, 'r');
    assert_int_equal(s.key, 0);
    assert_string_equal(picker_filter(p), "mr");
    /* Tab gives the list the focus too; '/' gives it back to the filter. */
    key(p, 21);
    key(p, '\t');
    key(p, 'r');
    assert_int_equal(s.key, 'r');
    assert_string_equal(s.key_id, "gpt-4o-mini");
    key(p, '/');
    key(p, 'd');
    assert_string_equal(picker_filter(p), "d");
    close_picker(p);
}

static void test_confirm_and_prompt(void **state)
{
    (void)state;
    seen s = {0};
    picker *p = make(&s);
    picker_confirm(p, "Delete 'x'? y/n", "x", on_answer);
    key(p, 'n');
    assert_int_equal(s.answers, 0);
    /* Back in the list: keys filter again. */
    type(p, "gpt");
    assert_int_equal((int)picker_shown(p), 2);
    picker_confirm(p, "Delete 'x'? y/n", "x", on_answer);
    key(p, 'y');
    assert_int_equal(s.answers, 1);
    assert_string_equal(s.answer_id, "x");
    assert_string_equal(s.answer_text, "(yes)");

    picker_prompt(p, "New title:", "Old", "x", on_answer);
    key(p, 27);
    assert_int_equal(s.answers, 1);
    picker_prompt(p, "New title:", "Old", "x", on_answer);
    key(p, 21);
    type(p, "Nouveau titre é");
    key(p, KEY_BACKSPACE);
    key(p, KEY_LEFT);
    key(p, 'X');
    key(p, '\r');
    assert_int_equal(s.answers, 2);
    assert_string_equal(s.answer_text, "Nouveau titreX ");
    close_picker(p);
}

static void test_items_replaced(void **state)
{
    (void)state;
    seen s = {0};
    picker_opts o = {.name = "models",
                     .title = "Models",
                     .lang = &lang,
                     .calls = {.choose = on_choose},
                     .ud = &s};
    picker *p = picker_new(&o);
    picker_set_loading(p, "Asking…");
    assert_int_equal((int)picker_shown(p), 0);
    /* Typed while loading: the filter applies to the list when it comes. */
    type(p, "mini");
    assert_int_equal(key(p, '\r') & UI_CLOSE, 0);
    picker_item items[] = {{.label = "gpt-4o"},
                           {.label = "gpt-4o-mini", .current = true},
                           {.label = "o4-mini"}};
    picker_set_items(p, items, 3);
    char got[256];
    shown(p, got, sizeof got);
    assert_string_equal(got, "gpt-4o-mini o4-mini");
    assert_string_equal(picker_selected(p), "gpt-4o-mini");
    key(p, KEY_DOWN);
    /* Replaced again: the selected item stays selected. */
    picker_set_items(p, items, 3);
    assert_string_equal(picker_selected(p), "o4-mini");
    assert_true(picker_is(picker_screen(p), "models"));
    assert_false(picker_is(picker_screen(p), "other"));
    close_picker(p);

    const char *const names[] = {"openai", "local", "azure"};
    p = picker_names("profiles", "Profiles", &lang, names, 3, "local", on_choose, &s);
    assert_string_equal(picker_selected(p), "local");
    assert_true(key(p, KEY_ENTER) & UI_CLOSE);
    assert_string_equal(s.chosen, "local");
    close_picker(p);
}

/* Filtering stays a scan: 20,000 items with search text, a keystroke each. */
static void test_many_items(void **state)
{
    (void)state;
    enum { N = 20000 };
    picker_item *items = calloc(N, sizeof *items);
    char(*labels)[32] = calloc(N, sizeof *labels);
    assert_non_null(items);
    assert_non_null(labels);
    const char *search = "some folded text of a conversation, about backoff and retries";
    for (int i = 0; i < N; i++) {
        snprintf(labels[i], sizeof labels[i], "conversation %05d", i);
        items[i] = (picker_item){.label = labels[i], .search = search};
    }
    seen s = {0};
    picker_opts o = {.name = "many", .title = "Many", .lang = &lang, .ud = &s};
    picker *p = picker_new(&o);
    picker_set_items(p, items, N);
    type(p, "conversation 1999");
    assert_int_equal((int)picker_shown(p), 10); /* 19990 to 19999 */
    key(p, 21);
    type(p, "backoff");
    assert_int_equal((int)picker_shown(p), N);
    close_picker(p);
    free(items);
    free(labels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_narrowing_and_widening),
        cmocka_unit_test(test_selection_and_enter),
        cmocka_unit_test(test_caller_keys_and_focus),
        cmocka_unit_test(test_confirm_and_prompt),
        cmocka_unit_test(test_items_replaced),
        cmocka_unit_test(test_many_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
