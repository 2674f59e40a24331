/* Themes: the file format, the shipped themes, lookup by name and the curses
 * side (colour mapping, attributes), as tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curses.h>

#include "theme.h"
#include "util.h"

struct embedded_file {
    const char *name;
    const char *data;
    size_t len;
};
extern const struct embedded_file theme_files[];

#define B THEME_ATTR_BOLD
#define D THEME_ATTR_DIM
#define U THEME_ATTR_UNDERLINE
#define R THEME_ATTR_REVERSE
#define I THEME_ATTR_ITALIC
#define DEF THEME_COLOR_DEFAULT

static int parse_str(const char *text, theme *t, char *err, size_t errlen)
{
    return theme_parse(text, strlen(text), "t.theme", t, err, errlen);
}

static void check_style(const char *name, const theme_style *got, short fg, short bg,
                        unsigned attrs, bool set)
{
    if (got->fg != fg || got->bg != bg || got->attrs != attrs || got->set != set) {
        print_error("%s: want fg=%d bg=%d attrs=%#x set=%d, got fg=%d bg=%d attrs=%#x set=%d\n",
                    name, fg, bg, attrs, set, got->fg, got->bg, got->attrs, got->set);
        fail();
    }
}

/* Must run first: nothing has been applied yet. */
static void test_attr_before_apply(void **state)
{
    (void)state;
    for (int r = 0; r < ROLE__COUNT; r++)
        assert_int_equal(theme_attr((theme_role)r), 0);
    assert_int_equal(theme_attr(ROLE__COUNT), 0);
}

static void test_role_names(void **state)
{
    (void)state;
    assert_string_equal(theme_role_name(ROLE_NORMAL), "normal");
    assert_string_equal(theme_role_name(ROLE_COUNTDOWN), "countdown");
    assert_string_equal(theme_role_name(ROLE_SELECTION), "selection");
    assert_null(theme_role_name(ROLE__COUNT));
}

static const struct {
    const char *name;
    const char *text;
    theme_role role;
    short fg, bg;
    unsigned attrs;
    bool set;
} valid_cases[] = {
    {"fg only", "title = red", ROLE_TITLE, 1, DEF, 0, true},
    {"fg on bg attr", "title = white on blue bold", ROLE_TITLE, 7, 4, B, true},
    {"bright", "error = bright-red bold", ROLE_ERROR, 9, DEF, B, true},
    {"bright-black", "dim = bright-black", ROLE_DIM, 8, DEF, 0, true},
    {"bright-white", "dim = bright-white", ROLE_DIM, 15, DEF, 0, true},
    {"every name", "ok = black on cyan", ROLE_OK, 0, 6, 0, true},
    {"magenta yellow", "ok = magenta on yellow", ROLE_OK, 5, 3, 0, true},
    {"green", "ok = green", ROLE_OK, 2, DEF, 0, true},
    {"colorN", "code = color180 on color236", ROLE_CODE, 180, 236, 0, true},
    {"color0", "code = color0", ROLE_CODE, 0, DEF, 0, true},
    {"color255", "code = color255", ROLE_CODE, 255, DEF, 0, true},
    {"color007", "code = color007", ROLE_CODE, 7, DEF, 0, true},
    {"hex", "code = #d7af87 on #303030", ROLE_CODE, 180, 236, 0, true},
    {"attrs only", "selection = reverse", ROLE_SELECTION, DEF, DEF, R, true},
    {"all attrs", "focus = bold dim underline reverse italic", ROLE_FOCUS, DEF, DEF,
     B | D | U | R | I, true},
    {"repeated attr", "focus = bold bold", ROLE_FOCUS, DEF, DEF, B, true},
    {"bg only", "status = on blue", ROLE_STATUS, DEF, 4, 0, true},
    {"bg then attr", "status = on blue underline", ROLE_STATUS, DEF, 4, U, true},
    {"explicit default", "normal = default on default", ROLE_NORMAL, DEF, DEF, 0, true},
    {"any case", "TITLE = Red ON Blue BOLD", ROLE_TITLE, 1, 4, B, true},
    {"no spaces", "title=red", ROLE_TITLE, 1, DEF, 0, true},
    {"tabs", "title\t=\tred\tbold", ROLE_TITLE, 1, DEF, B, true},
    {"trailing comment", "title = red   # a comment", ROLE_TITLE, 1, DEF, 0, true},
    {"comment no text", "title = red #", ROLE_TITLE, 1, DEF, 0, true},
    {"comments and blanks", "# x\n\n   \n  # y\n\ttitle = red\n", ROLE_TITLE, 1, DEF, 0, true},
    {"crlf", "link = blue\r\ntitle = red bold\r\n", ROLE_TITLE, 1, DEF, B, true},
    {"bom", "\xef\xbb\xbftitle = red", ROLE_TITLE, 1, DEF, 0, true},
    {"no final newline", "link = blue\ntitle = red", ROLE_TITLE, 1, DEF, 0, true},
    {"not given: default", "title = red", ROLE_LINK, DEF, DEF, 0, false},
    {"not given: normal's colours", "normal = green on black bold\ntitle = red", ROLE_LINK, 2,
     0, 0, false},
    {"normal later", "title = red\nnormal = green on black", ROLE_USER, 2, 0, 0, false},
    {"fg left out: normal's", "normal = green on black\nlink = underline", ROLE_LINK, 2, 0, U,
     true},
    {"bg left out: normal's", "normal = green on black\nlink = red", ROLE_LINK, 1, 0, 0, true},
    {"default beats normal", "normal = green on black\ncode = default on default", ROLE_CODE,
     DEF, DEF, 0, true},
    {"empty file", "", ROLE_NORMAL, DEF, DEF, 0, false},
};

