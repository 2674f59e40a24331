/* Tests for config.c: the option table, the file format and its error messages,
 * precedence, profile selection, validation, the key command, masking, paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static int group_teardown(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = xasprintf("%s/%s", tmpdir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(tmpdir);
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
        [SRC_DEFAULT] = "default", [SRC_CONFIG] = "config file", [SRC_KEYCMD] = "key command",
        [SRC_ENV] = "environment", [SRC_FLAG] = "flag"};
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
        if (r != -1 || strcmp(err, t->err) != 0)
            fail_msg("%s: got %d \"%s\", want \"%s\"", t->name, r, err, t->err);
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
        {"sk-proj-abcdefghijklmnopqrstuvwxyz1234", "sk-…1234"},
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
        cmocka_unit_test(test_doc_kept_file_untouched),
        cmocka_unit_test(test_config_set),
        cmocka_unit_test(test_source_errors),
        cmocka_unit_test(test_permission_warning),
        cmocka_unit_test(test_key_cmd),
        cmocka_unit_test(test_mask_key),
        cmocka_unit_test(test_default_path),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
