/* Signals for a poll() loop: the handler only sets a flag and writes one byte
 * to a pipe, whose read end the loop polls (the self-pipe trick). */
#ifndef TCHAT_SIGPIPE_H
#define TCHAT_SIGPIPE_H

#include <stdbool.h>
#include <stddef.h>

/* Catches the given signals (without SA_RESTART). Returns the fd to poll, or -1. */
int sigpipe_install(const int *signals, size_t n);
/* Empties the pipe (call when its fd is readable). */
void sigpipe_drain(void);
/* Whether sig arrived since the last call for it; clears it. */
bool sigpipe_take(int sig);
/* Whether any of the n signals arrived since the last call for it; clears them all. */
bool sigpipe_take_any(const int *signals, size_t n);
void sigpipe_close(void);

#endif
