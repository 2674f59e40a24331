/* Fuzzes config_load on arbitrary file contents (with an empty environment and
 * no key command), then config_set with the same bytes as a value for every option. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_config-XXXXXX";
    int fd = mkstemp(path);
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
        unlink(path);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';

    config c;
    char err[512];
    config_load_args args = {.path = path, .getenv_fn = empty_env};
    if (config_load(&c, &args, err, sizeof err) == 0) {
        check_loaded(&c, text);
        config_free(&c);
    } else {
        /* Every error names the file; "cannot parse" means the syntax check
         * let through something cJSON refuses. */
        size_t plen = strlen(path), line, col;
        int n = -1;
        if (strncmp(err, path, plen) != 0)
            abort();
        if (sscanf(err + plen, ":%zu:%zu: %n", &line, &col, &n) == 2 && n > 0 &&
            !strcmp(err + plen + (size_t)n, "cannot parse this JSON"))
            abort();
        if (c.profiles || c.doc || c.path)
            abort();
    }
    free(text);
    unlink(path);
    return 0;
}
