/* Tests for statuspage.c: which status pages are fetched. A provider's page that serves no
 * Statuspage JSON is a link only, a local server has none, a status_url of the user's is
 * read. (No case reaches beyond this machine: the pages fetched are on loopback.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <string.h>

#include "config.h"
#include "statuspage.h"
#include "worker.h"

static const char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

static void test_which_pages_are_fetched(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        config_override flags[3];
        bool fetched;
    } cases[] = {
        {"OpenRouter's page: a link only", {{OPT_PROVIDER, "openrouter"}}, false},
        {"Mistral's page: a link only", {{OPT_PROVIDER, "mistral"}}, false},
        {"a local server: no page", {{OPT_BASE_URL, "http://127.0.0.1:9/v1"}}, false},
        {"Ollama: no page", {{OPT_PROVIDER, "ollama"}}, false},
        {"a page of the user's is read, whatever the provider",
         {{OPT_PROVIDER, "openrouter"}, {OPT_STATUS_URL, "http://127.0.0.1:9/"}}, true},
        {"a page of the user's on a local server",
         {{OPT_BASE_URL, "http://127.0.0.1:9/v1"}, {OPT_STATUS_URL, "http://127.0.0.1:9/"}}, true},
        {"polling off",
         {{OPT_STATUS_URL, "http://127.0.0.1:9/"}, {OPT_STATUS_POLL, "false"}}, false},
    };
    char err[256];
    worker *w = worker_new(err, sizeof err);
    assert_non_null(w);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = 0;
        while (n < 3 && cases[i].flags[n].value)
            n++;
        config_load_args a = {.path = "/nonexistent/tchat/config.json",
                              .overrides = cases[i].flags,
                              .noverrides = n,
                              .getenv_fn = no_env};
        config c;
        if (config_load(&c, &a, err, sizeof err) != 0)
            fail_msg("%s: %s", cases[i].name, err);
        statuspage sp;
        statuspage_init(&sp);
        bool got = statuspage_fetch(&sp, w, &c, true, 1000);
        if (got != cases[i].fetched || (sp.job != 0) != cases[i].fetched)
            fail_msg("%s: fetched %d", cases[i].name, got);
        if (sp.job)
            worker_cancel(w, sp.job);
        statuspage_done(&sp);
        config_free(&c);
    }
    worker_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_which_pages_are_fetched),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread, as main does */
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
