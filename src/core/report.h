/* The support report of the guide's "persistent errors" section: everything
 * support asks for (model, error, request and headers, timestamps with zone),
 * with every key redacted, written to a file whose path is shown. */
#ifndef TCHAT_REPORT_H
#define TCHAT_REPORT_H

#include <stddef.h>

#include "explain.h"
#include "session.h"

/* Appends the report text of the session's last failure to out: the key masked
 * everywhere, the base URL's password masked, nothing that could act on a terminal. */
void report_build(buf *out, const session *s, const explain_ctx *cx, const char *profile_name);
/* Writes it to DIR/tchat-report-YYYYmmdd-HHMMSS.txt (DIR created 0700, file
 * 0600). dir NULL: $XDG_STATE_HOME/tchat/reports (else ~/.local/state/...).
 * Returns 0 and the path in *path (caller frees), or -1 with a message in err. */
int report_write(const session *s, const explain_ctx *cx, const char *profile_name, const char *dir,
                 char **path, char *err, size_t errlen);

#endif