static void test_parse_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) {
        theme t;
        char err[256] = "unset";
        int rc = parse_str(valid_cases[i].text, &t, err, sizeof err);
        if (rc != 0) {
            print_error("%s: rc %d: %s\n", valid_cases[i].name, rc, err);
            fail();
        }
        assert_string_equal(err, "");
        assert_string_equal(t.name, "t");
        check_style(valid_cases[i].name, &t.role[valid_cases[i].role], valid_cases[i].fg,
                    valid_cases[i].bg, valid_cases[i].attrs, valid_cases[i].set);
    }
}

static const struct {
    const char *name;
    const char *text;
    const char *err;
} error_cases[] = {
    {"unknown role", "titel = red", "t.theme:1: unknown role \"titel\""},
    {"unknown colour", "# c\ntitle = purpel", "t.theme:2: unknown colour \"purpel\""},
    {"unknown bg", "title = red on purpel", "t.theme:1: unknown colour \"purpel\""},
    {"unknown attribute", "title = red blink", "t.theme:1: unknown attribute \"blink\""},
    {"unknown attr after attr", "title = bold blink", "t.theme:1: unknown attribute \"blink\""},
    {"color256", "title = color256", "t.theme:1: unknown colour \"color256\""},
    {"color alone", "title = color", "t.theme:1: unknown colour \"color\""},
    {"color1x", "title = color1x", "t.theme:1: unknown colour \"color1x\""},
    {"color-1", "title = color-1", "t.theme:1: unknown colour \"color-1\""},
    {"short hex", "title = #fff", "t.theme:1: unknown colour \"#fff\""},
    {"bad hex", "title = #gg0000", "t.theme:1: unknown colour \"#gg0000\""},
    {"long hex", "title = #1234567", "t.theme:1: unknown colour \"#1234567\""},
    {"bright-default", "title = bright-default", "t.theme:1: unknown colour \"bright-default\""},
    {"bright alone", "title = bright-", "t.theme:1: unknown colour \"bright-\""},
    {"bad colour after fg", "title = red #12345", "t.theme:1: unknown colour \"#12345\""},
    {"missing =", "\n\ntitle red", "t.theme:3: missing \"=\" after \"title\""},
    {"missing = role only", "title", "t.theme:1: missing \"=\" after \"title\""},
    {"missing role", "= red", "t.theme:1: missing role name before \"=\""},
    {"missing value", "title =", "t.theme:1: missing value for \"title\""},
    {"value only comment", "title = # later", "t.theme:1: missing value for \"title\""},
    {"twice", "title = red\n\ntitle = blue",
     "t.theme:3: role \"title\" given twice (first on line 1)"},
    {"twice any case", "link = red\nLINK = blue",
     "t.theme:2: role \"LINK\" given twice (first on line 1)"},
    {"second colour", "title = red blue", "t.theme:1: second colour \"blue\" (write FG on BG)"},
    {"colour after attrs", "title = bold red",
     "t.theme:1: colour \"red\" must come before the attributes"},
    {"on after attrs", "title = bold on red", "t.theme:1: \"on\" must come before the attributes"},
    {"on twice", "title = on red on blue", "t.theme:1: \"on\" given twice"},
    {"on at end", "title = red on", "t.theme:1: missing colour after \"on\""},
    {"on on", "title = on on", "t.theme:1: unknown colour \"on\""},
    {"hash word", "title = red #bold", "t.theme:1: unknown colour \"#bold\""},
    {"equals in value", "title = red=blue", "t.theme:1: unknown colour \"red=blue\""},
    {"long word cut", "title = abcdefghijklmnopqrstuvwxyzabcdefghijklmnop",
     "t.theme:1: unknown colour \"abcdefghijklmnopqrstuvwxyzabcdef...\""},
    {"control byte", "title = re\x01" "d", "t.theme:1: unknown colour \"re?d\""},
    {"invalid utf-8", "title = \xff\xfe", "t.theme:1: unknown colour \"??\""},
    {"utf-8 kept", "title = rouge\xc3\xa9", "t.theme:1: unknown colour \"rouge\xc3\xa9\""},
    {"crlf line count", "title = red\r\nlink = bleu\r\n", "t.theme:2: unknown colour \"bleu\""},
    {"first error wins", "a = b\nc = d", "t.theme:1: unknown role \"a\""},
};

