#include "cli.h"

#include <string.h>

#include "config.h"

static const cli_flag fixed[] = {
    {"prompt", 'p', CLI_ARG_TEXT, "TEXT", "the prompt (one-shot mode)", CLI_PROMPT, -1, false},
    {"profile", 0, CLI_ARG_PROFILE, "NAME", "profile from the config file", CLI_PROFILE, -1,
     false},
    {"config", 0, CLI_ARG_FILE, "FILE",
     "config file (default: $XDG_CONFIG_HOME/tchat/config.json)", CLI_CONFIG, -1, false},
    {"no-stream", 0, CLI_ARG_NONE, NULL, "ask for the whole reply at once", CLI_NO_STREAM, -1,
     false},
    {"json-errors", 0, CLI_ARG_NONE, NULL, "report failures on stderr as one JSON object per line",
     CLI_JSON_ERRORS, -1, false},
    {"show-reasoning", 0, CLI_ARG_NONE, NULL,
     "one-shot mode: the model's reasoning to stderr as it comes (stdout gets the answer only)",
     CLI_SHOW_REASONING, -1, false},
    {"set", 'o', CLI_ARG_SETTING, "KEY=VALUE",
     "set a config option for this run", CLI_SET, -1, false},
    {"continue", 'c', CLI_ARG_NONE, NULL,
     "reopen the latest conversation (with -p: add this turn to it)", CLI_CONTINUE, -1, false},
    {"resume", 0, CLI_ARG_CONVO, "ID",
     "reopen a conversation (id, unique prefix or file; with -p: add this turn to it)",
     CLI_RESUME, -1, false},
    {"list", 0, CLI_ARG_NONE, NULL, "list the saved conversations, newest first", CLI_LIST, -1,
     false},
    {"search", 0, CLI_ARG_TEXT, "TEXT",
     "with --list: only the conversations whose title or messages contain TEXT (case aside)",
     CLI_SEARCH, -1, false},
    {"list-profiles", 0, CLI_ARG_NONE, NULL, "list the profiles of the config file",
     CLI_LIST_PROFILES, -1, false},
    {"list-themes", 0, CLI_ARG_NONE, NULL, "list the themes, shipped and yours", CLI_LIST_THEMES,
     -1, false},
    {"demo", 0, CLI_ARG_NONE, NULL,
     "chat with the bundled mock server: every failure of the error-code guide, no key and no "
     "network needed",
     CLI_DEMO, -1, false},
    {"key-status", 0, CLI_ARG_NONE, NULL, "say whether a key is set and where it comes from",
     CLI_KEY_STATUS, -1, false},
    {"completion", 0, CLI_ARG_SHELL, "SHELL", "print the completion script for bash, zsh or fish",
     CLI_COMPLETION, -1, false},
    /* Named so that it is refused, not taken as an abbreviation of --api-key-cmd. */
    {"api-key", 0, CLI_ARG_TEXT, "KEY", NULL, CLI_API_KEY, -1, true},
    {"version", 'V', CLI_ARG_NONE, NULL, "print the version and the licence", CLI_VERSION, -1,
     false},
    {"help", 'h', CLI_ARG_NONE, NULL, "print this help", CLI_HELP, -1, false},
};
enum { NFIXED = sizeof fixed / sizeof fixed[0] };

/* Registry options whose flag is more than --key VALUE. */
static const struct {
    opt_id id;
    char letter;
    cli_arg arg;
    const char *metavar;
} special[] = {
    {OPT_MODEL, 'm', CLI_ARG_TEXT, "NAME"},
    {OPT_THEME, 0, CLI_ARG_THEME, "NAME"},
    {OPT_LANG, 0, CLI_ARG_LANG, "LANG"},
    {OPT_PROVIDER, 0, CLI_ARG_PROVIDER, "NAME"},
    {OPT_EXTRA_HEADERS, 0, CLI_ARG_TEXT, "JSON"},
    {OPT_API_KEY_ENV, 0, CLI_ARG_TEXT, "NAME"},
    {OPT_API_VERSION, 0, CLI_ARG_TEXT, "VERSION"},
};

static cli_flag flags[NFIXED + OPT__COUNT];
static size_t nflags;
static char names[OPT__COUNT][40];
static struct option longopts[NFIXED + OPT__COUNT + 1];
static char shortopts[2 * (NFIXED + OPT__COUNT) + 1];

static void registry_flag(opt_id id, cli_flag *f)
{
    const opt_def *d = opt_get_def(id);
    snprintf(names[id], sizeof names[id], "%s", d->key);
    for (char *q = names[id]; *q; q++)
        if (*q == '_')
            *q = '-';
    *f = (cli_flag){.name = names[id], .help = d->help, .id = CLI_OPTION_BASE + (int)id,
                    .option = (int)id};
    switch (d->type) {
    case OPT_PATH: f->arg = CLI_ARG_FILE; f->metavar = "FILE"; break;
    case OPT_BOOL: f->arg = CLI_ARG_BOOL; f->metavar = "BOOL"; break;
    case OPT_URL: f->arg = CLI_ARG_TEXT; f->metavar = "URL"; break;
    case OPT_INT:
    case OPT_DOUBLE: f->arg = CLI_ARG_TEXT; f->metavar = "N"; break;
    case OPT_STRING:
    case OPT_SECRET: f->arg = CLI_ARG_TEXT; f->metavar = "TEXT"; break;
    }
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (special[i].id == id) {
            f->letter = special[i].letter;
            f->arg = special[i].arg;
            f->metavar = special[i].metavar;
        }
}

