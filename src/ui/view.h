/* The conversation pane. Messages are rendered (Markdown, code highlighted) and wrapped
 * once per change and width, cached by message id; a reply that streams is rendered and
 * wrapped again from its last line only. Drawing walks back from the bottom, so its cost is
 * what is visible, not the conversation's length. A reply's code blocks carry their number
 * ("[2] python", right-aligned on the opening fence line), the one /copy N takes.
 *
 * A reply's reasoning is shown, dimmed under "▾ thinking… 12 s", while it comes and the
 * answer has not begun; then it folds to one line, "▸ thought for 12 s", above the answer.
 * view_toggle_reasoning unfolds it again (Alt-h, /thinking). */
#ifndef TCHAT_VIEW_H
#define TCHAT_VIEW_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "guide.h"
#include "render.h"
#include "session.h"

/* A wrapped message, cached by message id, text length, flags and width. */
typedef struct view_cache {
    uint64_t id;
    size_t text_len;
    unsigned flags;
    int width;
    bool code_wrap;
    md_doc md;
    wrap_lines lines;
    /* The reasoning, wrapped only while it is shown: */
    size_t reasoning_len; /* the bytes of it in rlines */
    int rwidth;           /* their width; 0: not wrapped */
    wrap_lines rlines;
    uint64_t unfold_id; /* the message whose reasoning the reader unfolded: the fold is
                             part of the layout, kept apart from what renders the text */
} view_cache;

typedef struct view {
    view_cache *cache;
    size_t ncache;
    int scroll;       /* lines scrolled up from the bottom; 0 follows the reply */
    bool code_wrap;   /* wrap code blocks instead of cutting them */
    int page;         /* rows of the pane at the last draw */
    uint64_t mark_id; /* the message whose code block mark_block (1-based) was copied last: */
    size_t mark_block; /* its label is highlighted (0: none) */
} view;

void view_init(view *v);
void view_free(view *v);
/* Draws the messages of s into w (a hint when there are none). */
void view_draw(view *v, WINDOW *w, const session *s, guide_lang lang);
/* The rows the conversation needs at this width, counted from the newest message back and
 * no further than limit (so it costs what fits on a screen, not the conversation's length). */
int view_rows(view *v, int cols, const session *s, guide_lang lang, int limit);
/* Scrolls up (lines > 0) or down; returns the UI_* flags to redraw. */
unsigned view_scroll(view *v, int lines);
/* One page of the pane (at the last draw), for PgUp/PgDn. */
int view_page(const view *v);
/* Back to following the newest message; returns UI_* flags (0 when it already did). */
unsigned view_follow(view *v);
/* Highlights the label of code block `block` (1-based) of message id; returns UI_* flags. */
unsigned view_mark(view *v, uint64_t id, size_t block);
/* Folds or unfolds the reasoning of the newest reply that has some; with all, of every
 * reply: unfolded when any was folded, else all folded. Returns UI_* flags, or 0 when no
 * reply has reasoning. */
unsigned view_toggle_reasoning(view *v, const session *s, bool all);

#endif
