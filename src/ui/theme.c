/* Theme files: parsing (no curses), lookup (user directory before the shipped,
 * embedded themes) and turning roles into curses attributes. */
#include "theme.h"

#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

/* Generated from the themes directory by cmake/embed.cmake. */
struct embedded_file {
    const char *name;
    const char *data;
    size_t len;
};
extern const struct embedded_file theme_files[];

/* Theme files are a few hundred bytes; anything far bigger is not a theme. */
#define THEME_MAX_FILE (64 * 1024)
/* Longest word quoted back in an error message. */
#define QUOTE_MAX 32
/* While parsing: a colour the role left out, to be taken from normal. */
#define COLOR_UNSET (-2)

#define THEME_NAME_(id, name) [id] = name,
static const char *const role_names[ROLE__COUNT] = {THEME_ROLES(THEME_NAME_)};
#undef THEME_NAME_

const char *theme_role_name(theme_role r)
{
    return (unsigned)r < ROLE__COUNT ? role_names[r] : NULL;
}

/* ---- Colours ---------------------------------------------------------- */

static const char *const color_names[8] = {"black", "red",     "green", "yellow",
                                           "blue",  "magenta", "cyan",  "white"};

/* xterm's default palette for 0-15 (what "nearest" is measured against). */
static const unsigned char xterm16[16][3] = {
    {0x00, 0x00, 0x00}, {0xcd, 0x00, 0x00}, {0x00, 0xcd, 0x00}, {0xcd, 0xcd, 0x00},
    {0x00, 0x00, 0xee}, {0xcd, 0x00, 0xcd}, {0x00, 0xcd, 0xcd}, {0xe5, 0xe5, 0xe5},
    {0x7f, 0x7f, 0x7f}, {0xff, 0x00, 0x00}, {0x00, 0xff, 0x00}, {0xff, 0xff, 0x00},
    {0x5c, 0x5c, 0xff}, {0xff, 0x00, 0xff}, {0x00, 0xff, 0xff}, {0xff, 0xff, 0xff},
};
static const unsigned char cube_level[6] = {0, 95, 135, 175, 215, 255};

