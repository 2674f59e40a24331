#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

#ifdef TCHAT_SANITIZER
#include <sanitizer/common_interface_defs.h>
#endif

enum {
    KEY_PASTE_BEGIN = KEY_MAX + 1, /* via define_key */
    KEY_PASTE_END = KEY_MAX + 2,
    KEY_ALT_FIRST = KEY_MAX + 3,   /* via define_key: xterm's Alt-arrows, when terminfo lacks them */
    PASTE_WAIT_MS = 2000,          /* the end marker of a paste must come within this */
};

/* Everything the crash path needs, set up front so that it only reads. */
static int stderr_saved = -1;    /* the real stderr while captured */
static int stderr_file = -1;     /* the capture (an unlinked temporary file) */
static bool curses_up;
static SCREEN *term_screen;
static struct termios saved_termios;
static bool have_saved_termios;
static volatile sig_atomic_t crashed;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
enum { NFATAL = sizeof fatal_signals / sizeof fatal_signals[0] };
static struct sigaction previous_fatal[NFATAL];
static buf paste;
/* Keys typed before the terminal was ours: the line discipline may have turned their
 * Enter (CR) into a newline, which the input line would take for Ctrl-J. */
static int typed_early;
static bool typed_early_crnl;
/* Alt with an arrow: xterm's modified-key sequences (tmux sends them too). Terminfo may
 * name them (kUP3) or not; either way term_getkey returns TERM_KEY_ALT | the arrow. */
static const struct {
    const char *seq;
    int key;
} alt_arrows[] = {{"\033[1;3A", KEY_UP}, {"\033[1;3B", KEY_DOWN}};
enum { NALT = sizeof alt_arrows / sizeof alt_arrows[0] };
static int alt_codes[NALT];
static bool suspended;
static bool mouse_on, mouse_before_suspend;

/* ---- stderr ---- */

static void capture_stderr(void)
{
    const char *dir = getenv("TMPDIR");
    char *tmpl = xasprintf("%s/tchat-stderr-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd >= 0)
        unlink(tmpl);
    free(tmpl);
    if (fd < 0)
        return;
    fflush(stderr);
    stderr_saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (stderr_saved < 0 || dup2(fd, STDERR_FILENO) < 0) {
        if (stderr_saved >= 0)
            close(stderr_saved);
        stderr_saved = -1;
        close(fd);
        return;
    }
    stderr_file = fd;
}

/* Puts the real stderr back and copies the capture to it. Async-signal-safe. */
static void replay_stderr(void)
{
    if (stderr_saved < 0)
        return;
    dup2(stderr_saved, STDERR_FILENO);
    close(stderr_saved);
    stderr_saved = -1;
    if (stderr_file < 0)
        return;
    char chunk[4096];
    ssize_t n;
    if (lseek(stderr_file, 0, SEEK_SET) == 0) {
        while ((n = read(stderr_file, chunk, sizeof chunk)) > 0) {
            ssize_t off = 0;
            while (off < n) {
                ssize_t w = write(STDERR_FILENO, chunk + off, (size_t)(n - off));
                if (w <= 0 && errno != EINTR)
                    break;
                if (w > 0)
                    off += w;
            }
        }
    }
    close(stderr_file);
    stderr_file = -1;
}

/* ---- crashes ---- */

/* The terminal back as it was, without curses. Async-signal-safe. */
static void emergency_restore(void)
{
    static const char reset[] = "\033[?2004l\033[?1000l\033[?1006l\033[0m\033[?25h\033[?1049l\r\n";
    if (have_saved_termios)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    if (curses_up && write(STDOUT_FILENO, reset, sizeof reset - 1) < 0) {
        /* Nothing more can be done for the terminal. */
    }
    curses_up = false;
}

static void on_fatal(int sig)
{
    if (!crashed) {
        crashed = 1;
        emergency_restore();
        replay_stderr();
    }
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous_fatal[i], NULL);
    raise(sig);
}

#ifdef TCHAT_SANITIZER
/* The undefined-behaviour sanitizer has no death callback of its own (its runtime is
 * apart from the address sanitizer's): it aborts instead, and the crash path replays
 * its report. UBSAN_OPTIONS still overrides this. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "abort_on_error=1:print_stacktrace=1";
}

/* When newterm() refuses an unknown TERM, ncurses keeps the screen it had begun to set
 * up (new_prescr) and offers nothing to free it with; tchat exits right after. That one
 * allocation is the library's, not a leak of ours, so the leak checker is told to pass it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:new_prescr\n";
}

/* A sanitizer's report ends the process without a signal; its text is in the capture. */
static void on_sanitizer_death(void)
{
    if (crashed)
        return;
    crashed = 1;
    emergency_restore();
    replay_stderr();
}
#endif

static void install_fatal_handlers(void)
{
    have_saved_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_signals[i], &sa, &previous_fatal[i]);
#ifdef TCHAT_SANITIZER
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
}

/* ---- set-up and restore ---- */

