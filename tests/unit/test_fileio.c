/* fileio: reading whole files (cap, messages, pipes against a deadline) and writing them
 * atomically (mode, symlinks kept, nothing left behind on failure), as tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

static char tmpdir[64];
static int counter;

/* Every fsync of the program comes here first: what was synced, in order. */
typedef struct synced {
    bool dir;
    ino_t ino;
} synced;
static synced syncs[16];
static size_t nsyncs;

int fsync(int fd)
{
    struct stat st;
    if (nsyncs < sizeof syncs / sizeof *syncs && fstat(fd, &st) == 0)
        syncs[nsyncs++] = (synced){S_ISDIR(st.st_mode), st.st_ino};
    return (int)syscall(SYS_fsync, fd);
}

static ino_t ino_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_ino;
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tchat-test-fileio-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("chmod -R u+rwx '%s'; rm -rf '%s'", tmpdir, tmpdir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

/* A fresh, empty directory. Caller frees. */
static char *fresh_dir(void)
{
    char *d = xasprintf("%s/d%d", tmpdir, ++counter);
    assert_int_equal(mkdir(d, 0700), 0);
    return d;
}

static void put_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static char *get_file(const char *path)
{
    char *text;
    size_t len;
    fileio_read_opts o = {1 << 20, "too large", 0};
    char err[256];
    if (fileio_read(path, &o, &text, &len, NULL, err, sizeof err) != 0)
        fail_msg("cannot read back %s: %s", path, err);
    return text;
}

/* The names in dir, sorted, space separated. Caller frees. */
static char *names_in(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *v[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            v[n++] = xstrdup(e->d_name);
    closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, "%s%s", i ? " " : "", v[i]);
        free(v[i]);
    }
    return buf_steal(&b);
}

/* Replaces each '@' of tmpl with path. Caller frees. */
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

/* ---------------------------------------------------------------- reading */

typedef enum {
    R_TEXT,      /* a regular file holding text */
    R_MISSING,   /* nothing there */
    R_DIR,       /* a directory */
    R_FIFO,      /* a FIFO without a writer */
    R_FIFO_FED,  /* a FIFO with a writer that writes text and closes */
    R_FIFO_HELD, /* a FIFO with a writer that writes text and never closes */
    R_NULL,      /* /dev/null */
    R_LOCKED,    /* a file without read permission */
} read_kind;

typedef struct read_case {
    const char *name;
    read_kind kind;
    const char *text;
    size_t max;
    int stream_ms;
    const char *err; /* NULL: read; '@' is the path */
    int err_no;
} read_case;

static const read_case read_cases[] = {
    {"a file", R_TEXT, "{\"a\": 1}\n", 100, 0, NULL, 0},
    {"an empty file", R_TEXT, "", 100, 0, NULL, 0},
    {"exactly the cap", R_TEXT, "0123456789", 10, 0, NULL, 0},
    {"one byte over the cap", R_TEXT, "0123456789x", 10, 0, "@: too large for a test", EFBIG},
    {"missing", R_MISSING, NULL, 100, 0, "@: No such file or directory", ENOENT},
    {"a directory", R_DIR, NULL, 100, 0, "@: is a directory, not a file", EISDIR},
    {"a FIFO where only files are read", R_FIFO, NULL, 100, 0, "@: not a regular file", EINVAL},
    {"a device where only files are read", R_NULL, NULL, 100, 0, "@: not a regular file", EINVAL},
    {"a FIFO nobody writes", R_FIFO, NULL, 100, 300,
     "@: no end of input after 0.3 s (is anything writing to it?)", ETIMEDOUT},
    {"a FIFO whose writer never finishes", R_FIFO_HELD, "{\"a\":", 100, 300,
     "@: no end of input after 0.3 s (is anything writing to it?)", ETIMEDOUT},
    {"a FIFO with a writer", R_FIFO_FED, "{\"from\": \"a pipe\"}", 100, 3000, NULL, 0},
    {"a FIFO that says too much", R_FIFO_FED, "0123456789x", 10, 3000, "@: too large for a test",
     EFBIG},
    {"a device", R_NULL, "", 100, 300, NULL, 0},
    {"no permission", R_LOCKED, "secret", 100, 0, "@: Permission denied", EACCES},
};