static void color_rgb(int c, int rgb[3])
{
    if (c < 16) {
        for (int i = 0; i < 3; i++)
            rgb[i] = xterm16[c][i];
    } else if (c < 232) {
        c -= 16;
        rgb[0] = cube_level[c / 36];
        rgb[1] = cube_level[c / 6 % 6];
        rgb[2] = cube_level[c % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
    }
}

/* Distance in a luma/chroma space (YCbCr weights) rather than raw RGB, with
 * chroma counted twice: a grey turning lighter or darker is less wrong than a
 * grey turning into a colour (in RGB, #808080 is nearest to yellow of 0-7). */
static double color_distance(const int a[3], const int b[3])
{
    double dr = a[0] - b[0], dg = a[1] - b[1], db = a[2] - b[2];
    double dy = 0.299 * dr + 0.587 * dg + 0.114 * db;
    double dcb = 0.564 * (db - dy), dcr = 0.713 * (dr - dy);
    return dy * dy + 2 * (dcb * dcb + dcr * dcr);
}

/* The colour in [lo, hi] closest to rgb; the lowest index wins a tie, so
 * results are stable. */
static short nearest_color(const int rgb[3], int lo, int hi)
{
    short best = (short)lo;
    double best_d = -1;
    for (int c = lo; c <= hi; c++) {
        int p[3];
        color_rgb(c, p);
        double d = color_distance(p, rgb);
        if (best_d < 0 || d < best_d) {
            best_d = d;
            best = (short)c;
        }
    }
    return best;
}

short theme_map_color(short c, int ncolors, bool *bold)
{
    if (bold)
        *bold = false;
    if (c < 0 || c > 255 || ncolors < 8)
        return THEME_COLOR_DEFAULT;
    if (ncolors >= 256 || c < 8)
        return c;
    int rgb[3];
    color_rgb(c, rgb);
    if (ncolors >= 16)
        return c < 16 ? c : nearest_color(rgb, 0, 15);
    if (c < 16) {
        /* The classic 8-colour idiom: bright = base colour drawn bold. */
        if (bold)
            *bold = true;
        return (short)(c - 8);
    }
    return nearest_color(rgb, 0, 7);
}

/* ---- Parsing ---------------------------------------------------------- */

typedef struct word {
    const char *s;
    size_t n;
} word;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool word_is(word w, const char *lit)
{
    size_t n = strlen(lit);
    return w.n == n && str_ncasecmp(w.s, lit, n) == 0;
}

static bool word_has_prefix(word w, const char *prefix)
{
    size_t n = strlen(prefix);
    return w.n >= n && str_ncasecmp(w.s, prefix, n) == 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool parse_color(word w, short *out)
{
    if (word_is(w, "default")) {
        *out = THEME_COLOR_DEFAULT;
        return true;
    }
    word base = w;
    int bright = 0;
    if (word_has_prefix(w, "bright-")) {
        base.s += 7;
        base.n -= 7;
        bright = 8;
    }
    for (int i = 0; i < 8; i++) {
        if (word_is(base, color_names[i])) {
            *out = (short)(i + bright);
            return true;
        }
    }
    if (word_has_prefix(w, "color") && w.n > 5 && w.n <= 8) {
        int v = 0;
        for (size_t i = 5; i < w.n; i++) {
            if (w.s[i] < '0' || w.s[i] > '9')
                return false;
            v = v * 10 + (w.s[i] - '0');
        }
        if (v > 255)
            return false;
        *out = (short)v;
        return true;
    }
    if (w.n == 7 && w.s[0] == '#') {
        int rgb[3];
        for (int i = 0; i < 3; i++) {
            int hi = hex_digit(w.s[1 + 2 * i]), lo = hex_digit(w.s[2 + 2 * i]);
            if (hi < 0 || lo < 0)
                return false;
            rgb[i] = hi * 16 + lo;
        }
        /* 16-255 rather than 0-15: users re-colour 0-15, the cube and the
         * grey ramp mean the same on every 256-colour terminal. */
        *out = nearest_color(rgb, 16, 255);
        return true;
    }
    return false;
}

static const struct {
    const char *name;
    unsigned bit;
} attr_names[] = {
    {"bold", THEME_ATTR_BOLD},
    {"dim", THEME_ATTR_DIM},
    {"underline", THEME_ATTR_UNDERLINE},
    {"reverse", THEME_ATTR_REVERSE},
    {"italic", THEME_ATTR_ITALIC},
};

static bool parse_attr(word w, unsigned *attrs)
{
    for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++) {
        if (word_is(w, attr_names[i].name)) {
            *attrs |= attr_names[i].bit;
            return true;
        }
    }
    return false;
}

static bool looks_like_color(word w)
{
    return word_has_prefix(w, "#") || word_has_prefix(w, "color") ||
           word_has_prefix(w, "bright-");
}

/* Copies w into out for an error message: at most QUOTE_MAX bytes, cut on a
 * character boundary, control bytes and invalid UTF-8 shown as '?'. */
static void quote_word(word w, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    while (i < w.n && o + 4 < outlen && i < QUOTE_MAX) {
        unsigned char c = (unsigned char)w.s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        bool ok = len > 0 && i + len <= w.n && c != 0xc0 && c != 0xc1 && c <= 0xf4;
        for (size_t k = 1; ok && k < len; k++)
            ok = ((unsigned char)w.s[i + k] & 0xc0) == 0x80;
        if (!ok || (len == 1 && (c < 0x20 || c == 0x7f))) {
            out[o++] = '?';
            i++;
            continue;
        }
        if (i + len > QUOTE_MAX)
            break;
        memcpy(out + o, w.s + i, len);
        o += len;
        i += len;
    }
    if (i < w.n && o + 3 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

typedef struct parse_ctx {
    const char *file;
    int line;
    char *err;
    size_t errlen;
} parse_ctx;

/* Writes FILE:LINE: before"WORD"after into the error buffer. */
static int parse_error(parse_ctx *pc, const char *before, word w, const char *after)
{
    if (pc->err && pc->errlen) {
        char q[QUOTE_MAX * 2 + 8];
        quote_word(w, q, sizeof q);
        snprintf(pc->err, pc->errlen, "%s:%d: %s\"%s\"%s", pc->file, pc->line, before, q, after);
    }
    return -1;
}

/* Parses the value of one role: [FG] [on BG] [ATTR...]. */
static int parse_value(parse_ctx *pc, const char *p, const char *end, word role,
                       theme_style *st)
{
    enum { WANT_FG, WANT_ON, WANT_ATTR } state = WANT_FG;
    bool after_on = false;
    int nwords = 0;
    st->fg = st->bg = COLOR_UNSET;
    st->attrs = 0;
    for (;;) {
        while (p < end && is_blank(*p))
            p++;
        if (p == end)
            break;
        word w = {p, 0};
        while (p < end && !is_blank(*p))
            p++;
        w.n = (size_t)(p - w.s);
        nwords++;
        short c;
        if (after_on) {
            if (!parse_color(w, &c))
                return parse_error(pc, "unknown colour ", w, "");
            st->bg = c;
            after_on = false;
            state = WANT_ATTR;
        } else if (word_is(w, "on")) {
            if (st->bg != COLOR_UNSET)
                return parse_error(pc, "", w, " given twice");
            if (state == WANT_ATTR)
                return parse_error(pc, "", w, " must come before the attributes");
            after_on = true;
        } else if (parse_color(w, &c)) {
            if (state == WANT_FG) {
                st->fg = c;
                state = WANT_ON;
            } else if (state == WANT_ON) {
                return parse_error(pc, "second colour ", w, " (write FG on BG)");
            } else {
                return parse_error(pc, "colour ", w, " must come before the attributes");
            }
        } else if (parse_attr(w, &st->attrs)) {
            state = WANT_ATTR;
        } else if (state == WANT_FG || looks_like_color(w)) {
            return parse_error(pc, "unknown colour ", w, "");
        } else {
            return parse_error(pc, "unknown attribute ", w, "");
        }
    }
    if (after_on)
        return parse_error(pc, "missing colour after ", (word){"on", 2}, "");
    if (!nwords)
        return parse_error(pc, "missing value for ", role, "");
    st->set = true;
    return 0;
}

/* Where a line's content ends: at a "# " comment after whitespace. */
static const char *strip_comment(const char *p, const char *end)
{
    for (const char *q = p + 1; q < end; q++)
        if (*q == '#' && is_blank(q[-1]) && (q + 1 == end || is_blank(q[1])))
            return q;
    return end;
}

static int parse_line(parse_ctx *pc, const char *p, const char *end, theme *out,
                      int first_line[ROLE__COUNT])
{
    while (p < end && is_blank(*p))
        p++;
    if (p == end || *p == '#')
        return 0;
    end = strip_comment(p, end);
    word role = {p, 0};
    while (p < end && !is_blank(*p) && *p != '=')
        p++;
    role.n = (size_t)(p - role.s);
    if (!role.n)
        return parse_error(pc, "missing role name before ", (word){"=", 1}, "");
    int r = -1;
    for (int i = 0; i < ROLE__COUNT; i++)
        if (word_is(role, role_names[i]))
            r = i;
    if (r < 0)
        return parse_error(pc, "unknown role ", role, "");
    while (p < end && is_blank(*p))
        p++;
    if (p == end || *p != '=')
        return parse_error(pc, "missing \"=\" after ", role, "");
    p++;
    if (first_line[r]) {
        char after[64];
        snprintf(after, sizeof after, " given twice (first on line %d)", first_line[r]);
        return parse_error(pc, "role ", role, after);
    }
    if (parse_value(pc, p, end, role, &out->role[r]) < 0)
        return -1;
    first_line[r] = pc->line;
    return 0;
}

static void clear_theme(theme *t)
{
    memset(t, 0, sizeof *t);
    for (int r = 0; r < ROLE__COUNT; r++)
        t->role[r].fg = t->role[r].bg = THEME_COLOR_DEFAULT;
}

/* The role a role inherits from: the highlighted parts of code blocks from code (a theme
 * written before they existed shows its code blocks as it did), the others from normal. */
static theme_role parent_role(int r)
{
    return r >= ROLE_CODE_KEYWORD && r <= ROLE_DIFF_DEL ? ROLE_CODE : ROLE_NORMAL;
}

/* Roles not given take their parent's colours (normal's: none of its attributes; code's:
 * all of its style); a role that leaves out FG or BG takes that one from its parent
 * ("default" is the terminal's own colour). Parents come first in the role list. */
static void inherit_normal(theme *t)
{
    theme_style *n = &t->role[ROLE_NORMAL];
    if (n->fg == COLOR_UNSET)
        n->fg = THEME_COLOR_DEFAULT;
    if (n->bg == COLOR_UNSET)
        n->bg = THEME_COLOR_DEFAULT;
    for (int r = 0; r < ROLE__COUNT; r++) {
        theme_style *s = &t->role[r];
        const theme_style *p = &t->role[parent_role(r)];
        if (!s->set) {
            s->fg = p->fg;
            s->bg = p->bg;
            s->attrs = p == n ? 0 : p->attrs;
        }
        if (s->fg == COLOR_UNSET)
            s->fg = p->fg;
        if (s->bg == COLOR_UNSET)
            s->bg = p->bg;
    }
}

static int parse_text(const char *text, size_t len, const char *file, theme *out, char *err,
                      size_t errlen)
{
    parse_ctx pc = {file, 0, err, errlen};
    int first_line[ROLE__COUNT] = {0};
    clear_theme(out);
    if (!text)
        len = 0;
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        pc.line++;
        if (parse_line(&pc, p, le, out, first_line) < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    inherit_normal(out);
    return 0;
}

static const struct embedded_file *find_shipped(const char *name)
{
    for (const struct embedded_file *f = theme_files; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static void set_name(theme *t, const char *name, size_t n)
{
    if (n >= sizeof t->name)
        n = sizeof t->name - 1;
    memcpy(t->name, name, n);
    t->name[n] = '\0';
}

/* The shipped default.theme; plain terminal colours should it ever be missing. */
static void builtin_default(theme *out)
{
    const struct embedded_file *f = find_shipped("default");
    if (!f || parse_text(f->data, f->len, "default.theme", out, NULL, 0) < 0)
        clear_theme(out);
    set_name(out, "default", 7);
}

int theme_parse(const char *text, size_t len, const char *filename, theme *out, char *err,
                size_t errlen)
{
    const char *file = filename && *filename ? filename : "theme";
    if (err && errlen)
        err[0] = '\0';
    if (parse_text(text, len, file, out, err, errlen) < 0) {
        builtin_default(out);
        return -1;
    }
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strlen(base);
    if (n > 6 && strcmp(base + n - 6, ".theme") == 0)
        n -= 6;
    set_name(out, base, n);
    return 0;
}

/* ---- Loading ---------------------------------------------------------- */

/* Theme names are file names in one directory: nothing that could leave it. */
static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof ((theme *)0)->name || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* $XDG_CONFIG_HOME/tchat/themes, else ~/.config/tchat/themes; NULL without a
 * home. The caller frees it. */
static char *user_theme_dir(void)
{
    const char *x = getenv("XDG_CONFIG_HOME");
    if (x && x[0] == '/') /* the XDG spec says to ignore relative paths */
        return xasprintf("%s/tchat/themes", x);
    const char *h = getenv("HOME");
    if (h && h[0])
        return xasprintf("%s/.config/tchat/themes", h);
    return NULL;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

/* Reads a regular file of at most THEME_MAX_FILE bytes. Returns 1 with *data
 * (the caller frees it), 0 when it does not exist, -1 with a message. */
static int read_theme_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    fileio_read_opts ro = {THEME_MAX_FILE, "file too large for a theme", 0};
    if (fileio_read(path, &ro, data, len, NULL, err, errlen) == 0)
        return 1;
    if (errno != ENOENT && errno != ENOTDIR)
        return -1;
    set_err(err, errlen, "");
    return 0;
}

int theme_load(const char *name, theme *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!name || !valid_name(name)) {
        char q[QUOTE_MAX * 2 + 8];
        quote_word((word){name ? name : "", name ? strlen(name) : 0}, q, sizeof q);
        char *m = xasprintf("invalid theme name \"%s\" (letters, digits, '_', '.', '-')", q);
        set_err(err, errlen, m);
        free(m);
        builtin_default(out);
        return -1;
    }
    char *dir = user_theme_dir();
    if (dir) {
        char *path = xasprintf("%s/%s.theme", dir, name);
        free(dir);
        char *data = NULL;
        size_t len = 0;
        int got = read_theme_file(path, &data, &len, err, errlen);
        int rc = 0;
        if (got > 0)
            rc = theme_parse(data, len, path, out, err, errlen);
        free(data);
        free(path);
        if (got < 0) {
            builtin_default(out);
            return -1;
        }
        if (got > 0) {
            if (rc == 0)
                set_name(out, name, strlen(name));
            return rc;
        }
    }
    const struct embedded_file *f = find_shipped(name);
    if (f) {
        char *file = xasprintf("%s.theme", name);
        int rc = theme_parse(f->data, f->len, file, out, err, errlen);
        free(file);
        return rc;
    }
    char **names;
    size_t n = theme_list(&names);
    buf b;
    buf_init(&b);
    buf_printf(&b, "unknown theme \"%s\" (available: ", name);
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
    buf_puts(&b, ")");
    theme_free_names(names, n);
    set_err(err, errlen, buf_str(&b));
    buf_free(&b);
    builtin_default(out);
    return -1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_name(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = xrealloc_array(*v, *cap, sizeof **v);
    }
    (*v)[(*n)++] = xstrndup(s, len);
}

size_t theme_list(char ***names)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    for (const struct embedded_file *f = theme_files; f->name; f++)
        add_name(&v, &n, &cap, f->name, strlen(f->name));
    char *dir = user_theme_dir();
    DIR *d = dir ? opendir(dir) : NULL;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len <= 6 || strcmp(e->d_name + len - 6, ".theme") != 0 || e->d_type == DT_DIR)
                continue;
            char *stem = xstrndup(e->d_name, len - 6);
            if (valid_name(stem))
                add_name(&v, &n, &cap, stem, len - 6);
            free(stem);
        }
        closedir(d);
    }
    free(dir);
    qsort(v, n, sizeof *v, cmp_names);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out && strcmp(v[out - 1], v[i]) == 0)
            free(v[i]);
        else
            v[out++] = v[i];
    }
    *names = v;
    return out;
}

