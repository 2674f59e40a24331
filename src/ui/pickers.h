/* /model and /profile with no name: pickers over the chat. /model's lists what
 * the server offers (GET /models, on the worker: "loading" until it answers, or
 * the guide's explanation of its failure); /profile's the profiles of the
 * config. Enter runs the command with the name chosen, through apply (the
 * table's handler), so a choice does exactly what typing the name does. */
#ifndef TCHAT_PICKERS_H
#define TCHAT_PICKERS_H

#include "chat.h"
#include "picker.h"

/* A command's handler (ui_command.run): what Enter runs with the name chosen. */
typedef unsigned (*pickers_apply_fn)(chat *c, const char *arg, int key);

/* The models of the current profile's endpoint, the one in use marked. */
picker *pickers_models(chat *c, pickers_apply_fn apply);
/* The profiles of the config, the current one marked, each with its base URL. */
picker *pickers_profiles(chat *c, pickers_apply_fn apply);

#endif
