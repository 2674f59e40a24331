/* One-shot mode: send one prompt, stream the reply to stdout, explain failures
 * on stderr, exit with a code that tells the class of failure. */
#ifndef TCHAT_ONESHOT_H
#define TCHAT_ONESHOT_H

#include <stdbool.h>

#include "guide.h"

struct config;

typedef struct oneshot_opts {
    const char *prompt;  /* the whole prompt (with any piped text already appended) */
    bool json_errors;    /* stderr gets one JSON object per failed attempt */
    bool show_reasoning; /* the model's reasoning goes to stderr as it comes (dim on a
                            terminal); otherwise it is not written anywhere */
    guide_lang lang;
    /* -c, --resume: the turn is added to a conversation and saved (the reply is then kept
     * in memory to be saved). convo_dir NULL: none; convo_path NULL: a new one in it. */
    const char *convo_dir;
    const char *convo_path;
} oneshot_opts;

/* Returns the process exit code. */
int oneshot_run(const oneshot_opts *o, const struct config *c);

#endif
