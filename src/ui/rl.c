/* GNU readline edits the input line through its callback interface; curses owns
 * the terminal. Keys read by the UI loop are handed to readline one byte at a
 * time through rl_getc_function, and readline's redisplay draws into the input
 * window. */
#include "app.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static app *g_app;
static int pending_byte = -1;

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
    if (g_app)
        g_app->dirty |= DIRTY_INPUT;
}

static void bridge_line(char *line)
{
    /* NULL is end of file: Ctrl-D on an empty line. */
    if (!line) {
        g_app->quit = true;
        return;
    }
    app_submit_line(g_app, line);
}

/* Alt-Enter and Ctrl-J insert a newline instead of sending. */
static int insert_newline(int count, int key)
{
    (void)key;
    for (int i = 0; i < (count > 0 ? count : 1); i++)
        rl_insert_text("\n");
    return 0;
}

void rl_bridge_init(app *a)
{
    g_app = a;
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
    using_history();
}

void rl_bridge_done(void)
{
    rl_callback_handler_remove();
    if (rl_outstream && rl_outstream != stdout) {
        fclose(rl_outstream);
        rl_outstream = NULL;
    }
    g_app = NULL;
}

void rl_bridge_feed(int byte)
{
    pending_byte = byte & 0xff;
    rl_callback_read_char();
}

void rl_bridge_insert(const char *text)
{
    rl_insert_text(text);
    bridge_redisplay();
}

void rl_bridge_set_line(const char *text)
{
    rl_replace_line(text, 0);
    rl_point = rl_end;
    bridge_redisplay();
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
static layout run_layout(app *a, WINDOW *w, int width)
{
    layout l = {.width = width > 1 ? width : 1};
    const char *prompt = rl_display_prompt ? rl_display_prompt : "> ";
    unsigned long pattr = theme_attr(ROLE_DIM);
    unsigned long iattr = theme_attr(ROLE_INPUT);
    (void)a;
    for (const char *p = prompt; *p;) {
        int cols;
        size_t used = render_char(p, strlen(p), &cols);
        int y, x;
        place(&l, cols, &y, &x);
        if (w && y < getmaxy(w))
            put_text(w, y, x, p, used, cols, pattr);
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
            put_text(w, y, x, tab ? " " : b + i, used, cols, iattr);
        i += used - 1;
    }
    return l;
}

int rl_bridge_lines(const app *a, int width)
{
    layout l = run_layout((app *)a, NULL, width);
    int lines = (l.cur_y > l.y ? l.cur_y : l.y) + 1;
    return lines;
}

void rl_bridge_draw(app *a)
{
    WINDOW *w = a->input;
    werase(w);
    wbkgdset(w, ' ' | (chtype)theme_attr(ROLE_INPUT));
    int h = getmaxy(w), width = getmaxx(w);
    layout l = run_layout(a, NULL, width);
    /* Keep the cursor visible: scroll the input window's content when the
     * text is taller than the window. */
    int first = l.cur_y >= h ? l.cur_y - h + 1 : 0;
    if (first == 0) {
        run_layout(a, w, width);
    } else {
        /* Draw into a pad-like scratch window, then copy the visible part. */
        int total = (l.y > l.cur_y ? l.y : l.cur_y) + 1;
        WINDOW *scratch = newpad(total, width);
        if (scratch) {
            run_layout(a, scratch, width);
            copywin(scratch, w, first, 0, 0, 0, h - 1, width - 1, FALSE);
            delwin(scratch);
        }
    }
    wmove(w, l.cur_y - first, l.cur_x < width ? l.cur_x : width - 1);
    wnoutrefresh(w);
}