void theme_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- Curses ----------------------------------------------------------- */

/* Zero until theme_apply: plain text. */
static attr_t role_attr[ROLE__COUNT];

static attr_t curses_attrs(unsigned a)
{
    attr_t out = A_NORMAL;
    if (a & THEME_ATTR_BOLD)
        out |= A_BOLD;
    if (a & THEME_ATTR_DIM)
        out |= A_DIM;
    if (a & THEME_ATTR_UNDERLINE)
        out |= A_UNDERLINE;
    if (a & THEME_ATTR_REVERSE)
        out |= A_REVERSE;
#ifdef A_ITALIC
    if (a & THEME_ATTR_ITALIC)
        out |= A_ITALIC;
#endif
    return out;
}

void theme_apply(const theme *t, bool no_color)
{
    theme fallback;
    if (!t) {
        builtin_default(&fallback);
        t = &fallback;
    }
    bool colour = !no_color && has_colors();
    short dfg = THEME_COLOR_DEFAULT, dbg = THEME_COLOR_DEFAULT;
    if (colour && start_color() == ERR)
        colour = false;
    if (colour && COLORS < 8)
        colour = false;
    if (colour && use_default_colors() == ERR) {
        /* No "default" colour on this terminal: assume the classic look. */
        dfg = COLOR_WHITE;
        dbg = COLOR_BLACK;
    }
    /* Roles with the same colours share a pair, so small COLOR_PAIRS still do. */
    short pair_fg[ROLE__COUNT + 1], pair_bg[ROLE__COUNT + 1];
    int npairs = 0;
    for (int r = 0; r < ROLE__COUNT; r++) {
        const theme_style *s = &t->role[r];
        attr_t a = curses_attrs(s->attrs);
        if (colour) {
            bool bold = false;
            short fg = theme_map_color(s->fg, COLORS, &bold);
            short bg = theme_map_color(s->bg, COLORS, NULL);
            if (bold)
                a |= A_BOLD;
            if (fg < 0)
                fg = dfg;
            if (bg < 0)
                bg = dbg;
            if (fg >= 0 || bg >= 0) {
                int pair = 0;
                for (int i = 1; i <= npairs && !pair; i++)
                    if (pair_fg[i] == fg && pair_bg[i] == bg)
                        pair = i;
                if (!pair && npairs + 1 < COLOR_PAIRS &&
                    init_pair((short)(npairs + 1), fg, bg) == OK) {
                    pair = ++npairs;
                    pair_fg[pair] = fg;
                    pair_bg[pair] = bg;
                }
                a |= (attr_t)COLOR_PAIR(pair);
            }
        }
        role_attr[r] = a;
    }
}

unsigned long theme_attr(theme_role r)
{
    return (unsigned)r < ROLE__COUNT ? (unsigned long)role_attr[r] : 0UL;
}
