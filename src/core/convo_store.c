/* Conversations as files: the directory, a new conversation's id and path, opening one,
 * the saver thread that writes every snapshot atomically (only the newest when they come
 * faster than the disk), and the listing behind --list, --resume and --continue. */
#include "convo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "convo_internal.h"
#include "fileio.h"
#include "session.h"

/* Far beyond any conversation a person has; a bigger file is not ours. */
#define CONVO_MAX_BYTES ((size_t)512 * 1024 * 1024)

/* ---------------------------------------------------------------- files */

char *convo_dir(char *err, size_t errlen)
{
    char *d = xdg_path("XDG_DATA_HOME", ".local/share", "tchat/conversations");
    if (!d) {
        snprintf(err, errlen, "cannot find a place for conversations: neither XDG_DATA_HOME nor HOME is set");
        return NULL;
    }
    if (dir_create(d, err, errlen) != 0) {
        free(d);
        return NULL;
    }
    return d;
}

/* Reads a conversation file whole; 0, or -1 with "PATH: why". */
static int read_convo(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    char too_large[64];
    snprintf(too_large, sizeof too_large, "too large for a conversation (more than %zu MiB)",
             CONVO_MAX_BYTES >> 20);
    fileio_read_opts ro = {CONVO_MAX_BYTES, too_large, 0};
    return fileio_read(path, &ro, text, len, NULL, err, errlen);
}

/* ---------------------------------------------------------------- the handle */

convo *convo_alloc(void)
{
    convo *c = xcalloc(1, sizeof *c);
    c->lock_fd = -1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    return c;
}

/* ---------------------------------------------------------------- the lock
 * A flock on the conversation file itself would be lost at each save (the file is
 * replaced by a rename), so the lock is a file of its own beside it: DIR/.ID.lock.
 * It is removed when its holder lets go; a taker checks that the file it locked is
 * still the one at the path, so a removal racing with a taker cannot give two
 * windows the same conversation. */

static char *lock_path_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    return xasprintf("%.*s.%.*s.lock", (int)(base - path), path, (int)n, base);
}

/* 0: locked (*fd holds it); 1: another process holds it; -1: no lock can be had here
 * (a directory that is not writable: the conversation cannot be saved there either). */
static int take_lock(const char *lock_path, int *fd)
{
    for (int tries = 0; tries < 8; tries++) {
        int f = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (f < 0)
            return -1;
        if (flock(f, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(f);
            return e == EWOULDBLOCK ? 1 : -1;
        }
        struct stat held, now;
        if (fstat(f, &held) == 0 && stat(lock_path, &now) == 0 && held.st_dev == now.st_dev &&
            held.st_ino == now.st_ino) {
            *fd = f;
            return 0;
        }
        close(f); /* removed by its last holder meanwhile: take the new one */
    }
    return -1;
}

static void release_lock(convo *c)
{
    if (c->lock_fd >= 0) {
        unlink(c->lock_path);
        close(c->lock_fd);
        c->lock_fd = -1;
    }
    free(c->lock_path);
    c->lock_path = NULL;
}

/* Takes the lock of c's file (a new conversation's, before its first write). */
static int lock_convo(convo *c)
{
    if (c->lock_fd >= 0)
        return 0;
    free(c->lock_path);
    c->lock_path = lock_path_for(c->path);
    return take_lock(c->lock_path, &c->lock_fd);
}

bool convo_in_use(const char *path)
{
    char *lp = lock_path_for(path);
    int fd = -1;
    int rc = take_lock(lp, &fd);
    if (rc == 0) {
        unlink(lp);
        close(fd);
    }
    free(lp);
    return rc == 1;
}

static void random_hex4(char out[5])
{
    unsigned char r[2];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        uint64_t x = (uint64_t)clock_mono_ms() * 2654435761u ^ (uint64_t)getpid() * 40503u;
        r[0] = (unsigned char)x;
        r[1] = (unsigned char)(x >> 8);
    }
    snprintf(out, 5, "%02x%02x", r[0], r[1]);
}

