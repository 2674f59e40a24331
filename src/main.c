/* tchat: flags and configuration, then the one-shot runner or the UI. */
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "completion.h"
#include "config.h"
#include "convo.h"
#include "coredump.h"
#include "demo.h"
#include "fold.h"
#include "guide.h"
#include "oneshot.h"
#include "theme.h"
#include "sanitize.h"
#include "ui.h"
#include "util.h"
#include "xheaders.h"

#define EXIT_USAGE 2

#ifndef TCHAT_DOCDIR
#define TCHAT_DOCDIR "/usr/local/share/doc/tchat"
#endif

static void version(void)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    printf("tchat %s (libcurl %s, %s, cJSON %s)\n"
           "Copyright (c) 2026 The tchat authors\n"
           "License: MIT\n",
           TCHAT_VERSION, cv->version, cv->ssl_version ? cv->ssl_version : "no TLS",
           cJSON_Version());
}

/* Reads all of stdin when it is a pipe or a file (never a terminal or a device). */
static char *read_piped_stdin(void)
{
    struct stat st;
    if (isatty(STDIN_FILENO) || fstat(STDIN_FILENO, &st) != 0 ||
        !(S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode)))
        return NULL;
    buf b;
    buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        buf_append(&b, chunk, n);
    /* Trailing newlines of piped text are not part of the message. */
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        b.data[--b.len] = '\0';
    if (!b.len) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

enum { MAX_OVERRIDES = 64 };

static void no_key_on_command_line(void)
{
    fprintf(stderr, "tchat: the API key is not taken from the command line, where other users "
                    "could read it; use the provider's variable (OPENAI_API_KEY, GROQ_API_KEY, "
                    "...) or api_key_env, the config file, api_key_cmd, or run tchat and open "
                    "Settings\n");
}

/* True (and said) when a value for option id given on the command line holds a secret
 * header: the process list is public. A value that does not parse is left to the config,
 * which says why. */
static bool secret_on_command_line(opt_id id, const char *value)
{
    if (id != OPT_EXTRA_HEADERS)
        return false;
    xhdr_list l;
    if (xhdr_parse(value, &l, NULL, 0) != 0)
        return false;
    const char *name = xhdr_first_secret(&l);
    if (name)
        fprintf(stderr,
                "tchat: extra_headers: \"%s\" holds a secret (its name says auth, key, token, "
                "secret, password or cookie): it is not taken from the command line, where "
                "other users could read it; put it in the config file or use Settings (F2)\n",
                name);
    bool refused = name != NULL;
    xhdr_free(&l);
    return refused;
}

/* tchat --list [--search TEXT]: one line per saved conversation, newest first (with TEXT,
 * those whose title or messages contain it, case aside); damaged files on stderr. */
static int list_conversations(const char *search)
{
    char err[512];
    char *dir = convo_dir(err, sizeof err);
    if (!dir) {
        fprintf(stderr, "tchat: %s\n", err);
        return 1;
    }
    convo_info *v = NULL;
    size_t n = 0, nproblems = 0;
    char **problems = NULL;
    int rc = search ? convo_list_search(dir, &v, &n, err, sizeof err)
                    : convo_list(dir, &v, &n, &problems, &nproblems, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "tchat: %s\n", err);
        free(dir);
        return 1;
    }
    buf line, query;
    buf_init(&line);
    buf_init(&query);
    if (search)
        fold_append(&query, search, strlen(search));
    /* File names and titles are whatever a file holds: one clean line each. */
    size_t shown = 0, damaged = nproblems;
    for (size_t i = 0; i < n; i++) {
        const char *problem = v[i].problem;
        if (problem) {
            char *clean = sanitize_line(problem, strlen(problem), 0);
            fprintf(stderr, "tchat: skipped %s\n", clean);
            free(clean);
            damaged++;
            continue;
        }
        if (search && !convo_info_matches(&v[i], buf_str(&query), query.len))
            continue;
        buf_reset(&line);
        convo_info_line(&v[i], &line);
        char *clean = sanitize_line(buf_str(&line), line.len, 0);
        printf("%s\n", clean);
        free(clean);
        shown++;
    }
    for (size_t i = 0; i < nproblems; i++) {
        char *clean = sanitize_line(problems[i], strlen(problems[i]), 0);
        fprintf(stderr, "tchat: skipped %s\n", clean);
        free(clean);
    }
    if (!n && !damaged)
        fprintf(stderr, "tchat: no saved conversations yet (%s)\n", dir);
    else if (search && !shown) {
        char *clean = sanitize_line(search, strlen(search), 0);
        fprintf(stderr, "tchat: no conversation contains \"%s\"\n", clean);
        free(clean);
    }
    buf_free(&line);
    buf_free(&query);
    convo_list_free(v, n);
    convo_problems_free(problems, nproblems);
    free(dir);
    return 0;
}

/* tchat --list-themes: one name a line, the shipped themes and the user's. */
static int list_themes(void)
{
    char **names = NULL;
    size_t n = theme_list(&names);
    for (size_t i = 0; i < n; i++)
        printf("%s\n", names[i]);
    theme_free_names(names, n);
    return 0;
}