static void build(void)
{
    if (nflags)
        return;
    for (size_t i = 0; i < NFIXED; i++)
        flags[nflags++] = fixed[i];
    for (int id = 0; id < OPT__COUNT; id++)
        if (opt_get_def((opt_id)id)->type != OPT_SECRET)
            registry_flag((opt_id)id, &flags[nflags++]);
    size_t ns = 0;
    for (size_t i = 0; i < nflags; i++) {
        const cli_flag *f = &flags[i];
        int has_arg = f->arg == CLI_ARG_NONE ? no_argument : required_argument;
        longopts[i] = (struct option){f->name, has_arg, NULL, f->id};
        if (f->letter) {
            shortopts[ns++] = f->letter;
            if (has_arg == required_argument)
                shortopts[ns++] = ':';
        }
    }
    longopts[nflags] = (struct option){0, 0, 0, 0};
    shortopts[ns] = '\0';
}

size_t cli_flag_count(void)
{
    build();
    return nflags;
}

const cli_flag *cli_flag_at(size_t i)
{
    build();
    return i < nflags ? &flags[i] : NULL;
}

const cli_flag *cli_flag_find(int ch)
{
    build();
    for (size_t i = 0; i < nflags; i++)
        if (flags[i].id == ch || (flags[i].letter && flags[i].letter == ch))
            return &flags[i];
    return NULL;
}

const char *cli_shortopts(void)
{
    build();
    return shortopts;
}

const struct option *cli_longopts(void)
{
    build();
    return longopts;
}

enum { WIDTH = 80, HELP_COL = 27 };

/* Writes text from column col on, wrapped at spaces to WIDTH, continuation lines indented
 * to indent. */
static void put_wrapped(FILE *f, const char *text, int col, int indent)
{
    const char *p = text;
    while (*p) {
        size_t room = (size_t)(WIDTH - col), len = strlen(p);
        size_t n = len;
        if (len > room) {
            n = room;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0) /* one word longer than the line: let it overflow */
                n = strcspn(p, " ");
        }
        fprintf(f, "%.*s\n", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
        if (*p)
            fprintf(f, "%*s", indent, "");
        col = indent;
    }
}

static void put_flag(FILE *f, const cli_flag *fl)
{
    char head[80];
    int n = snprintf(head, sizeof head, "  %c%c%s--%s%s%s", fl->letter ? '-' : ' ',
                     fl->letter ? fl->letter : ' ', fl->letter ? ", " : "  ", fl->name,
                     fl->metavar ? " " : "", fl->metavar ? fl->metavar : "");
    fputs(head, f);
    if (n + 2 > HELP_COL) {
        fprintf(f, "\n%*s", HELP_COL, "");
    } else {
        fprintf(f, "%*s", HELP_COL - n, "");
    }
    put_wrapped(f, fl->help, HELP_COL, HELP_COL);
}

void cli_usage(FILE *f, const char *docdir)
{
    build();
    fputs("usage: tchat [OPTIONS]                 chat in the terminal\n"
          "       tchat [OPTIONS] -p PROMPT       one reply to stdout\n"
          "       COMMAND | tchat [OPTIONS] [-p PROMPT]\n"
          "\n"
          "One-shot mode sends one prompt (with -p, or read from stdin when stdin is not a\n"
          "terminal; with both, the piped text follows the prompt after a blank line) and\n"
          "streams the reply to stdout. Failures are explained on stderr.\n"
          "\n"
          "Options:\n",
          f);
    for (size_t i = 0; i < nflags; i++)
        if (flags[i].option < 0 && !flags[i].hidden)
            put_flag(f, &flags[i]);
    fputs("\nConfig options, for this run (see docs/config.md); -o KEY=VALUE sets them too:\n", f);
    for (size_t i = 0; i < nflags; i++)
        if (flags[i].option >= 0 && !flags[i].hidden)
            put_flag(f, &flags[i]);
    fputs("\n"
          "The API key comes from the provider's variable (OPENAI_API_KEY, GROQ_API_KEY,\n"
          "...; api_key_env names another), the config file or api_key_cmd; it is never\n"
          "taken from the command line, where other users could read it, nor is an extra\n"
          "header whose name says auth, key, token, secret, password or cookie.\n"
          "\n"
          "Exit codes, by the entry that explains the failure (not the HTTP status):\n"
          "  0   success\n"
          "  1   other error; reply-too-long (the chat's limit: never with -p)\n"
          "  2   usage or configuration error; insecure-http\n"
          "  3   authentication: auth-invalid, auth-incorrect-key, auth-no-org,\n"
          "      forbidden-region, no-key\n"
          "  4   rate limited: rate-limit\n"
          "  5   the account cannot pay: quota, credits, spend-cap, billing-inactive\n"
          "  6   server or API error: server-error, gateway, overloaded, model-loading,\n"
          "      stream-error, malformed-response\n"
          "  7   connection: dns, connect-refused, connection, tls, tls-plain-http, proxy,\n"
          "      proxy-auth, stream-interrupted\n"
          "  8   timeout: timeout, first-token-timeout\n"
          "  9   invalid request: bad-request, not-found, model-not-found,\n"
          "      model-not-loaded, deployment-not-found, context-length,\n"
          "      request-too-large, moderation\n"
          "  130 interrupted: cancelled\n"
          "\n"
          "Documentation: man tchat, and README.md and docs/*.md in\n",
          f);
    fprintf(f, "  %s\n", docdir);
}
