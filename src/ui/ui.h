/* The interactive interface: curses screens and the readline bridge over the
 * core session, driven by one poll() loop. */
#ifndef TCHAT_UI_H
#define TCHAT_UI_H

#include <stdbool.h>

#include "guide.h"

struct config;
struct config_load_args;

typedef struct ui_opts {
    struct config *cfg;
    const struct config_load_args *load_args; /* how cfg was loaded (to reload it) */
    guide_lang lang;
    const char *theme;  /* NULL: the config's */
    const char *convo_dir;   /* where conversations are saved (NULL: not saved) */
    const char *resume_path; /* a conversation to reopen (--continue, --resume), or NULL */
    bool demo;               /* tchat --demo: /demo NAME makes the next request fail */
} ui_opts;

/* Runs until the user quits. Returns the process exit code. The terminal is
 * restored on every way out. */
int ui_run(const ui_opts *o);

#endif
