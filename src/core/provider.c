/* The provider table and what it decides: which provider a base URL names, the request's
 * URL and key header, and what the catalog's OpenAI links become. Sources of every fact:
 * docs/providers.md. */
#include "provider.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "util.h"

/* One row per provider; what each fact rests on is in docs/providers.md. A field left out
 * is none (NULL, false). */
static const provider_info rows[PROVIDER__COUNT] = {
    [PROVIDER_AUTO] = {.id = PROVIDER_AUTO, .name = "auto", .display = "auto", .needs_key = true},
    [PROVIDER_OPENAI] =
        {
            .id = PROVIDER_OPENAI,
            .name = "openai",
            .display = "OpenAI",
            .base_url = "https://api.openai.com/v1",
            .hosts = "api.openai.com",
            .key_env = "OPENAI_API_KEY",
            .needs_key = true,
            .status_url = "https://status.openai.com/",
            .status_json = true,
            .links =
                {
                    [PLINK_KEYS] = "https://platform.openai.com/account/api-keys",
                    [PLINK_BILLING] = "https://platform.openai.com/account/billing/limits",
                    [PLINK_USAGE] = "https://platform.openai.com/account/usage",
                    [PLINK_RATE_LIMITS] = "https://platform.openai.com/docs/guides/rate-limits",
                    [PLINK_MODELS] = "https://platform.openai.com/docs/models",
                    [PLINK_DOCS] = "https://platform.openai.com/docs/api-reference",
                    [PLINK_HELP] = "https://help.openai.com/en/",
                },
        },
    [PROVIDER_AZURE] =
        {
            .id = PROVIDER_AZURE,
            .name = "azure",
            .display = "Azure OpenAI",
            .hosts = ".openai.azure.com",
            .key_env = "AZURE_OPENAI_API_KEY",
            .needs_key = true,
            .status_url = "https://azure.status.microsoft/en-us/status",
            .api_version = "2024-10-21",
            .links =
                {
                    [PLINK_KEYS] = "https://portal.azure.com/",
                    [PLINK_DOCS] = "https://learn.microsoft.com/azure/ai-foundry/openai/reference",
                    [PLINK_HELP] = "https://learn.microsoft.com/azure/ai-foundry/openai/reference",
                },
        },
    [PROVIDER_OPENROUTER] =
        {
            .id = PROVIDER_OPENROUTER,
            .name = "openrouter",
            .display = "OpenRouter",
            .base_url = "https://openrouter.ai/api/v1",
            .hosts = "openrouter.ai",
            .key_env = "OPENROUTER_API_KEY",
            .needs_key = true,
            .status_url = "https://status.openrouter.ai/",
            .links =
                {
                    [PLINK_KEYS] = "https://openrouter.ai/settings/keys",
                    [PLINK_BILLING] = "https://openrouter.ai/settings/credits",
                    [PLINK_USAGE] = "https://openrouter.ai/activity",
                    [PLINK_RATE_LIMITS] = "https://openrouter.ai/docs/api-reference/limits",
                    [PLINK_MODELS] = "https://openrouter.ai/models",
                    [PLINK_DOCS] = "https://openrouter.ai/docs",
                    [PLINK_HELP] = "https://openrouter.ai/docs",
                },
        },
    [PROVIDER_GROQ] =
        {
            .id = PROVIDER_GROQ,
            .name = "groq",
            .display = "Groq",
            .base_url = "https://api.groq.com/openai/v1",
            .hosts = "api.groq.com",
            .key_env = "GROQ_API_KEY",
            .needs_key = true,
            .status_url = "https://groqstatus.com/",
            .status_json = true,
            .links =
                {
                    [PLINK_KEYS] = "https://console.groq.com/keys",
                    [PLINK_BILLING] = "https://console.groq.com/settings/billing",
                    [PLINK_RATE_LIMITS] = "https://console.groq.com/docs/rate-limits",
                    [PLINK_MODELS] = "https://console.groq.com/docs/models",
                    [PLINK_DOCS] = "https://console.groq.com/docs/openai",
                    [PLINK_HELP] = "https://console.groq.com/docs",
                },
        },
    [PROVIDER_DEEPSEEK] =
        {
            .id = PROVIDER_DEEPSEEK,
            .name = "deepseek",
            .display = "DeepSeek",
            .base_url = "https://api.deepseek.com",
            .hosts = "api.deepseek.com",
            .key_env = "DEEPSEEK_API_KEY",
            .needs_key = true,
            .status_url = "https://status.deepseek.com/",
            .links =
                {
                    [PLINK_KEYS] = "https://platform.deepseek.com/api_keys",
                    [PLINK_USAGE] = "https://platform.deepseek.com/usage",
                    [PLINK_DOCS] = "https://api-docs.deepseek.com/",
                    [PLINK_HELP] = "https://api-docs.deepseek.com/",
                },
        },
    [PROVIDER_TOGETHER] =
        {
            .id = PROVIDER_TOGETHER,
            .name = "together",
            .display = "Together AI",
            .base_url = "https://api.together.ai/v1",
            .hosts = "api.together.ai api.together.xyz",
            .key_env = "TOGETHER_API_KEY",
            .needs_key = true,
            .status_url = "https://status.together.ai/",
            .links =
                {
                    [PLINK_DOCS] = "https://docs.together.ai/docs/inference/openai-compatibility",
                    [PLINK_HELP] = "https://docs.together.ai/",
                },
        },
    [PROVIDER_MISTRAL] =
        {
            .id = PROVIDER_MISTRAL,
            .name = "mistral",
            .display = "Mistral AI",
            .base_url = "https://api.mistral.ai/v1",
            .hosts = "api.mistral.ai",
            .key_env = "MISTRAL_API_KEY",
            .needs_key = true,
            .status_url = "https://status.mistral.ai/",
            .links =
                {
                    [PLINK_KEYS] = "https://console.mistral.ai/api-keys",
                    [PLINK_BILLING] = "https://admin.mistral.ai/",
                    [PLINK_DOCS] = "https://docs.mistral.ai/",
                    [PLINK_HELP] = "https://docs.mistral.ai/",
                },
        },
    [PROVIDER_GEMINI] =
        {
            .id = PROVIDER_GEMINI,
            .name = "gemini",
            .display = "Gemini",
            .base_url = "https://generativelanguage.googleapis.com/v1beta/openai",
            .hosts = "generativelanguage.googleapis.com",
            .key_env = "GEMINI_API_KEY",
            .needs_key = true,
            .status_url = "https://aistudio.google.com/status",
            .links =
                {
                    [PLINK_KEYS] = "https://aistudio.google.com/apikey",
                    [PLINK_RATE_LIMITS] = "https://ai.google.dev/gemini-api/docs/rate-limits",
                    [PLINK_DOCS] = "https://ai.google.dev/gemini-api/docs/openai",
                    [PLINK_HELP] = "https://ai.google.dev/gemini-api/docs",
                },
        },
    [PROVIDER_ANTHROPIC] =
        {
            .id = PROVIDER_ANTHROPIC,
            .name = "anthropic",
            .display = "Anthropic",
            .base_url = "https://api.anthropic.com/v1",
            .hosts = "api.anthropic.com",
            .key_env = "ANTHROPIC_API_KEY",
            .needs_key = true,
            .status_url = "https://status.anthropic.com/",
            .status_json = true,
            .links =
                {
                    [PLINK_KEYS] = "https://console.anthropic.com/settings/keys",
                    [PLINK_RATE_LIMITS] = "https://docs.anthropic.com/en/api/rate-limits",
                    [PLINK_DOCS] = "https://docs.anthropic.com/en/api/openai-sdk",
                    [PLINK_HELP] = "https://support.claude.com/",
                },
        },
    [PROVIDER_OLLAMA] =
        {
            .id = PROVIDER_OLLAMA,
            .name = "ollama",
            .display = "Ollama",
            .base_url = "http://localhost:11434/v1",
            .links =
                {
                    [PLINK_DOCS] = "https://docs.ollama.com/api/openai-compatibility",
                    [PLINK_HELP] = "https://docs.ollama.com/api/openai-compatibility",
                },
        },
    [PROVIDER_LLAMACPP] =
        {
            .id = PROVIDER_LLAMACPP,
            .name = "llamacpp",
            .display = "llama.cpp",
            .base_url = "http://127.0.0.1:8080/v1",
            .links =
                {
                    [PLINK_DOCS] = "https://github.com/ggml-org/llama.cpp/tree/master/tools/server",
                    [PLINK_HELP] = "https://github.com/ggml-org/llama.cpp/tree/master/tools/server",
                },
        },
    [PROVIDER_VLLM] =
        {
            .id = PROVIDER_VLLM,
            .name = "vllm",
            .display = "vLLM",
            .base_url = "http://localhost:8000/v1",
            .links =
                {
                    [PLINK_DOCS] =
                        "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
                    [PLINK_HELP] =
                        "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
                },
        },
    [PROVIDER_LMSTUDIO] =
        {
            .id = PROVIDER_LMSTUDIO,
            .name = "lmstudio",
            .display = "LM Studio",
            .base_url = "http://localhost:1234/v1",
            .links =
                {
                    [PLINK_DOCS] = "https://lmstudio.ai/docs/api/openai-api",
                    [PLINK_HELP] = "https://lmstudio.ai/docs/api/openai-api",
                },
        },
    [PROVIDER_LOCAL] =
        {
            .id = PROVIDER_LOCAL,
            .name = "local",
            .display = "a local server",
            .base_url = "http://127.0.0.1:8080/v1",
            .keeps_openai_docs = true,
        },
    [PROVIDER_OTHER] =
        {
            .id = PROVIDER_OTHER,
            .name = "other",
            .display = "another server",
            .needs_key = true,
            .keeps_openai_docs = true,
        },
};

