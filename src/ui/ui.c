/* The UI loop: one poll() on the terminal, the worker's wake fd and the signal
 * pipe, with the timeout set to the next timer (none when idle). Keys go to the
 * top screen, worker events down the stack of screens; handlers return what to
 * redraw and the loop redraws once per turn, streamed text at most ~60 times a
 * second. */
#include "ui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <readline/history.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"
#include "commands.h"
#include "config.h"
#include "draw.h"
#include "settings.h"
#include "sigwake.h"
#include "term.h"

enum {
    FRAME_MS = 16,      /* ~60 frames a second while streaming */
    HISTORY_MAX = 1000, /* input history entries kept */
};

typedef struct ui {
    config *cfg;
    const config_load_args *load_args;
    worker *w;
    screens stack;
    chat *chat;          /* the bottom screen */
    WINDOW *body;        /* where full screens draw: everything below the title */
    unsigned dirty;
    bool was_full;       /* the last frame was a full screen */
    bool was_small;      /* the last frame said the terminal is too small */
    int64_t last_frame_ms;
    bool frame_pending;  /* streamed text waits for the next frame */
    bool quit;
    char *history_path;
} ui;

/* ---- what handlers ask for ---- */

/* Reads the config file again, dropping unsaved changes. */
static void reload_config(ui *u)
{
    if (!u->load_args)
        return;
    config fresh;
    char err[1024];
    if (config_load(&fresh, u->load_args, err, sizeof err) != 0) {
        u->dirty |= chat_notice(u->chat, true, "%s", err);
        return;
    }
    config_free(u->cfg);
    *u->cfg = fresh;
}

/* Carries out the requests in flags that came from screen s. */
static void apply(ui *u, screen *s, unsigned flags)
{
    if (flags & UI_RELOAD_CONFIG) {
        reload_config(u);
        flags |= UI_CONFIG_CHANGED;
    }
    if ((flags & UI_CLOSE) && s && s != &u->chat->base)
        screens_remove(&u->stack, s);
    if (flags & UI_CONFIG_CHANGED)
        chat_config_changed(u->chat);
    if (flags & UI_QUIT)
        u->quit = true;
    if (flags & UI_FRAME)
        u->frame_pending = true;
    u->dirty |= flags & UI_REDRAW_ALL;
}

/* A key goes to the top screen, and down while screens pass it on. */
static void handle_key(ui *u, int key)
{
    if (key == KEY_RESIZE) {
        u->dirty |= UI_REDRAW_ALL;
        return;
    }
    if ((key & TERM_KEY_ALT) && screens_top(&u->stack) != &u->chat->base) {
        /* Only the input line has a use for Alt: elsewhere Esc is Esc (closing a
         * screen) and the key after it a key of its own. */
        handle_key(u, 27);
        handle_key(u, key & ~TERM_KEY_ALT);
        return;
    }
    for (int i = u->stack.n; i-- > 0;) {
        screen *s = u->stack.v[i];
        unsigned f = s->ops->key(s, key);
        if (!(f & UI_PASS)) {
            apply(u, s, f);
            return;
        }
    }
}

static void drain_events(ui *u)
{
    worker_event *ev = worker_drain(u->w);
    while (ev) {
        worker_event *next = ev->next;
        for (int i = u->stack.n; i-- > 0;) {
            screen *s = u->stack.v[i];
            if (!s->ops->event)
                continue;
            unsigned f = s->ops->event(s, ev);
            if (!(f & UI_PASS)) {
                apply(u, s, f);
                break;
            }
        }
        worker_event_free(ev);
        ev = next;
    }
}

/* ---- drawing ---- */

static WINDOW *body_window(ui *u)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    if (!u->body) {
        u->body = newwin(rows > 1 ? rows - 1 : 1, cols, 1, 0);
    } else if (getmaxy(u->body) != rows - 1 || getmaxx(u->body) != cols) {
        wresize(u->body, rows > 1 ? rows - 1 : 1, cols);
        mvwin(u->body, 1, 0);
    }
    return u->body;
}

/* The smallest terminal drawn in; below it a message says so (tchat goes on). */
enum { MIN_COLS = 20, MIN_ROWS = 6 };

static bool too_small(ui *u)
{
    if (LINES >= MIN_ROWS && COLS >= MIN_COLS)
        return false;
    char size[32];
    snprintf(size, sizeof size, "%dx%d", COLS, LINES);
    buf b;
    buf_init(&b);
    buf_fill(&b, guide_str(u->chat->cx.lang, "ui.too_small"), 1, size);
    ui_lines l;
    lines_init(&l, COLS, true);
    lines_add(&l, ROLE_WARN, 0, buf_str(&b));
    draw_clear(stdscr, ROLE_NORMAL);
    draw_lines(stdscr, 0, &l, 0, LINES, NULL);
    wnoutrefresh(stdscr);
    lines_free(&l);
    buf_free(&b);
    return true;
}

static void draw(ui *u, int64_t now)
{
    if (too_small(u)) {
        doupdate();
        u->was_small = true;
        u->dirty = 0;
        return;
    }
    if (u->was_small) {
        /* The message covered every window. */
        u->was_small = false;
        u->was_full = true;
        if (u->body)
            touchwin(u->body);
        u->dirty |= UI_REDRAW_ALL | UI_RELAYOUT;
    }
    screen *top = screens_top(&u->stack);
    if (top != &u->chat->base && !top->ops->over_conversation) {
        chat_draw_title(u->chat);
        top->ops->draw(top, body_window(u), now);
        u->was_full = true;
    } else {
        if (u->was_full) {
            /* The full screen covered every window: paint them all again. */
            u->was_full = false;
            chat_touch(u->chat);
            u->dirty |= UI_REDRAW_ALL;
        }
        bool covered = top != &u->chat->base;
        chat_draw(u->chat, u->dirty, covered, now);
        if (covered && (u->dirty & UI_REDRAW_CONV)) {
            top->ops->draw(top, chat_conv_window(u->chat), now);
            chat_place_cursor(u->chat);
        }
    }
    doupdate();
    u->dirty = 0;
    u->last_frame_ms = now;
    u->frame_pending = false;
}

