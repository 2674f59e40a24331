/* Screens: the chat, the settings form, the pagers (help, errors, the full
 * explanation) and the pickers are each a small table of operations over state
 * of their own. The loop keeps them in a stack: keys go to the top one (and fall
 * through to the one below when it passes), worker events go down the stack
 * until one takes them, and a screen drawn over the conversation leaves the
 * chat's panel and input line live beneath it.
 *
 * Handlers never draw. They change their state and return what needs doing,
 * as UI_* flags: what to redraw, and requests for the loop (close this screen,
 * quit, the configuration changed). */
#ifndef TCHAT_SCREEN_H
#define TCHAT_SCREEN_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "worker.h"

enum {
    UI_REDRAW_TITLE = 1u << 0,
    UI_REDRAW_CONV = 1u << 1,  /* the conversation pane, or the screen over it */
    UI_REDRAW_PANEL = 1u << 2,
    UI_REDRAW_INPUT = 1u << 3,
    UI_RELAYOUT = 1u << 4,     /* window sizes may change */
    UI_REDRAW_ALL = 0x1f,
    UI_FRAME = 1u << 5,        /* streamed text: redraw the conversation at the frame rate */
    UI_PASS = 1u << 8,         /* the key or event is not this screen's */
    UI_CLOSE = 1u << 9,        /* close this screen */
    UI_QUIT = 1u << 10,
    UI_CONFIG_CHANGED = 1u << 11, /* apply the configuration everywhere */
    UI_RELOAD_CONFIG = 1u << 12,  /* read the config file again, dropping unsaved changes */
};

typedef struct screen screen;

typedef struct screen_ops {
    const char *name;
    /* Drawn in the conversation pane (the chat's panel and input stay), rather than
     * over everything but the title bar. */
    bool over_conversation;
    void (*draw)(screen *s, WINDOW *w, int64_t now);
    unsigned (*key)(screen *s, int key);
    unsigned (*event)(screen *s, const worker_event *ev); /* NULL: takes none */
    void (*close)(screen *s);                             /* frees s */
} screen_ops;

/* Every screen's state begins with this. */
struct screen {
    const screen_ops *ops;
};

enum { SCREENS_MAX = 8 };

typedef struct screens {
    screen *v[SCREENS_MAX];
    int n;
} screens;

/* Pushes s on top (a full stack closes s instead and returns false). */
bool screens_push(screens *st, screen *s);
screen *screens_top(const screens *st);
/* Closes and removes the top screen (never the bottom one). */
void screens_pop(screens *st);
/* Closes and removes s wherever it is; false when it is not on the stack. */
bool screens_remove(screens *st, screen *s);
/* Closes every screen, top first. */
void screens_close_all(screens *st);

#endif