/* A fresh id and path in dir, for a new conversation or a copy. */
static void assign_new_id(convo *c, const char *dir)
{
    int64_t now = clock_wall_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    /* Two conversations begun in the same second differ by the random part. */
    for (int tries = 0; tries < 32; tries++) {
        char hex[5];
        random_hex4(hex);
        free(c->id);
        free(c->path);
        c->id = xasprintf("%s-%s", stamp, hex);
        c->path = xasprintf("%s/%s.json", dir ? dir : ".", c->id);
        if (access(c->path, F_OK) != 0)
            break;
    }
    c->created_ms = now;
}

convo *convo_new(const char *dir, const char *profile, const char *model)
{
    convo *c = convo_alloc();
    assign_new_id(c, dir);
    c->profile = xstrdup(profile);
    c->model = xstrdup(model);
    return c;
}

/* Turns a loaded conversation into a copy of itself: a new file beside the original,
 * the same messages (and unknown members), "continued_from" naming the original. */
static void become_copy(convo *c)
{
    char *from = c->id;
    char *dir = fileio_dir_of(c->path);
    c->id = NULL;
    assign_new_id(c, dir);
    free(dir);
    buf extra;
    buf_init(&extra);
    if (c->top_extra)
        buf_puts(&extra, c->top_extra);
    buf_puts(&extra, ",\"continued_from\":");
    cJSON *id = cJSON_CreateString(from);
    char *json = cJSON_PrintUnformatted(id);
    buf_puts(&extra, json);
    cJSON_free(json);
    cJSON_Delete(id);
    free(c->top_extra);
    c->top_extra = buf_steal(&extra);
    free(from);
    c->on_disk = false;
    c->header_dirty = true;
}

/* Loads path into s without taking its lock. */
static convo *load(const char *path, session *s, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (read_convo(path, &text, &len, err, errlen) != 0)
        return NULL;
    convo *c = convo_parse(path, text, len, s, err, errlen);
    free(text);
    if (c) {
        /* Saves go to the target of a symlink, which stays a symlink. */
        char *real = realpath(path, NULL);
        if (real) {
            free(c->path);
            c->path = real;
        }
    }
    return c;
}

convo *convo_open(const char *path, session *s, char **continued_from, char *err, size_t errlen)
{
    if (continued_from)
        *continued_from = NULL;
    if (!continued_from && convo_in_use(path)) {
        convo_fail(err, errlen, path, "open in another tchat window");
        return NULL;
    }
    convo *c = load(path, s, err, errlen);
    if (!c)
        return NULL;
    if (lock_convo(c) == 1) {
        if (!continued_from) {
            convo_free(c);
            session_clear(s);
            convo_fail(err, errlen, path, "open in another tchat window");
            return NULL;
        }
        *continued_from = xstrdup(c->id);
        become_copy(c);
    }
    return c;
}

int convo_load(const char *path, session *s, char *err, size_t errlen)
{
    convo *c = load(path, s, err, errlen);
    if (!c)
        return -1;
    convo_free(c);
    return 0;
}

/* ---------------------------------------------------------------- saving */

/* Writes a snapshot (0600: conversations hold prompts). A directory that went away (or was
 * never made) is made, once more. 0, or -1 with "PATH: why". */
static int write_file(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    fileio_write_opts wo = {.mode = 0600};
    int rc = fileio_write_atomic(path, text, len, &wo, err, errlen);
    if (rc != 0 && errno == ENOENT) {
        char *dir = fileio_dir_of(path);
        if (dir_create(dir, err, errlen) == 0)
            rc = fileio_write_atomic(path, text, len, &wo, err, errlen);
        free(dir);
    }
    return rc;
}

