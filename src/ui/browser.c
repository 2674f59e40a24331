#include "browser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convo.h"
#include "fold.h"
#include "sanitize.h"

typedef struct browser {
    chat *c;
    convo_info *v; /* newest first, damaged files last */
    size_t n;
} browser;

static const char *S(const browser *b, const char *key)
{
    return chat_str(b->c, key);
}

static convo_info *find(browser *b, const char *path)
{
    for (size_t i = 0; path && i < b->n; i++)
        if (strcmp(b->v[i].path, path) == 0)
            return &b->v[i];
    return NULL;
}

/* The conversation open in this window. */
static bool is_here(const browser *b, const convo_info *info)
{
    const chat *c = b->c;
    return c->cv && strcmp(info->id, convo_id(c->cv)) == 0 && chat_has_conversation(c, info->path);
}

/* One line of a title (the id when it has none). Caller frees. */
static char *label_of(const convo_info *info)
{
    const char *t = info->title && *info->title ? info->title : info->id;
    return sanitize_line(t, strlen(t), 0);
}

/* Gives the picker the list as it is now. */
static void fill(browser *b, picker *p)
{
    size_t n = b->n;
    picker_item *items = xcalloc(n ? n : 1, sizeof *items);
    char **texts = xcalloc(n ? 3 * n : 1, sizeof *texts); /* label, right, detail of each */
    for (size_t i = 0; i < n; i++) {
        const convo_info *info = &b->v[i];
        char **t = &texts[3 * i];
        picker_item *it = &items[i];
        it->id = info->path;
        if (info->problem) {
            /* What is wrong, without the path: the line is too short for both. */
            const char *why = info->problem;
            size_t plen = strlen(info->path);
            if (!strncmp(why, info->path, plen) && !strncmp(why + plen, ": ", 2))
                why += plen + 2;
            t[0] = xstrdup(info->id);
            t[1] = xstrdup(S(b, "ui.browser.damaged"));
            buf d;
            buf_init(&d);
            buf_fill(&d, S(b, "ui.browser.damaged_why"), 1, why);
            t[2] = sanitize_line(buf_str(&d), d.len, 0);
            buf_free(&d);
            it->disabled = true;
        } else {
            char when[32], count[24];
            convo_info_when(info, when, sizeof when);
            snprintf(count, sizeof count, "%zu", info->nmsgs);
            buf r;
            buf_init(&r);
            buf_printf(&r, "%s · ", when);
            buf_fill(&r, S(b, info->nmsgs == 1 ? "ui.browser.message" : "ui.browser.messages"), 1,
                     count);
            t[0] = label_of(info);
            t[1] = buf_steal(&r);
            it->current = is_here(b, info);
            t[2] = it->current ? xasprintf("%s · %s", info->id, S(b, "ui.browser.here"))
                               : xstrdup(info->id);
            it->search = info->search;
        }
        it->label = t[0];
        it->right = t[1];
        it->detail = t[2];
    }
    picker_set_items(p, items, n);
    for (size_t i = 0; i < 3 * n; i++)
        free(texts[i]);
    free(texts);
    free(items);
}

/* A message in the picker from a template of one argument. */
static void say(browser *b, picker *p, bool error, const char *key, const char *arg)
{
    buf m;
    buf_init(&m);
    buf_fill(&m, S(b, key), 1, arg);
    picker_message(p, error, buf_str(&m));
    buf_free(&m);
}

static bool busy(browser *b, picker *p)
{
    if (!session_busy(&b->c->s))
        return false;
    say(b, p, true, "ui.busy", chat_cancel_key(b->c));
    return true;
}

/* ---- Enter: open ---- */

static unsigned on_choose(void *ud, picker *p, const char *path)
{
    browser *b = ud;
    if (busy(b, p))
        return UI_REDRAW_ALL;
    char err[1024];
    if (chat_open_conversation(b->c, path, err, sizeof err) != 0) {
        picker_message(p, true, err);
        return UI_REDRAW_ALL;
    }
    return UI_CLOSE | UI_REDRAW_ALL | UI_RELAYOUT;
}

/* ---- d: delete ---- */

