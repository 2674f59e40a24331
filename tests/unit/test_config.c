/* Tests for config.c: the option table, the file format and its error messages,
 * precedence, profile selection, validation, the key command, masking, paths, the file
 * layer, saving and the profile list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"
#include "xheaders.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- fixtures */

static char tmpdir[64];
static int file_counter;

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tchat-test-config-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* Removes path and, for a directory, everything under it (links are not followed). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *p = xasprintf("%s/%s", path, e->d_name);
            remove_tree(p);
            free(p);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int group_teardown(void **state)
{
    (void)state;
    remove_tree(tmpdir);
    return 0;
}

/* Writes contents (len bytes; SIZE_MAX: strlen) to a fresh file with mode. Caller frees. */
static char *write_file_n(const char *contents, size_t len, mode_t mode)
{
    char *path = xasprintf("%s/config-%d.json", tmpdir, ++file_counter);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    if (len == SIZE_MAX)
        len = strlen(contents);
    assert_int_equal(write(fd, contents, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

static char *write_file(const char *contents)
{
    return write_file_n(contents, SIZE_MAX, 0600);
}

/* A path in the temporary directory that does not exist. Caller frees. */
static char *missing_file(void)
{
    return xasprintf("%s/missing-%d.json", tmpdir, ++file_counter);
}

/* Replaces every '@' in tmpl with path. Caller frees. */
static char *expand(const char *tmpl, const char *path)
{
    buf b;
    buf_init(&b);
    for (const char *p = tmpl; *p; p++) {
        if (*p == '@')
            buf_puts(&b, path);
        else
            buf_putc(&b, *p);
    }
    return buf_steal(&b);
}

/* The environment tests see: NAME, VALUE pairs, NULL-terminated. */
static const char *const *env_pairs;

static const char *fake_getenv(const char *name)
{
    for (const char *const *p = env_pairs; p && *p; p += 2)
        if (!strcmp(p[0], name))
            return p[1];
    return NULL;
}

static const char *const no_env[] = {NULL};

static int load(config *c, const char *path, const char *prof, const char *const *env,
                const config_override *flags, size_t nflags, bool run_cmd, char *err, size_t errlen)
{
    env_pairs = env ? env : no_env;
    config_load_args a = {
        .path = path,
        .profile = prof,
        .overrides = flags,
        .noverrides = nflags,
        .getenv_fn = fake_getenv,
        .run_key_cmd = run_cmd,
    };
    return config_load(c, &a, err, errlen);
}

/* ---------------------------------------------------------------- the table */

static void test_defaults(void **state)
{
    (void)state;
    config c;
    char err[512];
    char *path = missing_file();
    assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    assert_false(c.file_exists);
    assert_null(c.doc);
    assert_null(c.warning);
    assert_int_equal(c.nprofiles, 1);
    assert_string_equal(cfg_profile_name(&c), "openai");
    for (int id = 0; id < OPT__COUNT; id++) {
        const opt_value *v = cfg_value(&c, (opt_id)id);
        assert_non_null(v);
        assert_int_equal(v->src, SRC_DEFAULT);
        assert_string_equal(v->src_detail, "default");
        const opt_def *d = opt_get_def((opt_id)id);
        assert_non_null(d);
        assert_int_equal(opt_find(d->key), id);
    }
    static const struct {
        opt_id id;
        const char *text;
    } want[] = {
        {OPT_API_KEY, ""},
        {OPT_BASE_URL, "https://api.openai.com/v1"},
        {OPT_NEEDS_KEY, "true"},
        {OPT_MODEL, "gpt-4o-mini"},
        {OPT_TEMPERATURE, "-1"},
        {OPT_MAX_TOKENS, "0"},
        {OPT_CONNECT_TIMEOUT, "10"},
        {OPT_IDLE_TIMEOUT, "120"},
        {OPT_MAX_RETRIES, "4"},
        {OPT_BACKOFF_INITIAL, "1"},
        {OPT_BACKOFF_MAX, "32"},
        {OPT_STATUS_URL, "https://status.openai.com/"},
        {OPT_HELP_URL, "https://help.openai.com/en/"},
        {OPT_THEME, "default"},
        {OPT_LANG, ""},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_string_equal(cfg_str(&c, want[i].id), want[i].text);
    assert_int_equal(cfg_int(&c, OPT_MAX_RETRIES), 4);
    assert_int_equal(cfg_int(&c, OPT_MAX_TOKENS), 0);
    assert_true(cfg_double(&c, OPT_CONNECT_TIMEOUT) == 10.0);
    assert_true(cfg_double(&c, OPT_TEMPERATURE) == -1.0);
    assert_true(cfg_double(&c, OPT_BACKOFF_INITIAL) == 1.0);
    assert_true(cfg_bool(&c, OPT_STREAM));
    assert_true(cfg_bool(&c, OPT_NEEDS_KEY));
    config_free(&c);
    config_free(&c); /* safe twice */
    free(path);
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int id;
    } finds[] = {
        {"api_key", OPT_API_KEY},     {"api-key", OPT_API_KEY},         {"--api-key", OPT_API_KEY},
        {"api_key_cmd", OPT_API_KEY_CMD}, {"max-retries", OPT_MAX_RETRIES}, {"lang", OPT_LANG},
        {"api", -1},                  {"", -1},                         {"api_key_", -1},
        {"MODEL", -1},                {"--", -1},
    };
    for (size_t i = 0; i < sizeof finds / sizeof *finds; i++) {
        if (opt_find(finds[i].name) != finds[i].id)
            fail_msg("opt_find(\"%s\") = %d, want %d", finds[i].name, opt_find(finds[i].name),
                     finds[i].id);
    }
    assert_int_equal(opt_find(NULL), -1);
    assert_null(opt_get_def(OPT__COUNT));
    static const char *const sources[SRC__COUNT] = {
        [SRC_DEFAULT] = "default", [SRC_PRESET] = "preset", [SRC_CONFIG] = "config file",
        [SRC_KEYCMD] = "key command", [SRC_ENV] = "environment", [SRC_FLAG] = "flag"};
    for (int s = 0; s < SRC__COUNT; s++)
        assert_string_equal(opt_source_name((opt_source)s), sources[s]);
}

/* ---------------------------------------------------------------- precedence */

typedef struct expect {
    opt_id id;
    const char *text; /* NULL ends the list */
    opt_source src;
    const char *detail; /* '@' stands for the config path */
} expect;

typedef struct prec_case {
    const char *name;
    const char *file; /* NULL: no file */
    const char *profile;
    const char *env[9];
    config_override flags[3];
    bool run_key_cmd;
    expect want[6];
} prec_case;

static const prec_case prec_cases[] = {
    {"no file: defaults", NULL, NULL, {NULL}, {{0}}, false,
     {{OPT_MODEL, "gpt-4o-mini", SRC_DEFAULT, "default"},
      {OPT_API_KEY, "", SRC_DEFAULT, "default"},
      {OPT_THEME, "default", SRC_DEFAULT, "default"}}},
    {"file beats default",
     "{\"profiles\": {\"openai\": {\"model\": \"gpt-4o\", \"max_retries\": 2}}}", NULL, {NULL},
     {{0}}, false,
     {{OPT_MODEL, "gpt-4o", SRC_CONFIG, "@"},
      {OPT_MAX_RETRIES, "2", SRC_CONFIG, "@"},
      {OPT_TEMPERATURE, "-1", SRC_DEFAULT, "default"}}},
    {"environment beats file",
     "{\"profiles\": {\"openai\": {\"api_key\": \"sk-file\", \"base_url\": \"http://a/v1\"}}}",
     NULL, {"OPENAI_API_KEY", "sk-env", "OPENAI_BASE_URL", "http://b:8080/v1/", NULL}, {{0}},
     false,
     {{OPT_API_KEY, "sk-env", SRC_ENV, "OPENAI_API_KEY"},
      {OPT_BASE_URL, "http://b:8080/v1", SRC_ENV, "OPENAI_BASE_URL"}}},
    {"flag beats environment", NULL, NULL, {"OPENAI_API_KEY", "sk-env", NULL},
     {{OPT_API_KEY, "sk-flag"}, {OPT_MODEL, "o3"}}, false,
     {{OPT_API_KEY, "sk-flag", SRC_FLAG, "--api-key"}, {OPT_MODEL, "o3", SRC_FLAG, "--model"}}},
    {"empty environment values are ignored",
     "{\"profiles\": {\"openai\": {\"api_key\": \"sk-file\"}}}", NULL,
     {"OPENAI_API_KEY", "", "OPENAI_ORG_ID", "", NULL}, {{0}}, false,
     {{OPT_API_KEY, "sk-file", SRC_CONFIG, "@"}, {OPT_ORGANIZATION, "", SRC_DEFAULT, "default"}}},
    {"organization and project from the environment", NULL, NULL,
     {"OPENAI_ORG_ID", "org-1", "OPENAI_PROJECT_ID", "proj_2", NULL}, {{0}}, false,
     {{OPT_ORGANIZATION, "org-1", SRC_ENV, "OPENAI_ORG_ID"},
      {OPT_PROJECT, "proj_2", SRC_ENV, "OPENAI_PROJECT_ID"}}},
    {"key command beats file",
     "{\"api_key\": \"sk-file\", \"api_key_cmd\": \"printf 'sk-cmd\\\\n'\"}", NULL, {NULL}, {{0}},
     true, {{OPT_API_KEY, "sk-cmd", SRC_KEYCMD, "api_key_cmd"}}},
    {"environment beats key command (which is not run)", "{\"api_key_cmd\": \"false\"}", NULL,
     {"OPENAI_API_KEY", "sk-env", NULL}, {{0}}, true,
     {{OPT_API_KEY, "sk-env", SRC_ENV, "OPENAI_API_KEY"}}},
    {"flag beats key command (which is not run)", "{\"api_key_cmd\": \"false\"}", NULL, {NULL},
     {{OPT_API_KEY, "sk-flag"}}, true, {{OPT_API_KEY, "sk-flag", SRC_FLAG, "--api-key"}}},
    {"key command only when asked",
     "{\"api_key\": \"sk-file\", \"api_key_cmd\": \"printf sk-cmd\"}", NULL, {NULL}, {{0}}, false,
     {{OPT_API_KEY, "sk-file", SRC_CONFIG, "@"}}},
    {"key command from a flag", NULL, NULL, {NULL}, {{OPT_API_KEY_CMD, "printf sk-flagcmd"}}, true,
     {{OPT_API_KEY, "sk-flagcmd", SRC_KEYCMD, "api_key_cmd"},
      {OPT_API_KEY_CMD, "printf sk-flagcmd", SRC_FLAG, "--api-key-cmd"}}},
    {"top-level profile options are shared",
     "{\"model\": \"m-top\", \"profiles\": {\"a\": {}, \"b\": {\"model\": \"m-b\"}}}", "a", {NULL},
     {{0}}, false, {{OPT_MODEL, "m-top", SRC_CONFIG, "@"}}},
    {"a profile's own value beats the shared one",
     "{\"model\": \"m-top\", \"profiles\": {\"a\": {}, \"b\": {\"model\": \"m-b\"}}}", "b", {NULL},
     {{0}}, false, {{OPT_MODEL, "m-b", SRC_CONFIG, "@"}}},
    {"global options from the file", "{\"theme\": \"dark\", \"lang\": \"zh-CN\"}", NULL, {NULL},
     {{0}}, false,
     {{OPT_THEME, "dark", SRC_CONFIG, "@"}, {OPT_LANG, "zh_CN", SRC_CONFIG, "@"}}},
    {"global option from a flag", "{\"theme\": \"dark\"}", NULL, {NULL}, {{OPT_THEME, "light"}},
     false, {{OPT_THEME, "light", SRC_FLAG, "--theme"}}},
    {"the last flag wins", NULL, NULL, {NULL}, {{OPT_MODEL, "m1"}, {OPT_MODEL, "m2"}}, false,
     {{OPT_MODEL, "m2", SRC_FLAG, "--model"}}},
    {"null means not set", "{\"profiles\": {\"openai\": {\"model\": null}}}", NULL, {NULL}, {{0}},
     false, {{OPT_MODEL, "gpt-4o-mini", SRC_DEFAULT, "default"}}},
    {"numbers are canonical",
     "{\"max_retries\": 4.0, \"connect_timeout\": 2.50, \"idle_timeout\": 1e2,"
     " \"temperature\": 0, \"stream\": false}",
     NULL, {NULL}, {{0}}, false,
     {{OPT_MAX_RETRIES, "4", SRC_CONFIG, "@"},
      {OPT_CONNECT_TIMEOUT, "2.5", SRC_CONFIG, "@"},
      {OPT_IDLE_TIMEOUT, "100", SRC_CONFIG, "@"},
      {OPT_TEMPERATURE, "0", SRC_CONFIG, "@"},
      {OPT_STREAM, "false", SRC_CONFIG, "@"}}},
    {"the last duplicate key wins", "{\"model\": \"first\", \"model\": \"second\"}", NULL, {NULL},
     {{0}}, false, {{OPT_MODEL, "second", SRC_CONFIG, "@"}}},
    {"escaped keys are keys", "{\"mod\\u0065l\": \"esc\"}", NULL, {NULL}, {{0}}, false,
     {{OPT_MODEL, "esc", SRC_CONFIG, "@"}}},
    {"a local profile", "{\"profiles\": {\"local\": {\"base_url\": \"http://127.0.0.1:8080/v1/\","
                        " \"needs_key\": false, \"status_url\": \"\"}}}",
     NULL, {NULL}, {{0}}, false,
     {{OPT_BASE_URL, "http://127.0.0.1:8080/v1", SRC_CONFIG, "@"},
      {OPT_NEEDS_KEY, "false", SRC_CONFIG, "@"},
      {OPT_STATUS_URL, "", SRC_CONFIG, "@"}}},
    /* The provider preset: below the file, above the defaults; and the environment it reads. */
    {"auto on Groq's host: its preset and GROQ_API_KEY, not OPENAI_API_KEY",
     "{\"base_url\": \"https://api.groq.com/openai/v1\"}", NULL,
     {"OPENAI_API_KEY", "sk-openai", "GROQ_API_KEY", "gsk-groq", "OPENAI_ORG_ID", "org-1", NULL},
     {{0}}, false,
     {{OPT_API_KEY, "gsk-groq", SRC_ENV, "GROQ_API_KEY"},
      {OPT_STATUS_URL, "https://groqstatus.com/", SRC_PRESET, "groq"},
      {OPT_HELP_URL, "https://console.groq.com/docs", SRC_PRESET, "groq"},
      {OPT_ORGANIZATION, "", SRC_DEFAULT, "default"},
      {OPT_PROVIDER, "auto", SRC_DEFAULT, "default"}}},
    {"provider groq gives its base URL", "{\"provider\": \"Groq\"}", NULL, {NULL}, {{0}}, false,
     {{OPT_PROVIDER, "groq", SRC_CONFIG, "@"},
      {OPT_BASE_URL, "https://api.groq.com/openai/v1", SRC_PRESET, "groq"},
      {OPT_NEEDS_KEY, "true", SRC_DEFAULT, "default"},
      {OPT_API_VERSION, "", SRC_DEFAULT, "default"}}},
    {"a profile's base URL beats the preset",
     "{\"profiles\": {\"g\": {\"provider\": \"groq\", \"base_url\": \"http://127.0.0.1:9/v1\"}}}",
     NULL, {"GROQ_API_KEY", "gsk-groq", NULL}, {{0}}, false,
     {{OPT_BASE_URL, "http://127.0.0.1:9/v1", SRC_CONFIG, "@"},
      {OPT_STATUS_URL, "https://groqstatus.com/", SRC_PRESET, "groq"},
      {OPT_API_KEY, "gsk-groq", SRC_ENV, "GROQ_API_KEY"},
      {OPT_NEEDS_KEY, "true", SRC_DEFAULT, "default"}}},
    {"a shared top-level base URL beats the preset",
     "{\"base_url\": \"https://gw.example/v1\", \"profiles\": {\"g\": {\"provider\": \"groq\"}}}",
     NULL, {NULL}, {{0}}, false, {{OPT_BASE_URL, "https://gw.example/v1", SRC_CONFIG, "@"}}},
    {"a file's status_url beats the preset",
     "{\"provider\": \"groq\", \"status_url\": \"\"}", NULL, {NULL}, {{0}}, false,
     {{OPT_STATUS_URL, "", SRC_CONFIG, "@"}}},
    {"provider as a flag", NULL, NULL,
     {"OPENROUTER_API_KEY", "sk-or-1", "OPENAI_API_KEY", "sk-openai", NULL},
     {{OPT_PROVIDER, "openrouter"}}, false,
     {{OPT_PROVIDER, "openrouter", SRC_FLAG, "--provider"},
      {OPT_BASE_URL, "https://openrouter.ai/api/v1", SRC_PRESET, "openrouter"},
      {OPT_API_KEY, "sk-or-1", SRC_ENV, "OPENROUTER_API_KEY"},
      {OPT_STATUS_URL, "https://status.openrouter.ai/", SRC_PRESET, "openrouter"}}},
    {"an OpenAI key and base URL never go to another provider", NULL, NULL,
     {"OPENAI_API_KEY", "sk-openai", "OPENAI_BASE_URL", "http://b.example/v1", "OPENAI_PROJECT_ID",
      "proj", NULL},
     {{OPT_PROVIDER, "groq"}}, false,
     {{OPT_API_KEY, "", SRC_DEFAULT, "default"},
      {OPT_BASE_URL, "https://api.groq.com/openai/v1", SRC_PRESET, "groq"},
      {OPT_PROJECT, "", SRC_DEFAULT, "default"}}},
    {"api_key_env names the variable",
     "{\"provider\": \"groq\", \"api_key_env\": \"MY_GROQ_KEY\"}", NULL,
     {"GROQ_API_KEY", "gsk-groq", "MY_GROQ_KEY", "gsk-mine", NULL}, {{0}}, false,
     {{OPT_API_KEY, "gsk-mine", SRC_ENV, "MY_GROQ_KEY"},
      {OPT_API_KEY_ENV, "MY_GROQ_KEY", SRC_CONFIG, "@"}}},
    {"api_key_env set but empty: no key, no fallback",
     "{\"provider\": \"groq\", \"api_key_env\": \"MY_GROQ_KEY\"}", NULL,
     {"GROQ_API_KEY", "gsk-groq", "MY_GROQ_KEY", "", NULL}, {{0}}, false,
     {{OPT_API_KEY, "", SRC_DEFAULT, "default"}}},
    {"loopback is local: no OpenAI key, no status page, no key needed",
     "{\"base_url\": \"http://127.0.0.1:8080/v1\"}", NULL, {"OPENAI_API_KEY", "sk-openai", NULL},
     {{0}}, false,
     {{OPT_API_KEY, "", SRC_DEFAULT, "default"},
      {OPT_STATUS_URL, "", SRC_PRESET, "local"},
      {OPT_HELP_URL, "https://help.openai.com/en/", SRC_DEFAULT, "default"},
      {OPT_NEEDS_KEY, "false", SRC_PRESET, "local"}}},
    {"openai named on loopback reads OPENAI_API_KEY and needs it", NULL, NULL,
     {"OPENAI_API_KEY", "sk-openai", NULL},
     {{OPT_PROVIDER, "openai"}, {OPT_BASE_URL, "http://127.0.0.1:9/v1"}}, false,
     {{OPT_API_KEY, "sk-openai", SRC_ENV, "OPENAI_API_KEY"},
      {OPT_NEEDS_KEY, "true", SRC_DEFAULT, "default"},
      {OPT_STATUS_URL, "https://status.openai.com/", SRC_DEFAULT, "default"}}},
    {"an unknown host: OPENAI_API_KEY, no status page, no help",
     "{\"base_url\": \"https://llm.corp.example/v1\"}", NULL,
     {"OPENAI_API_KEY", "sk-openai", "OPENAI_ORG_ID", "org-1", NULL}, {{0}}, false,
     {{OPT_API_KEY, "sk-openai", SRC_ENV, "OPENAI_API_KEY"},
      {OPT_ORGANIZATION, "org-1", SRC_ENV, "OPENAI_ORG_ID"},
      {OPT_STATUS_URL, "", SRC_PRESET, "other"},
      {OPT_HELP_URL, "https://help.openai.com/en/", SRC_DEFAULT, "default"}}},
    {"other named: no variable at all", "{\"provider\": \"other\", \"base_url\": \"https://x.example/v1\"}",
     NULL, {"OPENAI_API_KEY", "sk-openai", NULL}, {{0}}, false,
     {{OPT_API_KEY, "", SRC_DEFAULT, "default"}, {OPT_BASE_URL, "https://x.example/v1", SRC_CONFIG, "@"}}},
    {"OPENAI_BASE_URL on OpenRouter's host: auto reads OpenRouter's key", NULL, NULL,
     {"OPENAI_BASE_URL", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "sk-or-2",
      "OPENAI_API_KEY", "sk-openai", NULL},
     {{0}}, false,
     {{OPT_BASE_URL, "https://openrouter.ai/api/v1", SRC_ENV, "OPENAI_BASE_URL"},
      {OPT_API_KEY, "sk-or-2", SRC_ENV, "OPENROUTER_API_KEY"}}},
    {"azure: api_version and the key variable from the preset",
     "{\"provider\": \"azure\", \"base_url\": \"https://res.openai.azure.com\"}", NULL,
     {"AZURE_OPENAI_API_KEY", "az-key-1", NULL}, {{0}}, false,
     {{OPT_API_VERSION, "2024-10-21", SRC_PRESET, "azure"},
      {OPT_API_KEY, "az-key-1", SRC_ENV, "AZURE_OPENAI_API_KEY"},
      {OPT_STATUS_URL, "https://azure.status.microsoft/en-us/status", SRC_PRESET, "azure"}}},
    {"the file's api_version beats the preset",
     "{\"base_url\": \"https://res.openai.azure.com\", \"api_version\": \"2025-01-01-preview\"}",
     NULL, {NULL}, {{0}}, false,
     {{OPT_API_VERSION, "2025-01-01-preview", SRC_CONFIG, "@"}}},
    {"extra headers from the file, as an object",
     "{\"extra_headers\": {\"HTTP-Referer\": \"https://example.org\", \"X-Title\": \"tchat\"}}",
     NULL, {NULL}, {{0}}, false,
     {{OPT_EXTRA_HEADERS, "{\"HTTP-Referer\":\"https://example.org\",\"X-Title\":\"tchat\"}",
       SRC_CONFIG, "@"}}},
    {"an empty headers object is none", "{\"extra_headers\": {}}", NULL, {NULL}, {{0}}, false,
     {{OPT_EXTRA_HEADERS, "", SRC_CONFIG, "@"}}},
};

static void test_precedence(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof prec_cases / sizeof *prec_cases; i++) {
        const prec_case *t = &prec_cases[i];
        char *path = t->file ? write_file(t->file) : missing_file();
        size_t nflags = 0;
        while (nflags < 3 && t->flags[nflags].value)
            nflags++;
        config c;
        char err[512] = "";
        if (load(&c, path, t->profile, t->env, t->flags, nflags, t->run_key_cmd, err, sizeof err) !=
            0)
            fail_msg("%s: load failed: %s", t->name, err);
        for (const expect *w = t->want; w->text; w++) {
            const opt_value *v = cfg_value(&c, w->id);
            char *detail = expand(w->detail, path);
            const char *key = opt_get_def(w->id)->key;
            if (strcmp(v->text, w->text) != 0)
                fail_msg("%s: %s = \"%s\", want \"%s\"", t->name, key, v->text, w->text);
            if (v->src != w->src)
                fail_msg("%s: %s from %s, want %s", t->name, key, opt_source_name(v->src),
                         opt_source_name(w->src));
            if (strcmp(v->src_detail, detail) != 0)
                fail_msg("%s: %s detail \"%s\", want \"%s\"", t->name, key, v->src_detail, detail);
            free(detail);
        }
        config_free(&c);
        free(path);
    }
}

static void test_env_current_profile_only(void **state)
{
    (void)state;
    char *path = write_file("{\"profile\": \"b\", \"profiles\": {\"a\": {}, \"b\": {}}}");
    static const char *const env[] = {"OPENAI_BASE_URL", "http://env.example/v1", NULL};
    config c;
    char err[512];
    assert_int_equal(load(&c, path, NULL, env, NULL, 0, false, err, sizeof err), 0);
    assert_int_equal(c.current, 1);
    assert_string_equal(c.profiles[1].v[OPT_BASE_URL].text, "http://env.example/v1");
    assert_int_equal(c.profiles[1].v[OPT_BASE_URL].src, SRC_ENV);
    assert_string_equal(c.profiles[0].v[OPT_BASE_URL].text, "https://api.openai.com/v1");
    assert_int_equal(c.profiles[0].v[OPT_BASE_URL].src, SRC_DEFAULT);
    config_free(&c);
    free(path);
}

/* ---------------------------------------------------------------- profiles */

typedef struct profile_case {
    const char *name;
    const char *file; /* NULL: no file */
    const char *profile;
    const char *want; /* the current profile, or NULL for an error */
    const char *err;
    size_t nprofiles;
} profile_case;

static const profile_case profile_cases[] = {
    {"no file", NULL, NULL, "openai", NULL, 1},
    {"no file, --profile openai", NULL, "openai", "openai", NULL, 1},
    {"no file, --profile work", NULL, "work", NULL, "no profile \"work\": @ does not exist", 0},
    {"no profiles", "{\"theme\": \"x\"}", NULL, "openai", NULL, 1},
    {"empty profiles", "{\"profiles\": {}}", "openai", "openai", NULL, 1},
    {"no profiles, --profile openai", "{}", "openai", "openai", NULL, 1},
    {"no profiles, --profile x", "{}", "x", NULL, "no profile \"x\" in @ (it has no \"profiles\")", 0},
    {"first profile by default", "{\"profiles\": {\"zeta\": {}, \"alpha\": {}}}", NULL, "zeta",
     NULL, 2},
    {"the file's profile", "{\"profile\": \"alpha\", \"profiles\": {\"zeta\": {}, \"alpha\": {}}}",
     NULL, "alpha", NULL, 2},
    {"--profile beats the file's",
     "{\"profile\": \"alpha\", \"profiles\": {\"zeta\": {}, \"alpha\": {}}}", "zeta", "zeta", NULL,
     2},
    {"--profile hides a stale \"profile\"",
     "{\"profile\": \"gone\", \"profiles\": {\"zeta\": {}, \"alpha\": {}}}", "alpha", "alpha",
     NULL, 2},
    {"unknown --profile", "{\"profiles\": {\"a\": {}, \"b\": {}}}", "c", NULL,
     "no profile \"c\" in @ (profiles: a, b)", 0},
    {"empty \"profile\" means the first", "{\"profile\": \"\", \"profiles\": {\"a\": {}, \"b\": {}}}",
     NULL, "a", NULL, 2},
};

static void test_profiles(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof profile_cases / sizeof *profile_cases; i++) {
        const profile_case *t = &profile_cases[i];
        char *path = t->file ? write_file(t->file) : missing_file();
        config c;
        char err[512] = "";
        int r = load(&c, path, t->profile, NULL, NULL, 0, false, err, sizeof err);
        if (t->want) {
            if (r != 0)
                fail_msg("%s: load failed: %s", t->name, err);
            if (strcmp(cfg_profile_name(&c), t->want) != 0)
                fail_msg("%s: profile \"%s\", want \"%s\"", t->name, cfg_profile_name(&c), t->want);
            assert_int_equal(c.nprofiles, t->nprofiles);
        } else {
            char *want = expand(t->err, path);
            if (r != -1 || strcmp(err, want) != 0)
                fail_msg("%s: got %d \"%s\", want \"%s\"", t->name, r, err, want);
            assert_int_equal(c.nprofiles, 0); /* a failed load leaves nothing to free */
            assert_null(c.path);
            free(want);
        }
        config_free(&c);
        free(path);
    }
}

/* ---------------------------------------------------------------- malformed files */

typedef struct bad_case {
    const char *name;
    const char *file;
    const char *err; /* '@' stands for the path */
} bad_case;

static const bad_case bad_cases[] = {
    {"missing comma on line 4",
     "{\n"
     "  \"profile\": \"openai\",\n"
     "  \"lang\": \"en\"\n"
     "  \"theme\": \"default\"\n"
     "}\n",
     "@:4:3: missing ',' before \"theme\""},
    {"trailing comma",
     "{\n"
     "  \"profiles\": {\n"
     "    \"openai\": {\n"
     "      \"model\": \"gpt-4o\",\n"
     "    }\n"
     "  }\n"
     "}\n",
     "@:4:24: a trailing comma is not allowed"},
    {"trailing comma in an array", "{\"x\": [1, 2,\n]}", "@:1:12: a trailing comma is not allowed"},
    {"wrong type on line 7",
     "{\n"
     "  \"profile\": \"openai\",\n"
     "  \"profiles\": {\n"
     "    \"openai\": {\n"
     "      \"api_key\": \"sk-test\",\n"
     "      \"model\": \"gpt-4o\",\n"
     "      \"max_retries\": \"four\"\n"
     "    }\n"
     "  }\n"
     "}\n",
     "@:7: \"max_retries\" in profile \"openai\" must be a whole number from 0 to 100"},
    {"the file's profile is unknown",
     "{\n  \"profiles\": {\"a\": {}, \"b\": {}},\n  \"profile\": \"c\"\n}",
     "@:3: \"profile\" is \"c\", but there is no such profile (profiles: a, b)"},
    {"a profile without profiles", "{\n  \"profile\": \"work\"\n}",
     "@:2: \"profile\" is \"work\", but the file has no \"profiles\""},
    {"top level array", "[\n  {}\n]\n", "@:1: the top level must be an object ({ ... })"},
    {"top level string after blank lines", "\n\n  \"x\"\n",
     "@:3: the top level must be an object ({ ... })"},
    {"end of file inside an object", "{\n  \"a\": 1\n", "@:3:1: unexpected end of file (a '}' is missing)"},
    {"end of file after a colon", "{\"a\":", "@:1:6: unexpected end of file"},
    {"unclosed string at the end of a line", "{\n  \"model\": \"gpt\n}",
     "@:2:16: a string is not closed before the end of the line"},
    {"unclosed string at the end of the file", "{\"model\": \"gpt",
     "@:1:11: a string is not closed before the end of the file"},
    {"comment", "{\n  // my key\n}", "@:2:3: comments are not allowed in JSON"},
    {"single quotes", "{'model': 'x'}", "@:1:2: strings need double quotes (\"), not single quotes"},
    {"capitalised literal", "{\"stream\": True}",
     "@:1:12: 'True' is not a JSON value (use true, false, null or a \"string\")"},
    {"leading zero", "{\"max_tokens\": 01}", "@:1:16: invalid number '01'"},
    {"bare decimal point", "{\"temperature\": .5}", "@:1:17: unexpected character '.'"},
    {"missing colon", "{\"model\" \"x\"}", "@:1:10: expected ':' after \"model\", found \"x\""},
    {"missing value", "{\"model\": }", "@:1:11: expected a value, found '}'"},
    {"unquoted key", "{model: 1}", "@:1:2: 'model' is not a JSON value (use true, false, null or a \"string\")"},
    {"number as key", "{1: 1}", "@:1:2: expected a key in double quotes, found '1'"},
    {"text after the document", "{}\n}", "@:2:1: unexpected '}' after the end of the JSON document"},
    {"word after the document", "{} x", "@:1:4: unexpected text after the end of the JSON document"},
    {"missing comma in an array", "{\"x\": [1\n 2]}", "@:2:2: missing ',' before '2'"},
    {"wrong closer", "{\"x\": [1}", "@:1:9: expected ',' or ']', found '}'"},
    {"raw tab in a string", "{\"model\": \"a\tb\"}", "@:1:13: a tab inside a string must be written \\t"},
    {"control character in a string", "{\"model\": \"a\001b\"}",
     "@:1:13: control character 0x01 inside a string"},
    {"invalid UTF-8", "{\"model\": \"a\xff\"}", "@:1:13: invalid UTF-8 in a string"},
    {"bad escape", "{\"model\": \"a\\qb\"}", "@:1:13: invalid escape '\\q' in a string"},
    {"short \\u escape", "{\"model\": \"\\u12\"}",
     "@:1:12: invalid \\u escape: it needs four hex digits"},
    {"lone high surrogate", "{\"model\": \"\\ud800x\"}",
     "@:1:12: invalid \\u escape: a high surrogate without its pair"},
    {"lone low surrogate", "{\"model\": \"\\udc00\"}",
     "@:1:12: invalid \\u escape: a lone low surrogate"},
    {"NUL escape", "{\"model\": \"a\\u0000\"}", "@:1:13: \\u0000 is not allowed in a string"},
    {"curly quotes", "{\"model\": \xe2\x80\x9cgpt\xe2\x80\x9d}",
     "@:1:11: unexpected character '\xe2\x80\x9c'"},
    {"stray control byte", "{\001}", "@:1:2: unexpected byte 0x01"},
    {"columns count characters", "{\"\xe6\xa8\xa1\xe5\x9e\x8b\": 1 2}",
     "@:1:10: missing ',' before '2'"},
    {"BOM then an error", "\xef\xbb\xbf{\n,}", "@:2:1: expected a key in double quotes, found ','"},
    {"BOM then a number", "\xef\xbb\xbf" "0", "@:1: the top level must be an object ({ ... })"},
    {"global option in a profile", "{\n  \"profiles\": {\n    \"a\": {\n      \"theme\": \"x\"\n    }\n  }\n}",
     "@:4: \"theme\" applies to all profiles: put it at the top level, not in profile \"a\""},
    {"profiles is not an object", "{\n  \"profiles\": [\"a\"]\n}",
     "@:2: \"profiles\" must be an object of named profiles ({\"NAME\": { ... }})"},
    {"profile is not an object", "{\"profiles\": {\n  \"a\": 1\n}}",
     "@:2: profile \"a\" must be an object ({ ... })"},
    {"profile defined twice", "{\"profiles\": {\n  \"a\": {},\n  \"a\": {}\n}}",
     "@:3: profile \"a\" is defined twice"},
    {"profile without a name", "{\"profiles\": {\n  \"\": {}\n}}",
     "@:2: a profile needs a name (\"\" is not one)"},
    {"\"profile\" is not a string", "{\n\"profile\": 3}",
     "@:2: \"profile\" must be a string (a profile's name)"},
    {"bad URL", "{\"profiles\": {\"a\": {\n  \"base_url\": \"ftp://x\"}}}",
     "@:2: \"base_url\" in profile \"a\" must start with http:// or https:// followed by a host"},
    {"bad status URL", "{\n\"status_url\": \"status.example.com\"}",
     "@:2: \"status_url\" must be empty or start with http:// or https:// followed by a host"},
    {"bad port", "{\n\"base_url\": \"http://h:0/v1\"}",
     "@:2: \"base_url\": the port must be a number from 1 to 65535"},
    {"key with a space", "{\"profiles\": {\"a\": {\n  \"api_key\": \"sk a\"}}}",
     "@:2: \"api_key\" in profile \"a\": the API key contains a space"},
    {"unknown language", "{\n  \"lang\": \"fr\"}",
     "@:2: \"lang\" must be en or zh_CN (or empty to follow the locale)"},
    {"number out of range", "{\n\"connect_timeout\": 0}",
     "@:2: \"connect_timeout\" must be a number from 0.1 to 600"},
    {"fraction for a whole number", "{\n\"max_tokens\": 1.5}",
     "@:2: \"max_tokens\" must be a whole number from 0 to 10000000"},
    {"huge number", "{\n\"backoff_max\": 1e999}", "@:2: \"backoff_max\" must be a number from 0.001 to 86400"},
    {"string for a bool", "{\n\"stream\": \"yes\"}", "@:2: \"stream\" must be true or false"},
    {"number for a string", "{\n\"model\": 5}", "@:2: \"model\" must be a string"},
    {"control character via an escape", "{\n\"model\": \"a\\nb\"}",
     "@:2: \"model\" must not contain control characters"},
    {"the second duplicate is the bad one", "{\n  \"max_retries\": 3,\n  \"max_retries\": 300\n}",
     "@:3: \"max_retries\" must be a whole number from 0 to 100"},
    {"the key's line in the right profile",
     "{\n  \"profiles\": {\n    \"a\": { \"max_retries\": 1 },\n    \"b\": { \"max_retries\": 101 }\n  }\n}",
     "@:4: \"max_retries\" in profile \"b\" must be a whole number from 0 to 100"},
    {"an escaped profile name", "{\"profiles\": {\"o\\u0070enai\": {\n\"max_retries\": -1}}}",
     "@:2: \"max_retries\" in profile \"openai\" must be a whole number from 0 to 100"},
    {"the same key in an unknown object first",
     "{\n  \"extra\": {\"model\": 1},\n  \"model\": 2\n}", "@:3: \"model\" must be a string"},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const bad_case *t = &bad_cases[i];
        char *path = write_file(t->file);
        config c;
        char err[512] = "";
        int r = load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err);
        char *want = expand(t->err, path);
        if (r != -1 || strcmp(err, want) != 0)
            fail_msg("%s: got %d \"%s\"\n  want \"%s\"", t->name, r, err, want);
        assert_null(c.doc);
        free(want);
        config_free(&c);
        free(path);
    }
}