static void *saver_main(void *arg)
{
    convo *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while ((!c->pending || c->hold) && !c->quit)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->pending)
            break;
        char *text = c->pending;
        size_t len = c->pending_len;
        unsigned long seq = c->submitted;
        c->pending = NULL;
        pthread_mutex_unlock(&c->mu);

        char err[512] = "";
        int rc = write_file(c->path, text, len, err, sizeof err);
        int e = errno;
        free(text);

        pthread_mutex_lock(&c->mu);
        c->err_no = rc != 0 ? e : 0;
        c->written = seq;
        c->writes++;
        c->failed = rc != 0;
        if (rc != 0)
            snprintf(c->errmsg, sizeof c->errmsg, "cannot save %s", err);
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* The saver must not take signals meant for the UI's signal fd. */
static bool start_saver(convo *c)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&c->thread, NULL, saver_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0;
}

int convo_save(convo *c, const session *s)
{
    bool changed = convo_update_cache(c, s) || c->header_dirty;
    pthread_mutex_lock(&c->mu);
    /* A failed write is tried again at the next save, changed or not. */
    bool retry = c->failed && c->written == c->submitted;
    pthread_mutex_unlock(&c->mu);
    if (!changed && !retry)
        return 0;
    if (!s->nmsgs && !c->on_disk)
        return 0;
    /* A new file is ours from its first write: no other window can have it. */
    if (!c->on_disk)
        lock_convo(c);
    c->updated_ms = clock_wall_ms();
    if (c->created_ms <= 0)
        c->created_ms = c->updated_ms;
    c->header_dirty = false;
    c->on_disk = true;
    buf text;
    buf_init(&text);
    convo_render_cached(c, &text);
    size_t len = text.len;
    char *snapshot = buf_steal(&text);

    pthread_mutex_lock(&c->mu);
    free(c->pending); /* superseded before the saver took it */
    c->pending = snapshot;
    c->pending_len = len;
    c->submitted++;
    if (!c->thread_started)
        c->thread_started = start_saver(c);
    if (c->thread_started) {
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        return 1;
    }
    /* No thread to be had: write here rather than not at all. */
    c->pending = NULL;
    char err[512] = "";
    int rc = write_file(c->path, snapshot, len, err, sizeof err);
    c->err_no = rc != 0 ? errno : 0;
    c->written = c->submitted;
    c->writes++;
    c->failed = rc != 0;
    if (rc != 0)
        snprintf(c->errmsg, sizeof c->errmsg, "cannot save %s", err);
    pthread_mutex_unlock(&c->mu);
    free(snapshot);
    return 1;
}

