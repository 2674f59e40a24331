/* State shared by the UI's parts (loop, view, panel, readline bridge). Internal
 * to src/ui. */
#ifndef TCHAT_APP_H
#define TCHAT_APP_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "explain.h"
#include "render.h"
#include "session.h"
#include "theme.h"
#include "worker.h"

struct config;

enum {
    DIRTY_TITLE = 1u << 0,
    DIRTY_CONV = 1u << 1,
    DIRTY_PANEL = 1u << 2,
    DIRTY_INPUT = 1u << 3,
    DIRTY_LAYOUT = 1u << 4, /* window sizes change */
    DIRTY_ALL = 0x1f,
};

typedef enum { OVERLAY_NONE, OVERLAY_HELP, OVERLAY_ERRORS } overlay_kind;

typedef struct settings settings;

/* A wrapped message, cached by message id, text length, flags and width. */
typedef struct view_cache {
    uint64_t id;
    size_t text_len;
    unsigned flags;
    int width;
    bool code_wrap;
    md_doc md;
    wrap_lines lines;
} view_cache;

/* One failure of this session, for F8. */
typedef struct error_record {
    int64_t wall_ms;
    guide_entry entry;
    long status;
    char *title;
    char *message;
    char *request_id;
    bool retried;
} error_record;

typedef struct app {
    struct config *cfg;
    const struct config_load_args *load_args; /* to read the file again (discard changes) */
    explain_ctx cx;
    worker *w;
    session s;
    theme th;
    bool no_color;

    WINDOW *title, *conv, *panel, *input;
    WINDOW *form;            /* the settings screen, over everything but the title */
    settings *settings;
    bool settings_open;
    bool was_settings;       /* the last frame was the form */
    int rows, cols;
    int panel_h, input_h;
    unsigned dirty;
    overlay_kind overlay;
    int overlay_scroll;
    bool panel_detail;       /* F6 */
    bool quit;
    int exit_code;

    /* Conversation view */
    view_cache *cache;
    size_t ncache;
    int scroll;              /* lines scrolled up from the bottom; 0 follows the reply */
    bool code_wrap;

    /* Frame pacing: streamed deltas are coalesced to ~60 frames a second. */
    int64_t last_frame_ms;
    bool frame_pending;

    /* A one-line notice in the panel (command results, hints), until the next action. */
    char *notice;
    bool notice_is_error;

    /* Status page (SPEC §6) */
    uint64_t status_job;
    int64_t status_fetched_ms;  /* monotonic; 0 never */
    char *status_text;          /* "Partial System Outage", or NULL */
    bool status_unknown;

    error_record *errors;
    size_t nerrors, caperrors;

    char *last_report;          /* path of the last support report */

    /* Conversations (NULL cv: not saved, e.g. no data directory) */
    struct convo *cv;
    const char *convo_dir;
    char *history_path;         /* readline's history file */

    /* tchat --demo: /demo NAME makes the next request use that failure scenario */
    bool demo;
    unsigned demo_count;
    char *demo_model;           /* "mock-demo-NAME#N" for the next request */
    bool demo_active;           /* the current request runs a demo scenario */
} app;

/* view.c */
void view_draw(app *a);
void view_free(app *a);
void view_scroll(app *a, int lines);
int view_page(const app *a);

/* panel.c */
/* Builds the panel's lines for this frame; returns the height they need. */
int panel_prepare(app *a, int64_t now);
void panel_draw(app *a, int64_t now);
void title_draw(app *a);
void overlay_draw(app *a);
/* Draws the guide's explanation of f (wrapped) at row y of w, at most maxlines; returns lines used. */
int panel_explain_draw(app *a, WINDOW *w, int y, int maxlines, const failure *f);
/* Milliseconds until the panel must be redrawn again (countdown), or -1. */
int64_t panel_next_tick(const app *a, int64_t now);

/* rl.c: the readline bridge */
void rl_bridge_init(app *a);
void rl_bridge_done(void);
void rl_bridge_feed(int byte);
void rl_bridge_insert(const char *text);
void rl_bridge_set_line(const char *text);
void rl_bridge_draw(app *a);
int rl_bridge_lines(const app *a, int width);

/* ui.c: things the parts call back */
/* The configuration changed (settings, profile): apply it to the session, theme, language. */
void app_config_changed(app *a);
/* Reads the config file again, dropping unsaved changes. */
void app_reload_config(app *a);
void app_submit_line(app *a, char *line);
void app_notice(app *a, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes text at (y, x) in w, at most maxcols display columns, in attr. Returns columns used. */
int put_text(WINDOW *w, int y, int x, const char *s, size_t len, int maxcols, unsigned long attr);

#endif