static void test_file_edge_cases(void **state)
{
    (void)state;
    config c;
    char err[512];

    /* Too deeply nested: the 512th container is refused. */
    buf b;
    buf_init(&b);
    buf_puts(&b, "{\"x\": ");
    for (int i = 0; i < 600; i++)
        buf_putc(&b, '[');
    char *path = write_file(buf_str(&b));
    char *want = xasprintf("%s:1:518: nested more than 512 levels deep", path);
    assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), -1);
    assert_string_equal(err, want);
    free(want);
    free(path);
    buf_free(&b);

    /* Too large. */
    size_t big = 1024 * 1024 + 1;
    char *spaces = xmalloc(big);
    memset(spaces, ' ', big);
    path = write_file_n(spaces, big, 0600);
    free(spaces);
    want = xasprintf("%s: too large for a config file (more than 1024 KiB)", path);
    assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), -1);
    assert_string_equal(err, want);
    free(want);
    free(path);

    /* A directory. */
    want = xasprintf("%s: is a directory, not a file", tmpdir);
    assert_int_equal(load(&c, tmpdir, NULL, NULL, NULL, 0, false, err, sizeof err), -1);
    assert_string_equal(err, want);
    free(want);

    /* An empty file (or only whitespace and a BOM) is an empty configuration. */
    static const char *const empties[] = {"", "  \n\t\r\n", "\xef\xbb\xbf\n"};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        path = write_file(empties[i]);
        assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
        assert_true(c.file_exists);
        assert_true(cJSON_IsObject((cJSON *)c.doc));
        assert_string_equal(cfg_profile_name(&c), "openai");
        assert_int_equal(cfg_value(&c, OPT_MODEL)->src, SRC_DEFAULT);
        config_free(&c);
        free(path);
    }

    /* A BOM before a valid document. */
    path = write_file("\xef\xbb\xbf{\"model\": \"bom\"}");
    assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_MODEL), "bom");
    config_free(&c);
    free(path);

    /* Unreadable (root reads anything, so only as a normal user). */
    if (geteuid() != 0) {
        path = write_file_n("{}", SIZE_MAX, 0000);
        want = xasprintf("%s: Permission denied", path);
        assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), -1);
        assert_string_equal(err, want);
        free(want);
        free(path);
    }
}

