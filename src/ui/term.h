/* The terminal, owned in one place: curses set-up and restore, bracketed paste,
 * the mouse wheel, resizes, keys read and decoded (Alt, paste), sequences for the
 * terminal itself (the clipboard's OSC 52), lending it to a program (the editor),
 * and stderr.
 *
 * While curses runs, stderr goes to a temporary file: anything written there
 * (a library's warning, a sanitizer's report) would otherwise scribble over the
 * screen. It is written back to the real stderr on every way out: term_done,
 * exit() (atexit), a crash signal, and in sanitizer builds a sanitizer's report
 * (which ends the process without a signal). The crash path is
 * async-signal-safe: it restores the terminal's modes, leaves the alternate
 * screen, replays the file and hands the signal to the previous handler. */
#ifndef TCHAT_TERM_H
#define TCHAT_TERM_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

/* Keys beyond curses' own that term_getkey returns. */
enum {
    TERM_KEY_PASTE = KEY_MAX + 16, /* bracketed paste: the text is term_paste_text() */
    TERM_KEY_ALT = 0x40000000,     /* or'ed with the key that followed Esc at once */
};

/* Takes the terminal (stderr captured first). Returns 0, or -1 with a message in err
 * (no usable terminal: TERM unknown or "dumb"); the terminal is untouched then. */
int term_init(char *err, size_t errlen);
/* Gives the terminal back and replays captured stderr. Safe to call more than once. */
void term_done(void);
/* After SIGWINCH: takes the new size. */
void term_resize(void);
/* Lends the terminal to a program run in the foreground (the editor): curses' modes
 * saved (def_prog_mode) and the terminal as tchat found it (endwin: cooked mode, the
 * alternate screen left), bracketed paste and mouse reporting off, and the real stderr
 * back on fd 2 so that the program can write to it. Returns 0, or -1 when curses is not
 * up or the terminal is lent already. Signals are the caller's business. */
int term_suspend(void);
/* Takes the terminal back after term_suspend: curses' modes, bracketed paste, the mouse
 * as it was, stderr captured again, the size taken afresh (the window may have changed
 * meanwhile), and the whole screen painted again. */
void term_resume(void);
/* Reads one key from w without waiting: ERR when none. Esc followed at once by another
 * key is TERM_KEY_ALT | key; a lone Esc is 27; Alt-Up and Alt-Down (xterm's CSI 1;3 A/B)
 * are TERM_KEY_ALT | KEY_UP / KEY_DOWN. A bracketed paste is read whole. */
int term_getkey(WINDOW *w);
/* The text of the last TERM_KEY_PASTE (newlines kept, control characters dropped). */
const char *term_paste_text(void);

/* Writes a sequence that neither moves the cursor nor prints (OSC 52) straight to
 * the terminal, between frames. Returns 0, or -1 when curses is not up or the
 * write failed. */
int term_write(const char *seq, size_t len);
/* Mouse reporting: on, the wheel scrolls (and the terminal selects with Shift-drag);
 * off, the terminal has the mouse to itself (a plain drag selects). On at start. */
void term_mouse(bool on);
bool term_mouse_on(void);

#endif
