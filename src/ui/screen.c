#include "screen.h"

bool screens_push(screens *st, screen *s)
{
    if (st->n == SCREENS_MAX) {
        s->ops->close(s);
        return false;
    }
    st->v[st->n++] = s;
    return true;
}

screen *screens_top(const screens *st)
{
    return st->n ? st->v[st->n - 1] : NULL;
}

void screens_pop(screens *st)
{
    if (st->n > 1) {
        screen *s = st->v[--st->n];
        s->ops->close(s);
    }
}

bool screens_remove(screens *st, screen *s)
{
    for (int i = 0; i < st->n; i++) {
        if (st->v[i] == s) {
            for (int k = i; k + 1 < st->n; k++)
                st->v[k] = st->v[k + 1];
            st->n--;
            s->ops->close(s);
            return true;
        }
    }
    return false;
}

void screens_close_all(screens *st)
{
    while (st->n) {
        screen *s = st->v[--st->n];
        s->ops->close(s);
    }
}
