/* Fuzzes config_load on arbitrary file contents (with an empty environment and no key
 * command), then config_set and config_set_file with the same bytes as a value for every
 * option, the profile list, and config_save: what was saved must load again with the same
 * file layers, and saving that again must write the same bytes. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *empty_env(const char *name)
{
    (void)name;
    return NULL;
}

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static void check_loaded(config *c, const char *text)
{
    if (c->current >= c->nprofiles || !c->doc)
        abort();
    for (int id = 0; id < OPT__COUNT; id++) {
        const opt_value *v = cfg_value(c, (opt_id)id);
        if (!v || !v->text || !v->src_detail)
            abort();
    }
    char *m = config_mask_key(cfg_str(c, OPT_API_KEY));
    free(m);
    /* Setting a value either works or leaves the old one. */
    for (int id = 0; id < OPT__COUNT; id++) {
        char err[256];
        const opt_value *before = cfg_value(c, (opt_id)id);
        char *old = strdup(before->text);
        if (config_set(c, (opt_id)id, text, SRC_FLAG, err, sizeof err) != 0) {
            if (strcmp(cfg_str(c, (opt_id)id), old) != 0 || !err[0])
                abort();
        }
        free(old);
    }
}

/* The same for the file layer. */
static void set_file_layer(config *c, const char *text)
{
    for (int id = 0; id < OPT__COUNT; id++) {
        char err[256];
        const char *before = cfg_file_text(c, c->current, (opt_id)id);
        char *old = before ? strdup(before) : NULL;
        if (config_set_file(c, (opt_id)id, text, err, sizeof err) != 0) {
            if (!same(cfg_file_text(c, c->current, (opt_id)id), old) || !err[0])
                abort();
        }
        free(old);
    }
}

/* The profile list: a name is taken only when it is a valid, new one. */
static void edit_profiles(config *c, const char *text)
{
    char err[256];
    size_t n = c->nprofiles;
    int r = config_profile_add(c, text, err, sizeof err);
    if ((r >= 0) != (c->nprofiles == n + 1))
        abort();
    if (r >= 0 && strcmp(c->profiles[r].name, text) != 0)
        abort();
    if (config_profile_add(c, "fz", err, sizeof err) < 0 && config_profile_find(c, "fz") < 0)
        abort();
    config_profile_select(c, c->nprofiles - 1, err, sizeof err);
    if (c->nprofiles > 2 && config_profile_delete(c, 0, err, sizeof err) != 0)
        abort();
    config_profile_rename(c, 0, text, err, sizeof err);
    if (c->current >= c->nprofiles)
        abort();
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t n;
    while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *t = realloc(s, cap * 2);
            if (!t) {
                free(s);
                s = NULL;
                break;
            }
            s = t;
            cap *= 2;
        }
    }
    fclose(f);
    if (s)
        s[len] = '\0';
    return s;
}

static void check_saved(config *c, const char *path)
{
    char err[512];
    if (config_save(c, err, sizeof err) != 0 || config_dirty(c))
        abort();
    config again;
    config_load_args args = {.path = path, .getenv_fn = empty_env};
    if (config_load(&again, &args, err, sizeof err) != 0) {
        fprintf(stderr, "saved file does not load: %s\n", err);
        abort();
    }
    if (again.nprofiles != c->nprofiles || strcmp(cfg_profile_name(&again), cfg_profile_name(c)))
        abort();
    for (size_t p = 0; p < c->nprofiles; p++) {
        if (strcmp(again.profiles[p].name, c->profiles[p].name) != 0)
            abort();
        for (int id = 0; id < OPT__COUNT; id++)
            if (!same(cfg_file_text(&again, p, (opt_id)id), cfg_file_text(c, p, (opt_id)id)))
                abort();
    }
    char *first = read_file(path);
    if (config_save(&again, err, sizeof err) != 0)
        abort();
    char *second = read_file(path);
    if (!first || !second || strcmp(first, second) != 0)
        abort();
    free(first);
    free(second);
    config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* tmpfs when there is one: every input is saved twice, with fsync. */
    char path[] = "/dev/shm/fuzz_config-XXXXXX";
    char alt[] = "/tmp/fuzz_config-XXXXXX";
    char *p = path;
    int fd = access("/dev/shm", W_OK) == 0 ? mkstemp(path) : -1;
    if (fd < 0) {
        p = alt;
        fd = mkstemp(alt);
    }
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);

    /* The same bytes as a C string, for config_set. */
    char *text = malloc(size + 1);
    if (!text) {
        unlink(p);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';

    config c;
    char err[512];
    config_load_args args = {.path = p, .getenv_fn = empty_env};
    if (config_load(&c, &args, err, sizeof err) == 0) {
        check_loaded(&c, text);
        check_saved(&c, p); /* unknown keys and all, unchanged */
        set_file_layer(&c, text);
        edit_profiles(&c, text);
        check_saved(&c, p);
        config_free(&c);
    } else {
        /* Every error names the file; "cannot parse" means the syntax check
         * let through something cJSON refuses. */
        size_t plen = strlen(p), line, col;
        int n = -1;
        if (strncmp(err, p, plen) != 0)
            abort();
        if (sscanf(err + plen, ":%zu:%zu: %n", &line, &col, &n) == 2 && n > 0 &&
            !strcmp(err + plen + (size_t)n, "cannot parse this JSON"))
            abort();
        if (c.profiles || c.doc || c.path)
            abort();
    }
    free(text);
    unlink(p);
    return 0;
}
