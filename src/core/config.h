/* Configuration: one typed option table drives the config file, the
 * environment, the command-line flags and the settings screen.
 * Precedence: flag > environment > key command > config file > provider preset > default,
 * and every value remembers where it came from.
 *
 * The preset. The option "provider" names a row of src/core/provider.h ("auto": the one
 * the base URL's host names); that row gives some options a value below the file's: the
 * base URL, status_url, help_url, api_version, needs_key. Which environment variables
 * apply depends on it too: the key comes from api_key_env's variable, else the provider's
 * (GROQ_API_KEY...); OPENAI_API_KEY, OPENAI_ORG_ID and OPENAI_PROJECT_ID apply to "openai"
 * and to "auto" on a host that is no other provider's, OPENAI_BASE_URL to "auto" and
 * "openai" only. A variable is read when first needed, then kept.
 *
 * Layers. Each profile keeps its *file layer* (what config.json says, or will say after
 * config_save, for each option: canonical text or unset) apart from its *effective* values
 * (profile.v). The flags and the environment are kept in the config too and apply to
 * whichever profile is current; other profiles' effective values come from the file and the
 * defaults only. Every change to a layer or to the current profile recomputes the effective
 * values; a value whose text and source did not change keeps its storage, so a pointer from
 * cfg_str stays valid until that option's value changes.
 *
 * Files: config.c (the registry, values, profiles), config_file.c (loading, the kept document,
 * saving), config_keycmd.c (the key command); config_internal.h is what they share. */
#ifndef TCHAT_CONFIG_H
#define TCHAT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "provider.h"

typedef enum {
    OPT_STRING,  /* free text */
    OPT_SECRET,  /* text never shown in full (API key) */
    OPT_URL,     /* http:// or https:// URL, or empty where allowed */
    OPT_PATH,    /* a file name, may be empty */
    OPT_INT,
    OPT_DOUBLE,
    OPT_BOOL,
} opt_type;

typedef enum { SCOPE_PROFILE, SCOPE_GLOBAL } opt_scope;

/* X(id, key, type, scope, default, min, max, env, help)
 * key: the JSON key in config.json and the flag name (--key-with-dashes).
 * default: text, parsed like any other value. min/max: for numbers. */
