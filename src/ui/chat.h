/* The chat screen: the title bar, the conversation, the status panel and the
 * input line over one session. It owns the session, the conversation's file,
 * the explanation context, the status page and the error list; its keys and
 * commands come from the table it is given (commands.c). */
#ifndef TCHAT_CHAT_H
#define TCHAT_CHAT_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "command.h"
#include "errlog.h"
#include "explain.h"
#include "lines.h"
#include "provider.h"
#include "screen.h"
#include "session.h"
#include "statuspage.h"
#include "theme.h"
#include "view.h"
#include "worker.h"

struct config;
struct convo;

typedef struct chat_opts {
    struct config *cfg;
    worker *w;
    screens *stack;            /* to open screens over the chat */
    const ui_command *cmds;    /* the table of keys and commands */
    size_t ncmds;
    guide_lang lang;
    const char *theme;         /* --theme, or NULL: the config's */
    const char *convo_dir;     /* where conversations are saved (NULL: not saved) */
    const char *resume_path;   /* a conversation to reopen, or NULL */
    bool demo;                 /* tchat --demo: /demo NAME */
    const char *const *demo_names; /* what /demo takes (NULL-terminated), for completion */
} chat_opts;

struct chat {
    screen base;
    struct config *cfg;
    worker *w;
    screens *stack;
    const ui_command *cmds;
    size_t ncmds;

    session s;
    explain_ctx cx;            /* its language is the UI's */
    theme th;
    bool no_color;
    view view;
    statuspage sp;
    errlog errors;

    WINDOW *title, *conv, *panel, *input;
    int rows, cols, panel_h, input_h;
    ui_lines panel_lines;      /* built when the panel changes, drawn each frame */
    bool *panel_keep;          /* which of them fit (lines_fit) */
    size_t panel_keep_cap;
    bool panel_built;

    char *notice;              /* one line in the panel (a command's answer), until the next action */
    bool notice_error;
    char *last_report;         /* path of the last support report */
    unsigned pending;          /* UI_* flags raised by session callbacks */

    /* Messages sent while a request was busy wait here (not in the session: they are
     * not part of the conversation until sent). The first goes when the reply ends;
     * all go back into the input line when it fails or is cancelled. */
    char **queue;
    size_t nqueue;
    bool queue_check;          /* the session became idle or failed: see to the queue */

    /* Alt-Up/Alt-Down and /prompt N: a prompt of this conversation in the input line. */
    size_t walk_index;         /* the message shown (valid while its id is walk_id) */
    uint64_t walk_id;          /* 0: not walking */
    char *walk_saved;          /* what the input held before the walk began */

    bool vi_mode;              /* readline's vi mode, as the panel last showed it */

    struct convo *cv;          /* NULL: not saved */
    const char *convo_dir;
    int64_t save_check_ms;     /* when to look at how the last save went (0: nothing to see) */
    int64_t save_retry_ms;     /* when to try a failed save again (0: none failed) */
    int64_t panel_tick_ms;     /* when the panel's clock next changes (0: not running) */
    bool notice_is_save;       /* the notice says a save failed (it goes when one succeeds) */
    bool notice_is_busy;       /* the notice says a request is in progress (it goes with it) */

    bool demo;
    const char *const *demo_names;
    unsigned demo_count;
    char *demo_model;          /* "mock-demo-NAME#N" for the next request */
    provider_id demo_provider; /* the provider the next demo answers as (0: the profile's) */
    bool demo_active;          /* the current request runs a demo scenario */
};

/* Creates the chat (its session configured, its conversation opened). Curses must be
 * up. A notice says what went wrong with a theme or a conversation file. */
chat *chat_new(const chat_opts *o);
/* Whether the profile needs a key and none is set (the first run opens Settings). */
bool chat_needs_key(const chat *c);

/* Draws what dirty asks for (the conversation pane too unless covered), the input
 * line last so that the cursor ends there. */
void chat_draw(chat *c, unsigned dirty, bool covered, int64_t now);
/* Only the title bar (a full screen covers the rest). */
void chat_draw_title(chat *c);
/* The window a screen over the conversation draws in. */
WINDOW *chat_conv_window(const chat *c);
/* Puts the cursor back in the input line (after a screen drew over the conversation). */
void chat_place_cursor(chat *c);
/* Every window is painted again at the next draw (a full screen covered them). */
void chat_touch(chat *c);

/* Milliseconds until chat_tick has work (a retry, a countdown's tenth), or -1. */
int64_t chat_next_timeout(const chat *c, int64_t now);
/* Starts a retry when its time has come; returns UI_* flags. */
unsigned chat_tick(chat *c, int64_t now);
/* The configuration changed (Settings, a profile, /model): the session, the
 * explanation context, the language, the theme and the status page follow it. The
 * one way a configuration change reaches the chat. */
void chat_config_changed(chat *c);
/* Ends the request in flight and writes the conversation (at exit). Returns 0, or -1
 * when the conversation could not be saved (err says why: the last changes are lost). */
int chat_finish(chat *c, char *err, size_t errlen);

/* What commands use. */
/* A one-line notice in the panel; returns UI_* flags. */
unsigned chat_notice(chat *c, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
unsigned chat_clear_notice(chat *c);
/* Hands a key to the input line (readline); a finished line is submitted. */
unsigned chat_feed(chat *c, int byte);
unsigned chat_feed_seq(chat *c, const char *seq);
/* Sends text as a prompt, or runs it as a command (a leading '/'; "//" sends a '/').
 * While a request is busy a prompt is queued instead (commands still run at once).
 * Takes ownership of line. */
unsigned chat_submit(chat *c, char *line);
/* Opens the editor ($VISUAL, $EDITOR, vi) on text; what it saves becomes the input line
 * (not sent). An editor that fails leaves the input as it was (text when it was empty)
 * and says why. */
unsigned chat_edit(chat *c, const char *text);
/* The key that cancels a request: Esc, or Ctrl-C in readline's vi mode (Esc is vi's). */
const char *chat_cancel_key(const chat *c);
/* Saves the conversation (a notice when saving fails). */
void chat_save(chat *c);
/* Starts a new conversation (/new; the session is not busy): the one here is saved and
 * closed. Returns UI_* flags. */
unsigned chat_new_conversation(chat *c);
/* Opens the conversation file at path here, as --resume does (the session is not busy):
 * the one here is saved and closed first (and kept when it cannot be saved); one open in
 * another window goes on in a copy, and the notice says so. 0, or -1 with err: the
 * conversation here stays. */
int chat_open_conversation(chat *c, const char *path, char *err, size_t errlen);
/* Whether path is the file of the conversation open here. */
bool chat_has_conversation(const chat *c, const char *path);
const char *chat_str(const chat *c, const char *key);

#endif