const provider_info *provider_row(provider_id id)
{
    return &rows[(unsigned)id < PROVIDER__COUNT ? id : PROVIDER_OTHER];
}

int provider_find(const char *name)
{
    for (int i = 0; name && i < PROVIDER__COUNT; i++)
        if (str_casecmp(name, rows[i].name) == 0)
            return i;
    return -1;
}

static char names[256];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_init(void)
{
    size_t n = 0;
    for (int i = 0; i < PROVIDER__COUNT && n < sizeof names; i++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", rows[i].name);
}

const char *provider_names(void)
{
    pthread_once(&names_once, names_init);
    return names;
}

/* Whether host is one of the space-separated list, or under one that starts with '.'. */
static bool host_in(const char *host, const char *list)
{
    size_t hn = strlen(host);
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, " ");
        if (n && p[0] == '.' ? hn > n && str_ncasecmp(host + hn - n, p, n) == 0
                             : n == hn && str_ncasecmp(host, p, n) == 0)
            return true;
        p += n;
        p += strspn(p, " ");
    }
    return false;
}

provider_id provider_by_host(const char *base_url)
{
    if (url_is_loopback(base_url))
        return PROVIDER_LOCAL;
    char *host = url_host(base_url);
    provider_id found = PROVIDER_OTHER;
    for (int i = 0; i < PROVIDER__COUNT && *host; i++)
        if (host_in(host, rows[i].hosts)) {
            found = (provider_id)i;
            break;
        }
    free(host);
    return found;
}

