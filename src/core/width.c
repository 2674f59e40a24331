/* wcwidth is X/Open; the build asks for POSIX only. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "width.h"

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

/* Wide in every UTF-8 locale that knows them (Unicode East Asian Width W and F). */
static bool wide(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
        {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    return false;
}

/* Decodes the character at s (n >= 1 bytes left): its length in bytes and columns. */
static size_t next_char(const unsigned char *s, size_t n, size_t *cols)
{
    *cols = 1;
    if (s[0] < 0x80) {
        *cols = s[0] < 0x20 || s[0] == 0x7F ? 0 : 1;
        return 1;
    }
    size_t need = s[0] >= 0xF0 && s[0] <= 0xF4 ? 3 : s[0] >= 0xE0 ? 2 : s[0] >= 0xC2 ? 1 : 0;
    if (!need || s[0] > 0xF4 || n <= need)
        return 1;
    uint32_t cp = s[0] & (0x3Fu >> need);
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    int w = wcwidth((wchar_t)cp);
    *cols = wide(cp) ? 2 : w >= 0 ? (size_t)w : 1;
    return need + 1;
}

size_t width_of(const char *s, size_t len)
{
    size_t cols = 0, c;
    for (size_t i = 0; i < len;) {
        i += next_char((const unsigned char *)s + i, len - i, &c);
        cols += c;
    }
    return cols;
}

size_t width_fit(const char *s, size_t len, size_t cols)
{
    size_t used = 0, i = 0;
    while (i < len) {
        size_t c, n = next_char((const unsigned char *)s + i, len - i, &c);
        if (used + c > cols)
            break;
        used += c;
        i += n;
    }
    return i;
}