static void test_parse_errors(void **state)
{
    (void)state;
    theme def;
    char err[256];
    assert_int_equal(theme_load("default", &def, err, sizeof err), 0);
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        theme t;
        memset(&t, 0x5a, sizeof t);
        snprintf(err, sizeof err, "unset");
        int rc = parse_str(error_cases[i].text, &t, err, sizeof err);
        if (rc != -1 || strcmp(err, error_cases[i].err) != 0) {
            print_error("%s: want -1 \"%s\", got %d \"%s\"\n", error_cases[i].name,
                        error_cases[i].err, rc, err);
            fail();
        }
        /* out is then the built-in default theme */
        assert_string_equal(t.name, "default");
        assert_memory_equal(t.role, def.role, sizeof t.role);
    }
}

static void test_parse_edges(void **state)
{
    (void)state;
    theme t;
    char err[64];
    /* No file name: a placeholder. */
    assert_int_equal(theme_parse("x = red", 7, NULL, &t, err, sizeof err), -1);
    assert_string_equal(err, "theme:1: unknown role \"x\"");
    /* The name is the file's, without directory and extension. */
    assert_int_equal(theme_parse("", 0, "/a/b/nice.theme", &t, err, sizeof err), 0);
    assert_string_equal(t.name, "nice");
    assert_int_equal(theme_parse(NULL, 0, "plain", &t, err, sizeof err), 0);
    assert_string_equal(t.name, "plain");
    /* A NUL byte is a byte like any other (part of a word): len counts. */
    static const char nul[] = "title = red\0 blue";
    assert_int_equal(theme_parse(nul, sizeof nul - 1, "n.theme", &t, err, sizeof err), -1);
    assert_string_equal(err, "n.theme:1: unknown colour \"red?\"");
    /* Only len bytes are read. */
    assert_int_equal(theme_parse("title = redxx", 11, "n.theme", &t, err, sizeof err), 0);
    assert_int_equal(t.role[ROLE_TITLE].fg, 1);
    /* A short error buffer truncates; none at all is allowed. */
    char tiny[8];
    assert_int_equal(theme_parse("x = y", 5, "long.theme", &t, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "long.th");
    assert_int_equal(theme_parse("x = y", 5, "long.theme", &t, NULL, 0), -1);
    assert_string_equal(t.name, "default");
}

/* #rrggbb goes to the nearest of 16-255 (the cube and grey ramp), never 0-15. */
static const struct {
    const char *hex;
    short index;
} hex_cases[] = {
    {"#000000", 16},  {"#ffffff", 231}, {"#FFFFFF", 231}, {"#ff0000", 196}, {"#00ff00", 46},
    {"#0000ff", 21},  {"#d7af87", 180}, {"#5f87af", 67},  {"#808080", 244}, {"#080808", 232},
    {"#eeeeee", 255}, {"#767676", 243}, {"#010203", 16},  {"#fe0101", 196}, {"#7f7f7f", 244},
    {"#303030", 236}, {"#5f0000", 52},  {"#fffffe", 231},
};

static void test_hex_nearest(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hex_cases / sizeof hex_cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "link = %s on %s", hex_cases[i].hex, hex_cases[i].hex);
        theme t;
        char err[128];
        assert_int_equal(parse_str(text, &t, err, sizeof err), 0);
        if (t.role[ROLE_LINK].fg != hex_cases[i].index ||
            t.role[ROLE_LINK].bg != hex_cases[i].index) {
            print_error("%s: want %d, got %d/%d\n", hex_cases[i].hex, hex_cases[i].index,
                        t.role[ROLE_LINK].fg, t.role[ROLE_LINK].bg);
            fail();
        }
    }
}

