/* A program for t_term.sh: it takes the terminal as tchat does (term.c), writes to
 * stderr while stderr is captured, then ends in the way asked:
 *   segv  a crash signal
 *   asan  a use after free (a sanitizer's report); exits 77 when not built with a
 *         sanitizer
 *   ubsan a signed overflow (the undefined-behaviour sanitizer's report); 77 likewise
 *   exit  exit(3) without giving the terminal back itself (atexit must)
 *   done  term_done, then exit 0
 * Whatever the way, the terminal must come back sane and the captured stderr must
 * reach the real one. */
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "done";
#ifndef TCHAT_SANITIZER
    if (strcmp(how, "asan") == 0 || strcmp(how, "ubsan") == 0) {
        printf("not a sanitizer build\n");
        return 77;
    }
#endif
    setlocale(LC_ALL, "");
    char err[256];
    if (term_init(err, sizeof err) != 0) {
        fprintf(stderr, "term_crash: %s\n", err);
        return 2;
    }
    mvaddstr(0, 0, "term test running");
    refresh();
    fprintf(stderr, "captured while curses ran\n");
    fflush(stderr);
    if (strcmp(how, "segv") == 0)
        raise(SIGSEGV);
    if (strcmp(how, "asan") == 0) {
        char *volatile p = malloc(16);
        free(p);
        return p[3];
    }
    if (strcmp(how, "ubsan") == 0) {
        volatile int big = INT_MAX;
        return big + argc;
    }
    if (strcmp(how, "exit") == 0)
        exit(3);
    term_done();
    return 0;
}
