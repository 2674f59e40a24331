/* The settings screen (F2, /settings): keys, endpoints and profiles, as a form
 * over the option registry. Each field shows its effective value and where it
 * comes from; edits go to the config file's layer (config_set_file) and Ctrl-S
 * writes the file. The API key is never shown in full: masked, typed as
 * bullets, revealed only while Ctrl-R is on. Ctrl-T tests the connection with
 * GET /models, a job of the screen's own. */
#ifndef TCHAT_SETTINGS_H
#define TCHAT_SETTINGS_H

#include <stdbool.h>

#include "guide.h"
#include "screen.h"
#include "worker.h"

struct config;

/* lang points at the UI's language, which follows the configuration. stack: where the
 * form opens its lists (the provider's). first_run: no key is set, and the form says what
 * to do. */
screen *settings_new(struct config *cfg, worker *w, screens *stack, const guide_lang *lang,
                     bool first_run);

#endif
