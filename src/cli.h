/* The command line, described once: every flag tchat takes with its short letter, its
 * argument and one line of help. main.c builds its getopt_long table from it, --help prints
 * it, and the shell completions (src/completion.c) are generated from it, so a flag cannot
 * exist in one and be missing from the others.
 *
 * The flags are a fixed set (below) plus every option of the config registry
 * (CONFIG_OPTIONS in src/core/config.h) but the key, as --key-with-dashes VALUE: a command
 * line is visible to other users. The table is built on first use and lives as long as
 * the process; it is not for threads. */
#ifndef TCHAT_CLI_H
#define TCHAT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What a flag's argument is, for the completions. */
typedef enum {
    CLI_ARG_NONE,    /* the flag takes no argument */
    CLI_ARG_TEXT,    /* free text (a prompt, a URL, a number): nothing to offer */
    CLI_ARG_FILE,    /* a file name */
    CLI_ARG_PROFILE, /* a profile of the config: tchat --list-profiles */
    CLI_ARG_THEME,   /* a theme name: tchat --list-themes */
    CLI_ARG_LANG,    /* a language of the explanations: guide_lang_code */
    CLI_ARG_CONVO,   /* a conversation id: the first word of each line of tchat --list */
    CLI_ARG_BOOL,    /* true or false */
    CLI_ARG_SHELL,   /* bash, zsh or fish */
    CLI_ARG_SETTING, /* KEY=VALUE, KEY an option of the registry */
    CLI_ARG_PROVIDER, /* a provider: provider_names */
    CLI_ARG__COUNT
} cli_arg;

/* The fixed flags; what getopt_long returns for their long form. */
typedef enum {
    CLI_PROMPT = 256, /* above every short letter */
    CLI_PROFILE,
    CLI_CONFIG,
    CLI_NO_STREAM,
    CLI_JSON_ERRORS,
    CLI_SHOW_REASONING,
    CLI_SET,
    CLI_CONTINUE,
    CLI_RESUME,
    CLI_LIST,
    CLI_SEARCH,
    CLI_LIST_PROFILES,
    CLI_LIST_THEMES,
    CLI_DEMO,
    CLI_KEY_STATUS,
    CLI_COMPLETION,
    CLI_API_KEY,
    CLI_VERSION,
    CLI_HELP,
    /* A registry option: CLI_OPTION_BASE + its opt_id. */
    CLI_OPTION_BASE = 1000,
} cli_id;

typedef struct cli_flag {
    const char *name;    /* the long name, without the dashes */
    char letter;         /* the short option, or 0 */
    cli_arg arg;         /* CLI_ARG_NONE: no argument */
    const char *metavar; /* the argument in --help ("FILE", "NAME"); NULL without one */
    const char *help;    /* one line, lower case, no full stop */
    int id;              /* a cli_id: what getopt_long returns for --name */
    int option;          /* the registry option (opt_id) the flag sets, or -1 */
    bool hidden;         /* recognised, but neither shown nor completed */
} cli_flag;

size_t cli_flag_count(void);
/* Flags 0 .. cli_flag_count()-1: the fixed ones first, then the registry's in its order. */
const cli_flag *cli_flag_at(size_t i);
/* The flag for a value getopt_long returned (a short letter or an id); NULL for '?'. */
const cli_flag *cli_flag_find(int ch);

/* For getopt_long: the short options ("p:o:...") and the long ones, terminated by zeros. */
const char *cli_shortopts(void);
const struct option *cli_longopts(void);

/* --help: usage, every shown flag, exit codes, where the docs are (docdir, the installed
 * documentation directory). Every line fits 80 columns. */
void cli_usage(FILE *f, const char *docdir);

#endif
