/* Base URLs: shown without their password, judged plain http:// or not, and whether
 * the host is this machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static void test_display(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *in;
        const char *out;
        const char *password; /* url_password, NULL for none */
    } cases[] = {
        {"no user information", "https://api.openai.com/v1", "https://api.openai.com/v1", NULL},
        {"password masked", "https://user:s3cret@gw.example.com/v1",
         "https://user:***@gw.example.com/v1", "s3cret"},
        {"password with a port", "http://u:pw@10.0.0.5:8080/v1", "http://u:***@10.0.0.5:8080/v1",
         "pw"},
        {"user name alone kept", "https://user@gw.example.com/v1", "https://user@gw.example.com/v1",
         NULL},
        {"empty password kept as is", "https://user:@gw.example.com/v1",
         "https://user:@gw.example.com/v1", NULL},
        {"the last @ ends the user information", "https://u:p@ss@host/v1", "https://u:***@host/v1",
         "p@ss"},
        {"an @ in the path is not user information", "https://host/v1/a:b@c",
         "https://host/v1/a:b@c", NULL},
        {"IPv6 host", "http://u:pw@[::1]:8080/v1", "http://u:***@[::1]:8080/v1", "pw"},
        {"empty", "", "", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = url_display(cases[i].in);
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, got, cases[i].out);
        free(got);
        char *pw = url_password(cases[i].in);
        if (!(pw == cases[i].password ||
              (pw && cases[i].password && !strcmp(pw, cases[i].password))))
            fail_msg("%s: password \"%s\"", cases[i].name, pw ? pw : "(none)");
        free(pw);
    }
    assert_null(url_display(NULL));
}

static void test_authority(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"https://api.openai.com/v1", "api.openai.com"},
        {"http://u:pw@10.0.0.5:8080/v1", "10.0.0.5:8080"},
        {"http://[::1]:8080", "[::1]:8080"},
        {"http://host?x=1", "host"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = url_authority(cases[i].in);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void test_host_and_path(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *host;
        const char *path;
    } cases[] = {
        {"https://API.Groq.com/openai/v1", "api.groq.com", "/openai/v1"},
        {"http://u:pw@10.0.0.5:8080/v1", "10.0.0.5", "/v1"},
        {"http://[::1]:8080", "::1", ""},
        {"https://res.openai.azure.com.", "res.openai.azure.com", ""},
        {"http://host?x=1", "host", "?x=1"},
        {"", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = url_host(cases[i].in);
        if (strcmp(got, cases[i].host) != 0)
            fail_msg("url_host(%s) = \"%s\", want \"%s\"", cases[i].in, got, cases[i].host);
        free(got);
        if (strcmp(url_path(cases[i].in), cases[i].path) != 0)
            fail_msg("url_path(%s) = \"%s\"", cases[i].in, url_path(cases[i].in));
    }
    assert_string_equal(url_path(NULL), "");
}

static void test_loopback_and_scheme(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        bool loopback;
        bool plain_http;
    } cases[] = {
        {"http://localhost:8080/v1", true, true},
        {"http://LOCALHOST/v1", true, true},
        {"http://localhost./v1", true, true},
        {"http://llm.localhost:8000/v1", true, true},
        {"http://127.0.0.1:8080/v1", true, true},
        {"http://127.255.0.9/v1", true, true},
        {"http://[::1]:8080/v1", true, true},
        {"http://[::ffff:127.0.0.1]/v1", true, true},
        {"http://user:pw@127.0.0.1/v1", true, true},
        {"HTTP://10.0.0.5/v1", false, true},
        {"http://localhost.evil.example/v1", false, true},
        {"http://127.evil.example/v1", false, true},
        {"http://128.0.0.1/v1", false, true},
        {"http://[::2]/v1", false, true},
        {"http://localhost@evil.example/v1", false, true},
        {"https://localhost/v1", true, false},
        {"https://api.openai.com/v1", false, false},
        {"", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (url_is_loopback(cases[i].url) != cases[i].loopback)
            fail_msg("%s: loopback should be %d", cases[i].url, cases[i].loopback);
        if (url_is_plain_http(cases[i].url) != cases[i].plain_http)
            fail_msg("%s: plain http should be %d", cases[i].url, cases[i].plain_http);
    }
    assert_false(url_is_loopback(NULL));
    assert_false(url_is_plain_http(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display),
        cmocka_unit_test(test_authority),
        cmocka_unit_test(test_host_and_path),
        cmocka_unit_test(test_loopback_and_scheme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
