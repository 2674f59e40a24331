/* Shell completion scripts for bash, zsh and fish, generated from the flag table
 * (src/cli.h): tchat --completion SHELL prints one, and the build installs all three.
 * Fixed values (languages, booleans, shells, config keys) are written into the script;
 * profiles, themes and conversation ids are asked of the tchat being completed when the
 * user presses Tab (--list-profiles, --list-themes, --list). */
#ifndef TCHAT_COMPLETION_H
#define TCHAT_COMPLETION_H

#include <stdio.h>

/* The shells, space separated: "bash zsh fish". */
extern const char completion_shells[];

/* Writes the completion script for shell ("bash", "zsh" or "fish") to f. Returns 0, or -1
 * for another shell (nothing written). */
int completion_write(const char *shell, FILE *f);

#endif