static const struct {
    short c;
    int ncolors;
    short want;
    bool bold;
} map_cases[] = {
    /* default stays default everywhere */
    {DEF, 256, DEF, false},
    {DEF, 16, DEF, false},
    {DEF, 8, DEF, false},
    /* 256 and more: as is */
    {0, 256, 0, false},
    {9, 256, 9, false},
    {200, 256, 200, false},
    {255, 256, 255, false},
    {180, 16777216, 180, false},
    /* 16: 0-15 as is, the rest the nearest of 0-15 */
    {5, 16, 5, false},
    {12, 16, 12, false},
    {15, 16, 15, false},
    {16, 16, 0, false},   /* #000000 */
    {231, 16, 15, false}, /* #ffffff */
    {196, 16, 9, false},  /* #ff0000 */
    {46, 16, 10, false},  /* #00ff00 */
    {21, 16, 4, false},   /* #0000ff */
    {244, 16, 8, false},  /* #808080 */
    {250, 16, 7, false},  /* #bcbcbc */
    {236, 16, 0, false},  /* #303030 */
    {88, 88, 1, false},   /* 88-colour terminals count as 16 */
    /* 8: bright folds onto the base colour plus bold, the rest nearest of 0-7 */
    {3, 8, 3, false},
    {7, 8, 7, false},
    {8, 8, 0, true},
    {9, 8, 1, true},
    {15, 8, 7, true},
    {196, 8, 1, false},
    {231, 8, 7, false},
    {244, 8, 7, false},   /* a grey stays grey, not yellow */
    {236, 8, 0, false},
    {28, 8, 2, false},    /* #008700 */
    {22, 8, 0, false},    /* #005f00: nearer black than #00cd00 */
    {18, 8, 4, false},    /* #000087 */
    /* fewer than 8: no colour */
    {3, 2, DEF, false},
    {3, 0, DEF, false},
    /* out of range: default */
    {256, 256, DEF, false},
    {-5, 256, DEF, false},
};

static void test_map_color(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof map_cases / sizeof map_cases[0]; i++) {
        bool bold = !map_cases[i].bold;
        short got = theme_map_color(map_cases[i].c, map_cases[i].ncolors, &bold);
        if (got != map_cases[i].want || bold != map_cases[i].bold) {
            print_error("%d in %d colours: want %d bold=%d, got %d bold=%d\n", map_cases[i].c,
                        map_cases[i].ncolors, map_cases[i].want, map_cases[i].bold, got, bold);
            fail();
        }
        assert_int_equal(theme_map_color(map_cases[i].c, map_cases[i].ncolors, NULL),
                         map_cases[i].want);
    }
}