/* A syntax error quotes a little of the text, but never a key: what stands in the place of
 * a secret's value (in any profile), or looks like a key, is masked as config_mask_key does. */
typedef struct secret_case {
    const char *name;
    const char *file;
    const char *err;    /* '@' is the path */
    const char *secret; /* no 5 characters of it in a row may appear in the message */
} secret_case;

static const secret_case secret_cases[] = {
    {"unquoted key", "{\"api_key\": sk-proj-ABCDEFGHIJKL1234wxyz}",
     "@:1:13: 'sk-…wxyz' is not a JSON value (use true, false, null or a \"string\")",
     "sk-proj-ABCDEFGHIJKL1234wxyz"},
    {"unquoted key in a profile, not shaped like one",
     "{\"profiles\": {\"p\": {\"api_key\": abcDEF123secretXYZ}}}",
     "@:1:32: 'abc…tXYZ' is not a JSON value (use true, false, null or a \"string\")",
     "abcDEF123secretXYZ"},
    {"a short key shows nothing", "{\"api_key\": hunter2}",
     "@:1:13: '…' is not a JSON value (use true, false, null or a \"string\")", "hunter2"},
    {"a key that is a bad number", "{\"api_key\": 1234567890123qwertyuiop}",
     "@:1:13: invalid number '123…uiop'", "1234567890123qwertyuiop"},
    {"the colon is missing", "{\"api_key\" \"QWERTYUIOPasdfghjkl0987\"}",
     "@:1:12: expected ':' after \"api_key\", found \"QWE…0987\"", "QWERTYUIOPasdfghjkl0987"},
    {"a comma is missing after it", "{\"api_key\": \"sk-abc\" \"defghijklmnop9876\"}",
     "@:1:22: missing ',' before \"def…9876\"", "defghijklmnop9876"},
    {"inside a value of the wrong type", "{\"api_key\": [\"x\", secretstuff123]}",
     "@:1:19: 'sec…f123' is not a JSON value (use true, false, null or a \"string\")",
     "secretstuff123"},
    {"shaped like a key, elsewhere", "{\"model\": sk-live-1234567890abcdefXYZ}",
     "@:1:11: 'sk-…fXYZ' is not a JSON value (use true, false, null or a \"string\")",
     "sk-live-1234567890abcdefXYZ"},
    {"a short key, elsewhere", "{\"organization\": sk-proj-a1b2c3}",
     "@:1:18: 'sk-…b2c3' is not a JSON value (use true, false, null or a \"string\")",
     "sk-proj-a1b2c3"},
    {"inside the extra headers", "{\"extra_headers\": {\"Authorization\": Bearer-tok3nABCDEFG}}",
     "@:1:37: 'Bea…DEFG' is not a JSON value (use true, false, null or a \"string\")",
     "Bearer-tok3nABCDEFG"},
    /* Other values are still quoted. */
    {"a model name", "{\"model\": gpt4o}",
     "@:1:11: 'gpt4o' is not a JSON value (use true, false, null or a \"string\")", NULL},
    {"after a profile holding a key", "{\"profiles\": {\"p\": {\"api_key\": \"k\"}, oops}}",
     "@:1:38: 'oops' is not a JSON value (use true, false, null or a \"string\")", NULL},
};

static void test_secret_not_quoted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof secret_cases / sizeof *secret_cases; i++) {
        const secret_case *t = &secret_cases[i];
        char *path = write_file(t->file);
        config c;
        char err[512] = "";
        int r = load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err);
        char *want = expand(t->err, path);
        if (r != -1 || strcmp(err, want) != 0)
            fail_msg("%s: got %d \"%s\"\n  want \"%s\"", t->name, r, err, want);
        for (size_t k = 0; t->secret && k + 5 <= strlen(t->secret); k++) {
            char piece[6];
            memcpy(piece, t->secret + k, 5);
            piece[5] = '\0';
            if (strstr(err, piece))
                fail_msg("%s: \"%s\" shows \"%s\"", t->name, err, piece);
        }
        config_free(&c);
        free(want);
        free(path);
    }
}

/* ---------------------------------------------------------------- pipes */

/* A FIFO in the temporary directory. Caller frees. */
static char *make_fifo(void)
{
    char *path = xasprintf("%s/fifo-%d.json", tmpdir, ++file_counter);
    assert_int_equal(mkfifo(path, 0600), 0);
    return path;
}

/* A child that opens path for writing, writes text and, unless stay, closes and exits. */
static pid_t fifo_writer(const char *path, const char *text, bool stay)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10); /* a reader that never comes must not leave it waiting */
        int fd = open(path, O_WRONLY);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
            _exit(1);
        if (stay)
            pause();
        _exit(0);
    }
    return pid;
}

static void reap(pid_t pid, bool kill_it)
{
    int status;
    if (kill_it)
        kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!kill_it)
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* --config <(...): a pipe is read to its end, within CONFIG_STREAM_MS; a writer that never
 * comes, or never finishes, is given up with a message, not waited for. */
static void test_config_pipe(void **state)
{
    (void)state;
    config c;
    char err[512];
    char *fifo = make_fifo();

    /* A writer: the file is read, and a save refuses to put a file in the pipe's place. */
    pid_t w = fifo_writer(fifo, "{\"model\": \"from-a-pipe\"}", false);
    assert_int_equal(load(&c, fifo, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    assert_true(c.file_exists);
    assert_string_equal(cfg_str(&c, OPT_MODEL), "from-a-pipe");
    reap(w, false);
    assert_int_equal(config_set_file(&c, OPT_MODEL, "changed", err, sizeof err), 0);
    assert_int_equal(config_save(&c, err, sizeof err), -1);
    char *want = xasprintf("cannot write %s: not a regular file (a pipe or a device): it is read, "
                           "never replaced",
                           fifo);
    assert_string_equal(err, want);
    free(want);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    config_free(&c);

    /* No writer, and a writer that never finishes. */
    want = xasprintf("%s: no end of input after 3 s (is anything writing to it?)", fifo);
    for (int stay = 0; stay < 2; stay++) {
        w = stay ? fifo_writer(fifo, "{\"model\":", true) : -1;
        int64_t t0 = clock_mono_ms();
        assert_int_equal(load(&c, fifo, NULL, NULL, NULL, 0, false, err, sizeof err), -1);
        int64_t took = clock_mono_ms() - t0;
        if (w > 0)
            reap(w, true);
        assert_string_equal(err, want);
        if (took < 2900 || took > 8000)
            fail_msg("gave up after %lld ms, not about 3 s", (long long)took);
    }
    free(want);

    /* A character device named on purpose reads as what it holds. */
    assert_int_equal(load(&c, "/dev/null", NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    assert_true(c.file_exists);
    assert_string_equal(cfg_profile_name(&c), "openai");
    config_free(&c);
    free(fifo);
}

/* At the default paths only a regular file is read; $TCHAT_CONFIG names a file on purpose. */
static void test_config_default_path_regular(void **state)
{
    (void)state;
    char *xdg = xasprintf("%s/xdg-%d", tmpdir, ++file_counter);
    char *dir = xasprintf("%s/tchat", xdg);
    char *path = xasprintf("%s/config.json", dir);
    assert_int_equal(mkdir(xdg, 0700), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkfifo(path, 0600), 0);
    const char *env[] = {"XDG_CONFIG_HOME", xdg, NULL};
    config c;
    char err[512];
    int64_t t0 = clock_mono_ms();
    assert_int_equal(load(&c, NULL, NULL, env, NULL, 0, false, err, sizeof err), -1);
    assert_true(clock_mono_ms() - t0 < 2000);
    char *want = xasprintf("%s: not a regular file", path);
    assert_string_equal(err, want);
    free(want);

    const char *named[] = {"XDG_CONFIG_HOME", xdg, "TCHAT_CONFIG", "/dev/null", NULL};
    assert_int_equal(load(&c, NULL, NULL, named, NULL, 0, false, err, sizeof err), 0);
    assert_string_equal(c.path, "/dev/null");
    config_free(&c);
    free(path);
    free(dir);
    free(xdg);
}

/* Unknown keys are kept in the document, and loading never writes to the file. */
static void test_doc_kept_file_untouched(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{\"future\": {\"x\": [1, 2]}, \"profiles\": {\"openai\": {\"extra\": true, \"model\": \"m\"}}}",
        "{\"future\": 1,,}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char *path = write_file(texts[i]);
        struct stat before, after;
        assert_int_equal(stat(path, &before), 0);
        config c;
        char err[512];
        int r = load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err);
        assert_int_equal(r, i == 0 ? 0 : -1);
        if (r == 0) {
            cJSON *doc = c.doc;
            assert_non_null(cJSON_GetObjectItemCaseSensitive(doc, "future"));
            cJSON *p = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(doc, "profiles"), "openai");
            assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "extra")));
            config_free(&c);
        }
        assert_int_equal(stat(path, &after), 0);
        assert_int_equal(before.st_size, after.st_size);
        assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
        assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
        assert_int_equal(before.st_mode, after.st_mode);
        FILE *f = fopen(path, "r");
        char got[256] = "";
        size_t n = fread(got, 1, sizeof got - 1, f);
        fclose(f);
        got[n] = '\0';
        assert_string_equal(got, texts[i]);
        free(path);
    }
}

/* ---------------------------------------------------------------- config_set */

typedef struct set_case {
    opt_id id;
    const char *in;
    const char *out; /* the stored text, or NULL when refused */
    const char *err;
} set_case;

