#include "editor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "sanitize.h"
#include "term.h"
#include "util.h"

const char *editor_command(void)
{
    const char *vars[] = {"VISUAL", "EDITOR"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && v[strspn(v, " \t")])
            return v;
    }
    return "vi";
}

/* Whether cmd needs a shell: expansions, redirections, pipes, lists, globs, a tilde, or
 * an assignment before the command. Quotes and backslashes do not: the splitter takes
 * them. */
static bool needs_shell(const char *cmd)
{
    if (strpbrk(cmd, "$`|&;<>()*?[]{}~#!"))
        return true;
    const char *word = cmd + strspn(cmd, " \t");
    size_t n = strcspn(word, " \t");
    const char *eq = memchr(word, '=', n);
    return eq && eq > word;
}

char **editor_argv(const char *cmd, const char *path, const char **why)
{
    size_t argc = 0;
    char **words = str_split_words(cmd, &argc, why);
    if (!words)
        return NULL;
    if (needs_shell(cmd)) {
        str_free_words(words);
        /* $0 names the editor in the shell's messages; the file is "$1". */
        char **v = xmalloc_array(6, sizeof *v);
        v[0] = xstrdup("/bin/sh");
        v[1] = xstrdup("-c");
        v[2] = xasprintf("%s \"$@\"", cmd);
        v[3] = xstrdup(cmd);
        v[4] = xstrdup(path);
        v[5] = NULL;
        return v;
    }
    words = xrealloc_array(words, argc + 2, sizeof *words);
    words[argc] = xstrdup(path);
    words[argc + 1] = NULL;
    return words;
}

char *editor_clean(const char *text, size_t len)
{
    char *s = sanitize_string(text, len);
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '\n')
        n--;
    s[n] = '\0';
    return s;
}

/* The temporary file, holding text and a final newline (what editors expect). Returns
 * its path (malloc'd) or NULL with o->err. */
static char *write_temp(const char *text, editor_outcome *o)
{
    const char *dir = getenv("TMPDIR");
    char *path = xasprintf("%s/tchat-message-XXXXXX.md", dir && *dir ? dir : "/tmp");
    int fd = mkstemps(path, 3); /* 0600: the text is a prompt */
    if (fd < 0) {
        snprintf(o->err, sizeof o->err, "%s: %s", path, strerror(errno));
        free(path);
        return NULL;
    }
    size_t len = strlen(text);
    bool ok = fd_write_all(fd, text, len, clock_mono_ms() + 5000) == len;
    if (ok && len && text[len - 1] != '\n')
        ok = fd_write_all(fd, "\n", 1, clock_mono_ms() + 5000) == 1;
    int werr = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        werr = errno;
    }
    if (!ok) {
        snprintf(o->err, sizeof o->err, "%s: %s", path, strerror(werr));
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* Runs argv in the foreground and waits for it. Returns 0 with its wait status in
 * *status, or an errno of posix_spawnp. */
static int run_child(char **argv, int *status)
{
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    static const int reset[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGCHLD};
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        sigaddset(&dfl, reset[i]);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    /* An interrupt typed while the editor runs is the editor's; a stop (Ctrl-Z in an
     * editor that lets the terminal send it) stops tchat too, without curses' handler
     * repainting its screen over the editor's. */
    struct sigaction ign, dflt, old_int, old_quit, old_tstp;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    dflt = ign;
    dflt.sa_handler = SIG_DFL;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGTSTP, &dflt, &old_tstp);

    char **env = env_for_child(); /* no key in the editor's environment */
    pid_t pid;
    int sr = posix_spawnp(&pid, argv[0], NULL, &attr, argv, env);
    free(env);
    posix_spawnattr_destroy(&attr);
    if (sr == 0)
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigaction(SIGTSTP, &old_tstp, NULL);
    return sr;
}

void editor_edit(const char *text, char **out, editor_outcome *o)
{
    memset(o, 0, sizeof *o);
    *out = NULL;
    o->result = EDITOR_ERROR;
    const char *cmd = editor_command();
    char *path = write_temp(text, o);
    if (!path)
        return;
    const char *why = NULL;
    char **argv = editor_argv(cmd, path, &why);
    if (!argv) {
        snprintf(o->err, sizeof o->err, "%s", why);
        unlink(path);
        free(path);
        return;
    }
    int status = 0, sr = -1;
    if (term_suspend() == 0) {
        sr = run_child(argv, &status);
        term_resume();
    } else {
        snprintf(o->err, sizeof o->err, "the terminal is not available");
    }
    if (sr > 0) {
        if (sr == ENOENT)
            snprintf(o->err, sizeof o->err, "command not found: %s", argv[0]);
        else
            snprintf(o->err, sizeof o->err, "cannot run %s: %s", argv[0], strerror(sr));
    } else if (sr == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        o->result = EDITOR_FAILED;
        o->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        o->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    } else if (sr == 0) {
        char *saved = NULL;
        size_t len = 0;
        fileio_read_opts ro = {.max = EDITOR_MAX_BYTES, .too_large = "longer than 1 MiB"};
        if (fileio_read(path, &ro, &saved, &len, NULL, o->err, sizeof o->err) == 0) {
            *out = editor_clean(saved, len);
            o->result = EDITOR_SAVED;
            free(saved);
        }
    }
    str_free_words(argv);
    unlink(path);
    free(path);
}
