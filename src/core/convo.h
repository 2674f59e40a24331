/* Conversations on disk: every conversation is one JSON file,
 * $XDG_DATA_HOME/tchat/conversations/<id>.json, rewritten atomically after
 * every change, so that a kill -9 at any moment leaves either the old or the
 * new complete file. Also the listing behind --list/--continue/--resume, and
 * /export to Markdown. The format is described in docs/conversations.md:
 *
 *   {"version": 1, "id": "20261129-013913-a3f0", "created": ISO, "updated": ISO,
 *    "title": "first line of the first prompt", "profile": "...", "model": "...",
 *    "messages": [{"role": "user|assistant|system", "content": "...", "time": ISO,
 *                  "status": "ok|failed|interrupted|pending", "error": "rate-limit",
 *                  "finish_reason": "stop", "refusal": true}, ...]}
 *
 * Unknown members (top level and per message) are kept and written back. A
 * file with a newer version, or one that does not load, is never overwritten.
 *
 * Threads: a convo belongs to one thread (the UI's). Saving costs that thread
 * only the serialisation of what changed plus one concatenation; a saver
 * thread of the convo does the writing, always of the newest snapshot.
 *
 * Files: convo.c (the model: format, parsing, rendering, titles, times),
 * convo_store.c (the handle's files, the saver thread, listing), convo_export.c
 * (Markdown); convo_internal.h is what they share.
 */
#ifndef TCHAT_CONVO_H
#define TCHAT_CONVO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct session;

#define CONVO_VERSION 1
#define CONVO_TITLE_MAX 60 /* characters (code points) */

typedef struct convo convo;

/* $XDG_DATA_HOME/tchat/conversations (XDG_DATA_HOME if absolute, else
 * ~/.local/share/tchat/conversations), created 0700 with its parents. Returns
 * the malloc'd path, or NULL with a message in err. */
char *convo_dir(char *err, size_t errlen);

/* A new, empty conversation in dir with a fresh id (YYYYmmdd-HHMMSS-xxxx,
 * local time and 4 random hex digits; sorting ids sorts by creation). Nothing
 * is written before the first message. profile and model may be NULL. */
convo *convo_new(const char *dir, const char *profile, const char *model);

/* Loads the file at path into s (which must not be busy): its messages replace
 * s's. Returns the handle that saves back to the same file (through a symlink,
 * to its target), or NULL with "PATH: what is wrong" in err and s untouched.
 *
 * One window per conversation: the handle holds a lock file beside it (.ID.lock,
 * flock, so a process that dies lets go of it). When another tchat holds it, and
 * continued_from is not NULL, the conversation is loaded all the same and continued
 * in a copy: a new file in the same directory, written at the first save, whose
 * "continued_from" member names the original; *continued_from (malloc'd) is then the
 * original's id. With continued_from NULL, a held lock is an error ("PATH: open in
 * another tchat window"). Two windows never write the same file.
 * A prompt saved as pending (sent, not answered) comes back failed (MSG_FAILED:
 * F5 resends it); a reply saved while being written comes back interrupted.
 * Message text passes through the sanitizer, as text from the network does. */
convo *convo_open(const char *path, struct session *s, char **continued_from, char *err,
                  size_t errlen);
/* The same from text already in memory (tests, fuzzing); path names it in
 * messages and is where it would be saved. */
convo *convo_parse(const char *path, const char *text, size_t len, struct session *s, char *err,
                   size_t errlen);
/* convo_open without keeping the handle. 0 or -1 with err. */
int convo_load(const char *path, struct session *s, char *err, size_t errlen);

/* Waits for the pending save (convo_flush), stops the saver thread, lets go of the lock,
 * frees. */
void convo_free(convo *c);
/* The same, telling whether everything reached the disk: 0, or -1 with "cannot save PATH:
 * why" in err when the last write failed (the handle is freed either way). */
int convo_close(convo *c, char *err, size_t errlen);
/* Whether another tchat has the conversation at path open (its lock is held). */
bool convo_in_use(const char *path);

const char *convo_id(const convo *c);
const char *convo_path(const convo *c);
/* The title: the file's, else made from the first prompt once there is one; "" before. */
const char *convo_title(const convo *c);
/* The profile and model the conversation continues with (/model, /profile). */
void convo_set_model(convo *c, const char *profile, const char *model);
/* A title as a rename makes it from text: on one line, trimmed, sanitised, cut to
 * CONVO_TITLE_MAX characters. Caller frees; "" when nothing is left. */
char *convo_clean_title(const char *text);
/* Renames it: the title becomes convo_clean_title(title), written by the next save. 0, or
 * -1 with "PATH: a title cannot be empty". */
int convo_set_title(convo *c, const char *title, char *err, size_t errlen);

/* Saves s, asynchronously. Call it from the owning thread after every change
 * that should survive (a prompt sent, a reply completed, failed or cut, /model),
 * not for every streamed delta; a call when nothing changed writes nothing. Each
 * message's JSON is cached by (id, text length, flags, error, finish reason,
 * time), so the cost here is that of the changed messages plus one copy of the
 * file text; the saver thread writes it (temp file, fsync, rename, fsync of
 * the directory; mode 0600). If newer snapshots arrive during a write, only
 * the newest is written next. An empty conversation that was never written
 * stays unwritten. Returns 1 when a snapshot was handed to the saver, 0 when
 * there was nothing to write. Write failures come later: convo_last_error. */
int convo_save(convo *c, const struct session *s);
/* Without waiting: 1 while a snapshot handed over is still being written, 0 when the last
 * write succeeded (or none was made), -1 when it failed: *errnum (may be NULL) is its errno
 * (ENOSPC for a full disk) and err gets "cannot save PATH: why". */