#define CONFIG_OPTIONS(X)                                                                          \
    X(OPT_API_KEY, "api_key", OPT_SECRET, SCOPE_PROFILE, "", 0, 0, "OPENAI_API_KEY",              \
      "API key, sent as 'Authorization: Bearer' (Azure's deployments API: 'api-key')")             \
    X(OPT_API_KEY_CMD, "api_key_cmd", OPT_STRING, SCOPE_PROFILE, "", 0, 0, NULL,                   \
      "command whose first output line is the API key (run without a shell)")                      \
    X(OPT_API_KEY_ENV, "api_key_env", OPT_STRING, SCOPE_PROFILE, "", 0, 0, NULL,                   \
      "environment variable the key is read from; empty: the provider's (GROQ_API_KEY...)")        \
    X(OPT_PROVIDER, "provider", OPT_STRING, SCOPE_PROFILE, "auto", 0, 0, NULL,                     \
      "the service: auto (from the base URL's host), openai, azure, openrouter, groq, deepseek, "  \
      "together, mistral, gemini, anthropic, ollama, llamacpp, vllm, lmstudio, local, other")      \
    X(OPT_BASE_URL, "base_url", OPT_URL, SCOPE_PROFILE, "https://api.openai.com/v1", 0, 0,         \
      "OPENAI_BASE_URL", "API base URL; requests go to BASE/chat/completions")                     \
    X(OPT_NEEDS_KEY, "needs_key", OPT_BOOL, SCOPE_PROFILE, "true", 0, 0, NULL,                     \
      "false for servers that take no key: no Authorization header is sent")                       \
    X(OPT_ALLOW_INSECURE_HTTP, "allow_insecure_http", OPT_BOOL, SCOPE_PROFILE, "false", 0, 0,      \
      NULL, "send the key over plain http:// to a host that is not this machine (warned once)")   \
    X(OPT_ORGANIZATION, "organization", OPT_STRING, SCOPE_PROFILE, "", 0, 0, "OPENAI_ORG_ID",      \
      "sent as OpenAI-Organization when set")                                                      \
    X(OPT_PROJECT, "project", OPT_STRING, SCOPE_PROFILE, "", 0, 0, "OPENAI_PROJECT_ID",            \
      "sent as OpenAI-Project when set")                                                           \
    X(OPT_EXTRA_HEADERS, "extra_headers", OPT_STRING, SCOPE_PROFILE, "", 0, 0, NULL,               \
      "a JSON object of headers sent with every request, e.g. {\"X-Title\": \"tchat\"}")              \
    X(OPT_API_VERSION, "api_version", OPT_STRING, SCOPE_PROFILE, "", 0, 0, NULL,                   \
      "Azure: the api-version of the deployments API (the preset gives 2024-10-21)")               \
    X(OPT_MODEL, "model", OPT_STRING, SCOPE_PROFILE, "gpt-4o-mini", 0, 0, NULL, "model name")    \
    X(OPT_SYSTEM, "system", OPT_STRING, SCOPE_PROFILE, "", 0, 0, NULL, "system prompt")           \
    X(OPT_TEMPERATURE, "temperature", OPT_DOUBLE, SCOPE_PROFILE, "-1", -1, 2, NULL,               \
      "sampling temperature 0-2; -1 leaves it to the server")                                      \
    X(OPT_MAX_TOKENS, "max_tokens", OPT_INT, SCOPE_PROFILE, "0", 0, 10000000, NULL,                \
      "max_completion_tokens; 0 leaves it to the server")                                          \
    X(OPT_STREAM, "stream", OPT_BOOL, SCOPE_PROFILE, "true", 0, 0, NULL,                           \
      "stream replies as they are written")                                                        \
    X(OPT_CONNECT_TIMEOUT, "connect_timeout", OPT_DOUBLE, SCOPE_PROFILE, "10", 0.1, 600, NULL,    \
      "seconds to wait for a connection")                                                          \
    X(OPT_IDLE_TIMEOUT, "idle_timeout", OPT_DOUBLE, SCOPE_PROFILE, "120", 1, 86400, NULL,          \
      "seconds without a byte, once the reply has begun, before giving up")                        \
    X(OPT_FIRST_TOKEN_TIMEOUT, "first_token_timeout", OPT_DOUBLE, SCOPE_PROFILE, "600", 1, 86400,  \
      NULL, "seconds to wait for the reply to begin; keep-alives do not count")                    \
    X(OPT_MAX_RETRIES, "max_retries", OPT_INT, SCOPE_PROFILE, "4", 0, 100, NULL,                   \
      "automatic retries after a failure; 0 turns them off")                                       \
    X(OPT_BACKOFF_INITIAL, "backoff_initial", OPT_DOUBLE, SCOPE_PROFILE, "1", 0.001, 3600, NULL,   \
      "first backoff delay in seconds")                                                            \
    X(OPT_BACKOFF_MAX, "backoff_max", OPT_DOUBLE, SCOPE_PROFILE, "32", 0.001, 86400, NULL,         \
      "longest backoff delay in seconds")                                                          \
    X(OPT_MAX_SERVER_WAIT, "max_server_wait", OPT_DOUBLE, SCOPE_PROFILE, "120", 0, 86400, NULL,    \
      "longest server-requested wait honoured automatically, in seconds")                          \
    X(OPT_STATUS_URL, "status_url", OPT_URL, SCOPE_PROFILE, "https://status.openai.com/", 0, 0,    \
      NULL, "status page (Statuspage); empty for none")                                            \
    X(OPT_STATUS_POLL, "status_poll", OPT_BOOL, SCOPE_PROFILE, "true", 0, 0, NULL,                 \
      "fetch the status page's indicator after server and connection errors")                      \
    X(OPT_HELP_URL, "help_url", OPT_URL, SCOPE_PROFILE, "https://help.openai.com/en/", 0, 0, NULL, \
      "where to ask for help when an error persists")                                              \
    X(OPT_CA_BUNDLE, "ca_bundle", OPT_PATH, SCOPE_PROFILE, "", 0, 0, NULL,                         \
      "CA certificate bundle (PEM) for TLS; empty uses the system's")                              \
    X(OPT_THEME, "theme", OPT_STRING, SCOPE_GLOBAL, "default", 0, 0, NULL, "colour theme")       \
    X(OPT_MAX_REPLY_MB, "max_reply_mb", OPT_DOUBLE, SCOPE_GLOBAL, "16", 0, 1048576, NULL,          \
      "the chat stops a reply longer than this many MiB and keeps what came; 0 for no limit")      \
    X(OPT_CODE_WRAP, "code_wrap", OPT_BOOL, SCOPE_GLOBAL, "false", 0, 0, NULL,                     \
      "wrap long lines of code blocks; false cuts them at the edge, as written")                   \
    X(OPT_LANG, "lang", OPT_STRING, SCOPE_GLOBAL, "", 0, 0, NULL,                                  \
      "language of explanations: en or zh_CN; empty follows the locale")

#define OPT_ENUM_(id, ...) id,
typedef enum { CONFIG_OPTIONS(OPT_ENUM_) OPT__COUNT } opt_id;
#undef OPT_ENUM_

typedef struct opt_def {
    const char *key;
    opt_type type;
    opt_scope scope;
    const char *def;
    double min, max;
    const char *env;
    const char *help;
} opt_def;

