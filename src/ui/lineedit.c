#include "lineedit.h"

#include <curses.h>
#include <string.h>

#include "render.h"
#include "term.h"

void lineedit_init(lineedit *e)
{
    buf_init(&e->text);
    buf_puts(&e->text, "");
    e->cursor = 0;
}

void lineedit_free(lineedit *e)
{
    buf_free(&e->text);
    e->cursor = 0;
}

void lineedit_set(lineedit *e, const char *text)
{
    buf_reset(&e->text);
    buf_puts(&e->text, text ? text : "");
    e->cursor = e->text.len;
}

const char *lineedit_text(const lineedit *e)
{
    return buf_str(&e->text);
}

static size_t prev_char(const char *s, size_t i)
{
    if (!i)
        return 0;
    i--;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static size_t next_char(const char *s, size_t len, size_t i)
{
    if (i >= len)
        return len;
    i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* Removes text[from..to). */
static void cut(lineedit *e, size_t from, size_t to)
{
    buf *t = &e->text;
    memmove(t->data + from, t->data + to, t->len - to + 1);
    t->len -= to - from;
    e->cursor = from;
}

static void insert_byte(lineedit *e, char c)
{
    buf *t = &e->text;
    buf_reserve(t, 1);
    memmove(t->data + e->cursor + 1, t->data + e->cursor, t->len - e->cursor + 1);
    t->data[e->cursor++] = c;
    t->len++;
}

bool lineedit_key(lineedit *e, int key, unsigned flags)
{
    const char *s = buf_str(&e->text);
    size_t len = e->text.len;
    bool move = flags & LINEEDIT_MOVE;
    switch (key) {
    case KEY_BACKSPACE:
    case 127:
    case 8:
        cut(e, prev_char(s, e->cursor), e->cursor);
        return true;
    case 21: /* Ctrl-U */
        lineedit_set(e, "");
        return true;
    case TERM_KEY_PASTE:
        /* One line: newlines and tabs become spaces; control characters are gone already. */
        for (const char *p = term_paste_text(); *p; p++)
            insert_byte(e, *p == '\n' || *p == '\t' ? ' ' : *p);
        return true;
    case KEY_LEFT:
        if (move)
            e->cursor = prev_char(s, e->cursor);
        return move;
    case KEY_RIGHT:
        if (move)
            e->cursor = next_char(s, len, e->cursor);
        return move;
    case KEY_HOME:
    case 1: /* Ctrl-A */
        if (move)
            e->cursor = 0;
        return move;
    case KEY_END:
    case 5: /* Ctrl-E */
        if (move)
            e->cursor = len;
        return move;
    case KEY_DC:
        if (move)
            cut(e, e->cursor, next_char(s, len, e->cursor));
        return move;
    default:
        if (key >= 32 && key < 256 && key != 127) {
            insert_byte(e, (char)key);
            return true;
        }
        return false;
    }
}

bool lineedit_partial(const lineedit *e)
{
    const unsigned char *s = (const unsigned char *)buf_str(&e->text);
    size_t len = e->text.len, i = len, cont = 0;
    while (i > 0 && (s[i - 1] & 0xC0) == 0x80 && cont < 3) {
        i--;
        cont++;
    }
    if (i == 0 || s[i - 1] < 0xC0)
        return false;
    unsigned lead = s[i - 1];
    size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
    return cont < need;
}

int lineedit_cursor_cols(const lineedit *e)
{
    return render_width(buf_str(&e->text), e->cursor);
}

size_t lineedit_mask(const lineedit *e, const char *mask, buf *out)
{
    const char *s = buf_str(&e->text);
    size_t before = 0;
    for (size_t i = 0; i < e->text.len; i = next_char(s, e->text.len, i)) {
        buf_puts(out, mask);
        before += i < e->cursor;
    }
    return before;
}