static const set_case set_cases[] = {
    {OPT_MAX_RETRIES, "0", "0", NULL},
    {OPT_MAX_RETRIES, "100", "100", NULL},
    {OPT_MAX_RETRIES, " 7 ", "7", NULL},
    {OPT_MAX_RETRIES, "+5", "5", NULL},
    {OPT_MAX_RETRIES, "101", NULL, "max_retries: must be a whole number from 0 to 100"},
    {OPT_MAX_RETRIES, "-1", NULL, "max_retries: must be a whole number from 0 to 100"},
    {OPT_MAX_RETRIES, "4.0", NULL, "max_retries: must be a whole number from 0 to 100"},
    {OPT_MAX_RETRIES, "four", NULL, "max_retries: must be a whole number from 0 to 100"},
    {OPT_MAX_RETRIES, "", NULL, "max_retries: must be a whole number from 0 to 100"},
    {OPT_MAX_RETRIES, "0x10", NULL, "max_retries: must be a whole number from 0 to 100"},
    {OPT_MAX_RETRIES, "99999999999999999999", NULL, "max_retries: must be a whole number from 0 to 100"},
    {OPT_MAX_TOKENS, "10000000", "10000000", NULL},
    {OPT_MAX_TOKENS, "10000001", NULL, "max_tokens: must be a whole number from 0 to 10000000"},
    {OPT_CONNECT_TIMEOUT, "0.1", "0.1", NULL},
    {OPT_CONNECT_TIMEOUT, "600", "600", NULL},
    {OPT_CONNECT_TIMEOUT, " 2.50 ", "2.5", NULL},
    {OPT_CONNECT_TIMEOUT, "1e2", "100", NULL},
    {OPT_CONNECT_TIMEOUT, "0.09", NULL, "connect_timeout: must be a number from 0.1 to 600"},
    {OPT_CONNECT_TIMEOUT, "600.5", NULL, "connect_timeout: must be a number from 0.1 to 600"},
    {OPT_CONNECT_TIMEOUT, "nan", NULL, "connect_timeout: must be a number from 0.1 to 600"},
    {OPT_CONNECT_TIMEOUT, "inf", NULL, "connect_timeout: must be a number from 0.1 to 600"},
    {OPT_CONNECT_TIMEOUT, "0x10", NULL, "connect_timeout: must be a number from 0.1 to 600"},
    {OPT_CONNECT_TIMEOUT, "1.2.3", NULL, "connect_timeout: must be a number from 0.1 to 600"},
    {OPT_TEMPERATURE, "-1", "-1", NULL},
    {OPT_TEMPERATURE, "2", "2", NULL},
    {OPT_TEMPERATURE, "0.7", "0.7", NULL},
    {OPT_TEMPERATURE, "2.01", NULL, "temperature: must be a number from -1 to 2"},
    {OPT_BACKOFF_INITIAL, "0.001", "0.001", NULL},
    {OPT_BACKOFF_INITIAL, "0.0009", NULL, "backoff_initial: must be a number from 0.001 to 3600"},
    {OPT_IDLE_TIMEOUT, "86400", "86400", NULL},
    {OPT_IDLE_TIMEOUT, "0.5", NULL, "idle_timeout: must be a number from 1 to 86400"},
    {OPT_MAX_SERVER_WAIT, "0", "0", NULL},
    {OPT_STREAM, "true", "true", NULL},
    {OPT_STREAM, "false", "false", NULL},
    {OPT_STREAM, "yes", "true", NULL},
    {OPT_STREAM, "no", "false", NULL},
    {OPT_STREAM, "on", "true", NULL},
    {OPT_STREAM, "off", "false", NULL},
    {OPT_STREAM, "1", "true", NULL},
    {OPT_STREAM, "0", "false", NULL},
    {OPT_STREAM, "TRUE", "true", NULL},
    {OPT_STREAM, "maybe", NULL, "stream: must be true or false"},
    {OPT_STREAM, "", NULL, "stream: must be true or false"},
    {OPT_BASE_URL, "https://api.example.com/v1/", "https://api.example.com/v1", NULL},
    {OPT_BASE_URL, "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1", NULL},
    {OPT_BASE_URL, "HTTPS://Example.com", "HTTPS://Example.com", NULL},
    {OPT_BASE_URL, "http://[::1]:8080/v1", "http://[::1]:8080/v1", NULL},
    {OPT_BASE_URL, "http://user@host///", "http://user@host", NULL},
    {OPT_BASE_URL, "ftp://x", NULL, "base_url: must start with http:// or https:// followed by a host"},
    {OPT_BASE_URL, "https://", NULL, "base_url: must start with http:// or https:// followed by a host"},
    {OPT_BASE_URL, "https:///v1", NULL, "base_url: must start with http:// or https:// followed by a host"},
    {OPT_BASE_URL, "http://:80/", NULL, "base_url: must start with http:// or https:// followed by a host"},
    {OPT_BASE_URL, "http://[]/", NULL, "base_url: must start with http:// or https:// followed by a host"},
    {OPT_BASE_URL, "", NULL, "base_url: must start with http:// or https:// followed by a host"},
    {OPT_BASE_URL, "api.openai.com", NULL, "base_url: must start with http:// or https:// followed by a host"},
    {OPT_BASE_URL, "http://a b/", NULL, "base_url: must not contain spaces"},
    {OPT_BASE_URL, "http://h:0", NULL, "base_url: the port must be a number from 1 to 65535"},
    {OPT_BASE_URL, "http://h:65536", NULL, "base_url: the port must be a number from 1 to 65535"},
    {OPT_BASE_URL, "http://h:/", NULL, "base_url: the port must be a number from 1 to 65535"},
    {OPT_BASE_URL, "http://h:8x", NULL, "base_url: the port must be a number from 1 to 65535"},
    {OPT_STATUS_URL, "", "", NULL},
    {OPT_STATUS_URL, "https://status.example.com/", "https://status.example.com/", NULL},
    {OPT_STATUS_URL, "nope", NULL,
     "status_url: must be empty or start with http:// or https:// followed by a host"},
    {OPT_HELP_URL, "", "", NULL},
    {OPT_MODEL, "gpt-4o", "gpt-4o", NULL},
    {OPT_MODEL, "\xe6\xa8\xa1\xe5\x9e\x8b", "\xe6\xa8\xa1\xe5\x9e\x8b", NULL},
    {OPT_MODEL, "a\001b", NULL, "model: must not contain control characters"},
    {OPT_MODEL, "line\nbreak", NULL, "model: must not contain control characters"},
    {OPT_MODEL, "a\033[2Jb", NULL, "model: must not contain control characters"},
    {OPT_MODEL, "c1\xc2\x85", NULL, "model: must not contain control characters"},
    {OPT_MODEL, "bad\xff", NULL, "model: must be valid UTF-8 text"},
    {OPT_MODEL, "overlong\xc0\xaf", NULL, "model: must be valid UTF-8 text"},
    {OPT_SYSTEM, "line one\nline two\tend", "line one\nline two\tend", NULL},
    {OPT_SYSTEM, "bell\a", NULL, "system: must not contain control characters"},
    {OPT_ORGANIZATION, "org-1", "org-1", NULL},
    {OPT_API_KEY_CMD, "pass show openai", "pass show openai", NULL},
    {OPT_API_KEY, "  sk-abc\n", "sk-abc", NULL},
    {OPT_API_KEY, "", "", NULL},
    {OPT_API_KEY, "sk a", NULL, "api_key: the API key contains a space"},
    {OPT_API_KEY, "sk\tb", NULL, "api_key: the API key contains a space"},
    {OPT_API_KEY, "sk\001b", NULL, "api_key: must not contain control characters"},
    {OPT_CA_BUNDLE, "/etc/ssl/cert.pem", "/etc/ssl/cert.pem", NULL},
    {OPT_CA_BUNDLE, "", "", NULL},
    {OPT_THEME, "dark", "dark", NULL},
    {OPT_LANG, "", "", NULL},
    {OPT_LANG, "en", "en", NULL},
    {OPT_LANG, "EN", "en", NULL},
    {OPT_LANG, "zh", "zh_CN", NULL},
    {OPT_LANG, "zh-CN", "zh_CN", NULL},
    {OPT_LANG, "zh_cn", "zh_CN", NULL},
    {OPT_LANG, "zh_CN", "zh_CN", NULL},
    {OPT_LANG, "fr", NULL, "lang: must be en or zh_CN (or empty to follow the locale)"},
    {OPT_PROVIDER, " OpenRouter ", "openrouter", NULL},
    {OPT_PROVIDER, "llamacpp", "llamacpp", NULL},
    {OPT_PROVIDER, "llama.cpp", NULL,
     "provider: must be one of: auto, openai, azure, openrouter, groq, deepseek, together, "
     "mistral, gemini, anthropic, ollama, llamacpp, vllm, lmstudio, local, other"},
    {OPT_API_KEY_ENV, "MY_KEY_2", "MY_KEY_2", NULL},
    {OPT_API_KEY_ENV, "", "", NULL},
    {OPT_API_KEY_ENV, "MY-KEY", NULL,
     "api_key_env: must be the name of an environment variable (letters, digits and '_', not "
     "starting with a digit)"},
    {OPT_API_KEY_ENV, "2KEY", NULL,
     "api_key_env: must be the name of an environment variable (letters, digits and '_', not "
     "starting with a digit)"},
    {OPT_API_VERSION, "2024-10-21", "2024-10-21", NULL},
    {OPT_API_VERSION, "2025-04-01-preview", "2025-04-01-preview", NULL},
    {OPT_API_VERSION, "2024&x=1", NULL,
     "api_version: must be an api-version such as 2024-10-21 (letters, digits, '-', '.' and "
     "'_')"},
    {OPT_EXTRA_HEADERS, "{\"X-Title\": \"tchat\",\n \"HTTP-Referer\": \"https://e.org\"}",
     "{\"X-Title\":\"tchat\",\"HTTP-Referer\":\"https://e.org\"}", NULL},
    {OPT_EXTRA_HEADERS, "{}", "", NULL},
    {OPT_EXTRA_HEADERS, "", "", NULL},
    {OPT_EXTRA_HEADERS, "[1]", NULL,
     "extra_headers: must be a JSON object of header names and text values, e.g. {\"X-Title\": "
     "\"tchat\"}"},
    {OPT_EXTRA_HEADERS, "{\"X-Title\": 1}", NULL,
     "extra_headers: header \"X-Title\": the value must be text"},
    {OPT_EXTRA_HEADERS, "{\"Bad Name\": \"x\"}", NULL,
     "extra_headers: header \"Bad Name\": the name may hold only letters, digits and "
     "!#$%&'*+-.^_`|~"},
    {OPT_EXTRA_HEADERS, "{\"X-A\": \"1\", \"x-a\": \"2\"}", NULL,
     "extra_headers: header \"x-a\": given twice"},
    {OPT_EXTRA_HEADERS, "{\"Content-Type\": \"text/plain\"}", NULL,
     "extra_headers: header \"Content-Type\": tchat sets this header itself"},
    {OPT_EXTRA_HEADERS, "{\"X-A\": \"a\\r\\nX-Evil: 1\"}", NULL,
     "extra_headers: header \"X-A\": the value must not hold control characters"},
    {OPT_EXTRA_HEADERS, "{\"X-A\": \"1\"} trailing", NULL,
     "extra_headers: must be a JSON object of header names and text values, e.g. {\"X-Title\": "
     "\"tchat\"}"},
};

static void test_config_set(void **state)
{
    (void)state;
    char *path = missing_file();
    for (size_t i = 0; i < sizeof set_cases / sizeof *set_cases; i++) {
        const set_case *t = &set_cases[i];
        const char *key = opt_get_def(t->id)->key;
        config c;
        char err[512] = "";
        assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
        char *old = xstrdup(cfg_str(&c, t->id));
        int r = config_set(&c, t->id, t->in, SRC_CONFIG, err, sizeof err);
        const opt_value *v = cfg_value(&c, t->id);
        if (t->out) {
            if (r != 0)
                fail_msg("%s = \"%s\": refused: %s", key, t->in, err);
            if (strcmp(v->text, t->out) != 0)
                fail_msg("%s = \"%s\": stored \"%s\", want \"%s\"", key, t->in, v->text, t->out);
            assert_int_equal(v->src, SRC_CONFIG);
            assert_string_equal(v->src_detail, path);
            opt_type type = opt_get_def(t->id)->type;
            if (type == OPT_INT)
                assert_int_equal(v->i, atol(t->out));
            if (type == OPT_DOUBLE)
                assert_true(v->d == strtod(t->out, NULL));
            if (type == OPT_BOOL)
                assert_int_equal(v->b, !strcmp(t->out, "true"));
        } else {
            if (r != -1 || strcmp(err, t->err) != 0)
                fail_msg("%s = \"%s\": got %d \"%s\", want \"%s\"", key, t->in, r, err, t->err);
            /* the old value is kept */
            assert_string_equal(v->text, old);
            assert_int_equal(v->src, SRC_DEFAULT);
        }
        free(old);
        config_free(&c);
    }
    free(path);

    /* Bad arguments. */
    config c;
    char err[64];
    char *p2 = missing_file();
    assert_int_equal(load(&c, p2, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    assert_int_equal(config_set(&c, OPT__COUNT, "x", SRC_FLAG, err, sizeof err), -1);
    assert_int_equal(config_set(&c, OPT_MODEL, NULL, SRC_FLAG, err, sizeof err), -1);
    assert_string_equal(cfg_str(&c, OPT_MODEL), "gpt-4o-mini");
    config_free(&c);
    free(p2);
}

/* ---------------------------------------------------------------- load errors from each source */

typedef struct source_err_case {
    const char *name;
    const char *file;
    const char *env[5];
    config_override flags[2];
    const char *err;
} source_err_case;

static const source_err_case source_err_cases[] = {
    {"bad flag", NULL, {NULL}, {{OPT_MAX_RETRIES, "101"}},
     "--max-retries: must be a whole number from 0 to 100"},
    {"bad URL flag", NULL, {NULL}, {{OPT_BASE_URL, "localhost:8080"}},
     "--base-url: must start with http:// or https:// followed by a host"},
    {"bad environment URL", NULL, {"OPENAI_BASE_URL", "localhost", NULL}, {{0}},
     "OPENAI_BASE_URL: must start with http:// or https:// followed by a host"},
    {"key with a space in the environment", NULL, {"OPENAI_API_KEY", "sk- abc", NULL}, {{0}},
     "OPENAI_API_KEY: the API key contains a space"},
    {"key command prints a key with a space", "{\"api_key_cmd\": \"printf 'sk a'\"}", {NULL},
     {{0}}, "api_key_cmd: the API key contains a space"},
    {"key command fails", "{\"api_key_cmd\": \"false\"}", {NULL}, {{0}},
     "api_key_cmd \"false\": exited with status 1"},
    {"a provider's key with a space", "{\"provider\": \"groq\"}", {"GROQ_API_KEY", "gsk a", NULL},
     {{0}}, "GROQ_API_KEY: the API key contains a space"},
    {"api_key_env's key with a space", "{\"api_key_env\": \"MINE\"}", {"MINE", "k k", NULL}, {{0}},
     "MINE: the API key contains a space"},
    {"a bad OPENAI_BASE_URL does not matter to another provider", "{\"provider\": \"groq\"}",
     {"OPENAI_BASE_URL", "localhost", NULL}, {{0}}, NULL},
    {"unknown provider in the file", "{\n  \"provider\": \"acme\"\n}", {NULL}, {{0}},
     "@:2: \"provider\" must be one of: auto, openai, azure, openrouter, groq, deepseek, "
     "together, mistral, gemini, anthropic, ollama, llamacpp, vllm, lmstudio, local, other"},
    {"extra_headers as a string in the file", "{\n  \"extra_headers\": \"X: y\"\n}", {NULL}, {{0}},
     "@:2: \"extra_headers\" must be a JSON object of header names and text values, e.g. "
     "{\"X-Title\": \"tchat\"}"},
    {"a bad header in a profile names the line",
     "{\"profiles\": {\n  \"a\": {\n    \"extra_headers\": {\"X\": true}\n  }\n}}", {NULL}, {{0}},
     "@:3: \"extra_headers\" in profile \"a\": header \"X\": the value must be text"},
};

static void test_source_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof source_err_cases / sizeof *source_err_cases; i++) {
        const source_err_case *t = &source_err_cases[i];
        char *path = t->file ? write_file(t->file) : missing_file();
        config c;
        char err[512] = "";
        int r = load(&c, path, NULL, t->env, t->flags, t->flags[0].value ? 1 : 0, true, err,
                     sizeof err);
        char *want = t->err ? expand(t->err, path) : NULL;
        if (!want ? r != 0 : r != -1 || strcmp(err, want) != 0)
            fail_msg("%s: got %d \"%s\", want \"%s\"", t->name, r, err, want ? want : "success");
        free(want);
        config_free(&c);
        free(path);
    }
}

/* ---------------------------------------------------------------- permissions */

typedef struct perm_case {
    mode_t mode;
    const char *file;
    bool warn;
} perm_case;

