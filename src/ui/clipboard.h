/* Copying text to the clipboard of the terminal tchat is shown in, locally, over
 * SSH and inside tmux or GNU screen. Nothing here needs a display server: the
 * terminal (or tmux) is asked to do it.
 *
 * - OSC 52 (ESC ] 52 ; c ; BASE64 BEL) asks the terminal itself to set its
 *   clipboard; it travels over SSH like any output. Terminals cap its length
 *   (xterm's default is about 100 kB), so a longer text is not sent at all
 *   rather than cut: CLIP_OSC52_MAX.
 * - GNU screen ($STY) does not pass OSC 52 on: the sequence goes through
 *   screen's passthrough (DCS: ESC P ... ESC \), in pieces that screen's limit
 *   on one string takes (256 bytes before screen 4.2, 768 since).
 * - tmux ($TMUX) takes an application's OSC 52 only with `set-clipboard on`;
 *   its default, `external`, ignores it. So the text is handed to tmux with
 *   `tmux load-buffer -w -`: it lands in tmux's paste buffer whatever the
 *   setting, and -w has tmux set the outer terminal's clipboard itself (unless
 *   set-clipboard is off). OSC 52 is then not sent as well: it would add the
 *   same text as a second buffer under `on`, and be ignored otherwise. tmux
 *   before 3.2 has no -w: then `load-buffer -` and OSC 52 both.
 *   No passthrough (ESC P tmux; ...) is used: tmux 3.3 drops it unless
 *   allow-passthrough is set, and it would bypass tmux's buffer. */
#ifndef TCHAT_CLIPBOARD_H
#define TCHAT_CLIPBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* What stands between tchat and the terminal. */
typedef enum {
    CLIP_DIRECT, /* the terminal itself (perhaps over SSH) */
    CLIP_TMUX,
    CLIP_SCREEN,
} clip_mux;

enum {
    /* The longest OSC 52 sequence sent (bytes, before screen's wrapping): xterm's
     * default limit. Its base64 carries CLIP_TEXT_MAX bytes of text. */
    CLIP_OSC52_MAX = 100000,
    CLIP_TEXT_MAX = (CLIP_OSC52_MAX - 8) / 4 * 3,
    /* Each of screen's passthrough strings carries at most this much (its oldest limit,
     * 256, less ESC P and ESC \). */
    CLIP_SCREEN_CHUNK = 252,
    CLIP_TMUX_TIMEOUT_MS = 1500, /* for each run of tmux */
};

/* From the values of $TMUX and $STY (NULL when unset): tmux when TMUX is set (tmux
 * also sets TERM=screen, so TERM proves nothing), else screen when STY is set. */
clip_mux clip_mux_detect(const char *tmux, const char *sty);

/* Appends the base64 of p[0, n) (RFC 4648, padded, no line breaks). */
void clip_base64(buf *out, const void *p, size_t n);
/* Appends the OSC 52 sequence that puts text in the clipboard, wrapped for mux
 * (CLIP_SCREEN: in passthrough pieces; otherwise as it is). */
void clip_osc52(buf *out, const char *text, size_t len, clip_mux mux);

/* Runs `tmux load-buffer [-w] -` with text on its standard input: no shell, the
 * environment without keys (env_for_child), its output to /dev/null, killed after
 * timeout_ms. SIGPIPE must be ignored (tchat's main does). Returns 0; 1 when tmux ran
 * and failed (exit status in *status); -1 when it could not run or timed out. err
 * says why in the last two cases. */
int clip_tmux_load(const char *text, size_t len, bool to_clipboard, int timeout_ms, int *status,
                   char *err, size_t errlen);

/* What clip_copy did. */
typedef struct clip_result {
    bool tmux;     /* in tmux's paste buffer */
    bool osc52;    /* OSC 52 written to the terminal */
    bool too_long; /* longer than CLIP_TEXT_MAX: no OSC 52 */
    char err[160]; /* why tmux failed, else why the terminal did when nothing took
                           the text; "" otherwise */
} clip_result;

/* Copies text (UTF-8) as above, for the terminal of this process ($TMUX, $STY). */
void clip_copy(const char *text, size_t len, clip_result *r);

#endif