int convo_save_status(convo *c, int *errnum, char *err, size_t errlen);
/* Waits until every snapshot handed over is written (at exit, in tests).
 * Returns 0, or -1 when the last write failed (see convo_last_error). */
int convo_flush(convo *c);
/* When the last write failed, copies "cannot save PATH: why" into out and
 * returns true; false (out untouched) when it succeeded or none was made yet.
 * A later successful write clears it. Thread-safe. */
bool convo_last_error(convo *c, char *out, size_t outlen);
/* How many snapshots the saver thread has written so far (tests, benchmarks). */
unsigned long convo_writes(convo *c);
/* Tests: while held, the saver thread takes no new snapshot (convo_flush
 * would wait for ever; convo_free still writes the newest). */
void convo_hold(convo *c, bool hold);

/* The file text convo_save would hand over now (without touching "updated").
 * For tests and fuzzing; appends to out. */
void convo_render(convo *c, const struct session *s, buf *out);

/* A title from s: the first line of the first user message, trimmed, at most
 * CONVO_TITLE_MAX characters (cut with "…"). Caller frees; "" when none. */
char *convo_make_title(const struct session *s);

/* One saved conversation, as --list shows it. */
typedef struct convo_info {
    char *id;
    char *path;
    char *title;
    int64_t created_ms, updated_ms; /* 0 when the file does not say */
    size_t nmsgs;
    /* convo_list_search only: */
    char *search; /* the title and every message, folded (fold.h): what a filter looks in */
    size_t search_len;
    char *problem; /* a damaged file: what is wrong ("PATH: why"); title and search NULL */
} convo_info;

/* Every <id>.json in dir (hidden files and temp files of an interrupted save
 * are ignored), validated as convo_open would, newest "updated" first (then by
 * id, newest first). Damaged files are skipped and each reported in *problems
 * as "PATH: what is wrong". A missing directory is an empty list. Returns 0,
 * or -1 with err when dir cannot be read. Free with convo_list_free and
 * convo_problems_free. problems may be NULL (then nproblems too). */
int convo_list(const char *dir, convo_info **out, size_t *n, char ***problems, size_t *nproblems,
               char *err, size_t errlen);
void convo_list_free(convo_info *v, size_t n);
/* Frees what one entry holds (the entry itself stays, zeroed). */
void convo_info_free(convo_info *info);
void convo_problems_free(char **v, size_t n);
/* The conversations browser's and --list --search's listing: every <id>.json in dir as
 * convo_list finds it, each with its search text, and damaged files as entries of their own
 * (problem says what is wrong; they sort last). Reads and parses every file: about 30 ms for
 * 1,000 files of 20 messages (8 MB) in the page cache, 15% more than convo_list
 * (bench_convo). 0, or -1 with err when dir cannot be read. */
int convo_list_search(const char *dir, convo_info **out, size_t *n, char *err, size_t errlen);
/* The filter of the browser and of --list --search: whether info's title or one of its
 * messages contains query[0..qlen), folded (fold_append), case aside. Damaged files match
 * nothing. */
bool convo_info_matches(const convo_info *info, const char *query, size_t qlen);
/* One line of --list, appended to out (no newline):
 * "20261129-013913-a3f0  2026-11-29 01:39  12 messages  Explain backoff"
 * (the date is the last update, local time; "-" when the file has none). */
void convo_info_line(const convo_info *info, buf *out);
/* The date of its last change, local time ("2026-11-29 01:39"; "-" when the file has
 * none), into out. */
void convo_info_when(const convo_info *info, char *out, size_t outlen);

/* --resume ID: an exact id, a unique prefix of one, or a path to a file (one
 * with a '/' or ending in .json that exists). Returns 0 with the malloc'd path,
 * or -1 with err: nothing matches, or several do (the message lists them). */
int convo_find(const char *dir, const char *id_or_prefix, char **path, char *err, size_t errlen);
/* Renames the conversation file at path (the browser's r): its title becomes title (as
 * convo_set_title makes it), written atomically as a save writes it; "updated" and every
 * other member, unknown ones too, stay. Refused while another tchat window has it open
 * ("PATH: open in another tchat window") and for a file that does not load. 0, or -1 with
 * err. */
int convo_rename_file(const char *path, const char *title, char *err, size_t errlen);
/* Deletes the conversation file at path and its lock file (the browser's d). Refused while
 * another tchat window has it open. 0, or -1 with "PATH: why". */
int convo_delete_file(const char *path, char *err, size_t errlen);

/* --continue: the conversation updated last (damaged files skipped). Returns
 * 0 with the malloc'd path, 1 when there is none (err says so), -1 with err
 * when dir cannot be read. */
int convo_latest(const char *dir, char **path, char *err, size_t errlen);

/* /export FILE: s as Markdown: "# title", then per message "## You",
 * "## Assistant" or "## System" with its time, the text verbatim (an unclosed
 * code fence is closed so the next heading stays a heading), and a quoted note
 * on failed, interrupted, refused or cut replies ("> ⚠ interrupted: rate-limit").
 * title NULL: convo_make_title. Written atomically (mode 0644): an existing
 * file is replaced only once the new text is completely written, and a symlink
 * stays one (its target is written, or created). 0, or -1 with "PATH: why" in
 * err. */
int convo_export_markdown(const struct session *s, const char *title, const char *path, char *err,
                          size_t errlen);
/* The same text, appended to out (tests). */
void convo_markdown(const struct session *s, const char *title, buf *out);

/* Epoch ms of an ISO-8601 time as written here ("2026-11-29T01:39:13.250+01:00";
 * the fraction is optional, "Z" is accepted, no zone means local time).
 * Returns false for anything else or before 1970. */
bool convo_parse_time(const char *s, int64_t *ms);

#endif