static pid_t start_writer(const char *path, const char *text, bool hold)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10); /* a reader that never comes must not leave it waiting */
        int fd = open(path, O_WRONLY);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
            _exit(1);
        if (hold)
            pause();
        _exit(0);
    }
    return pid;
}

static void test_read(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof read_cases / sizeof *read_cases; i++) {
        const read_case *t = &read_cases[i];
        if (t->kind == R_LOCKED && geteuid() == 0)
            continue; /* root reads anything */
        char *dir = fresh_dir();
        char *path = t->kind == R_NULL ? xstrdup("/dev/null") : xasprintf("%s/f", dir);
        pid_t writer = -1;
        switch (t->kind) {
        case R_TEXT:
        case R_LOCKED:
            put_file(path, t->text, strlen(t->text));
            if (t->kind == R_LOCKED)
                assert_int_equal(chmod(path, 0), 0);
            break;
        case R_DIR:
            assert_int_equal(mkdir(path, 0700), 0);
            break;
        case R_FIFO:
        case R_FIFO_FED:
        case R_FIFO_HELD:
            assert_int_equal(mkfifo(path, 0600), 0);
            if (t->kind != R_FIFO)
                writer = start_writer(path, t->text, t->kind == R_FIFO_HELD);
            break;
        default:
            break;
        }
        fileio_read_opts o = {t->max, "too large for a test", t->stream_ms};
        char *text = (char *)"untouched";
        size_t len = 99;
        struct stat st;
        char err[256] = "";
        errno = 0;
        int64_t t0 = clock_mono_ms();
        int rc = fileio_read(path, &o, &text, &len, &st, err, sizeof err);
        int e = errno;
        int64_t took = clock_mono_ms() - t0;
        if (writer > 0) {
            int status;
            kill(writer, SIGKILL);
            waitpid(writer, &status, 0);
        }
        char *want = t->err ? expand(t->err, path) : NULL;
        if (want) {
            if (rc != -1 || strcmp(err, want) != 0 || e != t->err_no || text != NULL || len != 0) {
                print_error("%s: want -1 \"%s\" errno %d, got %d \"%s\" errno %d\n", t->name, want,
                            t->err_no, rc, err, e);
                fail();
            }
        } else {
            if (rc != 0 || len != strlen(t->text) || memcmp(text, t->text, len) != 0 ||
                text[len] != '\0') {
                print_error("%s: want \"%s\", got %d \"%s\" (%s)\n", t->name, t->text, rc,
                            rc == 0 ? text : "", err);
                fail();
            }
            if (t->kind == R_TEXT && (!S_ISREG(st.st_mode) || st.st_size != (off_t)len)) {
                print_error("%s: the stat is not the file's\n", t->name);
                fail();
            }
            free(text);
        }
        /* Pipes are waited for as long as allowed, and not longer. */
        if (e == ETIMEDOUT && (took < t->stream_ms - 20 || took > t->stream_ms + 2000)) {
            print_error("%s: gave up after %lld ms, allowed %d\n", t->name, (long long)took,
                        t->stream_ms);
            fail();
        }
        if (t->stream_ms == 0 && took > 1000) {
            print_error("%s: took %lld ms\n", t->name, (long long)took);
            fail();
        }
        free(want);
        free(path);
        free(dir);
    }
}