/* ---- the input history: $XDG_STATE_HOME/tchat/history (0600), capped ---- */

static void history_load(ui *u)
{
    char *dir = xdg_path("XDG_STATE_HOME", ".local/state", "tchat");
    char err[256];
    if (dir && dir_create(dir, err, sizeof err) == 0)
        u->history_path = xasprintf("%s/history", dir);
    free(dir);
    stifle_history(HISTORY_MAX);
    if (u->history_path)
        read_history(u->history_path);
    /* Up starts from the newest entry read. */
    using_history();
}

static void history_save(ui *u)
{
    if (!u->history_path)
        return;
    /* Prompts are private: the file is created 0600. */
    int fd = open(u->history_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    if (write_history(u->history_path) == 0)
        history_truncate_file(u->history_path, HISTORY_MAX);
}

/* ---- the loop ---- */

static int64_t next_timeout(ui *u, int64_t now)
{
    int64_t timeout = chat_next_timeout(u->chat, now);
    if (u->dirty) {
        int64_t t = FRAME_MS - (now - u->last_frame_ms);
        if (t < 0)
            t = 0;
        if (timeout < 0 || t < timeout)
            timeout = t;
    }
    return timeout;
}

static void run(ui *u, int sigfd)
{
    while (!u->quit) {
        int64_t now = clock_mono_ms();
        /* Streamed text alone waits for its frame; anything else is drawn now. */
        if (u->dirty && !(u->frame_pending && !(u->dirty & ~UI_REDRAW_CONV) &&
                          now - u->last_frame_ms < FRAME_MS))
            draw(u, now);
        int64_t timeout = next_timeout(u, now);
        struct pollfd fds[3] = {
            {.fd = STDIN_FILENO, .events = POLLIN},
            {.fd = worker_wake_fd(u->w), .events = POLLIN},
            {.fd = sigfd, .events = POLLIN},
        };
        int n = poll(fds, 3, timeout < 0 ? -1 : (int)(timeout > 60000 ? 60000 : timeout));
        if (n < 0 && errno != EINTR)
            break;
        if (fds[2].revents & POLLIN)
            sigwake_drain();
        static const int ending[] = {SIGTERM, SIGHUP, SIGINT};
        if (sigwake_take_any(ending, sizeof ending / sizeof ending[0]))
            break;
        if (sigwake_take(SIGWINCH)) {
            term_resize();
            u->dirty |= UI_REDRAW_ALL | UI_RELAYOUT;
        }
        if (fds[0].revents & (POLLHUP | POLLERR))
            break;
        if (fds[0].revents & POLLIN) {
            int key;
            while (!u->quit && (key = term_getkey(u->chat->input)) != ERR)
                handle_key(u, key);
        }
        if (fds[1].revents & POLLIN)
            drain_events(u);
        apply(u, NULL, chat_tick(u->chat, clock_mono_ms()));
    }
}

int ui_run(const ui_opts *o)
{
    ui u;
    memset(&u, 0, sizeof u);
    u.cfg = o->cfg;
    u.load_args = o->load_args;

    static const int sigs[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT};
    int sigfd = sigwake_install(sigs, sizeof sigs / sizeof sigs[0]);
    if (sigfd < 0) {
        perror("tchat: pipe");
        return 1;
    }
    char err[512];
    u.w = worker_new(err, sizeof err);
    if (!u.w) {
        fprintf(stderr, "tchat: %s\n", err);
        sigwake_close();
        return 1;
    }
    if (term_init(err, sizeof err) != 0) {
        fprintf(stderr, "tchat: %s\n", err);
        worker_free(u.w);
        sigwake_close();
        return 2;
    }
    size_t ncmds;
    const ui_command *cmds = commands_table(&ncmds);
    chat_opts co = {
        .cfg = o->cfg,
        .w = u.w,
        .stack = &u.stack,
        .cmds = cmds,
        .ncmds = ncmds,
        .lang = o->lang,
        .theme = o->theme,
        .convo_dir = o->convo_dir,
        .resume_path = o->resume_path,
        .demo = o->demo,
        .demo_names = commands_demo_names(),
    };
    u.chat = chat_new(&co);
    screens_push(&u.stack, &u.chat->base);
    history_load(&u);
    /* First run: no key from any source and the endpoint needs one. */
    if (chat_needs_key(u.chat))
        screens_push(&u.stack, settings_new(u.cfg, u.w, &u.stack, &u.chat->cx.lang, true));
    u.dirty = UI_REDRAW_ALL | UI_RELAYOUT;

    run(&u, sigfd);

    char save_err[600];
    int code = 0;
    if (chat_finish(u.chat, save_err, sizeof save_err) != 0) {
        /* Said after the terminal is back, and the exit status says it too. */
        fprintf(stderr, "tchat: %s: the last changes of this conversation are not on disk\n",
                save_err);
        code = 1;
    }
    history_save(&u);
    screens_close_all(&u.stack);
    if (u.body)
        delwin(u.body);
    term_done();
    worker_free(u.w);
    free(u.history_path);
    sigwake_close();
    return code;
}
