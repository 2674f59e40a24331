/* /export: a conversation as Markdown, written atomically. Headings per message with
 * their time, a reply's reasoning folded in a <details> element, the text verbatim (an
 * unclosed code fence closed so that the next heading stays a heading), and a quoted note on
 * replies that failed, were cut or refused. */
#include "convo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "explain.h"
#include "fileio.h"
#include "guide.h"
#include "session.h"

/* ---------------------------------------------------------------- Markdown */

/* Whether line[0..n) opens or closes a code fence; its character and length. */
static bool fence_line(const char *line, size_t n, char *ch, size_t *len, bool *bare)
{
    size_t i = 0;
    while (i < n && i < 3 && line[i] == ' ')
        i++;
    if (i >= n || (line[i] != '`' && line[i] != '~'))
        return false;
    char c = line[i];
    size_t k = 0;
    while (i + k < n && line[i + k] == c)
        k++;
    if (k < 3)
        return false;
    size_t j = i + k;
    while (j < n && (line[j] == ' ' || line[j] == '\t'))
        j++;
    *ch = c;
    *len = k;
    *bare = j == n; /* nothing after it: it can close a fence */
    return true;
}

/* The fence left open at the end of text, if any (its character and length). */
static bool open_fence(const char *text, size_t n, char *ch, size_t *len)
{
    bool open = false;
    char och = 0;
    size_t olen = 0;
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t ln = eol ? (size_t)(eol - p) : (size_t)(end - p);
        char c;
        size_t k;
        bool bare;
        if (fence_line(p, ln, &c, &k, &bare)) {
            if (!open) {
                open = true;
                och = c;
                olen = k;
            } else if (c == och && k >= olen && bare) {
                open = false;
            }
        }
        p = eol ? eol + 1 : end;
    }
    *ch = och;
    *len = olen;
    return open;
}

/* text verbatim, on lines of its own, a code fence it leaves open closed. */
static void md_text(buf *out, const char *text, size_t len)
{
    buf_append(out, text, len);
    if (text[len - 1] != '\n')
        buf_putc(out, '\n');
    char ch;
    size_t flen;
    if (open_fence(text, len, &ch, &flen)) {
        for (size_t k = 0; k < flen; k++)
            buf_putc(out, ch);
        buf_putc(out, '\n');
    }
}

/* The reasoning, folded as the chat folds it: a <details> element, which GitHub, GitLab and
 * most previews show closed under its summary, and any other reader as plain, marked text.
 * Markdown inside it needs the blank lines. A "</details" in the reasoning would close the
 * element early: its '<' is written as an entity, which renders as the same character. */
static void md_reasoning(buf *out, const chat_msg *m)
{
    size_t len = m->reasoning.len;
    const char *r = m->reasoning.data;
    while (len && (r[len - 1] == '\n' || r[len - 1] == ' '))
        len--;
    if (!len)
        return;
    buf_puts(out, "\n<details><summary>Thought");
    if (m->think_ms >= 0) {
        buf_puts(out, " for ");
        explain_elapsed(out, m->think_ms);
    }
    buf_puts(out, "</summary>\n\n");
    buf safe;
    buf_init(&safe);
    for (size_t i = 0; i < len; i++) {
        if (r[i] == '<' && len - i >= 9 && str_ncasecmp(r + i, "</details", 9) == 0)
            buf_puts(&safe, "&lt;");
        else
            buf_putc(&safe, r[i]);
    }
    md_text(out, safe.data, safe.len);
    buf_free(&safe);
    buf_puts(out, "\n</details>\n");
}

static void md_note(buf *notes, const char *what, int error)
{
    buf_puts(notes, notes->len ? "; " : "");
    buf_puts(notes, what);
    if ((unsigned)error < GUIDE__COUNT) {
        buf_puts(notes, ": ");
        buf_puts(notes, guide_entry_id((guide_entry)error));
    }
}

void convo_markdown(const session *s, const char *title, buf *out)
{
    char *made = title ? NULL : convo_make_title(s);
    const char *t = title ? title : made;
    buf_printf(out, "# %s\n", *t ? t : "Conversation");
    free(made);
    buf notes;
    buf_init(&notes);
    for (size_t i = 0; i < s->nmsgs; i++) {
        const chat_msg *m = &s->msgs[i];
        const char *who = m->role == API_ROLE_USER ? "You"
                          : m->role == API_ROLE_ASSISTANT ? "Assistant" : "System";
        buf_printf(out, "\n## %s", who);
        if (m->wall_ms > 0) {
            time_t secs = (time_t)(m->wall_ms / 1000);
            struct tm tm;
            char when[32];
            localtime_r(&secs, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
            buf_printf(out, " · %s", when);
        }
        buf_putc(out, '\n');
        md_reasoning(out, m);
        if (m->text.len) {
            buf_putc(out, '\n');
            md_text(out, m->text.data, m->text.len);
        }
        buf_reset(&notes);
        if (m->flags & MSG_FAILED)
            md_note(&notes, "failed", m->error);
        else if (m->flags & MSG_INTERRUPTED)
            md_note(&notes, "interrupted", m->error);
        else if (m->flags & MSG_PENDING)
            md_note(&notes, "pending", GUIDE__COUNT);
        if (m->flags & MSG_REFUSAL)
            md_note(&notes, "refusal", GUIDE__COUNT);
        if (m->finish_reason && *m->finish_reason && strcmp(m->finish_reason, "stop") != 0) {
            buf_puts(&notes, notes.len ? "; " : "");
            buf_printf(&notes, "finish reason: %s", m->finish_reason);
        }
        if (notes.len)
            buf_printf(out, "\n> ⚠ %s\n", buf_str(&notes));
    }
    buf_free(&notes);
}

int convo_export_markdown(const session *s, const char *title, const char *path, char *err,
                          size_t errlen)
{
    if (!path || !*path) {
        snprintf(err, errlen, "no file name given for the export");
        return -1;
    }
    buf md;
    buf_init(&md);
    convo_markdown(s, title, &md);
    /* An existing symlink stays one: its target is written. */
    fileio_write_opts wo = {.mode = 0644, .follow = true};
    int rc = fileio_write_atomic(path, buf_str(&md), md.len, &wo, err, errlen);
    buf_free(&md);
    return rc;
}

