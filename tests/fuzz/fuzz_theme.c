/* Feeds arbitrary text to the theme parser, then checks what it produced: a
 * complete theme with colours in range, or a "FILE:LINE: message" error and
 * the default theme. Also maps every colour it got to 8/16/256 colours. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "theme.h"

static void check_theme(const theme *t)
{
    if (!memchr(t->name, '\0', sizeof t->name))
        abort();
    for (int r = 0; r < ROLE__COUNT; r++) {
        const theme_style *s = &t->role[r];
        if (s->fg < THEME_COLOR_DEFAULT || s->fg > 255 || s->bg < THEME_COLOR_DEFAULT ||
            s->bg > 255)
            abort();
        if (s->attrs & ~(unsigned)(THEME_ATTR_BOLD | THEME_ATTR_DIM | THEME_ATTR_UNDERLINE |
                                   THEME_ATTR_REVERSE | THEME_ATTR_ITALIC))
            abort();
        static const int ncolors[] = {256, 88, 16, 8};
        for (size_t i = 0; i < sizeof ncolors / sizeof ncolors[0]; i++) {
            bool bold;
            short c = theme_map_color(s->fg, ncolors[i], &bold);
            int max = ncolors[i] >= 256 ? 255 : ncolors[i] >= 16 ? 15 : 7;
            if (c < THEME_COLOR_DEFAULT || c > max || (bold && ncolors[i] >= 16))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    theme t;
    char err[256];
    int rc = theme_parse((const char *)data, size, "fuzz.theme", &t, err, sizeof err);
    check_theme(&t);
    if (rc == 0) {
        if (strcmp(t.name, "fuzz") != 0 || err[0])
            abort();
    } else {
        if (rc != -1 || strncmp(err, "fuzz.theme:", 11) != 0 || strcmp(t.name, "default") != 0)
            abort();
        /* the message names a line within the input */
        long line = strtol(err + 11, NULL, 10);
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (line < 1 || (size_t)line > lines)
            abort();
    }
    /* A tiny error buffer is still NUL-terminated. */
    char tiny[5];
    memset(tiny, 'x', sizeof tiny);
    theme_parse((const char *)data, size, "fuzz.theme", &t, tiny, sizeof tiny);
    if (!memchr(tiny, '\0', sizeof tiny))
        abort();
    return 0;
}