provider_id provider_resolve(provider_id setting, const char *base_url)
{
    if ((unsigned)setting >= PROVIDER__COUNT)
        return PROVIDER_OTHER;
    return setting == PROVIDER_AUTO ? provider_by_host(base_url) : setting;
}

bool provider_reads_openai_env(provider_id setting, provider_id resolved)
{
    return resolved == PROVIDER_OPENAI || (setting == PROVIDER_AUTO && resolved == PROVIDER_OTHER);
}

/* ---------------------------------------------------------------- requests */

/* Whether path has the segments seg ("/openai/v1") followed by its end or a '/'. */
static bool path_has(const char *path, const char *seg)
{
    size_t n = strlen(seg);
    for (const char *p = strstr(path, seg); p; p = strstr(p + 1, seg))
        if (p[n] == '\0' || p[n] == '/' || p[n] == '?' || p[n] == '#')
            return true;
    return false;
}

bool provider_azure_deployments(provider_id resolved, const char *base_url)
{
    return resolved == PROVIDER_AZURE &&
           !path_has(url_path(base_url ? base_url : ""), "/openai/v1");
}

const char *provider_auth_header(provider_id resolved, const char *base_url)
{
    return provider_azure_deployments(resolved, base_url) ? "api-key" : NULL;
}

/* Appends s with every byte outside RFC 3986's unreserved set percent-encoded. */
static void put_encoded(buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            buf_putc(b, (char)*p);
        else
            buf_printf(b, "%%%02X", *p);
    }
}

/* Whether path ends in /openai/deployments/NAME (one non-empty segment). */
static bool ends_in_deployment(const char *path)
{
    static const char seg[] = "/openai/deployments/";
    const char *last = NULL;
    for (const char *p = strstr(path, seg); p; p = strstr(p + 1, seg))
        last = p;
    if (!last)
        return false;
    const char *name = last + sizeof seg - 1;
    return *name && !strchr(name, '/');
}