const opt_def *opt_get_def(opt_id id);
/* Finds an option by JSON key or flag name (dashes and underscores alike); -1 if none. */
int opt_find(const char *key);

#define OPT_SOURCES(X)                 \
    X(SRC_DEFAULT, "default")          \
    X(SRC_PRESET, "preset")            \
    X(SRC_CONFIG, "config file")       \
    X(SRC_KEYCMD, "key command")       \
    X(SRC_ENV, "environment")          \
    X(SRC_FLAG, "flag")

#define SRC_ENUM_(id, name) id,
typedef enum { OPT_SOURCES(SRC_ENUM_) SRC__COUNT } opt_source;
#undef SRC_ENUM_
const char *opt_source_name(opt_source s);

typedef struct opt_value {
    char *text;       /* the value as text (always set, malloc'd) */
    long i;           /* parsed, for OPT_INT */
    double d;         /* parsed, for OPT_DOUBLE */
    bool b;           /* parsed, for OPT_BOOL */
    opt_source src;
    const char *src_detail; /* e.g. "OPENAI_API_KEY", the config path, the provider of a preset
                               ("groq"); static or owned by config */
} opt_value;

typedef struct profile {
    char *name;
    opt_value v[OPT__COUNT]; /* effective values; SCOPE_GLOBAL slots unused */
    char *file[OPT__COUNT];  /* file layer: this profile's own values (canonical text) or NULL */
    char *doc_name;          /* its key under "profiles" in config.doc; NULL: not there yet */
    char *keycmd_key;        /* what api_key_cmd printed, kept so a command runs once... */
    char *keycmd_for;        /* ...and the command that printed it */
} profile;

typedef struct config {
    char *path;            /* the config file used (may not exist) */
    bool file_exists;
    profile *profiles;
    size_t nprofiles;
    size_t current;        /* index into profiles; change it with config_profile_select */
    opt_value global[OPT__COUNT]; /* SCOPE_PROFILE slots unused */
    void *doc;             /* the parsed file (cJSON *), kept so unknown keys survive a save */
    char *warning;         /* e.g. a key in a file others can read; NULL if none */
    /* Top-level values of the file: the file layer of the global options, and profile
     * options shared by every profile (below a profile's own value; never rewritten). */
    char *top[OPT__COUNT];
    char *flag[OPT__COUNT]; /* flags (the last one of each), and config_set(SRC_FLAG) */
    char *env[OPT__COUNT];  /* config_set(SRC_ENV): an environment value given in code */
    /* The environment as read so far: a variable is read once, when first needed. */
    const char *(*getenv_fn)(const char *name);
    struct config_envvar *envvars;
    size_t nenvvars;
    bool run_key_cmd;       /* from config_load_args: may api_key_cmd run */
    bool dirty;             /* the file layer changed since the load or the last save */
} config;

/* A value given on the command line. */
typedef struct config_override {
    opt_id id;
    const char *value;
} config_override;

typedef struct config_load_args {
    const char *path;         /* --config; NULL: $TCHAT_CONFIG, else $XDG_CONFIG_HOME/tchat/config.json */
    const char *profile;      /* --profile; NULL: the file's "profile", else the first */
    const config_override *overrides;
    size_t noverrides;
    /* The environment; NULL means getenv. Tests pass their own. */
    const char *(*getenv_fn)(const char *name);
    bool run_key_cmd;         /* run api_key_cmd when no key is set by a higher source */
} config_load_args;

/* Loads defaults, the file, the environment and the overrides. Returns 0, or
 * -1 with a message in err such as "/home/a/.config/tchat/config.json:7: expected
 * a number for \"max_retries\"". A malformed file is never written to, and a syntax error
 * never quotes a key. At the default path the file must be a regular file; one named by
 * args->path or $TCHAT_CONFIG may also be a pipe or a device (--config <(...)), read to its
 * end for at most 3 s. */
int config_load(config *c, const config_load_args *args, char *err, size_t errlen);
void config_free(config *c);

/* Sets one layer of one option of the current profile (or the global one) from text, with
 * validation, and recomputes the effective value; on error the old value is kept and err
 * says why. src chooses the layer: SRC_FLAG a session override like a flag (kept across
 * profile switches, never saved), SRC_ENV the environment, SRC_CONFIG the file layer exactly
 * as given ("" stored as ""; marks the config dirty), SRC_KEYCMD the key printed by the current
 * api_key_cmd (OPT_API_KEY only). SRC_DEFAULT is refused. */
int config_set(config *c, opt_id id, const char *text, opt_source src, char *err, size_t errlen);

/* The file layer: the text config.json gives option id in profile number prof (its own
 * value, else the shared top-level one), or for a global option the top-level value; NULL
 * when the file leaves it unset. */
const char *cfg_file_text(const config *c, size_t prof, opt_id id);