/* The demo ignores OPENAI_* and every provider's key variable: its profile talks to the
 * mock only. */
static const char *demo_getenv(const char *name)
{
    return str_starts_with(name, "OPENAI_") || str_ends_with(name, "_API_KEY") ? NULL
                                                                               : getenv(name);
}

/* tchat --key-status: whether a key is configured, masked, and where it comes
 * from. Exit 0 when the profile has what it needs, 3 when a key is missing. */
static int key_status(const config *c)
{
    const opt_value *k = cfg_value(c, OPT_API_KEY);
    if (k->text && *k->text) {
        char *mask = config_mask_key(k->text);
        printf("profile %s: key %s from %s", cfg_profile_name(c), mask, opt_source_name(k->src));
        if (k->src_detail && k->src != SRC_DEFAULT)
            printf(" (%s)", k->src_detail);
        printf("\n");
        free(mask);
        return 0;
    }
    if (!cfg_bool(c, OPT_NEEDS_KEY)) {
        printf("profile %s: needs no key\n", cfg_profile_name(c));
        return 0;
    }
    const char *var = cfg_env_name(c, OPT_API_KEY);
    const char *path = c->path ? c->path : "the config file";
    if (var)
        printf("profile %s: no key configured (set %s, or api_key in %s, or run tchat and open Settings)\n",
               cfg_profile_name(c), var, path);
    else
        printf("profile %s: no key configured (set api_key in %s, or api_key_env to a variable "
               "that holds it, or run tchat and open Settings)\n",
               cfg_profile_name(c), path);
    return 3;
}

