/* Writing a message in the user's text editor (Ctrl-X Ctrl-E, /edit). The text goes
 * into a temporary file (mode 0600, in $TMPDIR, removed afterwards), the editor runs
 * in the foreground with the terminal lent to it (term_suspend), and what it saved
 * comes back.
 *
 * The editor is $VISUAL, else $EDITOR, else vi. A command of plain words (a path and
 * its arguments, quoted as in a shell if need be) runs without a shell; one that needs
 * a shell ($, `, |, ;, &, <, >, parentheses, wildcards, ~, a VAR=value prefix) runs as
 * /bin/sh -c 'COMMAND "$@"' with the file as its argument. The editor gets tchat's
 * environment without the key (env_for_child) and the usual signal dispositions.
 * While it runs tchat ignores SIGINT and SIGQUIT (an interrupt is the editor's) and
 * takes SIGTSTP's default action (Ctrl-Z stops both, fg resumes both). */
#ifndef TCHAT_EDITOR_H
#define TCHAT_EDITOR_H

#include <stddef.h>

enum { EDITOR_MAX_BYTES = 1 << 20 }; /* a longer text is refused (the input is kept) */

/* The editor command: $VISUAL, else $EDITOR, else "vi" (an empty variable counts as unset). */
const char *editor_command(void);
/* The argv that runs cmd on path: its words, or the shell form above. NULL-terminated,
 * freed with str_free_words; NULL with why when cmd cannot be split (an unclosed quote,
 * nothing but blanks). */
char **editor_argv(const char *cmd, const char *path, const char **why);
/* The text an editor saved, as the input line takes it: control characters and escape
 * sequences removed, invalid UTF-8 replaced (sanitize), CRLF as LF, and the line breaks
 * at its end dropped (an editor ends the file with one). Caller frees. */
char *editor_clean(const char *text, size_t len);

typedef enum {
    EDITOR_SAVED,  /* the editor exited with status 0: the text is what it saved */
    EDITOR_FAILED, /* it exited with another status, or a signal ended it */
    EDITOR_ERROR,  /* it could not run, or the file could not be written or read */
} editor_result;

typedef struct editor_outcome {
    editor_result result;
    int status;     /* EDITOR_FAILED: the exit status, or -1 when a signal ended it */
    int signal;     /* EDITOR_FAILED: that signal, else 0 */
    char err[512];  /* EDITOR_ERROR: why, in English ("command not found: vim") */
} editor_outcome;

/* Runs the editor on text with the terminal lent to it. EDITOR_SAVED gives the text in
 * *out (editor_clean; malloc'd, the caller frees); otherwise *out is NULL. */
void editor_edit(const char *text, char **out, editor_outcome *o);

#endif
