/* Model text is untrusted: this removes terminal control sequences and control
 * characters (keeping \n and \t), and turns invalid UTF-8 into U+FFFD. It is
 * incremental: an escape sequence or a UTF-8 character may be split across
 * calls. */
#ifndef TCHAT_SANITIZE_H
#define TCHAT_SANITIZE_H

#include <stddef.h>

#include "util.h"

typedef struct sanitizer {
    int state;              /* inside an escape sequence, and which kind */
    unsigned char pend[4];  /* bytes of an incomplete UTF-8 character */
    int pend_len;
    int pend_need;
} sanitizer;

void sanitize_init(sanitizer *s);
/* Appends the clean text of in[0..n) to out. */
void sanitize_feed(sanitizer *s, const char *in, size_t n, buf *out);
/* End of text: a pending incomplete character becomes U+FFFD. */
void sanitize_finish(sanitizer *s, buf *out);
/* One-shot convenience: returns a malloc'd clean copy. Caller frees. */
char *sanitize_string(const char *in, size_t n);
/* The same on one line, for text that must not start lines of its own (a header value,
 * a file name in a list): newlines and tabs become spaces, and the result is cut to at
 * most cap bytes at a character boundary (0: no cap). Caller frees. */
char *sanitize_line(const char *in, size_t n, size_t cap);

#endif
