/* The one table of keys and commands of the chat screen, with their handlers.
 * The help (F1, /help), Tab completion and the README's list come from it. */
#ifndef TCHAT_COMMANDS_H
#define TCHAT_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "command.h"
#include "guide.h"
#include "lines.h"
#include "util.h"

/* The table and its length. */
const ui_command *commands_table(size_t *n);
/* What /demo NAME takes (NULL-terminated), for completion. */
const char *const *commands_demo_names(void);
/* The help: a heading, then one line per entry (its keys, its command, what it does),
 * in lang; demo-only entries only when demo. */
void commands_help(ui_lines *out, guide_lang lang, bool demo);
/* The README's list of keys and commands as a Markdown table (English). */
void commands_markdown(buf *out);

#endif
