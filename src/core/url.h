/* Base URLs as tchat judges and shows them: whether the scheme is plain http://, whether
 * the host is this machine, and the URL with the password of its user information masked
 * (https://user:***@host/v1), which is how every explanation, report and message shows a
 * base URL. Pure string work: no DNS, no I/O. */
#ifndef TCHAT_URL_H
#define TCHAT_URL_H

#include <stdbool.h>

/* The URL with the password in "user:password@" replaced by "***"; a copy of url when
 * there is none. NULL stays NULL. Caller frees. */
char *url_display(const char *url);
/* The password of "user:password@" as written in the URL, or NULL when there is none.
 * Caller frees. */
char *url_password(const char *url);
/* The host and port ("example.com:8080", "[::1]:8080"), without scheme, user information
 * or path. Caller frees. */
char *url_authority(const char *url);
/* The host alone, lower case, without brackets, port, a trailing '.' or user information
 * ("api.groq.com", "::1"). Caller frees. */
char *url_host(const char *url);
/* Where the path of the URL starts (after scheme://authority), "" when it has none. A
 * pointer into url. */
const char *url_path(const char *url);
/* True for an http:// URL (any case), false for https:// and anything else. */
bool url_is_plain_http(const char *url);
/* True when the host is this machine: localhost (or a name under .localhost), an IPv4
 * address in 127.0.0.0/8, ::1, or ::ffff:127.x.y.z. A name that merely begins with
 * "localhost" or "127." is not. */
bool url_is_loopback(const char *url);

#endif