int convo_flush(convo *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->written != c->submitted)
        pthread_cond_wait(&c->cv, &c->mu);
    int rc = c->failed ? -1 : 0;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int convo_save_status(convo *c, int *errnum, char *err, size_t errlen)
{
    pthread_mutex_lock(&c->mu);
    int rc = c->written != c->submitted ? 1 : c->failed ? -1 : 0;
    if (rc < 0 && err && errlen)
        snprintf(err, errlen, "%s", c->errmsg);
    if (rc < 0 && errnum)
        *errnum = c->err_no;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

bool convo_last_error(convo *c, char *out, size_t outlen)
{
    pthread_mutex_lock(&c->mu);
    bool failed = c->failed;
    if (failed && out && outlen)
        snprintf(out, outlen, "%s", c->errmsg);
    pthread_mutex_unlock(&c->mu);
    return failed;
}

void convo_hold(convo *c, bool hold)
{
    pthread_mutex_lock(&c->mu);
    c->hold = hold;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

unsigned long convo_writes(convo *c)
{
    pthread_mutex_lock(&c->mu);
    unsigned long n = c->writes;
    pthread_mutex_unlock(&c->mu);
    return n;
}

int convo_close(convo *c, char *err, size_t errlen)
{
    if (!c)
        return 0;
    pthread_mutex_lock(&c->mu);
    c->quit = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (c->thread_started)
        pthread_join(c->thread, NULL); /* it writes what is pending first */
    int rc = 0;
    if (c->failed) {
        rc = -1;
        if (err && errlen)
            snprintf(err, errlen, "%s", c->errmsg);
    }
    free(c->pending);
    release_lock(c);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    convo_model_free(c);
    free(c);
    return rc;
}

void convo_free(convo *c)
{
    convo_close(c, NULL, 0);
}

/* ---------------------------------------------------------------- renaming, deleting */

int convo_rename_file(const char *path, const char *title, char *err, size_t errlen)
{
    session s;
    session_transport none = {0}; /* nothing is sent */
    session_init(&s, &none, NULL);
    /* Opened as a window would, so another window cannot take it meanwhile. */
    convo *c = convo_open(path, &s, NULL, err, errlen);
    int rc = -1;
    if (c && convo_set_title(c, title, err, errlen) == 0) {
        buf text;
        buf_init(&text);
        convo_render_cached(c, &text); /* "updated" as it was: a new title is not a turn */
        rc = write_file(c->path, buf_str(&text), text.len, err, errlen);
        buf_free(&text);
    }
    convo_free(c);
    session_done(&s);
    return rc;
}

int convo_delete_file(const char *path, char *err, size_t errlen)
{
    char *lp = lock_path_for(path);
    int fd = -1;
    int rc = take_lock(lp, &fd);
    if (rc == 1) {
        convo_fail(err, errlen, path, "open in another tchat window");
        rc = -1;
    } else if (unlink(path) != 0) {
        convo_fail(err, errlen, path, "cannot delete it: %s", strerror(errno));
        rc = -1;
    } else {
        rc = 0;
    }
    if (fd >= 0) {
        unlink(lp);
        close(fd);
    }
    free(lp);
    return rc;
}

/* ---------------------------------------------------------------- listing */

void convo_info_free(convo_info *info)
{
    free(info->id);
    free(info->path);
    free(info->title);
    free(info->search);
    free(info->problem);
    memset(info, 0, sizeof *info);
}

void convo_list_free(convo_info *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        convo_info_free(&v[i]);
    free(v);
}

void convo_info_when(const convo_info *info, char *out, size_t outlen)
{
    snprintf(out, outlen, "-");
    int64_t ms = info->updated_ms ? info->updated_ms : info->created_ms;
    if (ms > 0) {
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        localtime_r(&secs, &tm);
        strftime(out, outlen, "%Y-%m-%d %H:%M", &tm);
    }
}

void convo_info_line(const convo_info *info, buf *out)
{
    char when[32];
    convo_info_when(info, when, sizeof when);
    buf_printf(out, "%s  %s  %zu %s", info->id, when, info->nmsgs,
               info->nmsgs == 1 ? "message" : "messages");
    if (info->title && *info->title)
        buf_printf(out, "  %s", info->title);
}

void convo_problems_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A conversation's file name: <id>.json, not hidden (temp files are). */
static bool convo_file_name(const char *name)
{
    return name[0] != '.' && strlen(name) > 5 && str_ends_with(name, ".json");
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_info(const void *a, const void *b)
{
    const convo_info *x = a, *y = b;
    if (x->updated_ms != y->updated_ms)
        return x->updated_ms > y->updated_ms ? -1 : 1;
    return -strcmp(x->id, y->id);
}

static int info_of(const char *path, bool with_text, convo_info *info, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (read_convo(path, &text, &len, err, errlen) != 0)
        return -1;
    int rc = convo_info_parse(path, text, len, info, with_text, err, errlen);
    free(text);
    return rc;
}

/* Appends one entry to a growing vector. */
static void push(void **v, size_t *n, size_t *cap, const void *item, size_t size)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = xrealloc_array(*v, *cap, size);
    }
    memcpy((char *)*v + *n * size, item, size);
    (*n)++;
}

/* The listing behind convo_list and convo_list_search: with_text adds the search text and
 * lists damaged files as entries (else they go to problems, when not NULL). */
static int list_dir(const char *dir, bool with_text, convo_info **out, size_t *n, char ***problems,
                    size_t *nproblems, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (problems) {
        *problems = NULL;
        *nproblems = 0;
    }
    DIR *dh = opendir(dir);
    if (!dh) {
        if (errno == ENOENT)
            return 0;
        convo_fail(err, errlen, dir, "cannot read the directory: %s", strerror(errno));
        return -1;
    }
    size_t cap = 0, pcap = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (!convo_file_name(de->d_name))
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        convo_info info;
        char why[1024];
        if (info_of(path, with_text, &info, why, sizeof why) == 0) {
            push((void **)out, n, &cap, &info, sizeof info);
        } else if (with_text) {
            memset(&info, 0, sizeof info);
            info.id = convo_id_from_path(path);
            info.path = xstrdup(path);
            info.problem = xstrdup(why);
            push((void **)out, n, &cap, &info, sizeof info);
        } else if (problems) {
            char *p = xstrdup(why);
            push((void **)problems, nproblems, &pcap, &p, sizeof p);
        }
        free(path);
    }
    closedir(dh);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, cmp_info);
    return 0;
}