static void palette_rgb(int c, int rgb[3])
{
    static const int base[16][3] = {
        {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
        {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
        {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
        {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
    };
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    if (c < 16) {
        memcpy(rgb, base[c], sizeof base[c]);
    } else if (c < 232) {
        rgb[0] = level[(c - 16) / 36];
        rgb[1] = level[(c - 16) / 6 % 6];
        rgb[2] = level[(c - 16) % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
    }
}

static void test_shipped(void **state)
{
    (void)state;
    static const char *const want[] = {"default", "high-contrast", "light", "mono"};
    size_t n = 0;
    for (const struct embedded_file *f = theme_files; f->name; f++, n++) {
        assert_true(n < 4);
        assert_string_equal(f->name, want[n]);
        theme t;
        char err[256];
        char file[80];
        snprintf(file, sizeof file, "%s.theme", f->name);
        if (theme_parse(f->data, f->len, file, &t, err, sizeof err) != 0) {
            print_error("%s\n", err);
            fail();
        }
        assert_string_equal(t.name, f->name);
        for (int r = 0; r < ROLE__COUNT; r++) {
            if (!t.role[r].set) {
                print_error("%s: role %s not set\n", f->name, theme_role_name((theme_role)r));
                fail();
            }
        }
        theme loaded;
        assert_int_equal(theme_load(f->name, &loaded, err, sizeof err), 0);
        assert_memory_equal(loaded.role, t.role, sizeof t.role);
        assert_string_equal(loaded.name, f->name);
    }
    assert_int_equal(n, 4);

    theme t;
    char err[256];
    /* mono: attributes only */
    assert_int_equal(theme_load("mono", &t, err, sizeof err), 0);
    for (int r = 0; r < ROLE__COUNT; r++) {
        assert_int_equal(t.role[r].fg, DEF);
        assert_int_equal(t.role[r].bg, DEF);
    }
    assert_int_equal(t.role[ROLE_SELECTION].attrs & R, R);
    /* light: no light (white, yellow, pale) text on the terminal's background */
    assert_int_equal(theme_load("light", &t, err, sizeof err), 0);
    for (int r = 0; r < ROLE__COUNT; r++) {
        short fg = t.role[r].fg;
        if (fg == DEF)
            continue;
        int rgb[3];
        palette_rgb(fg, rgb);
        int luma = (299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2]) / 1000;
        if (luma >= 140) {
            print_error("light: %s has light text %d\n", theme_role_name((theme_role)r), fg);
            fail();
        }
    }
    /* high-contrast: reverse video for focus and selection, bright colours */
    assert_int_equal(theme_load("high-contrast", &t, err, sizeof err), 0);
    assert_int_equal(t.role[ROLE_FOCUS].attrs & R, R);
    assert_int_equal(t.role[ROLE_SELECTION].attrs & R, R);
    assert_int_equal(t.role[ROLE_NORMAL].fg, 15);
    assert_int_equal(t.role[ROLE_USER].bg, 0); /* inherited from normal */
    /* default: red errors, yellow countdown */
    assert_int_equal(theme_load("default", &t, err, sizeof err), 0);
    check_style("default error", &t.role[ROLE_ERROR], 9, DEF, B, true);
    check_style("default countdown", &t.role[ROLE_COUNTDOWN], 3, DEF, B, true);
    check_style("default normal", &t.role[ROLE_NORMAL], DEF, DEF, 0, true);
}

/* ---- Loading, with a private config directory -------------------------- */

static char tmpdir[256];

static void write_file(const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", tmpdir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    free(path);
}

static void make_dir(const char *rel)
{
    char *path = xasprintf("%s/%s", tmpdir, rel);
    assert_int_equal(mkdir(path, 0700), 0);
    free(path);
}

static void set_xdg(const char *rel);
static void set_home(void);

static int setup_home(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_theme.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    make_dir("xdg");
    make_dir("xdg/tchat");
    make_dir("xdg/tchat/themes");
    make_dir("home");
    make_dir("home/.config");
    make_dir("home/.config/tchat");
    make_dir("home/.config/tchat/themes");
    make_dir("empty");
    write_file("xdg/tchat/themes/default.theme", "title = green\n");
    write_file("xdg/tchat/themes/mine.theme", "# mine\nnormal = red\n");
    write_file("xdg/tchat/themes/broken.theme", "title = red\n\n  link = purpel bold\n");
    write_file("xdg/tchat/themes/notes.txt", "not a theme");
    write_file("xdg/tchat/themes/.hidden.theme", "title = red");
    write_file("xdg/tchat/themes/bad name.theme", "title = red");
    make_dir("xdg/tchat/themes/adir.theme");
    write_file("home/.config/tchat/themes/homey.theme", "title = blue\n");
    set_home();
    set_xdg("empty");
    return 0;
}

static int teardown_home(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    free(cmd);
    unsetenv("XDG_CONFIG_HOME");
    return rc == 0 ? 0 : -1;
}

static void set_xdg(const char *rel)
{
    if (!rel) {
        unsetenv("XDG_CONFIG_HOME");
        return;
    }
    char *path = rel[0] == '/' || rel[0] == '\0' ? xstrdup(rel)
                 : str_starts_with(rel, "rel:") ? xstrdup(rel + 4)
                                                : xasprintf("%s/%s", tmpdir, rel);
    setenv("XDG_CONFIG_HOME", path, 1);
    free(path);
}

static void set_home(void)
{
    char *path = xasprintf("%s/home", tmpdir);
    setenv("HOME", path, 1);
    free(path);
}

static const struct {
    const char *name;
    const char *xdg; /* relative to tmpdir; "rel:X" sets X itself; NULL unsets */
    const char *theme;
    int rc;
    const char *err; /* "%s" is tmpdir */
    theme_role role;
    short fg;         /* of role */
    const char *out_name;
} load_cases[] = {
    {"user shadows shipped", "xdg", "default", 0, "", ROLE_TITLE, 2, "default"},
    {"user only", "xdg", "mine", 0, "", ROLE_TITLE, 1, "mine"},
    {"shipped when no user file", "xdg", "light", 0, "", ROLE_TITLE, 0, "light"},
    {"shipped default", "empty", "default", 0, "", ROLE_ERROR, 9, "default"},
    {"broken user theme", "xdg", "broken", -1,
     "%s/xdg/tchat/themes/broken.theme:3: unknown colour \"purpel\"", ROLE_ERROR, 9, "default"},
    {"directory", "xdg", "adir", -1, "%s/xdg/tchat/themes/adir.theme: is a directory, not a file",
     ROLE_ERROR, 9, "default"},
    {"unknown, shipped only", "empty", "nosuch", -1,
     "unknown theme \"nosuch\" (available: default, high-contrast, light, mono)", ROLE_ERROR, 9,
     "default"},
    {"unknown, with user themes", "xdg", "nosuch", -1,
     "unknown theme \"nosuch\" (available: broken, default, high-contrast, light, mine, mono)",
     ROLE_ERROR, 9, "default"},
    {"home fallback", NULL, "homey", 0, "", ROLE_TITLE, 4, "homey"},
    {"relative xdg ignored", "rel:relative/dir", "homey", 0, "", ROLE_TITLE, 4, "homey"},
    {"empty xdg ignored", "", "homey", 0, "", ROLE_TITLE, 4, "homey"},
    {"dot dot", "xdg", "../x", -1,
     "invalid theme name \"../x\" (letters, digits, '_', '.', '-')", ROLE_ERROR, 9, "default"},
    {"slash", "xdg", "a/b", -1, "invalid theme name \"a/b\" (letters, digits, '_', '.', '-')",
     ROLE_ERROR, 9, "default"},
    {"absolute", "xdg", "/etc/passwd", -1,
     "invalid theme name \"/etc/passwd\" (letters, digits, '_', '.', '-')", ROLE_ERROR, 9,
     "default"},
    {"hidden", "xdg", ".hidden", -1,
     "invalid theme name \".hidden\" (letters, digits, '_', '.', '-')", ROLE_ERROR, 9, "default"},
    {"space", "xdg", "bad name", -1,
     "invalid theme name \"bad name\" (letters, digits, '_', '.', '-')", ROLE_ERROR, 9,
     "default"},
    {"empty", "xdg", "", -1, "invalid theme name \"\" (letters, digits, '_', '.', '-')",
     ROLE_ERROR, 9, "default"},
    {"too long", "xdg", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -1,
     "invalid theme name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" (letters, digits, '_', '.', "
     "'-')",
     ROLE_ERROR, 9, "default"},
    {"dots inside are fine", "xdg", "no.such-theme_1", -1,
     "unknown theme \"no.such-theme_1\" (available: broken, default, high-contrast, light, "
     "mine, mono)",
     ROLE_ERROR, 9, "default"},
};

static void test_load(void **state)
{
    (void)state;
    set_home();
    for (size_t i = 0; i < sizeof load_cases / sizeof load_cases[0]; i++) {
        set_xdg(load_cases[i].xdg);
        theme t;
        char err[512];
        snprintf(err, sizeof err, "unset");
        buf wb;
        buf_init(&wb);
        buf_fill(&wb, load_cases[i].err, 1, tmpdir);
        const char *want = buf_str(&wb);
        int rc = theme_load(load_cases[i].theme, &t, err, sizeof err);
        if (rc != load_cases[i].rc || strcmp(err, want) != 0) {
            print_error("%s: want %d \"%s\", got %d \"%s\"\n", load_cases[i].name,
                        load_cases[i].rc, want, rc, err);
            fail();
        }
        if (t.role[load_cases[i].role].fg != load_cases[i].fg ||
            strcmp(t.name, load_cases[i].out_name) != 0) {
            print_error("%s: want %s fg %d, got %s fg %d\n", load_cases[i].name,
                        load_cases[i].out_name, load_cases[i].fg, t.name,
                        t.role[load_cases[i].role].fg);
            fail();
        }
        buf_free(&wb);
    }
    /* NULL name */
    theme t;
    char err[128];
    assert_int_equal(theme_load(NULL, &t, err, sizeof err), -1);
    assert_string_equal(t.name, "default");
}

static void test_load_unreadable(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads anything */
    write_file("xdg/tchat/themes/locked.theme", "title = red\n");
    char *path = xasprintf("%s/xdg/tchat/themes/locked.theme", tmpdir);
    assert_int_equal(chmod(path, 0), 0);
    set_xdg("xdg");
    theme t;
    char err[512];
    assert_int_equal(theme_load("locked", &t, err, sizeof err), -1);
    char *want = xasprintf("%s: Permission denied", path);
    assert_string_equal(err, want);
    assert_string_equal(t.name, "default");
    unlink(path);
    free(want);
    free(path);
}

static void test_load_too_large(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    for (int i = 0; i < 70000 / 8; i++)
        buf_puts(&b, "# pad  \n");
    write_file("xdg/tchat/themes/huge.theme", buf_str(&b));
    buf_free(&b);
    set_xdg("xdg");
    theme t;
    char err[512];
    assert_int_equal(theme_load("huge", &t, err, sizeof err), -1);
    char *want = xasprintf("%s/xdg/tchat/themes/huge.theme: file too large for a theme", tmpdir);
    assert_string_equal(err, want);
    free(want);
    char *path = xasprintf("%s/xdg/tchat/themes/huge.theme", tmpdir);
    unlink(path);
    free(path);
}

static const struct {
    const char *name;
    const char *xdg;
    const char *want; /* names joined by ',' */
} list_cases[] = {
    {"shipped only", "empty", "default,high-contrast,light,mono"},
    {"user themes once", "xdg", "broken,default,high-contrast,light,mine,mono"},
    {"home fallback", NULL, "default,high-contrast,homey,light,mono"},
    {"missing dir", "nowhere", "default,high-contrast,light,mono"},
};

static void test_list(void **state)
{
    (void)state;
    set_home();
    for (size_t i = 0; i < sizeof list_cases / sizeof list_cases[0]; i++) {
        set_xdg(list_cases[i].xdg);
        char **names = NULL;
        size_t n = theme_list(&names);
        buf b;
        buf_init(&b);
        for (size_t k = 0; k < n; k++)
            buf_printf(&b, "%s%s", k ? "," : "", names[k]);
        if (strcmp(buf_str(&b), list_cases[i].want) != 0) {
            print_error("%s: want %s, got %s\n", list_cases[i].name, list_cases[i].want,
                        buf_str(&b));
            fail();
        }
        buf_free(&b);
        theme_free_names(names, n);
    }
}

/* ---- Curses: a real terminal description, output to /dev/null ----------- */

static SCREEN *open_term(const char *term, FILE **out, FILE **in)
{
    *out = fopen("/dev/null", "w");
    *in = fopen("/dev/null", "r");
    SCREEN *s = *out && *in ? newterm(term, *out, *in) : NULL;
    if (!s) {
        if (*out)
            fclose(*out);
        if (*in)
            fclose(*in);
    }
    return s;
}

static void close_term(SCREEN *s, FILE *out, FILE *in)
{
    endwin();
    delscreen(s);
    fclose(out);
    fclose(in);
}

static void check_pair(const char *name, theme_role r, short fg, short bg, unsigned long attrs)
{
    unsigned long a = theme_attr(r);
    short pf = -9, pb = -9;
    int pair = PAIR_NUMBER((attr_t)a);
    if (pair)
        pair_content((short)pair, &pf, &pb);
    else
        pf = pb = DEF;
    unsigned long rest = a & ~(unsigned long)A_COLOR;
    if (pf != fg || pb != bg || rest != attrs) {
        print_error("%s %s: want %d/%d attrs %#lx, got %d/%d (pair %d) attrs %#lx\n", name,
                    theme_role_name(r), fg, bg, attrs, pf, pb, pair, rest);
        fail();
    }
}

static const struct {
    const char *name;
    const char *term;
    const char *theme;
    bool no_color;
    theme_role role;
    short fg, bg; /* of its pair; DEF DEF for none */
    unsigned long attrs;
} apply_cases[] = {
    {"256", "xterm-256color", "default", false, ROLE_CODE, 180, 236, A_NORMAL},
    {"256 error", "xterm-256color", "default", false, ROLE_ERROR, 9, DEF, A_BOLD},
    {"256 normal", "xterm-256color", "default", false, ROLE_NORMAL, DEF, DEF, A_NORMAL},
    {"256 selection", "xterm-256color", "default", false, ROLE_SELECTION, DEF, DEF, A_REVERSE},
    {"256 link", "xterm-256color", "default", false, ROLE_LINK, 6, DEF, A_UNDERLINE},
    {"256 hc user", "xterm-256color", "high-contrast", false, ROLE_USER, 14, 0, A_BOLD},
    {"8 error", "xterm", "default", false, ROLE_ERROR, 1, DEF, A_BOLD},
    {"8 code", "xterm", "default", false, ROLE_CODE, 7, 0, A_NORMAL},
    {"8 bright fg", "xterm", "default", false, ROLE_USER, 6, DEF, A_BOLD},
    {"8 border", "xterm", "default", false, ROLE_BORDER, 7, DEF, A_NORMAL},
    {"no_color", "xterm-256color", "default", true, ROLE_ERROR, DEF, DEF, A_BOLD},
    {"no_color code", "xterm-256color", "default", true, ROLE_CODE, DEF, DEF, A_NORMAL},
    {"no_color focus", "xterm-256color", "high-contrast", true, ROLE_FOCUS, DEF, DEF,
     A_BOLD | A_REVERSE},
    {"mono terminal", "xterm-mono", "default", false, ROLE_LINK, DEF, DEF, A_UNDERLINE},
    {"mono theme", "xterm-256color", "mono", false, ROLE_TITLE, DEF, DEF, A_BOLD | A_REVERSE},
#ifdef A_ITALIC
    {"italic", "xterm-256color", "default", false, ROLE_ITALIC, DEF, DEF, A_ITALIC},
#endif
};

static void test_apply(void **state)
{
    (void)state;
    int ran = 0;
    for (size_t i = 0; i < sizeof apply_cases / sizeof apply_cases[0]; i++) {
        FILE *out, *in;
        SCREEN *s = open_term(apply_cases[i].term, &out, &in);
        if (!s)
            continue; /* no terminfo entry here */
        theme t;
        char err[256];
        assert_int_equal(theme_load(apply_cases[i].theme, &t, err, sizeof err), 0);
        theme_apply(&t, apply_cases[i].no_color);
        check_pair(apply_cases[i].name, apply_cases[i].role, apply_cases[i].fg,
                   apply_cases[i].bg, apply_cases[i].attrs);
        close_term(s, out, in);
        ran++;
    }
    if (!ran)
        skip();
}

/* Roles with the same colours share one pair. */
static void test_apply_shares_pairs(void **state)
{
    (void)state;
    FILE *out, *in;
    SCREEN *s = open_term("xterm-256color", &out, &in);
    if (!s)
        skip();
    theme t;
    char err[128];
    assert_int_equal(parse_str("warn = yellow\ncountdown = yellow bold\nok = green", &t, err,
                               sizeof err), 0);
    theme_apply(&t, false);
    int warn = PAIR_NUMBER((attr_t)theme_attr(ROLE_WARN));
    assert_int_not_equal(warn, 0);
    assert_int_equal(PAIR_NUMBER((attr_t)theme_attr(ROLE_COUNTDOWN)), warn);
    assert_int_not_equal(PAIR_NUMBER((attr_t)theme_attr(ROLE_OK)), warn);
    assert_int_equal(theme_attr(ROLE_TITLE), 0); /* not given: plain */
    /* NULL applies the default theme */
    theme_apply(NULL, true);
    assert_int_equal(theme_attr(ROLE_ERROR), A_BOLD);
    close_term(s, out, in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attr_before_apply),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_edges),
        cmocka_unit_test(test_hex_nearest),
        cmocka_unit_test(test_map_color),
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_load_unreadable),
        cmocka_unit_test(test_load_too_large),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_apply_shares_pairs),
    };
    /* A private config dir for every test: a real one must not leak in. */
    return cmocka_run_group_tests(tests, setup_home, teardown_home);
}
