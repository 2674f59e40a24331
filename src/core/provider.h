/* Providers as data: one row per service tchat knows (the values of the profile option
 * "provider"), giving its default base URL, the hosts that name it when the option is
 * "auto", the environment variable of its key, whether it needs a key, its status page and
 * whether that page serves the Statuspage JSON (/api/v2/status.json), and its links (keys,
 * billing, usage, rate limits, models, docs, help). What was verified for each row, and
 * where: docs/providers.md.
 *
 * The row decides what a request looks like too: Azure's deployments API takes the key as
 * "api-key", the model as the deployment in the path and an api-version query. Everything
 * here is pure string work on static data: no I/O, no allocation except the URLs returned. */
#ifndef TCHAT_PROVIDER_H
#define TCHAT_PROVIDER_H

#include <stdbool.h>

/* X(id, name): name is the value of the option "provider". */
#define PROVIDERS(X)                     \
    X(PROVIDER_AUTO, "auto")             \
    X(PROVIDER_OPENAI, "openai")         \
    X(PROVIDER_AZURE, "azure")           \
    X(PROVIDER_OPENROUTER, "openrouter") \
    X(PROVIDER_GROQ, "groq")             \
    X(PROVIDER_DEEPSEEK, "deepseek")     \
    X(PROVIDER_TOGETHER, "together")     \
    X(PROVIDER_MISTRAL, "mistral")       \
    X(PROVIDER_GEMINI, "gemini")         \
    X(PROVIDER_ANTHROPIC, "anthropic")   \
    X(PROVIDER_OLLAMA, "ollama")         \
    X(PROVIDER_LLAMACPP, "llamacpp")     \
    X(PROVIDER_VLLM, "vllm")             \
    X(PROVIDER_LMSTUDIO, "lmstudio")     \
    X(PROVIDER_LOCAL, "local")           \
    X(PROVIDER_OTHER, "other")

#define PROVIDER_ENUM_(id, name) id,
typedef enum { PROVIDERS(PROVIDER_ENUM_) PROVIDER__COUNT } provider_id;
#undef PROVIDER_ENUM_

/* The pages a provider may have, in the place of OpenAI's of the same kind. */
typedef enum {
    PLINK_KEYS,        /* where keys are made */
    PLINK_BILLING,     /* credits, spend limits, payment */
    PLINK_USAGE,       /* what was used */
    PLINK_RATE_LIMITS, /* the limits and how they work */
    PLINK_MODELS,      /* the models offered */
    PLINK_DOCS,        /* the API reference (its OpenAI-compatible API) */
    PLINK_HELP,        /* where to ask: the profile's help_url by default */
    PLINK__COUNT
} provider_link;

typedef struct provider_info {
    provider_id id;
    const char *name;        /* "groq": the option's value */
    const char *display;     /* "Groq" */
    const char *base_url;    /* the default base URL; NULL: none (set base_url) */
    const char *hosts;       /* space-separated hosts that mean this provider under "auto";
                                a leading '.' matches any name under it */
    const char *key_env;     /* the variable its key is read from; NULL: none */
    bool needs_key;          /* false: a server that takes no key unless set up for one */
    bool keeps_openai_docs;  /* "local", "other": OpenAI's documentation links stay (the API
                                reference of the API such servers speak); its account links go */
    const char *status_url;  /* its status page; NULL: none */
    bool status_json;        /* status_url serves /api/v2/status.json (Statuspage) */
    const char *api_version; /* the default api_version; NULL: none */
    const char *links[PLINK__COUNT];
} provider_info;

/* The row of id (PROVIDER_AUTO has one too, empty). id out of range: the "other" row. */
const provider_info *provider_row(provider_id id);
/* The id of a name ("Groq" and "groq" alike), or -1. */
int provider_find(const char *name);
/* "auto, openai, azure, ...": every name, for messages and the help. */
const char *provider_names(void);

/* The provider a base URL names, as "auto" reads it: loopback is "local"; a host of a row's
 * list is that row's; anything else is "other". */
provider_id provider_by_host(const char *base_url);
/* What setting means for base_url: "auto" is provider_by_host, anything else itself. */
provider_id provider_resolve(provider_id setting, const char *base_url);
/* Whether OPENAI_API_KEY, OPENAI_ORG_ID and OPENAI_PROJECT_ID apply: for "openai", and for
 * "auto" on a host that is no other provider's. An OpenAI key goes to OpenAI only. */
bool provider_reads_openai_env(provider_id setting, provider_id resolved);

/* Requests. resolved: what provider_resolve gave. */
/* True for Azure's deployments API: the key goes as "api-key", the model names the
 * deployment in the path, and api-version is a query. A base URL whose path has /openai/v1
 * is Azure's v1 API instead, which speaks the plain OpenAI scheme. */
bool provider_azure_deployments(provider_id resolved, const char *base_url);
/* The header that carries the key as it is ("api-key"), or NULL for
 * "Authorization: Bearer KEY". */
const char *provider_auth_header(provider_id resolved, const char *base_url);
/* The chat URL: BASE/chat/completions; for Azure's deployments API
 * BASE/openai/deployments/MODEL/chat/completions?api-version=V (a base that already ends in
 * /openai/deployments/NAME is used as it is; the model is percent-encoded). Caller frees. */
char *provider_chat_url(provider_id resolved, const char *base_url, const char *model,
                        const char *api_version);
/* The URL that lists models (BASE/models), or NULL where there is none (Azure's
 * deployments API). Caller frees. */
char *provider_models_url(provider_id resolved, const char *base_url);

/* Links. The error catalog is written for OpenAI; what one of its links becomes for
 * provider p: the URL itself when it is not an OpenAI page or p is OpenAI; p's page of the
 * same kind; for "local" and "other" OpenAI's documentation pages as they are; otherwise
 * NULL (left out). OpenAI's status page and help centre are not mapped here: the profile's
 * status_url and help_url take their place (explain.c). */
const char *provider_map_link(provider_id p, const char *url);
/* True for OpenAI's status page and help centre root, which the profile's status_url and
 * help_url replace; *is_status says which. */
bool provider_openai_status_or_help(const char *url, bool *is_status);

#endif
