/* The conversations browser (/conversations, F9): the saved conversations,
 * newest first, in a picker whose filter looks in their titles and messages
 * (the filter of tchat --list --search: convo_info_matches). Enter opens one in
 * this window, as --resume does; d deletes one after asking; r renames one. A
 * conversation another tchat window has open is neither deleted nor renamed,
 * and the browser says why. Deleting the one open here starts a new
 * conversation first. Damaged files are listed as such, with what is wrong, and
 * are not opened or renamed (d deletes them).
 *
 * Opening reads every file once (convo_list_search); nothing is read per
 * keystroke. */
#ifndef TCHAT_BROWSER_H
#define TCHAT_BROWSER_H

#include <stddef.h>

#include "chat.h"
#include "picker.h"

/* The browser over c's conversations; close_key also closes it. NULL with err when there
 * is none to browse (conversations are not saved in this run, or the directory cannot be
 * read). */
picker *browser_new(chat *c, int close_key, char *err, size_t errlen);

#endif
