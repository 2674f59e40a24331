/* Tests for provider.c: the table itself, which provider a base URL names, the request's
 * URL and key header (Azure's deployments API included), and what the catalog's OpenAI
 * links become for each provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"
#include "provider.h"
#include "util.h"

/* Every row: its id and name agree, its URLs are URLs the config takes, "auto" and the
 * local servers have no status page, the three that serve Statuspage JSON say so. */
static void test_table(void **state)
{
    (void)state;
    for (int i = 0; i < PROVIDER__COUNT; i++) {
        const provider_info *r = provider_row((provider_id)i);
        assert_int_equal(r->id, i);
        assert_int_equal(provider_find(r->name), i);
        assert_non_null(r->display);
        const char *urls[PLINK__COUNT + 2];
        size_t n = 0;
        urls[n++] = r->base_url;
        urls[n++] = r->status_url;
        for (int k = 0; k < PLINK__COUNT; k++)
            urls[n++] = r->links[k];
        for (size_t k = 0; k < n; k++) {
            if (!urls[k])
                continue;
            opt_value v;
            char why[160];
            opt_id id = k == 0 ? OPT_BASE_URL : OPT_STATUS_URL;
            if (!config_opt_parse(id, urls[k], &v, why, sizeof why))
                fail_msg("%s: %s: %s", r->name, urls[k], why);
            if (k == 0) /* a base URL is kept as given: no trailing '/' to strip */
                assert_string_equal(v.text, urls[k]);
            free(v.text);
        }
        if (r->status_json)
            assert_non_null(r->status_url);
        if (r->key_env)
            assert_true(r->needs_key);
    }
    assert_true(provider_row(PROVIDER_OPENAI)->status_json);
    assert_true(provider_row(PROVIDER_GROQ)->status_json);
    assert_true(provider_row(PROVIDER_ANTHROPIC)->status_json);
    assert_false(provider_row(PROVIDER_OPENROUTER)->status_json);
    assert_null(provider_row(PROVIDER_LOCAL)->status_url);
    assert_null(provider_row(PROVIDER_OTHER)->status_url);
    assert_null(provider_row(PROVIDER_AUTO)->status_url);
    assert_ptr_equal(provider_row(PROVIDER__COUNT), provider_row(PROVIDER_OTHER));
    assert_int_equal(provider_find("nope"), -1);
    assert_int_equal(provider_find(NULL), -1);
    assert_int_equal(provider_find("OpenAI"), PROVIDER_OPENAI);
    assert_true(str_starts_with(provider_names(), "auto, openai, azure, "));
    assert_true(str_ends_with(provider_names(), ", local, other"));
}

