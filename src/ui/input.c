#include "input.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "render.h"

static input_hooks hooks;
static int pending_byte = -1;
static char *done_line;      /* the line readline handed over, until input_feed returns it */
static bool done_eof;
static bool edit_wanted;     /* Ctrl-X Ctrl-E (vi: v) was pressed */

static int bridge_getc(FILE *f)
{
    (void)f;
    int c = pending_byte;
    pending_byte = -1;
    return c < 0 ? EOF : c;
}

static int bridge_input_available(void)
{
    return pending_byte >= 0;
}

static void bridge_redisplay(void)
{
    /* Drawn by input_draw when the screen is drawn. */
}

static void bridge_line(char *line)
{
    /* NULL is end of file: Ctrl-D on an empty line. */
    if (!line) {
        done_eof = true;
        return;
    }
    /* Here, inside readline's call, so that Up starts from this entry. */
    if (line[strspn(line, " \t\n")])
        add_history(line);
    free(done_line);
    done_line = line;
}

/* Alt-Enter and Ctrl-J insert a newline instead of sending. */
static int insert_newline(int count, int key)
{
    (void)key;
    for (int i = 0; i < (count > 0 ? count : 1); i++)
        rl_insert_text("\n");
    return 0;
}

/* Ctrl-X Ctrl-E (vi command mode: v): the editor is the screen's to run, once readline
 * has finished with the key; here it is only asked for. */
static int request_edit(int count, int key)
{
    (void)count;
    (void)key;
    edit_wanted = true;
    return 0;
}

static char **complete(const char *text, int start, int end)
{
    rl_attempted_completion_over = 1;
    return hooks.complete ? hooks.complete(hooks.ud, text, start, end) : NULL;
}

static void show_matches(char **matches, int n, int longest)
{
    (void)longest;
    if (hooks.show_matches)
        hooks.show_matches(hooks.ud, matches, n);
}

void input_init(const input_hooks *h)
{
    hooks = *h;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = NULL;
    rl_deprep_term_function = NULL;
    rl_getc_function = bridge_getc;
    rl_input_available_hook = bridge_input_available;
    rl_redisplay_function = bridge_redisplay;
    rl_readline_name = "tchat";
    /* readline must not write to the terminal itself. */
    rl_outstream = fopen("/dev/null", "w");
    rl_callback_handler_install("> ", bridge_line);
    rl_bind_key_in_map('\n', insert_newline, emacs_standard_keymap);
    rl_bind_key_in_map('\n', insert_newline, vi_insertion_keymap);
    rl_bind_keyseq_in_map("\\e\\r", insert_newline, emacs_standard_keymap);
    rl_bind_keyseq_in_map("\\e\\r", insert_newline, vi_insertion_keymap);
    rl_bind_key_in_map('\r', rl_newline, emacs_standard_keymap);
    rl_bind_key_in_map('\r', rl_newline, vi_insertion_keymap);
    /* Readline leaves both unbound (bash binds them to edit-and-execute-command). */
    rl_bind_keyseq_in_map("\\C-x\\C-e", request_edit, emacs_standard_keymap);
    rl_bind_key_in_map('v', request_edit, vi_movement_keymap);
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    using_history();
}

void input_done(void)
{
    rl_callback_handler_remove();
    if (rl_outstream && rl_outstream != stdout) {
        fclose(rl_outstream);
        rl_outstream = NULL;
    }
    free(done_line);
    done_line = NULL;
    memset(&hooks, 0, sizeof hooks);
}

input_result input_feed(int byte, char **line)
{
    pending_byte = byte & 0xff;
    rl_callback_read_char();
    if (done_eof) {
        done_eof = false;
        return INPUT_EOF;
    }
    if (done_line) {
        *line = done_line;
        done_line = NULL;
        return INPUT_LINE;
    }
    if (edit_wanted) {
        edit_wanted = false;
        return INPUT_EDIT;
    }
    return INPUT_NONE;
}

