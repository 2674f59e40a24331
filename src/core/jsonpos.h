/* JSON syntax and positions. cJSON reports neither where a key is nor, usefully, why a
 * document is malformed, so this small strict scanner does: it checks that a text is one
 * JSON value and says where and why it is not, finds the line of a key, and turns a byte
 * offset into a line and a column. Used by the config loader (whose messages quote it) and
 * by conversation files (which only point at the place).
 *
 * Its reasons quote a little of the text, but never a secret: an excerpt that lies in the
 * value of a secret key (in any object, at any depth) or that looks like an API key ("sk-"
 * first, or a long run of letters and digits) is masked. */
#ifndef TCHAT_JSONPOS_H
#define TCHAT_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

/* Stricter than cJSON's own limit (1000), so every text that passes cJSON parses too. */
#define JSONPOS_MAX_DEPTH 512

typedef struct jsonpos_secrets {
    const char *const *keys; /* the keys whose values are secret */
    size_t nkeys;
    char *(*mask)(const char *secret); /* how a secret is shown (malloc'd); NULL: "…" */
} jsonpos_secrets;

/* Where and why a text is not JSON. */
typedef struct jsonpos_error {
    size_t pos;      /* byte offset of the first thing that cannot be JSON */
    size_t line, col; /* the same, 1-based, the column in characters */
    bool truncated;  /* the text ends before the value does (a cut-off file) */
    char why[192];   /* e.g. "expected ':' after \"model\", found '}'" */
} jsonpos_error;

/* Checks that s[0..len) is one JSON value: RFC 8259 strictly (no comments, no trailing
 * commas, strings of valid UTF-8 without control characters or \u0000), nested at most
 * JSONPOS_MAX_DEPTH deep, optionally after a UTF-8 byte order mark. Returns 0, or -1 with
 * e filled in. secrets may be NULL (then only what looks like a key is masked). */
int jsonpos_check(const char *s, size_t len, const jsonpos_secrets *secrets, jsonpos_error *e);

/* 1-based line and column (in characters) of byte offset off of s[0..len). */
void jsonpos_line_col(const char *s, size_t len, size_t off, size_t *line, size_t *col);

/* The line of the nth occurrence (0: the first) of a key path (the keys from the top-level
 * object down) in s[0..len), which passed jsonpos_check; 0 when it is not there. */
size_t jsonpos_key_line(const char *s, size_t len, const char *const *path, size_t npath,
                        size_t nth);

#endif