int term_init(char *err, size_t errlen)
{
    const char *name = getenv("TERM");
    if (!name || !*name || strcmp(name, "dumb") == 0) {
        snprintf(err, errlen, "the chat interface needs a terminal that can move the cursor "
                              "(TERM is %s); for scripts use tchat -p PROMPT",
                 name && *name ? name : "not set");
        return -1;
    }
    install_fatal_handlers();
    struct termios before;
    typed_early_crnl = tcgetattr(STDIN_FILENO, &before) == 0 && (before.c_iflag & ICRNL);
    capture_stderr();
    ESCDELAY = 25;
    term_screen = newterm(NULL, stdout, stdin);
    if (!term_screen) {
        replay_stderr();
        snprintf(err, errlen, "cannot use the terminal (TERM=%s is unknown here); for scripts use "
                              "tchat -p PROMPT",
                 name);
        return -1;
    }
    set_term(term_screen);
    curses_up = true;
    static bool registered;
    if (!registered) {
        registered = true;
        atexit(term_done);
    }
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(1);
    term_mouse(true);
    mouseinterval(0);
    define_key("\033[200~", KEY_PASTE_BEGIN);
    define_key("\033[201~", KEY_PASTE_END);
    for (int i = 0; i < NALT; i++) {
        alt_codes[i] = key_defined(alt_arrows[i].seq);
        if (alt_codes[i] <= 0) {
            alt_codes[i] = KEY_ALT_FIRST + i;
            define_key(alt_arrows[i].seq, alt_codes[i]);
        }
    }
    fputs("\033[?2004h", stdout);
    fflush(stdout);
    if (ioctl(STDIN_FILENO, FIONREAD, &typed_early) != 0)
        typed_early = 0;
    return 0;
}

void term_done(void)
{
    if (curses_up) {
        /* Bracketed paste off, then give the terminal back. */
        fputs("\033[?2004l", stdout);
        fflush(stdout);
        endwin();
        curses_up = false;
    }
    if (term_screen) {
        delscreen(term_screen);
        term_screen = NULL;
    }
    fflush(stderr);
    replay_stderr();
    buf_free(&paste);
}

void term_resize(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    clearok(curscr, TRUE);
}

int term_suspend(void)
{
    if (!curses_up || suspended)
        return -1;
    mouse_before_suspend = mouse_on;
    if (mouse_on)
        mousemask(0, NULL);
    fputs("\033[?2004l", stdout);
    fflush(stdout);
    def_prog_mode();
    endwin();
    /* The program may write to stderr (an editor's messages): the terminal's, not the
     * capture's. */
    fflush(stderr);
    if (stderr_saved >= 0)
        dup2(stderr_saved, STDERR_FILENO);
    suspended = true;
    return 0;
}

void term_resume(void)
{
    if (!suspended)
        return;
    suspended = false;
    fflush(stderr);
    if (stderr_file >= 0)
        dup2(stderr_file, STDERR_FILENO);
    reset_prog_mode();
    /* The window may have been resized while the program ran, and tchat's SIGWINCH
     * handler only notes it: take the size now. */
    term_resize();
    fputs("\033[?2004h", stdout);
    fflush(stdout);
    if (mouse_before_suspend)
        term_mouse(true);
    /* Everything is painted again (clearok): the screen holds the program's last frame. */
    doupdate();
}

/* ---- keys ---- */

/* Everything up to the end marker is text, newlines included. */
static void read_paste(WINDOW *w)
{
    buf_reset(&paste);
    int64_t deadline = clock_mono_ms() + PASTE_WAIT_MS;
    for (;;) {
        int ch = wgetch(w);
        if (ch == KEY_PASTE_END)
            break;
        if (ch == ERR) {
            if (clock_mono_ms() > deadline)
                break;
            struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
            poll(&pfd, 1, 50);
            continue;
        }
        if (ch == '\r')
            ch = '\n';
        if (ch >= 0 && ch < 256 && (ch >= 32 || ch == '\n' || ch == '\t'))
            buf_putc(&paste, (char)ch);
    }
}

int term_getkey(WINDOW *w)
{
    nodelay(w, TRUE);
    int ch = wgetch(w);
    if (ch != ERR && typed_early > 0) {
        typed_early--;
        if (ch == '\n' && typed_early_crnl)
            return '\r'; /* Enter, typed while tchat was starting */
    }
    if (ch == KEY_PASTE_BEGIN) {
        read_paste(w);
        return TERM_KEY_PASTE;
    }
    if (ch == KEY_PASTE_END)
        return term_getkey(w); /* a stray end marker */
    for (int i = 0; i < NALT; i++)
        if (ch == alt_codes[i])
            return TERM_KEY_ALT | alt_arrows[i].key;
    if (ch == 27) {
        int next = wgetch(w);
        if (next == ERR)
            return 27;
        if (next == KEY_PASTE_BEGIN) {
            ungetch(next);
            return 27;
        }
        return TERM_KEY_ALT | next;
    }
    return ch;
}

const char *term_paste_text(void)
{
    return buf_str(&paste);
}

/* ---- the terminal itself ---- */

int term_write(const char *seq, size_t len)
{
    if (!curses_up)
        return -1;
    /* Between frames curses has nothing waiting: doupdate, curs_set and mousemask
     * each end by flushing. So this cannot land inside one of its sequences, and
     * since it moves no cursor and prints nothing, the screen curses believes in
     * stays the one on the terminal. */
    fflush(stdout);
    size_t off = fd_write_all(STDOUT_FILENO, seq, len, clock_mono_ms() + 5000);
    if (off == len)
        return 0;
    /* A sequence cut short would swallow what follows: end it (ST). */
    if (off > 0)
        fd_write_all(STDOUT_FILENO, "\033\\", 2, clock_mono_ms() + 100);
    return -1;
}

void term_mouse(bool on)
{
    /* The wheel only: clicks and drags stay the terminal's (with Shift, since
     * reporting is on). ncurses turns reporting off when the mask is empty. */
    mmask_t wheel = BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                    | BUTTON5_PRESSED
#endif
        ;
    mousemask(on ? wheel : 0, NULL);
    mouse_on = on;
}

bool term_mouse_on(void)
{
    return mouse_on;
}