static const perm_case perm_cases[] = {
    {0600, "{\"api_key\": \"sk-abcdefghijkl\"}", false},
    {0400, "{\"api_key\": \"sk-abcdefghijkl\"}", false},
    {0644, "{\"api_key\": \"sk-abcdefghijkl\"}", true},
    {0640, "{\"api_key\": \"sk-abcdefghijkl\"}", true},
    {0604, "{\"api_key\": \"sk-abcdefghijkl\"}", true},
    {0644, "{\"profiles\": {\"a\": {}, \"b\": {\"api_key\": \"sk-other-profile\"}}}", true},
    {0644, "{\"api_key_cmd\": \"pass show openai\"}", false},
    {0644, "{\"api_key\": \"\"}", false},
    {0644, "{\"model\": \"x\"}", false},
    {0644, "{\"extra_headers\": {\"X-Api-Token\": \"tok-abcdefghijkl\"}}", true},
    {0644, "{\"profiles\": {\"a\": {\"extra_headers\": {\"Authorization\": \"Bearer x\"}}}}", true},
    {0644, "{\"extra_headers\": {\"X-Title\": \"tchat\"}}", false},
};

static void test_permission_warning(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof perm_cases / sizeof *perm_cases; i++) {
        const perm_case *t = &perm_cases[i];
        char *path = write_file_n(t->file, SIZE_MAX, t->mode);
        config c;
        char err[512] = "";
        if (load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err) != 0)
            fail_msg("mode %04o: %s", (unsigned)t->mode, err);
        if (t->warn) {
            char *want = xasprintf("%s is readable by others (mode %04o) and holds an API key; "
                                   "run: chmod 600 %s",
                                   path, (unsigned)t->mode, path);
            if (!c.warning || strcmp(c.warning, want) != 0)
                fail_msg("mode %04o %s: warning \"%s\", want \"%s\"", (unsigned)t->mode, t->file,
                         c.warning ? c.warning : "(none)", want);
            free(want);
        } else if (c.warning) {
            fail_msg("mode %04o %s: unexpected warning \"%s\"", (unsigned)t->mode, t->file,
                     c.warning);
        }
        config_free(&c);
        free(path);
    }
}

/* ---------------------------------------------------------------- key command */

typedef struct cmd_case {
    const char *cmd;
    int timeout_ms;
    const char *key; /* NULL: an error */
    const char *err;
    int64_t max_ms;  /* 0: no limit checked */
} cmd_case;

static const cmd_case cmd_cases[] = {
    {"printf 'sk-one\\n'", 5000, "sk-one", NULL, 0},
    {"printf '  sk-two  \\r\\nsecond line\\n'", 5000, "sk-two", NULL, 0},
    {"printf sk-noeol", 5000, "sk-noeol", NULL, 0},
    {"printf '%s|' a 'b c' \"d\\\"e\" f\\ g \"$HOME\" '' x", 5000, "a|b c|d\"e|f g|$HOME||x|", NULL, 0},
    {"  printf   \"x\\\\y\"  ", 5000, "x\\y", NULL, 0},
    {"sh -c 'read x; echo \"stdin:$x\"'", 5000, "stdin:", NULL, 0},
    {"sh -c 'sleep 3 & echo sk-bg'", 5000, "sk-bg", NULL, 1500},
    {"printf ''", 5000, NULL, "api_key_cmd \"printf ''\": printed no key", 0},
    {"printf '\\n'", 5000, NULL, "api_key_cmd \"printf '\\n'\": printed no key", 0},
    {"false", 5000, NULL, "api_key_cmd \"false\": exited with status 1", 0},
    {"sh -c 'echo sk-sec\"\"ret; echo; echo \"no such entry\" >&2; echo more >&2; exit 2'", 5000, NULL,
     "api_key_cmd \"sh -c 'echo sk-sec\"\"ret; echo; echo \"no such entry\" >&2; echo more >&2; "
     "exit 2'\": exited with status 2: no such entry",
     0},
    {"sh -c 'kill -9 $$'", 5000, NULL, "api_key_cmd \"sh -c 'kill -9 $$'\": killed by signal 9", 0},
    {"sleep 5", 200, NULL, "api_key_cmd \"sleep 5\": timed out after 0.2 s", 2000},
    {"tchat-no-such-program-xyz --flag", 5000, NULL,
     "api_key_cmd \"tchat-no-such-program-xyz --flag\": command not found: "
     "tchat-no-such-program-xyz",
     0},
    {"/nonexistent/dir/prog", 5000, NULL,
     "api_key_cmd \"/nonexistent/dir/prog\": command not found: /nonexistent/dir/prog", 0},
    {"'unterminated", 5000, NULL, "api_key_cmd \"'unterminated\": a ' is not closed", 0},
    {"\"unterminated", 5000, NULL, "api_key_cmd \"\"unterminated\": a \" is not closed", 0},
    {"   ", 5000, NULL, "api_key_cmd \"   \": the command is empty", 0},
    {"", 5000, NULL, "api_key_cmd \"\": the command is empty", 0},
};

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_key_cmd(void **state)
{
    (void)state;
    int fds_before = count_fds();
    for (size_t i = 0; i < sizeof cmd_cases / sizeof *cmd_cases; i++) {
        const cmd_case *t = &cmd_cases[i];
        char err[512] = "";
        char *key = (char *)"untouched";
        int64_t start = clock_mono_ms();
        int r = config_run_key_cmd(t->cmd, t->timeout_ms, &key, err, sizeof err);
        int64_t took = clock_mono_ms() - start;
        if (t->key) {
            if (r != 0)
                fail_msg("[%s]: failed: %s", t->cmd, err);
            assert_string_equal(key, t->key);
            free(key);
        } else {
            if (r != -1 || strcmp(err, t->err) != 0)
                fail_msg("[%s]: got %d \"%s\"\n  want \"%s\"", t->cmd, r, err, t->err);
            assert_null(key);
            assert_null(strstr(err, "sk-secret"));
        }
        if (t->max_ms && took > t->max_ms)
            fail_msg("[%s]: took %lld ms, limit %lld", t->cmd, (long long)took, (long long)t->max_ms);
    }
    assert_int_equal(count_fds(), fds_before);

    /* The command sees only stdin, stdout and stderr (and ls its directory). Whatever
     * the test runner passed down is not ours to check, so hide it first. */
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(d))
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
    char err[256], *key = NULL;
    assert_int_equal(config_run_key_cmd("sh -c 'ls /proc/self/fd | tr \"\\n\" ,'", 5000, &key, err,
                                        sizeof err),
                     0);
    assert_string_equal(key, "0,1,2,3,");
    free(key);
}

/* ---------------------------------------------------------------- masking and paths */

static void test_mask_key(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"sk-proj-abcdefghijklm.nopqrstuvwxyz1234", "sk-…1234"},
        {"", ""},
        {"short", "…"},
        {"12345678901", "…"},
        {"123456789012", "123…9012"},
        {"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87-abcdefgh", "\xd0\xba\xd0\xbb\xd1\x8e…efgh"},
        {"abcdefgh\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
         "abc…\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *m = config_mask_key(cases[i].in);
        if (strcmp(m, cases[i].out) != 0)
            fail_msg("mask(\"%s\") = \"%s\", want \"%s\"", cases[i].in, m, cases[i].out);
        free(m);
    }
    char *m = config_mask_key(NULL);
    assert_string_equal(m, "");
    free(m);
}

static void test_default_path(void **state)
{
    (void)state;
    struct passwd *pw = getpwuid(getuid());
    char *home_pw = xasprintf("%s/.config/tchat/config.json", pw ? pw->pw_dir : "");
    static const struct {
        const char *env[7];
        const char *want; /* NULL: the password database's home */
    } cases[] = {
        {{"TCHAT_CONFIG", "/x/c.json", "XDG_CONFIG_HOME", "/xdg", "HOME", "/h", NULL}, "/x/c.json"},
        {{"TCHAT_CONFIG", "rel.json", NULL}, "rel.json"},
        {{"TCHAT_CONFIG", "", "XDG_CONFIG_HOME", "/xdg", "HOME", "/h", NULL},
         "/xdg/tchat/config.json"},
        {{"XDG_CONFIG_HOME", "/xdg//", NULL}, "/xdg/tchat/config.json"},
        {{"XDG_CONFIG_HOME", "/", NULL}, "/tchat/config.json"},
        {{"XDG_CONFIG_HOME", "relative", "HOME", "/home/u", NULL}, "/home/u/.config/tchat/config.json"},
        {{"XDG_CONFIG_HOME", "", "HOME", "/home/u/", NULL}, "/home/u/.config/tchat/config.json"},
        {{"HOME", "", NULL}, NULL},
        {{NULL}, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        env_pairs = cases[i].env;
        char *p = config_default_path(fake_getenv);
        const char *want = cases[i].want ? cases[i].want : home_pw;
        if (strcmp(p, want) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, p, want);
        free(p);
    }
    free(home_pw);

    /* config_load without a path uses it. */
    char *file = write_file("{\"model\": \"from-env-path\"}");
    const char *env[] = {"TCHAT_CONFIG", file, NULL};
    config c;
    char err[512];
    assert_int_equal(load(&c, NULL, NULL, env, NULL, 0, false, err, sizeof err), 0);
    assert_string_equal(c.path, file);
    assert_true(c.file_exists);
    assert_string_equal(cfg_str(&c, OPT_MODEL), "from-env-path");
    config_free(&c);
    free(file);
}

/* ---------------------------------------------------------------- the file layer */

/* Reads a whole file. Caller frees; NULL if it cannot be read. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b);
}

/* Entries of dir whose name starts with "BASE." (temporary files of a save of BASE). */
static int count_temp_files(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *prefix = xasprintf("%s.", base);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += str_starts_with(e->d_name, prefix);
    closedir(d);
    free(prefix);
    return n;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A fresh directory under tmpdir. Caller frees. */
static char *make_dir(const char *what)
{
    char *d = xasprintf("%s/%s-%d", tmpdir, what, ++file_counter);
    assert_int_equal(mkdir(d, 0700), 0);
    return d;
}

typedef struct file_set {
    opt_id id;
    const char *text; /* NULL removes the value */
} file_set;

#define UNSET ((const char *)-1) /* want: the file layer has no value */

typedef struct set_file_case {
    const char *name;
    const char *file;   /* NULL: no file */
    const char *env[3];
    opt_id id;
    const char *text;
    const char *err;    /* NULL: accepted */
    const char *want_file; /* the file layer afterwards, or UNSET */
    const char *want;   /* the effective value afterwards */
    opt_source want_src;
    bool dirty;
} set_file_case;

static const set_file_case set_file_cases[] = {
    {"a new value", NULL, {NULL}, OPT_MODEL, "gpt-4o", NULL, "gpt-4o", "gpt-4o", SRC_CONFIG, true},
    {"canonical text", NULL, {NULL}, OPT_BASE_URL, " http://h:8080/v1/ ", NULL, "http://h:8080/v1",
     "http://h:8080/v1", SRC_CONFIG, true},
    {"canonical number", NULL, {NULL}, OPT_CONNECT_TIMEOUT, "2.50", NULL, "2.5", "2.5", SRC_CONFIG,
     true},
    {"a bad value keeps the old one", "{\"max_retries\": 2}", {NULL}, OPT_MAX_RETRIES, "abc",
     "max_retries: must be a whole number from 0 to 100", "2", "2", SRC_CONFIG, false},
    {"a bad URL", NULL, {NULL}, OPT_BASE_URL, "localhost",
     "base_url: must start with http:// or https:// followed by a host", UNSET,
     "https://api.openai.com/v1", SRC_DEFAULT, false},
    {"NULL removes", "{\"profiles\": {\"p\": {\"model\": \"m\"}}}", {NULL}, OPT_MODEL, NULL, NULL,
     UNSET, "gpt-4o-mini", SRC_DEFAULT, true},
    {"\"\" removes a number", "{\"profiles\": {\"p\": {\"max_retries\": 1}}}", {NULL},
     OPT_MAX_RETRIES, "", NULL, UNSET, "4", SRC_DEFAULT, true},
    {"\"\" removes a model", "{\"profiles\": {\"p\": {\"model\": \"m\"}}}", {NULL}, OPT_MODEL, "",
     NULL, UNSET, "gpt-4o-mini", SRC_DEFAULT, true},
    {"\"\" removes an empty-default option", "{\"profiles\": {\"p\": {\"organization\": \"o\"}}}",
     {NULL}, OPT_ORGANIZATION, "", NULL, UNSET, "", SRC_DEFAULT, true},
    {"\"\" is a status URL of its own (none)", NULL, {NULL}, OPT_STATUS_URL, "", NULL, "", "",
     SRC_CONFIG, true},
    {"\"\" is a help URL of its own (none)", NULL, {NULL}, OPT_HELP_URL, "", NULL, "", "",
     SRC_CONFIG, true},
    {"\"\" hides a shared key", "{\"api_key\": \"sk-shared-123456\", \"profiles\": {\"p\": {}}}",
     {NULL}, OPT_API_KEY, "", NULL, "", "", SRC_CONFIG, true},
    {"NULL falls back to the shared value",
     "{\"model\": \"m-top\", \"profiles\": {\"p\": {\"model\": \"m-own\"}}}", {NULL}, OPT_MODEL,
     NULL, NULL, "m-top", "m-top", SRC_CONFIG, true},
    {"the same value is no change", "{\"profiles\": {\"p\": {\"model\": \"m\"}}}", {NULL},
     OPT_MODEL, "m", NULL, "m", "m", SRC_CONFIG, false},
    {"removing nothing is no change", NULL, {NULL}, OPT_MODEL, NULL, NULL, UNSET, "gpt-4o-mini",
     SRC_DEFAULT, false},
    {"a global option", "{\"theme\": \"dark\"}", {NULL}, OPT_THEME, "light", NULL, "light", "light",
     SRC_CONFIG, true},
    {"a global option, canonical", NULL, {NULL}, OPT_LANG, "zh-CN", NULL, "zh_CN", "zh_CN",
     SRC_CONFIG, true},
    {"\"\" removes a global option", "{\"lang\": \"en\"}", {NULL}, OPT_LANG, "", NULL, UNSET, "",
     SRC_DEFAULT, true},
    {"the environment still wins", NULL, {"OPENAI_API_KEY", "sk-env", NULL}, OPT_API_KEY,
     "sk-file-abcdef", NULL, "sk-file-abcdef", "sk-env", SRC_ENV, true},
};

static void test_set_file(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof set_file_cases / sizeof *set_file_cases; i++) {
        const set_file_case *t = &set_file_cases[i];
        char *path = t->file ? write_file(t->file) : missing_file();
        config c;
        char err[512] = "";
        if (load(&c, path, NULL, t->env, NULL, 0, false, err, sizeof err) != 0)
            fail_msg("%s: load failed: %s", t->name, err);
        assert_false(config_dirty(&c));
        int r = config_set_file(&c, t->id, t->text, err, sizeof err);
        if (t->err) {
            if (r != -1 || strcmp(err, t->err) != 0)
                fail_msg("%s: got %d \"%s\", want \"%s\"", t->name, r, err, t->err);
        } else if (r != 0) {
            fail_msg("%s: refused: %s", t->name, err);
        }
        const char *ft = cfg_file_text(&c, c.current, t->id);
        if (t->want_file == UNSET ? ft != NULL : (!ft || strcmp(ft, t->want_file) != 0))
            fail_msg("%s: file layer \"%s\", want \"%s\"", t->name, ft ? ft : "(unset)",
                     t->want_file == UNSET ? "(unset)" : t->want_file);
        const opt_value *v = cfg_value(&c, t->id);
        if (strcmp(v->text, t->want) != 0 || v->src != t->want_src)
            fail_msg("%s: \"%s\" from %s, want \"%s\" from %s", t->name, v->text,
                     opt_source_name(v->src), t->want, opt_source_name(t->want_src));
        if (config_dirty(&c) != t->dirty)
            fail_msg("%s: dirty %d, want %d", t->name, config_dirty(&c), t->dirty);
        config_free(&c);
        free(path);
    }

    /* Bad arguments. */
    config c;
    char err[128];
    char *path = missing_file();
    assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    assert_int_equal(config_set_file(&c, OPT__COUNT, "x", err, sizeof err), -1);
    assert_string_equal(err, "no such option");
    assert_null(cfg_file_text(&c, 5, OPT_MODEL));
    assert_null(cfg_file_text(&c, 0, OPT__COUNT));
    assert_int_equal(config_set(&c, OPT_MODEL, "x", SRC_DEFAULT, err, sizeof err), -1);
    assert_string_equal(err, "model: cannot be set from the default");
    assert_int_equal(config_set(&c, OPT_MODEL, "x", SRC_KEYCMD, err, sizeof err), -1);
    assert_false(config_dirty(&c));
    assert_false(config_dirty(NULL));
    config_free(&c);
    free(path);
}

/* config_set writes to the layer its source names, and precedence decides. */
static void test_set_layers(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        opt_source src;
        const char *text;
        const char *want;
        opt_source want_src;
        bool dirty;
    } steps[] = {
        {"file", SRC_CONFIG, "m-file", "m-file", SRC_CONFIG, true},
        {"environment beats file", SRC_ENV, "m-env", "m-env", SRC_ENV, true},
        {"flag beats environment", SRC_FLAG, "m-flag", "m-flag", SRC_FLAG, true},
        {"file under a flag", SRC_CONFIG, "m-file2", "m-flag", SRC_FLAG, true},
    };
    char *path = missing_file();
    config c;
    char err[256];
    assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        if (config_set(&c, OPT_MODEL, steps[i].text, steps[i].src, err, sizeof err) != 0)
            fail_msg("%s: %s", steps[i].name, err);
        const opt_value *v = cfg_value(&c, OPT_MODEL);
        if (strcmp(v->text, steps[i].want) != 0 || v->src != steps[i].want_src)
            fail_msg("%s: \"%s\" from %s", steps[i].name, v->text, opt_source_name(v->src));
        assert_int_equal(config_dirty(&c), steps[i].dirty);
    }
    assert_string_equal(cfg_file_text(&c, 0, OPT_MODEL), "m-file2");
    const char *by = "x";
    assert_true(config_shadowed(&c, OPT_MODEL, &by));
    assert_string_equal(by, "--model");

    /* The key command layer: the key the current command printed. */
    assert_int_equal(config_set(&c, OPT_API_KEY, "sk-from-cmd", SRC_KEYCMD, err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_API_KEY), "sk-from-cmd");
    assert_int_equal(cfg_value(&c, OPT_API_KEY)->src, SRC_KEYCMD);

    /* An unchanged value keeps its storage: callers hold these pointers. */
    const char *model = cfg_str(&c, OPT_MODEL);
    const char *key = cfg_str(&c, OPT_API_KEY);
    assert_int_equal(config_set_file(&c, OPT_MAX_RETRIES, "7", err, sizeof err), 0);
    assert_ptr_equal(cfg_str(&c, OPT_MODEL), model);
    assert_ptr_equal(cfg_str(&c, OPT_API_KEY), key);
    config_free(&c);
    free(path);
}

