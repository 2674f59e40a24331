/* sigwake: a signal sets its flag and wakes the poll fd; take and take_any read and clear
 * the flags. Cases: which signals are raised, which are asked for, and the answers. */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sigwake.h"

enum { MAXSIG = 4 };

typedef struct take_case {
    const char *name;
    int raised[MAXSIG];   /* 0-terminated */
    int asked[MAXSIG];    /* 0-terminated: one sigwake_take_any over these */
    bool any;             /* its answer */
    int left[MAXSIG];     /* 0-terminated: signals still set afterwards */
} take_case;

static const int installed[] = {SIGUSR1, SIGUSR2, SIGWINCH, SIGHUP};

static const take_case cases[] = {
    {"nothing raised", {0}, {SIGUSR1, SIGUSR2, 0}, false, {0}},
    {"one of them", {SIGUSR2, 0}, {SIGUSR1, SIGUSR2, SIGHUP, 0}, true, {0}},
    {"all cleared at once", {SIGUSR1, SIGHUP, 0}, {SIGUSR1, SIGUSR2, SIGHUP, 0}, true, {0}},
    {"others kept", {SIGUSR1, SIGWINCH, 0}, {SIGUSR1, SIGHUP, 0}, true, {SIGWINCH, 0}},
    {"none of them", {SIGWINCH, 0}, {SIGUSR1, SIGUSR2, 0}, false, {SIGWINCH, 0}},
    {"empty set", {SIGUSR1, 0}, {0}, false, {SIGUSR1, 0}},
};

static size_t count(const int *v)
{
    size_t n = 0;
    while (n < MAXSIG && v[n])
        n++;
    return n;
}

static void test_take_any(void **state)
{
    (void)state;
    int fd = sigwake_install(installed, sizeof installed / sizeof installed[0]);
    assert_true(fd >= 0);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const take_case *t = &cases[c];
        print_message("case: %s\n", t->name);
        for (size_t i = 0; i < count(t->raised); i++)
            raise(t->raised[i]);
        if (count(t->raised)) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            assert_int_equal(poll(&p, 1, 1000), 1);
        }
        sigwake_drain();
        assert_int_equal(sigwake_take_any(t->asked, count(t->asked)), t->any);
        for (size_t i = 0; i < sizeof installed / sizeof installed[0]; i++) {
            bool want = false;
            for (size_t k = 0; k < count(t->left); k++)
                want = want || t->left[k] == installed[i];
            assert_int_equal(sigwake_take(installed[i]), want);
        }
    }
    sigwake_close();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_any),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
