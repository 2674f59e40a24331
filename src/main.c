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

#include "config.h"
#include "guide.h"
#include "oneshot.h"
#include "ui.h"
#include "util.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fputs("usage: tchat [OPTIONS]                 chat in the terminal\n"
          "       tchat [OPTIONS] -p PROMPT       one reply to stdout\n"
          "       COMMAND | tchat [OPTIONS] [-p PROMPT]\n"
          "\n"
          "One-shot mode sends one prompt (with -p, or read from stdin when stdin is not a\n"
          "terminal; with both, the piped text follows the prompt after a blank line) and\n"
          "streams the reply to stdout. Failures are explained on stderr.\n"
          "\n"
          "Options:\n"
          "  -p, --prompt TEXT        the prompt (one-shot mode)\n"
          "  -m, --model NAME         model to use\n"
          "      --base-url URL       API base URL (requests go to URL/chat/completions)\n"
          "      --profile NAME       profile from the config file\n"
          "      --system TEXT        system prompt\n"
          "      --max-retries N      automatic retries after a failure (0 turns them off)\n"
          "      --connect-timeout S  seconds to wait for a connection\n"
          "      --idle-timeout S     seconds without a byte before giving up\n"
          "      --lang en|zh_CN      language of explanations (default: the locale)\n"
          "      --config FILE        config file (default $XDG_CONFIG_HOME/tchat/config.json)\n"
          "      --no-stream          ask for the whole reply at once\n"
          "      --json-errors        report failures on stderr as one JSON object per line\n"
          "      --theme NAME         colour theme (default, light, high-contrast, mono, or yours)\n"
          "  -o, --set KEY=VALUE      set any config option (see docs/config.md)\n"
          "  -V, --version            print the version\n"
          "  -h, --help               print this help\n"
          "\n"
          "The API key comes from OPENAI_API_KEY, the config file or api_key_cmd; it is never\n"
          "taken from the command line, where other users could read it.\n"
          "\n"
          "Exit codes:\n"
          "  0   success\n"
          "  1   other error\n"
          "  2   usage or configuration error\n"
          "  3   authentication (401, 403, no key)\n"
          "  4   rate limited (429 after retries, or a wait longer than max_server_wait)\n"
          "  5   quota used up\n"
          "  6   server or API error (5xx after retries, an error in the stream, a malformed response)\n"
          "  7   connection (DNS, refused, TLS, proxy, stream cut before its end)\n"
          "  8   timeout\n"
          "  9   invalid request (400, 404, 409, 413, 422)\n"
          "  130 interrupted\n",
          f);
}

static void version(void)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    printf("tchat %s (libcurl %s, %s, cJSON %s)\n", TCHAT_VERSION, cv->version,
           cv->ssl_version ? cv->ssl_version : "no TLS", cJSON_Version());
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

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    signal(SIGPIPE, SIG_IGN);

    static const struct option longopts[] = {
        {"prompt", required_argument, NULL, 'p'},
        {"model", required_argument, NULL, 'm'},
        {"base-url", required_argument, NULL, 'B'},
        {"profile", required_argument, NULL, 'P'},
        {"system", required_argument, NULL, 'S'},
        {"max-retries", required_argument, NULL, 'R'},
        {"connect-timeout", required_argument, NULL, 'C'},
        {"idle-timeout", required_argument, NULL, 'I'},
        {"lang", required_argument, NULL, 'L'},
        {"config", required_argument, NULL, 'F'},
        {"no-stream", no_argument, NULL, 'N'},
        {"json-errors", no_argument, NULL, 'J'},
        {"theme", required_argument, NULL, 'T'},
        {"set", required_argument, NULL, 'o'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    config_override ov[MAX_OVERRIDES];
    size_t nov = 0;
    const char *prompt = NULL, *config_path = NULL, *profile_name = NULL;
    bool json_errors = false;

#define OVERRIDE(opt, val)                                                 \
    do {                                                                   \
        if (nov == MAX_OVERRIDES) {                                        \
            fprintf(stderr, "tchat: too many options\n");                 \
            return EXIT_USAGE;                                             \
        }                                                                  \
        ov[nov++] = (config_override){(opt), (val)};                       \
    } while (0)

    int ch;
    while ((ch = getopt_long(argc, argv, "p:m:o:Vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': prompt = optarg; break;
        case 'm': OVERRIDE(OPT_MODEL, optarg); break;
        case 'B': OVERRIDE(OPT_BASE_URL, optarg); break;
        case 'P': profile_name = optarg; break;
        case 'S': OVERRIDE(OPT_SYSTEM, optarg); break;
        case 'R': OVERRIDE(OPT_MAX_RETRIES, optarg); break;
        case 'C': OVERRIDE(OPT_CONNECT_TIMEOUT, optarg); break;
        case 'I': OVERRIDE(OPT_IDLE_TIMEOUT, optarg); break;
        case 'L': OVERRIDE(OPT_LANG, optarg); break;
        case 'F': config_path = optarg; break;
        case 'N': OVERRIDE(OPT_STREAM, "false"); break;
        case 'J': json_errors = true; break;
        case 'T': OVERRIDE(OPT_THEME, optarg); break;
        case 'o': {
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
                fprintf(stderr, "tchat: the API key is not taken from the command line, where "
                                "other users could read it; use OPENAI_API_KEY, the config file "
                                "or api_key_cmd\n");
                return EXIT_USAGE;
            }
            OVERRIDE((opt_id)id, eq + 1);
            break;
        }
        case 'V':
            version();
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "Try 'tchat --help'.\n");
            return EXIT_USAGE;
        }
    }
#undef OVERRIDE
    if (optind < argc) {
        fprintf(stderr, "tchat: unexpected argument '%s' (a prompt goes after -p)\n"
                        "Try 'tchat --help'.\n",
                argv[optind]);
        return EXIT_USAGE;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    char err[1024];

    config cfg;
    config_load_args args = {
        .path = config_path,
        .profile = profile_name,
        .overrides = ov,
        .noverrides = nov,
        .run_key_cmd = true,
    };
    if (config_load(&cfg, &args, err, sizeof err) != 0) {
        fprintf(stderr, "tchat: %s\n", err);
        guide_done();
        curl_global_cleanup();
        return EXIT_USAGE;
    }
    if (cfg.warning)
        fprintf(stderr, "tchat: warning: %s\n", cfg.warning);

    guide_lang lang = guide_lang_from_env();
    const char *lang_opt = cfg_str(&cfg, OPT_LANG);
    if (lang_opt && *lang_opt)
        guide_lang_parse(lang_opt, &lang);

    char *piped = read_piped_stdin();
    int code;
    if (prompt || piped) {
        char *full = prompt && piped ? xasprintf("%s\n\n%s", prompt, piped)
                                     : xstrdup(prompt ? prompt : piped);
        oneshot_opts o = {.prompt = full, .json_errors = json_errors, .lang = lang};
        code = oneshot_run(&o, &cfg);
        free(full);
    } else if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "tchat: no prompt: give one with -p, or pipe it to stdin\n");
        code = EXIT_USAGE;
    } else if (!isatty(STDOUT_FILENO)) {
        fprintf(stderr, "tchat: the chat interface needs a terminal; for scripts use -p PROMPT\n");
        code = EXIT_USAGE;
    } else {
        ui_opts u = {.cfg = &cfg, .load_args = &args, .lang = lang};
        code = ui_run(&u);
    }
    free(piped);
    config_free(&cfg);
    guide_done();
    curl_global_cleanup();
    return code;
}