typedef struct shadow_case {
    const char *name;
    const char *file;
    const char *env[3];
    config_override flag;
    bool run_key_cmd;
    opt_id id;
    bool want;
    const char *by;
} shadow_case;

static const shadow_case shadow_cases[] = {
    {"key in the file, key in the environment", "{\"api_key\": \"sk-file-abcdef\"}",
     {"OPENAI_API_KEY", "sk-env", NULL}, {0}, false, OPT_API_KEY, true, "OPENAI_API_KEY"},
    {"key only in the environment", NULL, {"OPENAI_API_KEY", "sk-env", NULL}, {0}, false,
     OPT_API_KEY, false, NULL},
    {"model in the file and a flag", "{\"profiles\": {\"p\": {\"model\": \"m\"}}}", {NULL},
     {OPT_MODEL, "f"}, false, OPT_MODEL, true, "--model"},
    {"shared model and a flag", "{\"model\": \"m\"}", {NULL}, {OPT_MODEL, "f"}, false, OPT_MODEL,
     true, "--model"},
    {"model in the file only", "{\"model\": \"m\"}", {NULL}, {0}, false, OPT_MODEL, false, NULL},
    {"key in the file and a key command",
     "{\"api_key\": \"sk-file-abcdef\", \"api_key_cmd\": \"printf sk-cmd\"}", {NULL}, {0}, true,
     OPT_API_KEY, true, "api_key_cmd"},
    {"global option in the file and a flag", "{\"theme\": \"dark\"}", {NULL}, {OPT_THEME, "light"},
     false, OPT_THEME, true, "--theme"},
    {"base URL in the file and the environment", "{\"base_url\": \"http://a/v1\"}",
     {"OPENAI_BASE_URL", "http://b/v1", NULL}, {0}, false, OPT_BASE_URL, true, "OPENAI_BASE_URL"},
};

static void test_shadowed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof shadow_cases / sizeof *shadow_cases; i++) {
        const shadow_case *t = &shadow_cases[i];
        char *path = t->file ? write_file(t->file) : missing_file();
        config c;
        char err[512] = "";
        if (load(&c, path, NULL, t->env, &t->flag, t->flag.value ? 1 : 0, t->run_key_cmd, err,
                 sizeof err) != 0)
            fail_msg("%s: load failed: %s", t->name, err);
        const char *by = "untouched";
        bool got = config_shadowed(&c, t->id, &by);
        if (got != t->want)
            fail_msg("%s: shadowed %d, want %d", t->name, got, t->want);
        if (t->by ? (!by || strcmp(by, t->by) != 0) : by != NULL)
            fail_msg("%s: by \"%s\", want \"%s\"", t->name, by ? by : "(null)",
                     t->by ? t->by : "(null)");
        assert_int_equal(config_shadowed(&c, t->id, NULL), t->want);
        config_free(&c);
        free(path);
    }
}

/* ---------------------------------------------------------------- the provider */

typedef struct provider_acc_case {
    const char *name;
    const char *file;
    const char *env[5];
    config_override flags[2];
    provider_id provider;  /* cfg_provider */
    const char *key_var;   /* cfg_env_name(OPT_API_KEY) */
    const char *base_var;  /* cfg_env_name(OPT_BASE_URL) */
    bool status_json;      /* cfg_status_json */
    const char *headers;   /* the first extra header, "Name=value" */
} provider_acc_case;

static const provider_acc_case provider_acc_cases[] = {
    {"defaults: OpenAI", NULL, {NULL}, {{0}}, PROVIDER_OPENAI, "OPENAI_API_KEY", "OPENAI_BASE_URL",
     true, NULL},
    {"Groq named", "{\"provider\": \"groq\"}", {NULL}, {{0}}, PROVIDER_GROQ, "GROQ_API_KEY", NULL,
     true, NULL},
    {"OpenRouter's host: a status link only", "{\"base_url\": \"https://openrouter.ai/api/v1\"}",
     {NULL}, {{0}}, PROVIDER_OPENROUTER, "OPENROUTER_API_KEY", "OPENAI_BASE_URL", false, NULL},
    {"a status page of the user's is read", "{\"provider\": \"mistral\", \"status_url\": "
     "\"https://st.example/\"}", {NULL}, {{0}}, PROVIDER_MISTRAL, "MISTRAL_API_KEY", NULL, true, NULL},
    {"loopback: local, no variable, no status page", NULL, {NULL},
     {{OPT_BASE_URL, "http://localhost:11434/v1"}}, PROVIDER_LOCAL, NULL, "OPENAI_BASE_URL", false,
     NULL},
    {"ollama named", NULL, {NULL}, {{OPT_PROVIDER, "ollama"}}, PROVIDER_OLLAMA, NULL, NULL, false,
     NULL},
    {"api_key_env wins", "{\"provider\": \"groq\", \"api_key_env\": \"K2\"}", {NULL}, {{0}},
     PROVIDER_GROQ, "K2", NULL, true, NULL},
    {"an unknown host", "{\"base_url\": \"https://x.example/v1\"}", {NULL}, {{0}}, PROVIDER_OTHER,
     "OPENAI_API_KEY", "OPENAI_BASE_URL", false, NULL},
    {"Azure's host", "{\"base_url\": \"https://r1.openai.azure.com\"}", {NULL}, {{0}},
     PROVIDER_AZURE, "AZURE_OPENAI_API_KEY", "OPENAI_BASE_URL", false, NULL},
    {"headers", "{\"extra_headers\": {\"X-Title\": \"tchat\"}}", {NULL}, {{0}}, PROVIDER_OPENAI,
     "OPENAI_API_KEY", "OPENAI_BASE_URL", true, "X-Title=tchat"},
};

static void test_provider_accessors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof provider_acc_cases / sizeof *provider_acc_cases; i++) {
        const provider_acc_case *t = &provider_acc_cases[i];
        char *path = t->file ? write_file(t->file) : missing_file();
        size_t nflags = t->flags[1].value ? 2 : t->flags[0].value ? 1 : 0;
        config c;
        char err[512] = "";
        if (load(&c, path, NULL, t->env, t->flags, nflags, false, err, sizeof err) != 0)
            fail_msg("%s: load failed: %s", t->name, err);
        if (cfg_provider(&c) != t->provider)
            fail_msg("%s: provider %s", t->name, provider_row(cfg_provider(&c))->name);
        const char *kv = cfg_env_name(&c, OPT_API_KEY), *bv = cfg_env_name(&c, OPT_BASE_URL);
        if (!(kv == t->key_var || (kv && t->key_var && !strcmp(kv, t->key_var))))
            fail_msg("%s: key variable %s", t->name, kv ? kv : "(none)");
        if (!(bv == t->base_var || (bv && t->base_var && !strcmp(bv, t->base_var))))
            fail_msg("%s: base URL variable %s", t->name, bv ? bv : "(none)");
        if (cfg_status_json(&c) != t->status_json)
            fail_msg("%s: status JSON %d", t->name, cfg_status_json(&c));
        xhdr_list h;
        cfg_extra_headers(&c, &h);
        char got[128] = "";
        if (h.n)
            snprintf(got, sizeof got, "%s=%s", h.v[0].name, h.v[0].value);
        assert_string_equal(got, t->headers ? t->headers : "");
        xhdr_free(&h);
        config_free(&c);
        free(path);
    }
}

/* Changing the provider in the file layer (as Settings does) brings its preset at once, and
 * another profile keeps its own. */
static void test_provider_switch(void **state)
{
    (void)state;
    char *path = write_file("{\"profiles\": {\"a\": {}, \"b\": {\"provider\": \"groq\"}}}");
    static const char *const env[] = {"GROQ_API_KEY", "gsk-1", "OPENAI_API_KEY", "sk-1", NULL};
    config c;
    char err[512] = "";
    assert_int_equal(load(&c, path, "a", env, NULL, 0, false, err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_API_KEY), "sk-1");
    assert_int_equal(config_set_file(&c, OPT_PROVIDER, "deepseek", err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_BASE_URL), "https://api.deepseek.com");
    assert_int_equal(cfg_value(&c, OPT_BASE_URL)->src, SRC_PRESET);
    assert_string_equal(cfg_value(&c, OPT_BASE_URL)->src_detail, "deepseek");
    assert_string_equal(cfg_str(&c, OPT_API_KEY), ""); /* DEEPSEEK_API_KEY is not set */
    assert_string_equal(cfg_str(&c, OPT_STATUS_URL), "https://status.deepseek.com/");
    assert_int_equal(config_set_file(&c, OPT_PROVIDER, NULL, err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_BASE_URL), "https://api.openai.com/v1");
    assert_string_equal(cfg_str(&c, OPT_API_KEY), "sk-1");
    assert_int_equal(config_profile_select(&c, 1, err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_API_KEY), "gsk-1");
    assert_string_equal(cfg_str(&c, OPT_BASE_URL), "https://api.groq.com/openai/v1");
    /* api_key_env set in Settings reads that variable (unset here: no key). */
    assert_int_equal(config_set_file(&c, OPT_API_KEY_ENV, "NOT_SET_ANYWHERE", err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_API_KEY), "");
    config_free(&c);
    free(path);
}

/* ---------------------------------------------------------------- saving */

/* The effective values and the file layers of a and b are the same. */
static void assert_same_config(const char *name, const config *a, const config *b)
{
    if (strcmp(cfg_profile_name(a), cfg_profile_name(b)) != 0)
        fail_msg("%s: profile \"%s\" then \"%s\"", name, cfg_profile_name(a), cfg_profile_name(b));
    if (a->nprofiles != b->nprofiles)
        fail_msg("%s: %zu profiles then %zu", name, a->nprofiles, b->nprofiles);
    for (int id = 0; id < OPT__COUNT; id++) {
        const opt_value *va = cfg_value(a, (opt_id)id), *vb = cfg_value(b, (opt_id)id);
        const char *key = opt_get_def((opt_id)id)->key;
        if (strcmp(va->text, vb->text) != 0 || va->src != vb->src ||
            strcmp(va->src_detail, vb->src_detail) != 0)
            fail_msg("%s: %s \"%s\" from %s, then \"%s\" from %s", name, key, va->text,
                     opt_source_name(va->src), vb->text, opt_source_name(vb->src));
        for (size_t p = 0; p < a->nprofiles; p++) {
            const char *fa = cfg_file_text(a, p, (opt_id)id), *fb = cfg_file_text(b, p, (opt_id)id);
            if (!(fa == fb || (fa && fb && !strcmp(fa, fb))))
                fail_msg("%s: profile %zu %s in the file \"%s\", then \"%s\"", name, p, key,
                         fa ? fa : "(unset)", fb ? fb : "(unset)");
        }
    }
    for (size_t p = 0; p < a->nprofiles; p++)
        if (strcmp(a->profiles[p].name, b->profiles[p].name) != 0)
            fail_msg("%s: profile %zu \"%s\", then \"%s\"", name, p, a->profiles[p].name,
                     b->profiles[p].name);
}

typedef struct round_case {
    const char *name;
    const char *file; /* NULL: no file */
    const char *env[5];
    config_override flags[2];
    file_set sets[4];
    const char *absent[3];  /* texts the saved file must not contain */
    const char *present[3]; /* ... and texts it must */
} round_case;

static const round_case round_cases[] = {
    {"a new file",
     NULL,
     {NULL},
     {{0}},
     {{OPT_MODEL, "gpt-4o"}, {OPT_MAX_RETRIES, "2"}, {OPT_STREAM, "off"}, {OPT_THEME, "dark"}},
     {NULL},
     {"\"model\": \"gpt-4o\"", "\"max_retries\": 2", "\"stream\": false"}},
    {"unknown keys everywhere",
     "{\"future\": {\"x\": [1, {\"y\": null}]}, \"profile\": \"b\", \"profiles\": {\"a\": "
     "{\"extra\": \"kept\", \"model\": \"ma\"}, \"b\": {\"more\": [true, false]}}}",
     {NULL},
     {{0}},
     {{OPT_MODEL, "mb"}, {OPT_TEMPERATURE, "0.7"}},
     {NULL},
     {"\"extra\": \"kept\"", "\"more\": [true, false]", "\"y\": null"}},
    {"the environment's key is not written",
     "{\"profiles\": {\"openai\": {\"api_key\": \"sk-file-abcdef\"}}}",
     {"OPENAI_API_KEY", "sk-env-secret", "OPENAI_BASE_URL", "http://env.example/v1", NULL},
     {{0}},
     {{OPT_MODEL, "m"}},
     {"sk-env-secret", "env.example"},
     {"sk-file-abcdef"}},
    {"flags are not written",
     NULL,
     {NULL},
     {{OPT_MODEL, "flag-model"}, {OPT_THEME, "flag-theme"}},
     {{OPT_MAX_TOKENS, "100"}},
     {"flag-model", "flag-theme"},
     {"\"max_tokens\": 100"}},
    {"shared values stay at the top",
     "{\"model\": \"m-top\", \"profiles\": {\"a\": {}, \"b\": {\"model\": \"m-b\"}}}",
     {NULL},
     {{0}},
     {{OPT_IDLE_TIMEOUT, "300"}, {OPT_STATUS_URL, ""}},
     {NULL},
     {"\"model\": \"m-top\"", "\"model\": \"m-b\"", "\"status_url\": \"\""}},
    {"removed values go",
     "{\"theme\": \"dark\", \"profiles\": {\"openai\": {\"model\": \"m\", \"stream\": null}}}",
     {NULL},
     {{0}},
     {{OPT_MODEL, NULL}, {OPT_THEME, ""}},
     {"\"model\"", "\"theme\"", "\"stream\""},
     {NULL}},
    {"text that needs escapes",
     NULL,
     {NULL},
     {{0}},
     {{OPT_SYSTEM, "say \"hi\"\n\tback\\slash \xe4\xbd\xa0\xe5\xa5\xbd"}},
     {NULL},
     {"\"system\": \"say \\\"hi\\\"\\n\\tback\\\\slash \xe4\xbd\xa0\xe5\xa5\xbd\""}},
    {"provider options: headers as an object",
     NULL,
     {"GROQ_API_KEY", "gsk-env-secret", NULL},
     {{0}},
     {{OPT_PROVIDER, "groq"}, {OPT_EXTRA_HEADERS, "{\"X-Title\": \"tchat\"}"},
      {OPT_API_KEY_ENV, "MY_VAR"}, {OPT_API_VERSION, "2024-10-21"}},
     {"gsk-env-secret", "\"extra_headers\": \"", "api.groq.com"},
     {"\"provider\": \"groq\"", "\"extra_headers\": {\n        \"X-Title\": \"tchat\"\n      }",
      "\"api_key_env\": \"MY_VAR\""}},
    {"headers cleared over shared ones: an empty object",
     "{\"extra_headers\": {\"X-A\": \"1\"}, \"profiles\": {\"p\": {}}}",
     {NULL},
     {{0}},
     {{OPT_EXTRA_HEADERS, ""}},
     {NULL},
     {"\"extra_headers\": {}", "\"X-A\": \"1\""}},
};