input_result input_feed_seq(const char *seq, char **line)
{
    input_result r = INPUT_NONE;
    for (const char *p = seq; *p && r == INPUT_NONE; p++)
        r = input_feed((unsigned char)*p, line);
    return r;
}

void input_insert(const char *text)
{
    rl_insert_text(text);
}

void input_set_line(const char *text)
{
    rl_replace_line(text, 0);
    rl_point = rl_end;
}

void input_prepend(const char *text)
{
    int point = rl_point;
    bool empty = rl_end == 0;
    rl_point = 0;
    rl_insert_text(text);
    if (!empty)
        rl_insert_text("\n");
    rl_point = empty ? rl_end : rl_point + point;
}

bool input_vi_mode(void)
{
    return rl_editing_mode == 0; /* readline's vi_mode; emacs_mode is 1 */
}

const char *input_text(void)
{
    return rl_line_buffer ? rl_line_buffer : "";
}

/* Walks the prompt and the line as display cells, wrapping at width and at
 * newlines, and reports the cursor's cell. */
typedef struct layout {
    int width;
    int y, x;            /* where the next character goes */
    int cur_y, cur_x;    /* the cursor (at rl_point) */
} layout;

static void place(layout *l, int cols, int *y, int *x)
{
    if (l->x + cols > l->width && l->x > 0) {
        l->y++;
        l->x = 0;
    }
    *y = l->y;
    *x = l->x;
    l->x += cols;
}

/* Lays out the prompt and buffer; if w is non-NULL, draws them. */
static layout run_layout(WINDOW *w, int width)
{
    layout l = {.width = width > 1 ? width : 1};
    const char *prompt = rl_display_prompt ? rl_display_prompt : "> ";
    unsigned long pattr = theme_attr(ROLE_DIM);
    unsigned long iattr = theme_attr(ROLE_INPUT);
    for (const char *p = prompt; *p;) {
        int cols;
        size_t used = render_char(p, strlen(p), &cols);
        int y, x;
        place(&l, cols, &y, &x);
        if (w && y < getmaxy(w))
            draw_text(w, y, x, p, used, cols, pattr);
        p += used;
    }
    const char *b = rl_line_buffer ? rl_line_buffer : "";
    size_t n = (size_t)rl_end;
    for (size_t i = 0; i <= n; i++) {
        if (i == (size_t)rl_point) {
            if (l.x >= l.width) {
                l.cur_y = l.y + 1;
                l.cur_x = 0;
            } else {
                l.cur_y = l.y;
                l.cur_x = l.x;
            }
        }
        if (i == n)
            break;
        if (b[i] == '\n') {
            l.y++;
            l.x = 0;
            continue;
        }
        bool tab = b[i] == '\t';
        int cols = 1;
        size_t used = tab ? 1 : render_char(b + i, n - i, &cols);
        int y, x;
        place(&l, cols, &y, &x);
        if (w && y < getmaxy(w))
            draw_text(w, y, x, tab ? " " : b + i, used, cols, iattr);
        i += used - 1;
    }
    return l;
}

int input_rows(int width)
{
    layout l = run_layout(NULL, width);
    return (l.cur_y > l.y ? l.cur_y : l.y) + 1;
}

void input_draw(WINDOW *w)
{
    draw_clear(w, ROLE_INPUT);
    int h = getmaxy(w), width = getmaxx(w);
    layout l = run_layout(NULL, width);
    /* Keep the cursor visible: scroll the input window's content when the
     * text is taller than the window. */
    int first = l.cur_y >= h ? l.cur_y - h + 1 : 0;
    if (first == 0) {
        run_layout(w, width);
    } else {
        /* Draw into a scratch pad, then copy the visible part. */
        int total = (l.y > l.cur_y ? l.y : l.cur_y) + 1;
        WINDOW *scratch = newpad(total, width);
        if (scratch) {
            run_layout(scratch, width);
            copywin(scratch, w, first, 0, 0, 0, h - 1, width - 1, FALSE);
            delwin(scratch);
        }
    }
    wmove(w, l.cur_y - first, l.cur_x < width ? l.cur_x : width - 1);
    wnoutrefresh(w);
}
