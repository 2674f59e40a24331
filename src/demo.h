/* tchat --demo: tchat-mock on a free loopback port and a temporary profile
 * that needs no key, so a new user sees every guide scenario with no key and
 * no network. Nothing is written to the user's real config. */
#ifndef TCHAT_DEMO_H
#define TCHAT_DEMO_H

#include <stddef.h>
#include <sys/types.h>

typedef struct demo {
    pid_t mock_pid;
    int mock_stdin;        /* the mock exits when this closes (--exit-on-eof) */
    char *url;             /* http://127.0.0.1:PORT/v1 */
    char *dir;             /* temporary: config.json and conversations */
    char *config_path;
    char *convo_dir;
} demo;

/* Starts the mock and writes the demo profile. 0, or -1 with a message in err. */
int demo_start(demo *d, char *err, size_t errlen);
/* Stops the mock and removes the temporary directory. */
void demo_stop(demo *d);
/* The mock next to the tchat binary, else in the installed libexec directory.
 * Caller frees; NULL when neither exists (err says where it looked). */
char *demo_find_mock(char *err, size_t errlen);

#endif