static void test_save_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof round_cases / sizeof *round_cases; i++) {
        const round_case *t = &round_cases[i];
        char *path = t->file ? write_file(t->file) : missing_file();
        size_t nflags = t->flags[1].value ? 2 : t->flags[0].value ? 1 : 0;
        config c, again;
        char err[512] = "";
        if (load(&c, path, NULL, t->env, t->flags, nflags, false, err, sizeof err) != 0)
            fail_msg("%s: load failed: %s", t->name, err);
        for (size_t k = 0; k < 4 && (t->sets[k].id || t->sets[k].text); k++)
            if (config_set_file(&c, t->sets[k].id, t->sets[k].text, err, sizeof err) != 0)
                fail_msg("%s: set %zu: %s", t->name, k, err);
        assert_true(config_dirty(&c));
        if (config_save(&c, err, sizeof err) != 0)
            fail_msg("%s: save failed: %s", t->name, err);
        assert_false(config_dirty(&c));
        assert_true(c.file_exists);
        char *text = read_all(path);
        assert_non_null(text);
        for (size_t k = 0; k < 3 && t->absent[k]; k++)
            if (strstr(text, t->absent[k]))
                fail_msg("%s: the file has %s:\n%s", t->name, t->absent[k], text);
        for (size_t k = 0; k < 3 && t->present[k]; k++)
            if (!strstr(text, t->present[k]))
                fail_msg("%s: the file lacks %s:\n%s", t->name, t->present[k], text);
        /* The file reads back as the same configuration, and unknown keys as the same JSON. */
        if (load(&again, path, NULL, t->env, t->flags, nflags, false, err, sizeof err) != 0)
            fail_msg("%s: reload failed: %s\n%s", t->name, err, text);
        assert_same_config(t->name, &c, &again);
        assert_true(cJSON_Compare(c.doc, again.doc, true));
        /* A second save without changes writes the same bytes. */
        assert_int_equal(config_save(&again, err, sizeof err), 0);
        char *text2 = read_all(path);
        assert_string_equal(text, text2);
        free(text2);
        free(text);
        config_free(&again);
        config_free(&c);
        free(path);
    }
}

typedef struct output_case {
    const char *name;
    const char *file; /* NULL: no file */
    file_set sets[3];
    const char *want;
} output_case;

static const output_case output_cases[] = {
    {"nothing set in a new file", NULL, {{OPT_THEME, "dark"}}, "{\n  \"theme\": \"dark\"\n}\n"},
    {"a profile value in a new file", NULL, {{OPT_MODEL, "gpt-4o"}},
     "{\n"
     "  \"profile\": \"openai\",\n"
     "  \"profiles\": {\n"
     "    \"openai\": {\n"
     "      \"model\": \"gpt-4o\"\n"
     "    }\n"
     "  }\n"
     "}\n"},
    {"unknown keys keep their place and value",
     "{\"future\": {\"x\": [1, 2.5, \"s\"], \"nested\": {\"a\": null, \"e\": {}, \"f\": []}},"
     " \"theme\": \"dark\", \"profiles\": {\"openai\": {\"extra\": true, \"model\": \"m\"},"
     " \"other\": {\"base_url\": \"http://x/v1/\", \"zzz\": [{\"k\": -0.5}, 1e999, 100]}}}",
     {{OPT_MODEL, "gpt-4o"}, {OPT_MAX_RETRIES, "3"}},
     "{\n"
     "  \"profile\": \"openai\",\n"
     "  \"future\": {\n"
     "    \"x\": [1, 2.5, \"s\"],\n"
     "    \"nested\": {\n"
     "      \"a\": null,\n"
     "      \"e\": {},\n"
     "      \"f\": []\n"
     "    }\n"
     "  },\n"
     "  \"theme\": \"dark\",\n"
     "  \"profiles\": {\n"
     "    \"openai\": {\n"
     "      \"extra\": true,\n"
     "      \"model\": \"gpt-4o\",\n"
     "      \"max_retries\": 3\n"
     "    },\n"
     "    \"other\": {\n"
     "      \"base_url\": \"http://x/v1\",\n"
     "      \"zzz\": [\n"
     "        {\n"
     "          \"k\": -0.5\n"
     "        },\n"
     "        1e999,\n"
     "        100\n"
     "      ]\n"
     "    }\n"
     "  }\n"
     "}\n"},
    {"escapes in unknown strings", "{\"note\": \"q\\\"b\\\\n\\n\\u0001\\u00e9\\/\"}",
     {{OPT_LANG, "en"}}, "{\n  \"note\": \"q\\\"b\\\\n\\n\\u0001\xc3\xa9/\",\n  \"lang\": \"en\"\n}\n"},
    {"duplicates: the last one counts and takes the value",
     "{\"theme\": \"a\", \"x\": 1, \"theme\": \"b\", \"profile\": \"p\", \"profiles\": {\"p\": {}}}",
     {{OPT_THEME, "c"}},
     "{\n"
     "  \"x\": 1,\n"
     "  \"theme\": \"c\",\n"
     "  \"profile\": \"p\",\n"
     "  \"profiles\": {\n"
     "    \"p\": {}\n"
     "  }\n"
     "}\n"},
    {"numbers and booleans by type", NULL,
     {{OPT_TEMPERATURE, "0.70"}, {OPT_NEEDS_KEY, "no"}, {OPT_MAX_TOKENS, "+12"}},
     "{\n"
     "  \"profile\": \"openai\",\n"
     "  \"profiles\": {\n"
     "    \"openai\": {\n"
     "      \"needs_key\": false,\n"
     "      \"temperature\": 0.7,\n"
     "      \"max_tokens\": 12\n"
     "    }\n"
     "  }\n"
     "}\n"},
};

static void test_save_output(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof output_cases / sizeof *output_cases; i++) {
        const output_case *t = &output_cases[i];
        char *path = t->file ? write_file(t->file) : missing_file();
        config c;
        char err[512] = "";
        if (load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err) != 0)
            fail_msg("%s: load failed: %s", t->name, err);
        for (size_t k = 0; k < 3 && t->sets[k].text; k++)
            if (config_set_file(&c, t->sets[k].id, t->sets[k].text, err, sizeof err) != 0)
                fail_msg("%s: set %zu: %s", t->name, k, err);
        if (config_save(&c, err, sizeof err) != 0)
            fail_msg("%s: save failed: %s", t->name, err);
        char *text = read_all(path);
        if (strcmp(text, t->want) != 0)
            fail_msg("%s: wrote\n%s\nwant\n%s", t->name, text, t->want);
        free(text);
        config_free(&c);
        free(path);
    }
}

