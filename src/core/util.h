/* Small helpers every core module uses: checked allocation, a growable byte buffer, error
 * messages into a caller's buffer, locale-free string helpers, directories, clocks and
 * civil dates. */
#ifndef TCHAT_UTIL_H
#define TCHAT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation that never returns NULL: out of memory aborts with a message.
 * xmalloc_array checks n * size for overflow. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
void *xmalloc_array(size_t n, size_t size);
void *xrealloc_array(void *p, size_t n, size_t size);
char *xstrdup(const char *s);          /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable byte buffer, always NUL-terminated once anything was added. */
typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_reset(buf *b);                     /* len = 0, keeps the memory */
void buf_reserve(buf *b, size_t extra);
void buf_append(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends tmpl with each printf-style conversion (%s, %d, %ld, %zu) replaced
 * by the next of the nargs string arguments, in order; "%%" is a percent sign.
 * Safe for translated templates: a template cannot read more arguments than given. */
void buf_fill(buf *b, const char *tmpl, int nargs, ...);
/* Returns the contents as a malloc'd string (never NULL) and leaves b empty. */
char *buf_steal(buf *b);
/* The contents as a C string ("" when empty). */
const char *buf_str(const buf *b);

/* The way core functions report failure: they return -1 and write "what: why" into the
 * caller's err buffer of errlen bytes. This writes it (nothing when err is NULL or errlen is
 * 0; a long message is cut). */
void err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ASCII helpers that ignore the locale. */
int str_casecmp(const char *a, const char *b);
int str_ncasecmp(const char *a, const char *b, size_t n);
bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
bool str_contains_nocase(const char *hay, const char *needle);
/* Trims ASCII whitespace from both ends in place; returns s. */
char *str_trim(char *s);
/* Length of the valid UTF-8 sequence at s[0..n) (1 to 4) with its code point in *cp, or 0
 * when it is not valid UTF-8 (overlong forms, surrogates and code points past U+10FFFF
 * included). */
size_t str_utf8_seq(const unsigned char *s, size_t n, unsigned *cp);
/* A short, printable rendition of user text s[0..n) for a message, into out: control
 * characters and invalid UTF-8 become '?', and past max bytes it is cut with "…". */
void str_clip(const char *s, size_t n, size_t max, char *out, size_t outlen);

/* Splits cmd into words the way a shell does for plain words, quotes ('...', "..." with
 * \" \\ \$ \` escaped) and backslashes, but expands and runs nothing: a command line run
 * without a shell. Returns a NULL-terminated vector (free with str_free_words) and its
 * length in *argc, or NULL with why (an unclosed quote, an empty command). */
char **str_split_words(const char *cmd, size_t *argc, const char **why);
void str_free_words(char **v);

/* Creates path and any missing parents, each 0700 whatever the umask (tchat's directories
 * hold prompts and keys); directories that exist are left as they are. Returns 0, or -1
 * with errno set and *failed (when failed is not NULL; malloc'd) naming the directory
 * that could not be made: one that exists but is not a directory fails with ENOTDIR. */
int dir_make(const char *path, char **failed);
/* dir_make with the message: 0, or -1 with "cannot create DIR: reason" in err. */
int dir_create(const char *path, char *err, size_t errlen);
/* An XDG path: $var/tail when var is set to an absolute path (the spec ignores
 * relative ones), else $HOME/home_rel/tail. NULL when neither is usable. Caller frees. */
char *xdg_path(const char *var, const char *home_rel, const char *tail);

/* The environment for a child process: this process's, without the variables
 * that hold a key (OPENAI_API_KEY, and every NAME_API_KEY: a provider's). The array is
 * malloc'd, the strings are environ's own: free only the array. */
char **env_for_child(void);
/* Adds a variable that env_for_child leaves out as well: one a key was read from whose name
 * does not end in _API_KEY (a profile's api_key_env). */
void env_child_withhold(const char *name);

/* Writes all n bytes of p to fd, waiting (poll) while fd would block, until the
 * monotonic deadline_ms. Returns the bytes written: n, or fewer on an error (EPIPE:
 * the reader has gone) or at the deadline. */
size_t fd_write_all(int fd, const void *p, size_t n, int64_t deadline_ms);

/* Monotonic and wall clocks in milliseconds. */
int64_t clock_mono_ms(void);
int64_t clock_wall_ms(void);

/* Formats an epoch time in ms as ISO-8601 with the local zone offset,
 * e.g. 2026-11-29T01:39:13.250+01:00, into out (at least 40 bytes). */
void time_iso8601(int64_t wall_ms, char *out, size_t outlen);

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar (month 1-12, day
 * 1-31; negative before 1970), and back: exact for every date, with no tables, no libc
 * and no time zone. */
int64_t time_days_from_civil(int64_t year, int month, int day);
void time_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* The days of month 1-12 of year (February 29 in a leap year). */
int time_days_in_month(int64_t year, int month);

#endif