/* Sets the file-layer value of option id in the current profile (or the global one), with
 * the same validation as config_set, and recomputes. NULL removes the profile's own value
 * (back to a shared top-level value, else the default). "" removes it too, except where
 * empty is a value of its own that removing would not give: status_url and help_url ("" =
 * none), and an option whose default is "" (api_key, organization, ...) when a shared
 * top-level value would otherwise apply. Marks the config dirty when the layer changes.
 * Returns 0, or -1 with err (the old value kept), e.g. when a new api_key_cmd fails. */
int config_set_file(config *c, opt_id id, const char *text, char *err, size_t errlen);

/* True when the file layer has a value for id but a flag, the environment or the key
 * command wins; *by (if by) names the winner: "--model", "OPENAI_API_KEY", "api_key_cmd". */
bool config_shadowed(const config *c, opt_id id, const char **by);

/* True when the file layer or the profile list changed since the load or the last save. */
bool config_dirty(const config *c);

/* Profiles. Names given here are 1-40 characters of A-Z a-z 0-9 . _ - and unique
 * (config_load accepts any text a file has). */
int config_profile_find(const config *c, const char *name); /* index, or -1 */
/* Appends a profile with no values of its own (shared top-level values, else defaults) and
 * returns its index, or -1 with err. Does not select it. */
int config_profile_add(config *c, const char *name, char *err, size_t errlen);
int config_profile_rename(config *c, size_t idx, const char *name, char *err, size_t errlen);
/* Deletes a profile (not the only one). Deleting the current one selects the one before it
 * (or the next when it was the first); if that fails nothing is deleted. */
int config_profile_delete(config *c, size_t idx, char *err, size_t errlen);
/* Makes idx the current profile: the flags and the environment move to it, and its
 * api_key_cmd runs if run_key_cmd was set at load (once per command: the key is kept).
 * A failing key command returns -1 with err and leaves the old profile current. */
int config_profile_select(config *c, size_t idx, char *err, size_t errlen);

/* Writes the file layer to c->path atomically (a temporary file in the same directory, mode
 * 0600, fsync, rename, fsync of the directory). Unknown keys, the top-level shared values and
 * anything else in the file are kept; the current profile becomes "profile"; values from
 * flags, the environment or the key command are never written. A symlinked config stays a symlink (its target is replaced). Missing
 * directories are created 0700; of existing ones only tchat's own (named "tchat", ours,
 * readable by others) is made 0700, the others are left alone. On error the old file is
 * untouched, no temporary file is left, the config stays dirty and err says why, e.g.
 * "cannot write /x/config.json: Permission denied". A pipe or a device at the path (a config
 * read from --config <(...)) is never replaced: that is an error too. */
int config_save(config *c, char *err, size_t errlen);

/* Values of the current profile (or the global value for SCOPE_GLOBAL options). */
const opt_value *cfg_value(const config *c, opt_id id);
const char *cfg_str(const config *c, opt_id id);
long cfg_int(const config *c, opt_id id);
double cfg_double(const config *c, opt_id id);
bool cfg_bool(const config *c, opt_id id);
const char *cfg_profile_name(const config *c);
/* The provider of the current profile: "auto" resolved by the base URL's host. */
provider_id cfg_provider(const config *c);
/* Whether a key that is set goes with the requests: unless the user said needs_key false
 * (a local server's preset only makes the key optional: one set for it still goes). */
bool cfg_sends_key(const config *c);
/* The environment variable that gives option id to the current profile (for the key:
 * api_key_env's, else the provider's, else OPENAI_API_KEY where it applies), or NULL when
 * none does. Valid until the option values change. */
const char *cfg_env_name(const config *c, opt_id id);
/* Whether the status page is read as Statuspage JSON: a status_url of the user's (or
 * OpenAI's default), or a preset's whose provider serves it; a link only otherwise. */
bool cfg_status_json(const config *c);
/* The profile's extra headers, parsed (the option was checked when set). Caller frees
 * with xhdr_free. */
struct xhdr_list;
void cfg_extra_headers(const config *c, struct xhdr_list *out);

/* The key masked for display: "sk-…wxyz" (first three and last four characters), "" when
 * empty, "…" alone for keys shorter than 12 bytes. Caller frees. */
char *config_mask_key(const char *key);

/* Runs cmd (split into words, single and double quotes honoured, no shell) and
 * returns its first output line, trimmed, in *key (malloc'd). Gives up after
 * timeout_ms. Returns 0 or -1 with a message in err. */
int config_run_key_cmd(const char *cmd, int timeout_ms, char **key, char *err, size_t errlen);

/* The default config path: $TCHAT_CONFIG, else $XDG_CONFIG_HOME/tchat/config.json,
 * else ~/.config/tchat/config.json. Caller frees. */
char *config_default_path(const char *(*getenv_fn)(const char *name));

#endif