int convo_list(const char *dir, convo_info **out, size_t *n, char ***problems, size_t *nproblems,
               char *err, size_t errlen)
{
    return list_dir(dir, false, out, n, problems, nproblems, err, errlen);
}

int convo_list_search(const char *dir, convo_info **out, size_t *n, char *err, size_t errlen)
{
    return list_dir(dir, true, out, n, NULL, NULL, err, errlen);
}

int convo_find(const char *dir, const char *arg, char **path, char *err, size_t errlen)
{
    *path = NULL;
    if (!arg || !*arg) {
        snprintf(err, errlen, "no conversation id given");
        return -1;
    }
    struct stat st;
    if (strchr(arg, '/') || (str_ends_with(arg, ".json") && stat(arg, &st) == 0)) {
        if (stat(arg, &st) != 0) {
            convo_fail(err, errlen, arg, "%s", strerror(errno));
            return -1;
        }
        *path = xstrdup(arg);
        return 0;
    }
    DIR *dh = opendir(dir);
    if (!dh) {
        if (errno == ENOENT)
            snprintf(err, errlen, "no conversation %s: none saved yet", arg);
        else
            convo_fail(err, errlen, dir, "cannot read the directory: %s", strerror(errno));
        return -1;
    }
    size_t alen = strlen(arg), nmatch = 0, cap = 0;
    char **match = NULL;
    bool exact = false;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (!convo_file_name(de->d_name))
            continue;
        size_t idlen = strlen(de->d_name) - 5;
        if (idlen < alen || strncmp(de->d_name, arg, alen) != 0)
            continue;
        char *id = xstrndup(de->d_name, idlen);
        if (idlen == alen) {
            /* An exact id wins over ids it is a prefix of. */
            for (size_t i = 0; i < nmatch; i++)
                free(match[i]);
            nmatch = 0;
            exact = true;
        } else if (exact) {
            free(id);
            continue;
        }
        if (nmatch == cap) {
            cap = cap ? cap * 2 : 4;
            match = xrealloc_array(match, cap, sizeof *match);
        }
        match[nmatch++] = id;
    }
    closedir(dh);
    int rc = -1;
    if (nmatch == 1) {
        *path = xasprintf("%s/%s.json", dir, match[0]);
        rc = 0;
    } else if (nmatch == 0) {
        snprintf(err, errlen, "no conversation %s in %s (tchat --list shows them)", arg, dir);
    } else {
        qsort(match, nmatch, sizeof *match, cmp_str_ptr);
        buf b;
        buf_init(&b);
        buf_printf(&b, "%s is ambiguous: it matches ", arg);
        for (size_t i = 0; i < nmatch && i < 5; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", match[i]);
        if (nmatch > 5)
            buf_printf(&b, " and %zu more", nmatch - 5);
        snprintf(err, errlen, "%s", buf_str(&b));
        buf_free(&b);
    }
    for (size_t i = 0; i < nmatch; i++)
        free(match[i]);
    free(match);
    return rc;
}

int convo_latest(const char *dir, char **path, char *err, size_t errlen)
{
    *path = NULL;
    convo_info *v;
    size_t n;
    if (convo_list(dir, &v, &n, NULL, NULL, err, errlen) != 0)
        return -1;
    if (!n) {
        snprintf(err, errlen, "no saved conversation in %s", dir);
        convo_list_free(v, n);
        return 1;
    }
    *path = xstrdup(v[0].path);
    convo_list_free(v, n);
    return 0;
}