static unsigned on_delete(void *ud, picker *p, const char *path, const char *text)
{
    (void)text;
    browser *b = ud;
    convo_info *info = find(b, path);
    if (!info)
        return 0;
    unsigned f = 0;
    if (is_here(b, info)) {
        if (busy(b, p))
            return 0;
        f |= chat_new_conversation(b->c); /* lets go of the file */
    }
    char err[1024];
    if (convo_delete_file(path, err, sizeof err) != 0) {
        picker_message(p, true, err);
        return f;
    }
    char *label = label_of(info);
    size_t i = (size_t)(info - b->v);
    convo_info_free(info);
    memmove(b->v + i, b->v + i + 1, (b->n - i - 1) * sizeof *b->v);
    b->n--;
    fill(b, p);
    say(b, p, false, "ui.browser.deleted", label);
    free(label);
    return f;
}

/* ---- r: rename ---- */

static unsigned on_rename(void *ud, picker *p, const char *path, const char *text)
{
    browser *b = ud;
    convo_info *info = find(b, path);
    if (!info)
        return 0;
    char err[1024];
    int rc = is_here(b, info) ? convo_set_title(b->c->cv, text, err, sizeof err)
                              : convo_rename_file(path, text, err, sizeof err);
    if (rc != 0) {
        picker_message(p, true, err);
        return 0;
    }
    if (is_here(b, info))
        chat_save(b->c);
    /* The list follows: the title, and the start of the search text, which is the title. */
    char *title = convo_clean_title(text);
    buf s;
    buf_init(&s);
    fold_append(&s, title, strlen(title));
    const char *rest = info->search ? memchr(info->search, '\n', info->search_len) : NULL;
    if (rest)
        buf_append(&s, rest, info->search_len - (size_t)(rest - info->search));
    free(info->search);
    info->search_len = s.len;
    info->search = buf_steal(&s);
    free(info->title);
    info->title = title;
    fill(b, p);
    char *label = label_of(info);
    say(b, p, false, "ui.browser.renamed", label);
    free(label);
    return 0;
}

/* ---- the keys ---- */

static unsigned on_key(void *ud, picker *p, int key, const char *path)
{
    browser *b = ud;
    convo_info *info = find(b, path);
    if (!info)
        return 0;
    bool here = is_here(b, info);
    if (!here && convo_in_use(path)) {
        say(b, p, true, key == 'd' ? "ui.browser.in_use_delete" : "ui.browser.in_use_rename",
            info->id);
        return 0;
    }
    char *label = label_of(info);
    buf q;
    buf_init(&q);
    if (key == 'd') {
        buf_fill(&q, S(b, here ? "ui.browser.confirm_delete_here" : "ui.browser.confirm_delete"), 1,
                 label);
        picker_confirm(p, buf_str(&q), path, on_delete);
    } else if (info->problem) {
        say(b, p, true, "ui.browser.damaged_rename", info->id);
    } else {
        picker_prompt(p, S(b, "ui.browser.rename"), info->title ? info->title : "", path,
                      on_rename);
    }
    buf_free(&q);
    free(label);
    return 0;
}

static void on_done(void *ud)
{
    browser *b = ud;
    convo_list_free(b->v, b->n);
    free(b);
}

picker *browser_new(chat *c, int close_key, char *err, size_t errlen)
{
    if (!c->convo_dir) {
        snprintf(err, errlen, "%s", chat_str(c, "ui.browser.not_saved"));
        return NULL;
    }
    browser *b = xcalloc(1, sizeof *b);
    b->c = c;
    if (convo_list_search(c->convo_dir, &b->v, &b->n, err, errlen) != 0) {
        free(b);
        return NULL;
    }
    picker_opts o = {
        .name = "conversations",
        .title = chat_str(c, "ui.browser.title"),
        .lang = &c->cx.lang,
        .keys = {'d', 'r'},
        .keys_help = chat_str(c, "ui.browser.keys"),
        .enter_help = chat_str(c, "ui.browser.open"),
        .close_key = close_key,
        .calls = {.choose = on_choose, .key = on_key, .done = on_done},
        .ud = b,
    };
    picker *p = picker_new(&o);
    fill(b, p);
    return p;
}