/* Binary content is read whole, NULs and all, and a big file in one piece. */
static void test_read_binary_and_big(void **state)
{
    (void)state;
    char *dir = fresh_dir();
    char *path = xasprintf("%s/bin", dir);
    static const char bin[] = {'a', '\0', 'b', '\xff', '\0'};
    put_file(path, bin, sizeof bin);
    fileio_read_opts o = {1 << 20, "too large", 0};
    char *text;
    size_t len;
    char err[256];
    assert_int_equal(fileio_read(path, &o, &text, &len, NULL, err, sizeof err), 0);
    assert_int_equal(len, sizeof bin);
    assert_memory_equal(text, bin, sizeof bin);
    free(text);

    size_t n = 3 * 65536 + 17;
    char *big = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    put_file(path, big, n);
    assert_int_equal(fileio_read(path, &o, &text, &len, NULL, err, sizeof err), 0);
    assert_int_equal(len, n);
    assert_memory_equal(text, big, n);
    free(text);
    free(big);
    free(path);
    free(dir);
}

/* ---------------------------------------------------------------- paths */

static void test_dir_of(void **state)
{
    (void)state;
    static const struct {
        const char *path, *want;
    } cases[] = {
        {"a/b", "a"},   {"/b", "/"}, {"b", "."}, {"/a/b/c.json", "/a/b"}, {"a/", "a"},
        {"./x", "."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = fileio_dir_of(cases[i].path);
        if (strcmp(got, cases[i].want) != 0) {
            print_error("%s: want %s, got %s\n", cases[i].path, cases[i].want, got);
            fail();
        }
        free(got);
    }
}

static void test_resolve(void **state)
{
    (void)state;
    char *dir = fresh_dir();
    char *real_dir = realpath(dir, NULL);
    char *file = xasprintf("%s/file", dir);
    put_file(file, "x", 1);
    char *link = xasprintf("%s/link", dir);
    char *chain = xasprintf("%s/chain", dir);
    char *dangling = xasprintf("%s/dangling", dir);
    char *loop = xasprintf("%s/loop", dir);
    assert_int_equal(symlink("file", link), 0);       /* relative */
    assert_int_equal(symlink(link, chain), 0);        /* absolute, to a link */
    assert_int_equal(symlink("sub/new", dangling), 0); /* to nowhere */
    assert_int_equal(symlink("loop", loop), 0);

    char *want = xasprintf("%s/file", real_dir);
    char *got = fileio_resolve(chain);
    assert_string_equal(got, want);
    free(got);
    free(want);
    /* A dangling link leads to where the file would be created. */
    want = xasprintf("%s/sub/new", dir);
    got = fileio_resolve(dangling);
    assert_string_equal(got, want);
    free(got);
    free(want);
    /* A missing file is itself. */
    char *missing = xasprintf("%s/missing", dir);
    got = fileio_resolve(missing);
    assert_string_equal(got, missing);
    free(got);
    errno = 0;
    assert_null(fileio_resolve(loop));
    assert_int_equal(errno, ELOOP);

    free(missing);
    free(loop);
    free(dangling);
    free(chain);
    free(link);
    free(file);
    free(real_dir);
    free(dir);
}

/* ---------------------------------------------------------------- writing */

typedef struct mode_case {
    mode_t umask;
    mode_t mode;
} mode_case;

/* The file gets the caller's mode whatever the umask, replaces the old one in one step,
 * and nothing else is left in the directory. */
static void test_write_modes(void **state)
{
    (void)state;
    static const mode_case cases[] = {{022, 0600}, {077, 0644}, {0, 0600}, {027, 0640}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *dir = fresh_dir();
        char *path = xasprintf("%s/out.json", dir);
        put_file(path, "old", 3);
        struct stat before, after;
        assert_int_equal(stat(path, &before), 0);
        mode_t old = umask(cases[i].umask);
        fileio_write_opts o = {.mode = cases[i].mode};
        char err[256];
        nsyncs = 0;
        int rc = fileio_write_atomic(path, "new text", 8, &o, err, sizeof err);
        umask(old);
        assert_int_equal(rc, 0);
        assert_int_equal(stat(path, &after), 0);
        /* The new file is synced before the rename, its directory after it. */
        assert_int_equal(nsyncs, 2);
        assert_false(syncs[0].dir);
        assert_true(syncs[0].ino == after.st_ino);
        assert_true(syncs[1].dir);
        assert_true(syncs[1].ino == ino_of(dir));
        if ((after.st_mode & 07777) != cases[i].mode) {
            print_error("umask %03o, mode %04o: got %04o\n", (unsigned)cases[i].umask,
                        (unsigned)cases[i].mode, (unsigned)(after.st_mode & 07777));
            fail();
        }
        assert_true(after.st_ino != before.st_ino); /* a new file, renamed into place */
        char *text = get_file(path);
        assert_string_equal(text, "new text");
        free(text);
        char *names = names_in(dir);
        assert_string_equal(names, "out.json");
        free(names);
        free(path);
        free(dir);
    }
}

/* follow: a symlink stays one and its target is written (in the target's directory); without
 * it the link itself is replaced. */
static void test_write_symlinks(void **state)
{
    (void)state;
    char *links = fresh_dir(), *targets = fresh_dir();
    char *target = xasprintf("%s/real.md", targets);
    char *link = xasprintf("%s/link.md", links);
    put_file(target, "old", 3);
    assert_int_equal(symlink(target, link), 0);
    fileio_write_opts o = {.mode = 0644, .follow = true};
    char err[256];
    nsyncs = 0;
    assert_int_equal(fileio_write_atomic(link, "via the link", 12, &o, err, sizeof err), 0);
    /* The directory synced is the target's, where the rename happened. */
    assert_int_equal(nsyncs, 2);
    assert_true(syncs[1].dir && syncs[1].ino == ino_of(targets));
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *text = get_file(target);
    assert_string_equal(text, "via the link");
    free(text);
    char *names = names_in(links);
    assert_string_equal(names, "link.md");
    free(names);
    names = names_in(targets);
    assert_string_equal(names, "real.md");
    free(names);

    /* A dangling link: its target is created. */
    char *dangling = xasprintf("%s/dangling.md", links);
    char *created = xasprintf("%s/created.md", targets);
    assert_int_equal(symlink(created, dangling), 0);
    assert_int_equal(fileio_write_atomic(dangling, "made", 4, &o, err, sizeof err), 0);
    assert_int_equal(lstat(dangling, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    text = get_file(created);
    assert_string_equal(text, "made");
    free(text);

    /* Without follow the link is replaced by the file. */
    o.follow = false;
    assert_int_equal(fileio_write_atomic(link, "instead", 7, &o, err, sizeof err), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    text = get_file(target);
    assert_string_equal(text, "via the link");
    free(text);

    free(created);
    free(dangling);
    free(link);
    free(target);
    free(targets);
    free(links);
}

typedef enum { W_DIRECTORY, W_FIFO, W_NO_DIR, W_FILE_SIZE, W_READ_ONLY_DIR } wfail_kind;

typedef struct wfail_case {
    const char *name;
    wfail_kind kind;
    const char *err; /* '@' is the path */
    int err_no;
    bool prefix;     /* err is the start, ": strerror(err_no)" the end (a name between) */
} wfail_case;

static const wfail_case wfail_cases[] = {
    {"a directory is there", W_DIRECTORY, "@: cannot replace it: Is a directory", EISDIR, false},
    {"a FIFO is there", W_FIFO,
     "@: cannot replace it: not a regular file (a pipe, a device or a socket)", EINVAL, false},
    {"the directory is missing", W_NO_DIR, "@: cannot create a temporary file in ", ENOENT, true},
    {"the disk refuses the bytes", W_FILE_SIZE, "@: cannot write ", EFBIG, true},
    {"the directory is read-only", W_READ_ONLY_DIR, "@: cannot create a temporary file in ",
     EACCES, true},
};

/* A failed write says which step failed, keeps what was there, and leaves no temporary file. */
static void test_write_failures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof wfail_cases / sizeof *wfail_cases; i++) {
        const wfail_case *t = &wfail_cases[i];
        if (t->kind == W_READ_ONLY_DIR && geteuid() == 0)
            continue;
        char *dir = fresh_dir();
        char *path = xasprintf("%s/out.json", dir);
        const char *before = "";
        switch (t->kind) {
        case W_DIRECTORY:
            assert_int_equal(mkdir(path, 0700), 0);
            before = "out.json";
            break;
        case W_FIFO:
            assert_int_equal(mkfifo(path, 0600), 0);
            before = "out.json";
            break;
        case W_NO_DIR:
            free(path);
            path = xasprintf("%s/gone/out.json", dir);
            break;
        case W_FILE_SIZE:
        case W_READ_ONLY_DIR:
            put_file(path, "old", 3);
            before = "out.json";
            break;
        }
        struct rlimit saved;
        void (*old_sig)(int) = SIG_DFL;
        if (t->kind == W_FILE_SIZE) {
            assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
            struct rlimit small = {4096, saved.rlim_max};
            old_sig = signal(SIGXFSZ, SIG_IGN);
            assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
        }
        if (t->kind == W_READ_ONLY_DIR)
            assert_int_equal(chmod(dir, 0500), 0);
        char big[10000];
        memset(big, 'x', sizeof big);
        fileio_write_opts o = {.mode = 0600};
        char err[512] = "";
        errno = 0;
        int rc = fileio_write_atomic(path, big, sizeof big, &o, err, sizeof err);
        int e = errno;
        if (t->kind == W_FILE_SIZE) {
            setrlimit(RLIMIT_FSIZE, &saved);
            signal(SIGXFSZ, old_sig);
        }
        if (t->kind == W_READ_ONLY_DIR)
            assert_int_equal(chmod(dir, 0700), 0);
        char *want = expand(t->err, path);
        char *want_end = xasprintf(": %s", strerror(t->err_no));
        bool match = t->prefix ? str_starts_with(err, want) && str_ends_with(err, want_end)
                               : !strcmp(err, want);
        if (rc != -1 || e != t->err_no || !match) {
            print_error("%s: want -1 \"%s...%s\" errno %d, got %d \"%s\" errno %d\n", t->name, want,
                        want_end, t->err_no, rc, err, e);
            fail();
        }
        char *names = names_in(dir);
        if (strcmp(names, before) != 0 && !(t->kind == W_NO_DIR && !strcmp(names, ""))) {
            print_error("%s: left \"%s\"\n", t->name, names);
            fail();
        }
        if (t->kind == W_FILE_SIZE || t->kind == W_READ_ONLY_DIR) {
            char *text = get_file(path);
            assert_string_equal(text, "old");
            free(text);
        }
        if (t->kind == W_FIFO) {
            struct stat st;
            assert_int_equal(lstat(path, &st), 0);
            assert_true(S_ISFIFO(st.st_mode));
        }
        free(names);
        free(want_end);
        free(want);
        free(path);
        free(dir);
    }
}

/* A name without a directory is written in the current one (which is fsynced). */
static void test_write_relative(void **state)
{
    (void)state;
    char *dir = fresh_dir();
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    fileio_write_opts o = {.mode = 0600};
    char err[256];
    nsyncs = 0;
    int rc = fileio_write_atomic("here.txt", "rel", 3, &o, err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(nsyncs, 2);
    assert_true(syncs[1].dir && syncs[1].ino == ino_of(dir));
    char *names = names_in(dir);
    assert_string_equal(names, "here.txt");
    free(names);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_read_binary_and_big),
        cmocka_unit_test(test_dir_of),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_write_modes),
        cmocka_unit_test(test_write_symlinks),
        cmocka_unit_test(test_write_failures),
        cmocka_unit_test(test_write_relative),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