char *provider_chat_url(provider_id resolved, const char *base_url, const char *model,
                        const char *api_version)
{
    const char *base = base_url ? base_url : "";
    if (!provider_azure_deployments(resolved, base))
        return xasprintf("%s/chat/completions", base);
    buf b;
    buf_init(&b);
    buf_puts(&b, base);
    const char *path = url_path(base);
    if (!ends_in_deployment(path)) {
        size_t n = strlen(path);
        bool has_openai = n >= 7 && strcmp(path + n - 7, "/openai") == 0;
        buf_puts(&b, has_openai ? "/deployments/" : "/openai/deployments/");
        put_encoded(&b, model ? model : "");
    }
    buf_puts(&b, "/chat/completions");
    if (api_version && *api_version) {
        buf_puts(&b, "?api-version=");
        put_encoded(&b, api_version);
    }
    return buf_steal(&b);
}

char *provider_models_url(provider_id resolved, const char *base_url)
{
    if (provider_azure_deployments(resolved, base_url))
        return NULL;
    return xasprintf("%s/models", base_url ? base_url : "");
}

/* ---------------------------------------------------------------- links */

/* OpenAI's pages in the catalog, by kind. An account page belongs to an OpenAI account
 * (keys, billing, usage): it never stands for another provider's. A documentation page
 * describes the API that OpenAI-compatible servers speak. */
enum { KIND_NONE = -1 };
static const struct {
    const char *prefix;
    int kind;
    bool account;
} openai_pages[] = {
    {"https://platform.openai.com/account/api-keys", PLINK_KEYS, true},
    {"https://platform.openai.com/api-keys", PLINK_KEYS, true},
    {"https://platform.openai.com/account/billing", PLINK_BILLING, true},
    {"https://platform.openai.com/settings/organization/billing", PLINK_BILLING, true},
    {"https://platform.openai.com/forms/quota-increase", PLINK_BILLING, true},
    {"https://platform.openai.com/account/usage", PLINK_USAGE, true},
    {"https://platform.openai.com/usage", PLINK_USAGE, true},
    {"https://platform.openai.com/account/limits", PLINK_RATE_LIMITS, true},
    {"https://platform.openai.com/docs/guides/rate-limits", PLINK_RATE_LIMITS, false},
    {"https://help.openai.com/en/articles/6891753-rate-limit-advice", PLINK_RATE_LIMITS, false},
    {"https://platform.openai.com/docs/models", PLINK_MODELS, false},
    {"https://platform.openai.com/docs/api-reference", PLINK_DOCS, false},
    {"https://platform.openai.com/docs/", KIND_NONE, false},
    {"https://help.openai.com/en/articles/", KIND_NONE, false},
};

static const char OPENAI_STATUS[] = "https://status.openai.com/";
static const char OPENAI_HELP[] = "https://help.openai.com/en/";

/* Whether url is prefix, or prefix followed by more of its path. */
static bool has_prefix(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n) != 0)
        return false;
    char next = url[n];
    return next == '\0' || prefix[n - 1] == '/' || next == '/' || next == '?' || next == '#';
}

static bool openai_host(const char *url)
{
    if (str_ncasecmp(url, "https://", 8) != 0 && str_ncasecmp(url, "http://", 7) != 0)
        return false;
    char *host = url_host(url);
    bool yes = host_in(host, "openai.com .openai.com");
    free(host);
    return yes;
}

bool provider_openai_status_or_help(const char *url, bool *is_status)
{
    bool status = url && strcmp(url, OPENAI_STATUS) == 0;
    bool help = url && strcmp(url, OPENAI_HELP) == 0;
    if (is_status)
        *is_status = status;
    return status || help;
}

const char *provider_map_link(provider_id p, const char *url)
{
    if (!url || p == PROVIDER_OPENAI || !openai_host(url))
        return url;
    const provider_info *row = provider_row(p);
    for (size_t i = 0; i < sizeof openai_pages / sizeof *openai_pages; i++) {
        if (!has_prefix(url, openai_pages[i].prefix))
            continue;
        int kind = openai_pages[i].kind;
        if (kind != KIND_NONE && row->links[kind])
            return row->links[kind];
        return row->keeps_openai_docs && !openai_pages[i].account ? url : NULL;
    }
    return NULL; /* another OpenAI page (the community forum, an account page) */
}
