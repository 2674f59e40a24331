/* Themes set roles only: the UI asks for ROLE_ERROR, never for a colour.
 * Parsing is independent of curses (and tested alone); theme_apply turns a
 * theme into curses attributes for the terminal at hand. */
#ifndef TCHAT_THEME_H
#define TCHAT_THEME_H

#include <stdbool.h>
#include <stddef.h>

/* X(enum, name in theme files) */
#define THEME_ROLES(X)                   \
    X(ROLE_NORMAL, "normal")             \
    X(ROLE_TITLE, "title")               \
    X(ROLE_BORDER, "border")             \
    X(ROLE_USER, "user")                 \
    X(ROLE_ASSISTANT, "assistant")       \
    X(ROLE_SYSTEM, "system")             \
    X(ROLE_BOLD, "bold")                 \
    X(ROLE_ITALIC, "italic")             \
    X(ROLE_HEADING, "heading")           \
    X(ROLE_CODE, "code")                 \
    X(ROLE_QUOTE, "quote")               \
    X(ROLE_LIST, "list")                 \
    X(ROLE_MARKER, "marker")             \
    X(ROLE_ERROR, "error")               \
    X(ROLE_WARN, "warn")                 \
    X(ROLE_OK, "ok")                     \
    X(ROLE_COUNTDOWN, "countdown")       \
    X(ROLE_PROGRESS, "progress")         \
    X(ROLE_LINK, "link")                 \
    X(ROLE_DIM, "dim")                   \
    X(ROLE_STATUS, "status")             \
    X(ROLE_INPUT, "input")               \
    X(ROLE_FOCUS, "focus")               \
    X(ROLE_SELECTION, "selection")       \
    X(ROLE_CODE_KEYWORD, "code_keyword") \
    X(ROLE_CODE_STRING, "code_string")   \
    X(ROLE_CODE_COMMENT, "code_comment") \
    X(ROLE_CODE_NUMBER, "code_number")   \
    X(ROLE_CODE_NAME, "code_name")       \
    X(ROLE_DIFF_ADD, "diff_add")         \
    X(ROLE_DIFF_DEL, "diff_del")

#define THEME_ENUM_(id, name) id,
typedef enum { THEME_ROLES(THEME_ENUM_) ROLE__COUNT } theme_role;
#undef THEME_ENUM_

enum {
    THEME_ATTR_BOLD = 1u << 0,
    THEME_ATTR_DIM = 1u << 1,
    THEME_ATTR_UNDERLINE = 1u << 2,
    THEME_ATTR_REVERSE = 1u << 3,
    THEME_ATTR_ITALIC = 1u << 4,
};

#define THEME_COLOR_DEFAULT (-1)

typedef struct theme_style {
    short fg, bg;      /* 0-255, or THEME_COLOR_DEFAULT */
    unsigned attrs;    /* THEME_ATTR_* */
    bool set;          /* given in the file (else inherited: from code for the code_* and
                          diff_* roles, so that a theme written before them shows plain code;
                          from normal for the others) */
} theme_style;

typedef struct theme {
    char name[64];
    theme_style role[ROLE__COUNT];
} theme;

const char *theme_role_name(theme_role r);

/* Parses a theme file's text. Returns 0, or -1 with "FILE:LINE: message" in err;
 * out then holds the default theme. */
int theme_parse(const char *text, size_t len, const char *filename, theme *out, char *err,
                size_t errlen);
/* Loads a theme by name: $XDG_CONFIG_HOME/tchat/themes/NAME.theme (else
 * ~/.config/...) shadows the shipped (embedded) one. Returns 0, or -1 with a
 * message (out holds the default theme then). */
int theme_load(const char *name, theme *out, char *err, size_t errlen);
/* The names of every available theme (shipped and user), sorted, deduplicated.
 * Returns the count; free with theme_free_names. */
size_t theme_list(char ***names);
void theme_free_names(char **names, size_t n);

/* Curses side: allocates colour pairs for the terminal's colour count (8, 16,
 * 256; colours beyond it are mapped to the nearest available) and honours
 * NO_COLOR (attributes only). Call after initscr/start_color. */
void theme_apply(const theme *t, bool no_color);
/* The curses attributes (attr_t, including the colour pair) of a role. */
unsigned long theme_attr(theme_role r);

/* Maps a theme colour (0-255 or THEME_COLOR_DEFAULT) to a terminal with
 * ncolors colours: 256+ as is; 16+ keeps 0-15 and takes the nearest of 0-15
 * for the rest; 8+ folds bright 8-15 onto 0-7 and sets *bold (may be NULL),
 * the rest the nearest of 0-7; under 8, THEME_COLOR_DEFAULT. */
short theme_map_color(short c, int ncolors, bool *bold);

#endif
