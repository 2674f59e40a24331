/* Feeds arbitrary text to the guide catalog loader, as the Chinese catalog next
 * to the real English one and as both, then reads everything a load produced. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guide.h"

struct catalog_file {
    const char *name;
    const char *data;
    size_t len;
};
extern const struct catalog_file catalog_files[];

static const char *const keys[] = {"cause", "usage", "attempt_of", "no.such.key", ""};

static void touch(const char *s, size_t *sum)
{
    *sum += strlen(s);
}

static void read_all(void)
{
    size_t sum = 0;
    for (int l = 0; l < GUIDE_LANG__COUNT; l++) {
        for (int e = 0; e < GUIDE__COUNT; e++) {
            const guide_text *t = guide_entry_text((guide_entry)e, (guide_lang)l);
            if (!t)
                abort();
            touch(t->title, &sum);
            touch(t->status, &sum);
            touch(t->cause, &sum);
            for (size_t i = 0; i < t->nreasons; i++)
                touch(t->reasons[i], &sum);
            for (size_t i = 0; i < t->nsteps; i++) {
                touch(t->steps[i], &sum);
                touch(t->steps_cli[i], &sum);
            }
            for (size_t i = 0; i < t->nlinks; i++) {
                touch(t->links[i].label, &sum);
                touch(t->links[i].url, &sum);
            }
        }
        for (int ty = 0; ty < GUIDE_T__COUNT; ty++) {
            const guide_text *t = guide_type_text((guide_type)ty, (guide_lang)l);
            touch(t->title, &sum);
            for (size_t i = 0; i < t->nsteps; i++)
                touch(t->steps_cli[i], &sum);
        }
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            touch(guide_str((guide_lang)l, keys[k]), &sum);
    }
    if (sum == 0)
        abort(); /* titles are never empty after a successful load */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *en = NULL;
    size_t en_len = 0;
    for (const struct catalog_file *f = catalog_files; f->name; f++) {
        if (strcmp(f->name, "en") == 0) {
            en = f->data;
            en_len = f->len;
        }
    }
    const char *in = (const char *)data;
    char err[256];

    const char *texts[GUIDE_LANG__COUNT] = {en, in};
    size_t lens[GUIDE_LANG__COUNT] = {en_len, size};
    if (guide_init_from(texts, lens, err, sizeof err) == 0)
        read_all();
    guide_done();

    const char *both[GUIDE_LANG__COUNT] = {in, in};
    size_t both_lens[GUIDE_LANG__COUNT] = {size, size};
    if (guide_init_from(both, both_lens, err, sizeof err) == 0)
        read_all();
    guide_done();
    return 0;
}
