/* The guide catalog: OpenAI's error-code guide as data (assets/errors/<lang>.json,
 * embedded at build time), one entry per failure tchat can explain, and the
 * guide's library error types. */
#ifndef TCHAT_GUIDE_H
#define TCHAT_GUIDE_H

#include <stdbool.h>
#include <stddef.h>

/* X(enum, id): ids are stable; tests, themes and translations name them. */
#define GUIDE_ENTRIES(X)                                  \
    X(GUIDE_AUTH_INVALID, "auth-invalid")                 \
    X(GUIDE_AUTH_INCORRECT_KEY, "auth-incorrect-key")     \
    X(GUIDE_AUTH_NO_ORG, "auth-no-org")                   \
    X(GUIDE_RATE_LIMIT, "rate-limit")                     \
    X(GUIDE_QUOTA, "quota")                               \
    X(GUIDE_OVERLOADED, "overloaded")                     \
    X(GUIDE_SERVER_ERROR, "server-error")                 \
    X(GUIDE_FORBIDDEN_REGION, "forbidden-region")         \
    X(GUIDE_MODEL_NOT_FOUND, "model-not-found")           \
    X(GUIDE_NOT_FOUND, "not-found")                       \
    X(GUIDE_CONTEXT_LENGTH, "context-length")             \
    X(GUIDE_BAD_REQUEST, "bad-request")                   \
    X(GUIDE_GATEWAY, "gateway")                           \
    X(GUIDE_TIMEOUT, "timeout")                           \
    X(GUIDE_DNS, "dns")                                   \
    X(GUIDE_CONNECT_REFUSED, "connect-refused")           \
    X(GUIDE_CONNECTION, "connection")                     \
    X(GUIDE_TLS, "tls")                                   \
    X(GUIDE_TLS_PLAIN_HTTP, "tls-plain-http")             \
    X(GUIDE_PROXY, "proxy")                               \
    X(GUIDE_PROXY_AUTH, "proxy-auth")                     \
    X(GUIDE_STREAM_INTERRUPTED, "stream-interrupted")     \
    X(GUIDE_STREAM_ERROR, "stream-error")                 \
    X(GUIDE_MALFORMED_RESPONSE, "malformed-response")     \
    X(GUIDE_NO_KEY, "no-key")                             \
    X(GUIDE_INSECURE_HTTP, "insecure-http")               \
    X(GUIDE_REPLY_TOO_LONG, "reply-too-long")             \
    X(GUIDE_CANCELLED, "cancelled")                       \
    X(GUIDE_CREDITS, "credits")                           \
    X(GUIDE_SPEND_CAP, "spend-cap")                       \
    X(GUIDE_BILLING_INACTIVE, "billing-inactive")         \
    X(GUIDE_MODERATION, "moderation")                     \
    X(GUIDE_MODEL_LOADING, "model-loading")               \
    X(GUIDE_MODEL_NOT_LOADED, "model-not-loaded")         \
    X(GUIDE_DEPLOYMENT_NOT_FOUND, "deployment-not-found") \
    X(GUIDE_REQUEST_TOO_LARGE, "request-too-large")     \
    X(GUIDE_FIRST_TOKEN_TIMEOUT, "first-token-timeout")

#define GUIDE_ENUM_(id, name) id,
typedef enum { GUIDE_ENTRIES(GUIDE_ENUM_) GUIDE__COUNT } guide_entry;
#undef GUIDE_ENUM_

/* The guide's second table (the Python library's error types). */
#define GUIDE_TYPES(X)                                        \
    X(GUIDE_T_API_ERROR, "APIError")                          \
    X(GUIDE_T_TIMEOUT, "Timeout")                             \
    X(GUIDE_T_RATE_LIMIT, "RateLimitError")                   \
    X(GUIDE_T_API_CONNECTION, "APIConnectionError")           \
    X(GUIDE_T_INVALID_REQUEST, "InvalidRequestError")         \
    X(GUIDE_T_AUTHENTICATION, "AuthenticationError")          \
    X(GUIDE_T_SERVICE_UNAVAILABLE, "ServiceUnavailableError")

#define GUIDE_ENUM_(id, name) id,
typedef enum { GUIDE_TYPES(GUIDE_ENUM_) GUIDE_T__COUNT, GUIDE_T_NONE = GUIDE_T__COUNT } guide_type;
#undef GUIDE_ENUM_

typedef enum { GUIDE_LANG_EN, GUIDE_LANG_ZH_CN, GUIDE_LANG__COUNT } guide_lang;

const char *guide_entry_id(guide_entry e);
/* Returns the entry, or -1 for an unknown id. */
int guide_entry_from_id(const char *id);
const char *guide_type_name(guide_type t); /* "" for GUIDE_T_NONE */
const char *guide_lang_code(guide_lang l);  /* "en", "zh_CN" */

typedef struct guide_link {
    const char *label;
    const char *url;
} guide_link;

/* One entry (or library type) in one language. Strings live as long as the process. */
typedef struct guide_text {
    const char *title;    /* "Incorrect API key provided" */
    const char *status;   /* HTTP status shown with the title, "" when none */
    const char *cause;    /* one or two sentences */
    const char *const *reasons; /* the guide's "this can happen because" list */
    size_t nreasons;
    const char *const *steps;     /* numbered steps of the solution, as the chat says them */
    const char *const *steps_cli; /* the same steps for one-shot mode and the support
                                     report: no keys or slash commands of the chat */
    size_t nsteps;
    const guide_link *links;
    size_t nlinks;
    bool from_guide;      /* false for entries tchat adds beyond the guide */
} guide_text;

/* Parses the embedded catalogs once and checks that every entry and type is
 * present in every language. Returns 0, or -1 with a message in err. Safe to
 * call more than once; not thread-safe (call it from main before threads). */
int guide_init(char *err, size_t errlen);
/* Like guide_init, but from the given JSON texts (indexed by guide_lang, lens[l]
 * bytes each, no NUL needed) instead of the embedded catalogs. On success it
 * replaces whatever was loaded (earlier guide_text pointers become invalid); on
 * failure the previous catalog stays. For tests and fuzzing. */
int guide_init_from(const char *const texts[GUIDE_LANG__COUNT],
                    const size_t lens[GUIDE_LANG__COUNT], char *err, size_t errlen);
void guide_done(void);

const guide_text *guide_entry_text(guide_entry e, guide_lang lang);
const guide_text *guide_type_text(guide_type t, guide_lang lang);
/* A UI string from the catalog's "strings" table; falls back to English, then
 * to the key itself. */
const char *guide_str(guide_lang lang, const char *key);

/* "en", "en_US.UTF-8", "zh", "zh_CN", "zh-CN", "zh_TW.UTF-8" ...; returns false
 * for anything else (out untouched). */
bool guide_lang_parse(const char *s, guide_lang *out);
/* From LC_ALL, LC_MESSAGES, LANG, in that order: zh* is Chinese, else English. */
guide_lang guide_lang_from_env(void);

#endif
