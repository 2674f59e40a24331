/* Signals for a poll() loop (the self-pipe trick): the handler of each signal given only
 * sets that signal's flag and writes one byte to a pipe, whose read end the loop polls with
 * its other fds; the loop then drains the pipe and takes the flags, and does the work
 * outside the handler. (SIGPIPE itself is not one of them: tchat ignores it.) */
#ifndef TCHAT_SIGWAKE_H
#define TCHAT_SIGWAKE_H

#include <stdbool.h>
#include <stddef.h>

/* Catches the given signals (without SA_RESTART). Returns the fd to poll, or -1. */
int sigwake_install(const int *signals, size_t n);
/* Empties the pipe (call when its fd is readable). */
void sigwake_drain(void);
/* Whether sig arrived since the last call for it; clears it. */
bool sigwake_take(int sig);
/* Whether any of the n signals arrived since the last call for it; clears them all. */
bool sigwake_take_any(const int *signals, size_t n);
void sigwake_close(void);

#endif