/* A save into a fresh $XDG_CONFIG_HOME creates the directories 0700 and the file 0600. */
static void test_save_modes(void **state)
{
    (void)state;
    char *xdg = xasprintf("%s/xdg-%d", tmpdir, ++file_counter);
    const char *env[] = {"XDG_CONFIG_HOME", xdg, "OPENAI_API_KEY", "sk-env", NULL};
    config c;
    char err[512];
    mode_t old_mask = umask(022);
    assert_int_equal(load(&c, NULL, NULL, env, NULL, 0, false, err, sizeof err), 0);
    char *want_path = xasprintf("%s/tchat/config.json", xdg);
    assert_string_equal(c.path, want_path);
    assert_int_equal(config_set_file(&c, OPT_API_KEY, "sk-file-abcdef", err, sizeof err), 0);
    assert_int_equal(config_save(&c, err, sizeof err), 0);
    umask(old_mask);
    struct stat st;
    char *dir = xasprintf("%s/tchat", xdg);
    static const struct {
        int which; /* 0 the file, 1 its directory, 2 the XDG directory */
        mode_t mode;
    } want[] = {{0, S_IFREG | 0600}, {1, S_IFDIR | 0700}, {2, S_IFDIR | 0700}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const char *p = want[i].which == 0 ? want_path : want[i].which == 1 ? dir : xdg;
        assert_int_equal(stat(p, &st), 0);
        if (st.st_mode != want[i].mode)
            fail_msg("%s: mode %o, want %o", p, (unsigned)st.st_mode, (unsigned)want[i].mode);
    }
    assert_int_equal(count_temp_files(dir, "config.json"), 0);
    char *text = read_all(want_path);
    assert_non_null(strstr(text, "sk-file-abcdef"));
    assert_null(strstr(text, "sk-env"));
    free(text);
    config_free(&c);

    /* A file others could read becomes 0600 and the warning goes; an existing directory
     * keeps its mode. */
    char *d2 = make_dir("shared");
    assert_int_equal(chmod(d2, 0755), 0);
    char *p2 = xasprintf("%s/config.json", d2);
    int fd = open(p2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    const char *body = "{\"api_key\": \"sk-abcdefghijkl\"}";
    assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
    assert_int_equal(fchmod(fd, 0644), 0);
    close(fd);
    assert_int_equal(load(&c, p2, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    assert_non_null(c.warning);
    assert_int_equal(config_set_file(&c, OPT_MODEL, "m", err, sizeof err), 0);
    assert_int_equal(config_save(&c, err, sizeof err), 0);
    assert_null(c.warning);
    assert_int_equal(stat(p2, &st), 0);
    assert_int_equal(st.st_mode, S_IFREG | 0600);
    assert_int_equal(stat(d2, &st), 0);
    assert_int_equal(st.st_mode, S_IFDIR | 0755);
    config_free(&c);

    /* An existing tchat directory others can read is made 0700 (it holds keys). */
    char *d3 = make_dir("xdg");
    char *own = xasprintf("%s/tchat", d3);
    assert_int_equal(chmod(d3, 0755), 0);
    assert_int_equal(mkdir(own, 0755), 0);
    assert_int_equal(chmod(own, 0755), 0);
    char *p3 = xasprintf("%s/config.json", own);
    assert_int_equal(load(&c, p3, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
    assert_int_equal(config_save(&c, err, sizeof err), 0);
    assert_int_equal(stat(own, &st), 0);
    assert_int_equal(st.st_mode, S_IFDIR | 0700);
    assert_int_equal(stat(d3, &st), 0);
    assert_int_equal(st.st_mode, S_IFDIR | 0755); /* only tchat's own */
    config_free(&c);

    free(p3);
    free(own);
    free(d3);
    free(p2);
    free(d2);
    free(dir);
    free(want_path);
    free(xdg);
}

/* A symlinked config stays a symlink; its target is replaced (and created if missing). */
static void test_save_symlink(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool relative;   /* the link's text is relative to its directory */
        bool target_exists;
    } cases[] = {
        {"absolute link", false, true},
        {"relative link", true, true},
        {"dangling link", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *real_dir = make_dir("dotfiles");
        char *link_dir = make_dir("home");
        char *target = xasprintf("%s/tchat.json", real_dir);
        char *link_path = xasprintf("%s/config.json", link_dir);
        char *link_text = cases[i].relative ? xasprintf("../%s/tchat.json", base_name(real_dir))
                                            : xstrdup(target);
        if (cases[i].target_exists) {
            FILE *f = fopen(target, "w");
            fputs("{\"keep\": 1, \"model\": \"old\"}", f);
            fclose(f);
        }
        assert_int_equal(symlink(link_text, link_path), 0);
        config c;
        char err[512];
        assert_int_equal(load(&c, link_path, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
        assert_int_equal(config_set_file(&c, OPT_THEME, "linked", err, sizeof err), 0);
        if (config_save(&c, err, sizeof err) != 0)
            fail_msg("%s: %s", cases[i].name, err);
        struct stat st;
        assert_int_equal(lstat(link_path, &st), 0);
        if (!S_ISLNK(st.st_mode))
            fail_msg("%s: the link was replaced", cases[i].name);
        char got[4096];
        ssize_t n = readlink(link_path, got, sizeof got - 1);
        assert_true(n > 0);
        got[n] = '\0';
        assert_string_equal(got, link_text);
        char *text = read_all(target);
        assert_non_null(text);
        assert_non_null(strstr(text, "\"theme\": \"linked\""));
        if (cases[i].target_exists)
            assert_non_null(strstr(text, "\"keep\": 1"));
        free(text);
        assert_int_equal(count_temp_files(real_dir, "tchat.json"), 0);
        assert_int_equal(count_temp_files(link_dir, "config.json"), 0);
        config_free(&c);
        free(link_text);
        free(link_path);
        free(target);
        free(link_dir);
        free(real_dir);
    }
}

/* A failed save says why, leaves the old file and no temporary file, and keeps the values. */
typedef enum { FAIL_PARENT_IS_FILE, FAIL_TOO_LARGE, FAIL_RENAME, FAIL_MKDIR } fail_kind;

static void test_save_failures(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        fail_kind kind;
        const char *why; /* after "cannot write PATH: " */
    } cases[] = {
        {"the parent is a file", FAIL_PARENT_IS_FILE, "Not a directory"},
        {"the write fails", FAIL_TOO_LARGE, "File too large"},
        {"the rename fails", FAIL_RENAME, "Is a directory"},
        {"a directory cannot be created", FAIL_MKDIR,
         "cannot create the directory @: No such file or directory"},
    };
    static const char old_text[] = "{\"profiles\": {\"openai\": {\"model\": \"old\"}}}";
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *dir = make_dir("fail");
        char *path = NULL, *blocker = NULL;
        config c;
        char err[512] = "";
        switch (cases[i].kind) {
        case FAIL_PARENT_IS_FILE:
            /* Root writes anywhere, but not below a regular file. */
            blocker = xasprintf("%s/plain", dir);
            path = xasprintf("%s/config.json", blocker);
            break;
        case FAIL_MKDIR: {
            /* A dangling symlink where a directory must be made. */
            blocker = xasprintf("%s/dangling", dir);
            char *nowhere = xasprintf("%s/nowhere", dir);
            assert_int_equal(symlink(nowhere, blocker), 0);
            free(nowhere);
            path = xasprintf("%s/config.json", blocker);
            break;
        }
        default:
            path = xasprintf("%s/config.json", dir);
            FILE *f = fopen(path, "w");
            fputs(old_text, f);
            fclose(f);
        }
        assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err), 0);
        assert_int_equal(config_set_file(&c, OPT_MODEL, "new", err, sizeof err), 0);
        if (cases[i].kind == FAIL_PARENT_IS_FILE)
            close(open(blocker, O_WRONLY | O_CREAT, 0600));
        if (cases[i].kind == FAIL_RENAME) {
            /* The file became a directory after the load: rename() cannot replace it. */
            assert_int_equal(unlink(path), 0);
            assert_int_equal(mkdir(path, 0700), 0);
            char *inner = xasprintf("%s/x", path);
            close(open(inner, O_WRONLY | O_CREAT, 0600));
            free(inner);
        }
        struct rlimit old_lim;
        void (*old_sig)(int) = SIG_DFL;
        if (cases[i].kind == FAIL_TOO_LARGE) {
            assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
            struct rlimit lim = {16, old_lim.rlim_max};
            old_sig = signal(SIGXFSZ, SIG_IGN);
            assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        }
        int r = config_save(&c, err, sizeof err);
        if (cases[i].kind == FAIL_TOO_LARGE) {
            setrlimit(RLIMIT_FSIZE, &old_lim);
            signal(SIGXFSZ, old_sig);
        }
        char *why = expand(cases[i].why, blocker ? blocker : "");
        char *want = xasprintf("cannot write %s: %s", path, why);
        if (r != -1 || strcmp(err, want) != 0)
            fail_msg("%s: got %d \"%s\", want \"%s\"", cases[i].name, r, err, want);
        assert_true(config_dirty(&c));
        assert_string_equal(cfg_str(&c, OPT_MODEL), "new");
        assert_string_equal(cfg_file_text(&c, 0, OPT_MODEL), "new");
        assert_int_equal(count_temp_files(dir, "config.json"), 0);
        if (cases[i].kind == FAIL_TOO_LARGE) {
            char *text = read_all(path);
            assert_string_equal(text, old_text);
            free(text);
            /* Once the cause is gone, the same config saves. */
            assert_int_equal(config_save(&c, err, sizeof err), 0);
            assert_false(config_dirty(&c));
            text = read_all(path);
            assert_non_null(strstr(text, "\"model\": \"new\""));
            free(text);
        }
        config_free(&c);
        free(want);
        free(why);
        free(blocker);
        free(path);
        free(dir);
    }
}

/* ---------------------------------------------------------------- the profile list */

typedef enum { OP_ADD, OP_RENAME, OP_DELETE, OP_SELECT, OP_SAVE } op_kind;

typedef struct op_step {
    op_kind op;
    size_t idx;
    const char *name;
    const char *err;     /* NULL: succeeds */
    const char *current; /* the current profile afterwards */
    const char *list;    /* the profiles afterwards, comma-separated */
} op_step;

typedef struct op_case {
    const char *name;
    const char *file;
    op_step steps[16];
    const char *saved; /* the file after the last save, or NULL */
} op_case;

#define X40 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const op_case op_cases[] = {
    {"add, rename, delete",
     "{\"profile\": \"b\", \"profiles\": {\"a\": {\"model\": \"ma\"}, \"b\": {\"model\": \"mb\","
     " \"x-unknown\": 1}, \"c\": {}}}",
     {{OP_ADD, 0, "", "a profile needs a name", "b", "a,b,c"},
      {OP_ADD, 0, "bad name", "a profile name may contain only letters, digits, '.', '_' and '-'",
       "b", "a,b,c"},
      {OP_ADD, 0, "caf\xc3\xa9", "a profile name may contain only letters, digits, '.', '_' and '-'",
       "b", "a,b,c"},
      {OP_ADD, 0, X40 "x", "a profile name has at most 40 characters", "b", "a,b,c"},
      {OP_ADD, 0, "a", "there is already a profile \"a\"", "b", "a,b,c"},
      {OP_ADD, 0, X40, NULL, "b", "a,b,c," X40},
      {OP_ADD, 0, "local-2.x_y", NULL, "b", "a,b,c," X40 ",local-2.x_y"},
      {OP_RENAME, 0, "b", "there is already a profile \"b\"", "b", "a,b,c," X40 ",local-2.x_y"},
      {OP_RENAME, 9, "z", "no such profile", "b", "a,b,c," X40 ",local-2.x_y"},
      {OP_RENAME, 0, "a", NULL, "b", "a,b,c," X40 ",local-2.x_y"},
      {OP_RENAME, 0, "alpha", NULL, "b", "alpha,b,c," X40 ",local-2.x_y"},
      {OP_SELECT, 4, NULL, NULL, "local-2.x_y", "alpha,b,c," X40 ",local-2.x_y"},
      {OP_DELETE, 4, NULL, NULL, X40, "alpha,b,c," X40},
      {OP_DELETE, 3, NULL, NULL, "c", "alpha,b,c"},
      {OP_DELETE, 0, NULL, NULL, "c", "b,c"},
      {OP_SAVE, 0, NULL, NULL, "c", "b,c"}},
     "{\n"
     "  \"profile\": \"c\",\n"
     "  \"profiles\": {\n"
     "    \"b\": {\n"
     "      \"model\": \"mb\",\n"
     "      \"x-unknown\": 1\n"
     "    },\n"
     "    \"c\": {}\n"
     "  }\n"
     "}\n"},
    {"delete down to one",
     "{\"profiles\": {\"a\": {}, \"b\": {}}}",
     {{OP_DELETE, 0, NULL, NULL, "b", "b"},
      {OP_DELETE, 0, NULL, "cannot delete the only profile", "b", "b"},
      {OP_DELETE, 3, NULL, "no such profile", "b", "b"},
      {OP_SELECT, 1, NULL, "no such profile", "b", "b"},
      {OP_SAVE, 0, NULL, NULL, "b", "b"}},
     "{\n  \"profile\": \"b\",\n  \"profiles\": {\n    \"b\": {}\n  }\n}\n"},
    {"renamed in place, unknown keys kept",
     "{\"profiles\": {\"a\": {\"k\": [1]}, \"b\": {\"model\": \"mb\", \"z\": \"kept\"}}}",
     {{OP_RENAME, 1, "beta", NULL, "a", "a,beta"},
      {OP_SELECT, 1, NULL, NULL, "beta", "a,beta"},
      {OP_ADD, 0, "b", NULL, "beta", "a,beta,b"},
      {OP_SAVE, 0, NULL, NULL, "beta", "a,beta,b"}},
     "{\n"
     "  \"profile\": \"beta\",\n"
     "  \"profiles\": {\n"
     "    \"a\": {\n"
     "      \"k\": [1]\n"
     "    },\n"
     "    \"beta\": {\n"
     "      \"model\": \"mb\",\n"
     "      \"z\": \"kept\"\n"
     "    },\n"
     "    \"b\": {}\n"
     "  }\n"
     "}\n"},
    {"a deleted name added again starts afresh",
     "{\"profiles\": {\"a\": {\"model\": \"old\", \"junk\": 1}, \"b\": {}}}",
     {{OP_DELETE, 0, NULL, NULL, "b", "b"},
      {OP_ADD, 0, "a", NULL, "b", "b,a"},
      {OP_SAVE, 0, NULL, NULL, "b", "b,a"}},
     "{\n"
     "  \"profile\": \"b\",\n"
     "  \"profiles\": {\n"
     "    \"b\": {},\n"
     "    \"a\": {}\n"
     "  }\n"
     "}\n"},
    {"swapped names",
     "{\"profiles\": {\"a\": {\"model\": \"ma\"}, \"b\": {\"model\": \"mb\"}}}",
     {{OP_RENAME, 0, "tmp", NULL, "tmp", "tmp,b"},
      {OP_RENAME, 1, "a", NULL, "tmp", "tmp,a"},
      {OP_RENAME, 0, "b", NULL, "b", "b,a"},
      {OP_SAVE, 0, NULL, NULL, "b", "b,a"}},
     "{\n"
     "  \"profile\": \"b\",\n"
     "  \"profiles\": {\n"
     "    \"b\": {\n"
     "      \"model\": \"ma\"\n"
     "    },\n"
     "    \"a\": {\n"
     "      \"model\": \"mb\"\n"
     "    }\n"
     "  }\n"
     "}\n"},
};

static void test_profile_ops(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof op_cases / sizeof *op_cases; i++) {
        const op_case *t = &op_cases[i];
        char *path = write_file(t->file);
        config c;
        char err[512] = "";
        if (load(&c, path, NULL, NULL, NULL, 0, false, err, sizeof err) != 0)
            fail_msg("%s: load failed: %s", t->name, err);
        bool changed = false;
        for (size_t k = 0; k < 16 && t->steps[k].current; k++) {
            const op_step *s = &t->steps[k];
            int r;
            err[0] = '\0';
            switch (s->op) {
            case OP_ADD:
                r = config_profile_add(&c, s->name, err, sizeof err);
                if (!s->err && r != (int)c.nprofiles - 1)
                    fail_msg("%s: step %zu: add returned %d", t->name, k, r);
                break;
            case OP_RENAME:
                r = config_profile_rename(&c, s->idx, s->name, err, sizeof err);
                break;
            case OP_DELETE:
                r = config_profile_delete(&c, s->idx, err, sizeof err);
                break;
            case OP_SELECT:
                r = config_profile_select(&c, s->idx, err, sizeof err);
                break;
            default:
                r = config_save(&c, err, sizeof err);
                break;
            }
            if (s->err) {
                if (r != -1 || strcmp(err, s->err) != 0)
                    fail_msg("%s: step %zu: got %d \"%s\", want \"%s\"", t->name, k, r, err, s->err);
            } else if (r < 0) {
                fail_msg("%s: step %zu: failed: %s", t->name, k, err);
            }
            if (!s->err && s->op != OP_SELECT && s->op != OP_SAVE)
                changed = true;
            if (s->op == OP_SAVE)
                changed = false;
            if (config_dirty(&c) != changed)
                fail_msg("%s: step %zu: dirty %d, want %d", t->name, k, config_dirty(&c), changed);
            if (strcmp(cfg_profile_name(&c), s->current) != 0)
                fail_msg("%s: step %zu: current \"%s\", want \"%s\"", t->name, k,
                         cfg_profile_name(&c), s->current);
            buf b;
            buf_init(&b);
            for (size_t p = 0; p < c.nprofiles; p++)
                buf_printf(&b, "%s%s", p ? "," : "", c.profiles[p].name);
            if (strcmp(buf_str(&b), s->list) != 0)
                fail_msg("%s: step %zu: profiles %s, want %s", t->name, k, buf_str(&b), s->list);
            buf_free(&b);
        }
        if (t->saved) {
            char *text = read_all(path);
            if (strcmp(text, t->saved) != 0)
                fail_msg("%s: wrote\n%s\nwant\n%s", t->name, text, t->saved);
            free(text);
            config again;
            if (load(&again, path, NULL, NULL, NULL, 0, false, err, sizeof err) != 0)
                fail_msg("%s: reload failed: %s", t->name, err);
            assert_same_config(t->name, &c, &again);
            config_free(&again);
        }
        config_free(&c);
        free(path);
    }
    assert_int_equal(config_profile_find(NULL, "a"), -1);
}

/* Switching profiles moves the flags and the environment to the new one. */
static void test_select_moves_overrides(void **state)
{
    (void)state;
    char *path = write_file("{\"profiles\": {\"a\": {\"base_url\": \"http://a/v1\", \"model\": \"ma\"},"
                            " \"b\": {\"base_url\": \"http://b/v1\"}}}");
    static const char *const env[] = {"OPENAI_BASE_URL", "http://env/v1", NULL};
    static const config_override flags[] = {{OPT_MAX_RETRIES, "9"}};
    static const struct {
        size_t select;
        struct {
            size_t prof;
            opt_id id;
            const char *text;
            opt_source src;
        } want[4];
    } steps[] = {
        {0,
         {{0, OPT_BASE_URL, "http://env/v1", SRC_ENV},
          {0, OPT_MAX_RETRIES, "9", SRC_FLAG},
          {1, OPT_BASE_URL, "http://b/v1", SRC_CONFIG},
          {1, OPT_MAX_RETRIES, "4", SRC_DEFAULT}}},
        {1,
         {{1, OPT_BASE_URL, "http://env/v1", SRC_ENV},
          {1, OPT_MAX_RETRIES, "9", SRC_FLAG},
          {0, OPT_BASE_URL, "http://a/v1", SRC_CONFIG},
          {0, OPT_MAX_RETRIES, "4", SRC_DEFAULT}}},
        {0,
         {{0, OPT_BASE_URL, "http://env/v1", SRC_ENV},
          {0, OPT_MODEL, "ma", SRC_CONFIG},
          {1, OPT_BASE_URL, "http://b/v1", SRC_CONFIG},
          {1, OPT_MODEL, "gpt-4o-mini", SRC_DEFAULT}}},
    };
    config c;
    char err[512];
    assert_int_equal(load(&c, path, NULL, env, flags, 1, false, err, sizeof err), 0);
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        if (config_profile_select(&c, steps[i].select, err, sizeof err) != 0)
            fail_msg("step %zu: %s", i, err);
        assert_int_equal(c.current, steps[i].select);
        for (size_t k = 0; k < 4; k++) {
            const opt_value *v = &c.profiles[steps[i].want[k].prof].v[steps[i].want[k].id];
            if (strcmp(v->text, steps[i].want[k].text) != 0 || v->src != steps[i].want[k].src)
                fail_msg("step %zu, profile %zu, %s: \"%s\" from %s", i, steps[i].want[k].prof,
                         opt_get_def(steps[i].want[k].id)->key, v->text, opt_source_name(v->src));
        }
    }
    assert_false(config_dirty(&c));
    config_free(&c);
    free(path);
}

/* The key command runs when its profile is selected, once per command; a failing one keeps
 * the old profile. */
static void test_select_key_cmd(void **state)
{
    (void)state;
    char *counter = xasprintf("%s/counter-%d", tmpdir, ++file_counter);
    char *file = xasprintf("{\"profiles\": {\"a\": {\"api_key\": \"sk-a-file-1234\"},"
                           " \"b\": {\"api_key_cmd\": \"false\"},"
                           " \"c\": {\"api_key_cmd\": \"sh -c 'echo x >> %s; echo sk-c'\"}}}",
                           counter);
    char *path = write_file(file);
    static const struct {
        bool run;
        size_t select;
        const char *err;
        const char *current;
        const char *key;
        opt_source src;
        int runs; /* lines in the counter file */
    } steps[] = {
        {true, 1, "api_key_cmd \"false\": exited with status 1", "a", "sk-a-file-1234", SRC_CONFIG, 0},
        {true, 2, NULL, "c", "sk-c", SRC_KEYCMD, 1},
        {true, 0, NULL, "a", "sk-a-file-1234", SRC_CONFIG, 1},
        {true, 2, NULL, "c", "sk-c", SRC_KEYCMD, 1},
        {false, 2, NULL, "c", "", SRC_DEFAULT, 0},
        {false, 1, NULL, "b", "", SRC_DEFAULT, 0},
    };
    config c;
    char err[512];
    bool loaded_run = false;
    bool have = false;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        if (!have || loaded_run != steps[i].run) {
            if (have)
                config_free(&c);
            unlink(counter);
            assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, steps[i].run, err, sizeof err), 0);
            have = true;
            loaded_run = steps[i].run;
        }
        err[0] = '\0';
        int r = config_profile_select(&c, steps[i].select, err, sizeof err);
        if (steps[i].err ? (r != -1 || strcmp(err, steps[i].err) != 0) : r != 0)
            fail_msg("step %zu: got %d \"%s\"", i, r, err);
        assert_string_equal(cfg_profile_name(&c), steps[i].current);
        assert_string_equal(cfg_str(&c, OPT_API_KEY), steps[i].key);
        assert_int_equal(cfg_value(&c, OPT_API_KEY)->src, steps[i].src);
        char *runs = read_all(counter);
        int n = 0;
        for (const char *p = runs ? runs : ""; *p; p++)
            n += *p == '\n';
        free(runs);
        if (n != steps[i].runs)
            fail_msg("step %zu: the command ran %d times, want %d", i, n, steps[i].runs);
    }
    config_free(&c);

    /* A new key command in the file layer runs at once; a failing one is refused. */
    assert_int_equal(load(&c, path, NULL, NULL, NULL, 0, true, err, sizeof err), 0);
    assert_int_equal(config_set_file(&c, OPT_API_KEY_CMD, "printf sk-%s new", err, sizeof err), 0);
    assert_string_equal(cfg_str(&c, OPT_API_KEY), "sk-new");
    assert_int_equal(cfg_value(&c, OPT_API_KEY)->src, SRC_KEYCMD);
    const char *by = NULL;
    assert_true(config_shadowed(&c, OPT_API_KEY, &by));
    assert_string_equal(by, "api_key_cmd");
    assert_int_equal(config_set_file(&c, OPT_API_KEY_CMD, "sh -c 'exit 3'", err, sizeof err), -1);
    assert_string_equal(err, "api_key_cmd \"sh -c 'exit 3'\": exited with status 3");
    assert_string_equal(cfg_file_text(&c, c.current, OPT_API_KEY_CMD), "printf sk-%s new");
    assert_string_equal(cfg_str(&c, OPT_API_KEY), "sk-new");
    /* Deleting the current profile selects another; a failing key command there stops it. */
    assert_int_equal(config_profile_select(&c, 2, err, sizeof err), 0);
    assert_int_equal(config_profile_delete(&c, 2, err, sizeof err), -1);
    assert_string_equal(err, "api_key_cmd \"false\": exited with status 1");
    assert_int_equal(c.nprofiles, 3);
    assert_string_equal(cfg_profile_name(&c), "c");
    /* The key command's key is never saved. */
    assert_int_equal(config_save(&c, err, sizeof err), 0);
    char *text = read_all(path);
    assert_null(strstr(text, "sk-new"));
    assert_null(strstr(text, "sk-c\""));
    assert_non_null(strstr(text, "\"api_key_cmd\": \"printf sk-%s new\""));
    free(text);
    config_free(&c);

    unlink(counter);
    free(path);
    free(file);
    free(counter);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_env_current_profile_only),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_file_edge_cases),
        cmocka_unit_test(test_secret_not_quoted),
        cmocka_unit_test(test_config_pipe),
        cmocka_unit_test(test_config_default_path_regular),
        cmocka_unit_test(test_doc_kept_file_untouched),
        cmocka_unit_test(test_config_set),
        cmocka_unit_test(test_source_errors),
        cmocka_unit_test(test_permission_warning),
        cmocka_unit_test(test_key_cmd),
        cmocka_unit_test(test_mask_key),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_set_file),
        cmocka_unit_test(test_set_layers),
        cmocka_unit_test(test_shadowed),
        cmocka_unit_test(test_provider_accessors),
        cmocka_unit_test(test_provider_switch),
        cmocka_unit_test(test_save_round_trip),
        cmocka_unit_test(test_save_output),
        cmocka_unit_test(test_save_modes),
        cmocka_unit_test(test_save_symlink),
        cmocka_unit_test(test_save_failures),
        cmocka_unit_test(test_profile_ops),
        cmocka_unit_test(test_select_moves_overrides),
        cmocka_unit_test(test_select_key_cmd),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
