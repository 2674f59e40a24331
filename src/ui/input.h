/* The input line: GNU readline through its callback interface, with curses
 * owning the terminal. Keys are handed to readline a byte at a time
 * (rl_getc_function); readline never writes to the terminal itself (its
 * output goes to /dev/null, no prep/deprep of the terminal); the line is drawn
 * from rl_line_buffer by input_draw, with display widths from wcwidth. Readline
 * is process-wide state: there is one input line. */
#ifndef TCHAT_INPUT_H
#define TCHAT_INPUT_H

#include <curses.h>
#include <stdbool.h>

/* What the screen above provides: completion and the list of matches. */
typedef struct input_hooks {
    /* Matches for text (the word being completed, from byte start to end of the line),
     * as readline's rl_completion_matches returns them, or NULL. */
    char **(*complete)(void *ud, const char *text, int start, int end);
    /* Several matches: show them (matches[1..n]). */
    void (*show_matches)(void *ud, char **matches, int n);
    void *ud;
} input_hooks;

typedef enum {
    INPUT_NONE, /* the key was taken (the line may have changed) */
    INPUT_LINE, /* Enter: a line is ready (input_feed's *line) */
    INPUT_EOF,  /* Ctrl-D on an empty line */
    INPUT_EDIT, /* Ctrl-X Ctrl-E (vi command mode: v): run the editor on the line, then
                   input_set_line; the key is done with, readline is not waiting on it */
} input_result;

void input_init(const input_hooks *hooks);
void input_done(void);
/* Hands one byte to readline. INPUT_LINE gives the line in *line (malloc'd, the
 * caller frees); readline has cleared the input line then, and a line that is not
 * blank is in the history. */
input_result input_feed(int byte, char **line);
/* Hands a whole sequence of bytes (an arrow key's escape sequence); the result of
 * the last byte that completed something. */
input_result input_feed_seq(const char *seq, char **line);
/* Inserts text at the cursor (a paste). */
void input_insert(const char *text);
/* Replaces the whole line, cursor at its end. */
void input_set_line(const char *text);
/* Puts text before the line, on a line of its own when the line is not empty; the
 * cursor stays on the character it was on (at the end when the line was empty). */
void input_prepend(const char *text);
/* Readline's editing mode is vi (set editing-mode vi in ~/.inputrc or $INPUTRC, read when
 * the input line starts; M-C-j and C-e switch at run time): Esc is vi's then. */
bool input_vi_mode(void);
/* The line as it is now (readline's buffer; valid until the next input call). */
const char *input_text(void);
/* Rows the prompt and the line take at this width (at least 1). */
int input_rows(int width);
/* Draws the prompt and the line into w, scrolled so the cursor shows, and leaves the
 * cursor there. */
void input_draw(WINDOW *w);

#endif
