/* A list to pick from, as a full screen (below the title bar): a title, a
 * filter line typed at the top, the items, a line about the selected item and
 * one of keys. Typing filters at once (case aside, over each item's label and
 * its search text: fold.h); Backspace and Ctrl-U edit the filter; Up/Down,
 * PgUp/PgDn, Home/End move; Enter chooses; Esc, Ctrl-C or the key that opened
 * it close it. The /model and /profile pickers and the conversations browser
 * are pickers; so can be a field of Settings (picker_names).
 *
 * A caller may bind keys of its own (the browser's d and r). They act while the
 * list has the focus: after a move (Up, Down...) or Tab; any other character
 * goes to the filter and gives it the focus back (so does '/' and Tab).
 *
 * The items can be replaced while it is open (a list that comes from the
 * network: picker_set_loading first), and instead of the items it can show lines
 * the caller builds (the explanation of a failure). A caller can ask a yes/no
 * question or for a line of text about an item (delete, rename) inside it.
 *
 * Filtering costs one pass over the items' folded text per keystroke (a longer
 * filter only looks at the items still shown) and allocates nothing per item:
 * items are folded once, into one block, when they are set. */
#ifndef TCHAT_PICKER_H
#define TCHAT_PICKER_H

#include <stdbool.h>
#include <stddef.h>

#include "guide.h"
#include "pager.h"
#include "screen.h"
#include "worker.h"

typedef struct picker picker;

typedef struct picker_item {
    const char *label;  /* one line, shown; the filter looks in it */
    const char *right;  /* shown at the right, dim (a date, a URL), or NULL */
    const char *detail; /* shown under the list while the item is selected, or NULL */
    const char *search; /* more text the filter looks in, folded (fold_append), or NULL */
    const char *id;     /* what the callbacks get (NULL: the label) */
    bool current;       /* the one in use: marked */
    bool disabled;      /* cannot be chosen: Enter says its detail instead */
} picker_item;

/* What the caller does. Each returns UI_* flags for the loop; UI_CLOSE closes the picker
 * (the caller's own screen is not closed by it). ud is the caller's. */
typedef struct picker_calls {
    /* Enter on an item that can be chosen. */
    unsigned (*choose)(void *ud, picker *p, const char *id);
    /* One of the caller's keys (picker_opts.keys) on the selected item (id NULL when the
     * list is empty). */
    unsigned (*key)(void *ud, picker *p, int key, const char *id);
    /* A worker event: the caller's job's (it returns flags), or UI_PASS. */
    unsigned (*event)(void *ud, picker *p, const worker_event *ev);
    /* The picker closes: the caller lets go of ud (may be NULL). */
    void (*done)(void *ud);
} picker_calls;

enum { PICKER_KEYS_MAX = 4 };

typedef struct picker_opts {
    const char *name; /* picker_is */
    const char *title;
    const guide_lang *lang;    /* the UI's language, which follows the configuration */
    int keys[PICKER_KEYS_MAX]; /* the caller's keys (0: none) */
    const char *keys_help;     /* what they do, for the line of keys ("d delete · r rename") */
    const char *enter_help;    /* what Enter does ("open"; NULL: "choose") */
    int close_key;             /* also closes it (the key that opened it; 0: none) */
    picker_calls calls;
    void *ud;
} picker_opts;

/* A picker with no items yet. Push picker_screen(p) on the stack; the loop closes it. */
picker *picker_new(const picker_opts *o);
screen *picker_screen(picker *p);
/* Whether s is a picker of that name. */
bool picker_is(const screen *s, const char *name);

/* Replaces the items (copied), filters them with the filter as typed, and keeps the selected
 * item selected when it is still there (else the current one, else the first). */
void picker_set_items(picker *p, const picker_item *items, size_t n);
/* Selects the item with this id; false when it is not shown (or id is NULL). */
bool picker_select(picker *p, const char *id);
/* Instead of the items: text (one line, dim; "Loading…"), until picker_set_items. */
void picker_set_loading(picker *p, const char *text);
/* Instead of the items: the lines build appends at each draw (at the width of the list),
 * until picker_set_items. ud must live as long as the picker. */
void picker_set_lines(picker *p, pager_build_fn build, void *ud);
/* A line at the bottom until the next key: what an action did, or why it did not. */
void picker_message(picker *p, bool error, const char *text);
/* Asks question at the bottom: y calls answer(ud, p, id, NULL); any other key, nothing. */
typedef unsigned (*picker_answer_fn)(void *ud, picker *p, const char *id, const char *text);
void picker_confirm(picker *p, const char *question, const char *id, picker_answer_fn answer);
/* Asks for a line of text at the bottom, starting as initial: Enter calls
 * answer(ud, p, id, text); Esc, nothing. */
void picker_prompt(picker *p, const char *label, const char *initial, const char *id,
                   picker_answer_fn answer);

/* For tests and callers: the items shown now (filtered), and the id of the i-th. */
size_t picker_shown(const picker *p);
const char *picker_shown_id(const picker *p, size_t i);
/* The selected item's id, or NULL when none is shown. */
const char *picker_selected(const picker *p);
/* The filter as typed. */
const char *picker_filter(const picker *p);

/* A picker of names (a field of Settings, the profiles): current marked and selected;
 * choose(ud, p, name) runs on Enter. The picker does not free ud. */
picker *picker_names(const char *name, const char *title, const guide_lang *lang,
                     const char *const *names, size_t n, const char *current,
                     unsigned (*choose)(void *ud, picker *p, const char *name), void *ud);

#endif
