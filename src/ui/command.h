/* The shape of the one table of keys and commands (commands.c holds it). Each
 * entry is a thing the user can do: its slash command and arguments, the keys
 * that do it, what Tab completes after it, its help line, and the handler. F1,
 * /help, Tab completion and the README's list all come from the table. */
#ifndef TCHAT_COMMAND_H
#define TCHAT_COMMAND_H

#include <stdbool.h>

typedef struct chat chat;

/* What follows a command's name, for completion. */
typedef enum {
    ARG_NONE,
    ARG_TEXT, /* free text */
    ARG_MODEL,
    ARG_PROFILE,
    ARG_THEME,
    ARG_LANG,
    ARG_DEMO,
    ARG_PATH,
    ARG_BLOCK, /* the number of a code block of the last reply */
    ARG_ONOFF, /* on or off */
    ARG_ALL,   /* all */
} command_arg;

enum { COMMAND_KEYS_MAX = 3 };

typedef struct ui_command {
    const char *name;       /* "/retry"; NULL for a key without a command */
    const char *args;       /* "NAME", "[NAME]", "FILE" as shown in help; NULL for none */
    command_arg arg_kind;
    int keys[COMMAND_KEYS_MAX]; /* curses key codes that run it (0: none) */
    const char *key_names;  /* "F5", "PgUp / PgDn" as shown in help; NULL for none */
    const char *help;       /* the catalog string of its help line */
    /* Runs it: arg is the text after the name (NULL when none), key the key pressed (0
     * for a command typed). Returns UI_* flags. NULL: the key belongs to the input line
     * (readline) and the entry is there for the help. */
    unsigned (*run)(chat *c, const char *arg, int key);
    bool demo_only;         /* shown in help only in tchat --demo */
} ui_command;

#endif