static void test_by_host(void **state)
{
    (void)state;
    static const struct {
        provider_id setting;
        const char *url;
        provider_id want;
        bool openai_env;
    } cases[] = {
        {PROVIDER_AUTO, "https://api.openai.com/v1", PROVIDER_OPENAI, true},
        {PROVIDER_AUTO, "https://API.OPENAI.COM/v1", PROVIDER_OPENAI, true},
        {PROVIDER_AUTO, "https://api.groq.com/openai/v1", PROVIDER_GROQ, false},
        {PROVIDER_AUTO, "https://openrouter.ai/api/v1", PROVIDER_OPENROUTER, false},
        {PROVIDER_AUTO, "https://api.deepseek.com", PROVIDER_DEEPSEEK, false},
        {PROVIDER_AUTO, "https://api.together.xyz/v1", PROVIDER_TOGETHER, false},
        {PROVIDER_AUTO, "https://api.together.ai/v1", PROVIDER_TOGETHER, false},
        {PROVIDER_AUTO, "https://api.mistral.ai/v1", PROVIDER_MISTRAL, false},
        {PROVIDER_AUTO, "https://generativelanguage.googleapis.com/v1beta/openai",
         PROVIDER_GEMINI, false},
        {PROVIDER_AUTO, "https://api.anthropic.com/v1", PROVIDER_ANTHROPIC, false},
        {PROVIDER_AUTO, "https://my-res.openai.azure.com", PROVIDER_AZURE, false},
        {PROVIDER_AUTO, "https://openai.azure.com", PROVIDER_OTHER, true}, /* no resource */
        {PROVIDER_AUTO, "http://127.0.0.1:8080/v1", PROVIDER_LOCAL, false},
        {PROVIDER_AUTO, "http://localhost:11434/v1", PROVIDER_LOCAL, false},
        {PROVIDER_AUTO, "http://[::1]:8000/v1", PROVIDER_LOCAL, false},
        {PROVIDER_AUTO, "https://api.openai.com.evil.example/v1", PROVIDER_OTHER, true},
        {PROVIDER_AUTO, "https://evilopenrouter.ai/api/v1", PROVIDER_OTHER, true},
        {PROVIDER_AUTO, "https://user:pw@api.groq.com/openai/v1", PROVIDER_GROQ, false},
        {PROVIDER_AUTO, "https://llm.corp.example/v1", PROVIDER_OTHER, true},
        {PROVIDER_GROQ, "http://127.0.0.1:9/v1", PROVIDER_GROQ, false},
        {PROVIDER_OPENAI, "http://127.0.0.1:9/v1", PROVIDER_OPENAI, true},
        {PROVIDER_OTHER, "https://llm.corp.example/v1", PROVIDER_OTHER, false},
        {PROVIDER_LOCAL, "https://api.openai.com/v1", PROVIDER_LOCAL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        provider_id got = provider_resolve(cases[i].setting, cases[i].url);
        if (got != cases[i].want)
            fail_msg("%s as %s: %s, want %s", cases[i].url, provider_row(cases[i].setting)->name,
                     provider_row(got)->name, provider_row(cases[i].want)->name);
        if (provider_reads_openai_env(cases[i].setting, got) != cases[i].openai_env)
            fail_msg("%s as %s: OpenAI's variables %d", cases[i].url,
                     provider_row(cases[i].setting)->name, !cases[i].openai_env);
    }
}

static void test_request_urls(void **state)
{
    (void)state;
    static const struct {
        provider_id p;
        const char *base, *model, *version;
        const char *chat, *models, *auth;
    } cases[] = {
        {PROVIDER_OPENAI, "https://api.openai.com/v1", "gpt-4o", "", "https://api.openai.com/v1/chat/completions",
         "https://api.openai.com/v1/models", NULL},
        {PROVIDER_GROQ, "https://api.groq.com/openai/v1", "m", "2024-10-21",
         "https://api.groq.com/openai/v1/chat/completions", "https://api.groq.com/openai/v1/models",
         NULL},
        {PROVIDER_AZURE, "https://res.openai.azure.com", "gpt-4o-prod", "2024-10-21",
         "https://res.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
         NULL, "api-key"},
        {PROVIDER_AZURE, "https://res.openai.azure.com/openai", "dep", "2024-10-21",
         "https://res.openai.azure.com/openai/deployments/dep/chat/completions?api-version=2024-10-21",
         NULL, "api-key"},
        {PROVIDER_AZURE, "https://res.openai.azure.com/openai/deployments/fixed", "ignored", "v1.2",
         "https://res.openai.azure.com/openai/deployments/fixed/chat/completions?api-version=v1.2",
         NULL, "api-key"},
        {PROVIDER_AZURE, "https://res.openai.azure.com", "my dep/x", "",
         "https://res.openai.azure.com/openai/deployments/my%20dep%2Fx/chat/completions", NULL,
         "api-key"},
        {PROVIDER_AZURE, "https://res.openai.azure.com/openai/v1", "gpt-4o", "2024-10-21",
         "https://res.openai.azure.com/openai/v1/chat/completions",
         "https://res.openai.azure.com/openai/v1/models", NULL},
        {PROVIDER_AZURE, "http://127.0.0.1:5/openai/v1", "m", "",
         "http://127.0.0.1:5/openai/v1/chat/completions", "http://127.0.0.1:5/openai/v1/models", NULL},
        {PROVIDER_OPENAI, "https://x.example/openai/deployments/d", "m", "",
         "https://x.example/openai/deployments/d/chat/completions",
         "https://x.example/openai/deployments/d/models", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *chat = provider_chat_url(cases[i].p, cases[i].base, cases[i].model, cases[i].version);
        char *models = provider_models_url(cases[i].p, cases[i].base);
        const char *auth = provider_auth_header(cases[i].p, cases[i].base);
        if (strcmp(chat, cases[i].chat) != 0)
            fail_msg("%s: chat %s\n  want %s", cases[i].base, chat, cases[i].chat);
        if (cases[i].models ? !models || strcmp(models, cases[i].models) != 0 : models != NULL)
            fail_msg("%s: models %s", cases[i].base, models ? models : "(none)");
        if (cases[i].auth ? !auth || strcmp(auth, cases[i].auth) : auth != NULL)
            fail_msg("%s: auth header %s", cases[i].base, auth ? auth : "(Bearer)");
        assert_int_equal(provider_azure_deployments(cases[i].p, cases[i].base),
                         cases[i].models == NULL);
        free(chat);
        free(models);
    }
}

static void test_links(void **state)
{
    (void)state;
    static const char KEYS[] = "https://platform.openai.com/account/api-keys";
    static const char BILLING[] = "https://platform.openai.com/account/billing/limits";
    static const char USAGE[] = "https://platform.openai.com/account/usage";
    static const char QUOTA[] = "https://platform.openai.com/forms/quota-increase";
    static const char RATE[] = "https://platform.openai.com/docs/guides/rate-limits";
    static const char ADVICE[] = "https://help.openai.com/en/articles/6891753-rate-limit-advice";
    static const char SAFETY[] =
        "https://help.openai.com/en/articles/5112595-best-practices-for-api-key-safety";
    static const char REF[] = "https://platform.openai.com/docs/api-reference";
    static const char MODELS[] = "https://platform.openai.com/docs/models";
    static const char MEMBERS[] = "https://platform.openai.com/account/members";
    static const char COMMUNITY[] = "https://community.openai.com/";
    static const char CURL[] = "https://curl.se/docs/sslcerts.html";
    static const struct {
        provider_id p;
        const char *url;
        const char *want; /* NULL: left out; "=": kept as it is */
    } cases[] = {
        {PROVIDER_OPENAI, KEYS, "="},
        {PROVIDER_OPENAI, COMMUNITY, "="},
        {PROVIDER_OPENROUTER, KEYS, "https://openrouter.ai/settings/keys"},
        {PROVIDER_OPENROUTER, BILLING, "https://openrouter.ai/settings/credits"},
        {PROVIDER_OPENROUTER, QUOTA, "https://openrouter.ai/settings/credits"},
        {PROVIDER_OPENROUTER, USAGE, "https://openrouter.ai/activity"},
        {PROVIDER_OPENROUTER, REF, "https://openrouter.ai/docs"},
        {PROVIDER_OPENROUTER, MEMBERS, NULL},
        {PROVIDER_OPENROUTER, COMMUNITY, NULL},
        {PROVIDER_OPENROUTER, SAFETY, NULL},
        {PROVIDER_OPENROUTER, CURL, "="},
        {PROVIDER_GROQ, RATE, "https://console.groq.com/docs/rate-limits"},
        {PROVIDER_GROQ, ADVICE, "https://console.groq.com/docs/rate-limits"},
        {PROVIDER_GROQ, USAGE, NULL},
        {PROVIDER_GROQ, MODELS, "https://console.groq.com/docs/models"},
        {PROVIDER_OLLAMA, REF, "https://docs.ollama.com/api/openai-compatibility"},
        {PROVIDER_OLLAMA, KEYS, NULL},
        {PROVIDER_OLLAMA, MODELS, NULL},
        {PROVIDER_OTHER, KEYS, NULL},
        {PROVIDER_OTHER, BILLING, NULL},
        {PROVIDER_OTHER, USAGE, NULL},
        {PROVIDER_OTHER, REF, "="},
        {PROVIDER_OTHER, RATE, "="},
        {PROVIDER_OTHER, SAFETY, "="},
        {PROVIDER_OTHER, COMMUNITY, NULL},
        {PROVIDER_LOCAL, KEYS, NULL},
        {PROVIDER_LOCAL, MODELS, "="},
        {PROVIDER_LOCAL, "https://platform.openai.com/some/new/page", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = provider_map_link(cases[i].p, cases[i].url);
        const char *want = cases[i].want && !strcmp(cases[i].want, "=") ? cases[i].url : cases[i].want;
        if (want ? !got || strcmp(got, want) != 0 : got != NULL)
            fail_msg("%s for %s: %s, want %s", cases[i].url, provider_row(cases[i].p)->name,
                     got ? got : "(left out)", want ? want : "(left out)");
    }
    bool st = false;
    assert_true(provider_openai_status_or_help("https://status.openai.com/", &st));
    assert_true(st);
    assert_true(provider_openai_status_or_help("https://help.openai.com/en/", &st));
    assert_false(st);
    assert_false(provider_openai_status_or_help(SAFETY, &st));
    assert_false(provider_openai_status_or_help(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_by_host),
        cmocka_unit_test(test_request_urls),
        cmocka_unit_test(test_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