int main(int argc, char **argv)
{
    coredump_disable(); /* before any key is read: a core file would hold it */
    setlocale(LC_ALL, "");
    signal(SIGPIPE, SIG_IGN);

    config_override ov[MAX_OVERRIDES];
    size_t nov = 0;
    const char *prompt = NULL, *config_path = NULL, *profile_name = NULL;
    bool json_errors = false, show_reasoning = false, want_continue = false, want_list = false, want_demo = false,
         want_key_status = false, want_profiles = false, want_themes = false;
    const char *resume_id = NULL, *search = NULL;

#define OVERRIDE(opt, val)                                                 \
    do {                                                                   \
        if (nov == MAX_OVERRIDES) {                                        \
            fprintf(stderr, "tchat: too many options\n");                 \
            return EXIT_USAGE;                                             \
        }                                                                  \
        ov[nov++] = (config_override){(opt), (val)};                       \
    } while (0)

    int ch;
    while ((ch = getopt_long(argc, argv, cli_shortopts(), cli_longopts(), NULL)) != -1) {
        const cli_flag *f = cli_flag_find(ch);
        if (!f) {
            fprintf(stderr, "Try 'tchat --help'.\n");
            return EXIT_USAGE;
        }
        if (f->option >= 0) {
            if (secret_on_command_line((opt_id)f->option, optarg))
                return EXIT_USAGE;
            OVERRIDE((opt_id)f->option, optarg);
            continue;
        }
        switch ((cli_id)f->id) {
        case CLI_PROMPT: prompt = optarg; break;
        case CLI_PROFILE: profile_name = optarg; break;
        case CLI_CONFIG: config_path = optarg; break;
        case CLI_NO_STREAM: OVERRIDE(OPT_STREAM, "false"); break;
        case CLI_JSON_ERRORS: json_errors = true; break;
        case CLI_SHOW_REASONING: show_reasoning = true; break;
        case CLI_CONTINUE: want_continue = true; break;
        case CLI_RESUME: resume_id = optarg; break;
        case CLI_LIST: want_list = true; break;
        case CLI_SEARCH: search = optarg; break;
        case CLI_LIST_PROFILES: want_profiles = true; break;
        case CLI_LIST_THEMES: want_themes = true; break;
        case CLI_DEMO: want_demo = true; break;
        case CLI_KEY_STATUS: want_key_status = true; break;
        case CLI_SET: {
            const char *eq = strchr(optarg, '=');
            char *key = eq ? xstrndup(optarg, (size_t)(eq - optarg)) : xstrdup(optarg);
            int id = opt_find(key);
            if (id < 0 || !eq) {
                fprintf(stderr, "tchat: --set %s: %s\n", optarg,
                        id < 0 ? "no such option (see docs/config.md)" : "expected KEY=VALUE");
                free(key);
                return EXIT_USAGE;
            }
            free(key);
            if (opt_get_def((opt_id)id)->type == OPT_SECRET) {
                no_key_on_command_line();
                return EXIT_USAGE;
            }
            if (secret_on_command_line((opt_id)id, eq + 1))
                return EXIT_USAGE;
            OVERRIDE((opt_id)id, eq + 1);
            break;
        }
        case CLI_COMPLETION:
            if (completion_write(optarg, stdout) != 0) {
                fprintf(stderr, "tchat: --completion %s: expected one of: %s\n", optarg,
                        completion_shells);
                return EXIT_USAGE;
            }
            return 0;
        case CLI_API_KEY:
            no_key_on_command_line();
            return EXIT_USAGE;
        case CLI_VERSION:
            version();
            return 0;
        case CLI_HELP:
            cli_usage(stdout, TCHAT_DOCDIR);
            return 0;
        case CLI_OPTION_BASE: break; /* registry options are handled above */
        }
    }
#undef OVERRIDE
    if (optind < argc) {
        fprintf(stderr, "tchat: unexpected argument '%s' (a prompt goes after -p)\n"
                        "Try 'tchat --help'.\n",
                argv[optind]);
        return EXIT_USAGE;
    }

    char err[1024];
    if (show_reasoning && json_errors) {
        /* stderr is one JSON object a line with --json-errors: no room for prose. */
        fprintf(stderr, "tchat: --show-reasoning and --json-errors both write to stderr: "
                        "choose one\n");
        return EXIT_USAGE;
    }
    if (search && !want_list) {
        fprintf(stderr, "tchat: --search goes with --list: tchat --list --search TEXT\n");
        return EXIT_USAGE;
    }
    if (want_list)
        return list_conversations(search);
    if (want_themes)
        return list_themes();

    curl_global_init(CURL_GLOBAL_DEFAULT);
    demo d;
    bool demo_on = false;
    config_load_args args = {
        .path = config_path,
        .profile = profile_name,
        .overrides = ov,
        .noverrides = nov,
        .run_key_cmd = !want_profiles, /* listing names needs no key */
    };
    if (want_demo) {
        if (demo_start(&d, err, sizeof err) != 0) {
            fprintf(stderr, "tchat: %s\n", err);
            curl_global_cleanup();
            return 1;
        }
        demo_on = true;
        /* The demo's own profile, untouched by the user's config and OPENAI_* variables. */
        args.path = d.config_path;
        args.profile = NULL;
        args.getenv_fn = demo_getenv;
        args.run_key_cmd = false;
    }

    config cfg;
    if (config_load(&cfg, &args, err, sizeof err) != 0) {
        fprintf(stderr, "tchat: %s\n", err);
        if (demo_on)
            demo_stop(&d);
        curl_global_cleanup();
        return EXIT_USAGE;
    }
    if (cfg.warning)
        fprintf(stderr, "tchat: warning: %s\n", cfg.warning);

    guide_lang lang = guide_lang_from_env();
    const char *lang_opt = cfg_str(&cfg, OPT_LANG);
    if (lang_opt && *lang_opt)
        guide_lang_parse(lang_opt, &lang);

    int code;
    char *piped = NULL, *dir = NULL, *resume_path = NULL;
    if (want_key_status) {
        code = key_status(&cfg);
        goto out;
    }
    if (want_profiles) {
        for (size_t i = 0; i < cfg.nprofiles; i++)
            printf("%s\n", cfg.profiles[i].name);
        code = 0;
        goto out;
    }
    piped = read_piped_stdin();
    bool oneshot = prompt || piped;
    if (!oneshot && !isatty(STDIN_FILENO)) {
        fprintf(stderr, "tchat: no prompt: give one with -p, or pipe it to stdin\n");
        code = EXIT_USAGE;
        goto out;
    }
    if (!oneshot && !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "tchat: the chat interface needs a terminal; for scripts use -p PROMPT\n");
        code = EXIT_USAGE;
        goto out;
    }
    /* The chat always keeps its conversation; one-shot mode only with -c or --resume. */
    if (!oneshot || want_continue || resume_id) {
        dir = demo_on ? xstrdup(d.convo_dir) : convo_dir(err, sizeof err);
        if (!dir) {
            fprintf(stderr, "tchat: %s\n", err);
            if (oneshot) {
                code = EXIT_USAGE;
                goto out;
            }
            /* Chatting still works, without saving. */
        }
    }
    if (dir && resume_id) {
        if (convo_find(dir, resume_id, &resume_path, err, sizeof err) != 0) {
            fprintf(stderr, "tchat: %s\n", err);
            code = EXIT_USAGE;
            goto out;
        }
    } else if (dir && want_continue) {
        int rc = convo_latest(dir, &resume_path, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "tchat: %s\n", err);
            code = EXIT_USAGE;
            goto out;
        }
    }
    if (oneshot) {
        char *full = prompt && piped ? xasprintf("%s\n\n%s", prompt, piped)
                                     : xstrdup(prompt ? prompt : piped);
        oneshot_opts o = {
            .prompt = full,
            .json_errors = json_errors,
            .show_reasoning = show_reasoning,
            .lang = lang,
            .convo_dir = want_continue || resume_id ? dir : NULL,
            .convo_path = resume_path,
        };
        code = oneshot_run(&o, &cfg);
        free(full);
        goto out;
    }
    ui_opts u = {
        .cfg = &cfg,
        .load_args = &args,
        .lang = lang,
        .convo_dir = dir,
        .resume_path = resume_path,
        .demo = demo_on,
    };
    code = ui_run(&u);
out:
    free(piped);
    free(dir);
    free(resume_path);
    config_free(&cfg);
    if (demo_on)
        demo_stop(&d);
    guide_done();
    curl_global_cleanup();
    return code;
}
