/* A crash must not leave the API key on disk, nor may another process of the same user
 * read it out of this one: no core file (RLIMIT_CORE 0) and, on Linux, not dumpable
 * (PR_SET_DUMPABLE 0: no core, no ptrace attach, /proc/PID/mem and environ unreadable
 * to other processes of the user). Called first thing in main. */
#ifndef TCHAT_COREDUMP_H
#define TCHAT_COREDUMP_H

/* Returns 0, or -1 when a step failed (errno says why; the others were still done). */
int coredump_disable(void);

#endif
