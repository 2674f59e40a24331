/* Per-language lexers, deliberately small: what a reader's eye needs (keywords, strings,
 * comments, numbers, names), one pass over each line, no backtracking, so the cost is linear
 * in the code and paid once per line as it is rendered (render.c caches the result). */
#include "highlight.h"

#include <string.h>

#include "render.h"
#include "util.h"

/* ---------------------------------------------------------------- languages */

static const struct {
    const char *name;
    hl_lang lang;
} names[] = {
    {"c", HL_C},        {"h", HL_CPP},           {"cpp", HL_CPP},   {"c++", HL_CPP},
    {"cc", HL_CPP},     {"cxx", HL_CPP},       {"hpp", HL_CPP},   {"hh", HL_CPP},
    {"hxx", HL_CPP},    {"python", HL_PYTHON}, {"py", HL_PYTHON}, {"python3", HL_PYTHON},
    {"js", HL_JS},      {"javascript", HL_JS}, {"jsx", HL_JS},    {"mjs", HL_JS},
    {"cjs", HL_JS},     {"node", HL_JS},       {"ts", HL_TS},     {"typescript", HL_TS},
    {"tsx", HL_TS},     {"go", HL_GO},         {"golang", HL_GO}, {"rust", HL_RUST},
    {"rs", HL_RUST},    {"sh", HL_SH},         {"bash", HL_SH},   {"shell", HL_SH},
    {"zsh", HL_SH},     {"console", HL_SH},    {"json", HL_JSON}, {"jsonc", HL_JSON},
    {"yaml", HL_YAML},  {"yml", HL_YAML},      {"sql", HL_SQL},   {"diff", HL_DIFF},
    {"patch", HL_DIFF},
};

hl_lang hl_lang_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && str_ncasecmp(names[i].name, name, len) == 0)
            return names[i].lang;
    return HL_NONE;
}

/* ---------------------------------------------------------------- keywords */

/* Sorted (strcmp), for a binary search. */
static const char *const kw_c[] = {
    "_Bool",   "_Static_assert", "auto",     "break",   "case",
    "char",    "const",          "continue", "default", "do",
    "double",  "else",           "enum",     "extern",  "float",
    "for",     "goto",           "if",       "inline",  "int",
    "long",    "register",       "restrict", "return",  "short",
    "signed",  "sizeof",         "static",   "struct",  "switch",
    "typedef", "union",          "unsigned", "void",    "volatile",
    "while",
};
static const char *const kw_cpp[] = {
    "alignas",  "auto",     "bool",      "break",         "case",      "catch",    "char",
    "class",    "const",    "consteval", "constexpr",     "continue",  "decltype", "default",
    "delete",   "do",       "double",    "else",          "enum",      "explicit", "export",
    "extern",   "final",    "float",     "for",           "friend",    "goto",     "if",
    "inline",   "int",      "long",      "mutable",       "namespace", "new",      "noexcept",
    "operator", "override", "private",   "protected",     "public",    "return",   "short",
    "signed",   "sizeof",   "static",    "static_assert", "struct",    "switch",   "template",
    "this",     "throw",    "try",       "typedef",       "typename",  "union",    "unsigned",
    "using",    "virtual",  "void",      "volatile",      "while",
};
static const char *const kw_python[] = {
    "and",    "as",     "assert", "async",  "await",   "break",    "class", "continue", "def",
    "del",    "elif",   "else",   "except", "finally", "for",      "from",  "global",   "if",
    "import", "in",     "is",     "lambda", "match",   "nonlocal", "not",   "or",       "pass",
    "raise",  "return", "try",    "while",  "with",    "yield",
};
static const char *const kw_js[] = {
    "async",    "await",   "break",    "case",   "catch",  "class",  "const",      "continue",
    "debugger", "default", "delete",   "do",     "else",   "export", "extends",    "finally",
    "for",      "from",    "function", "if",     "import", "in",     "instanceof", "let",
    "new",      "of",      "return",   "static", "super",  "switch", "this",       "throw",
    "try",      "typeof",  "var",      "void",   "while",  "with",   "yield",
};
static const char *const kw_ts[] = {
    "abstract",   "any",       "as",       "async",     "await",      "boolean",  "break",
    "case",       "catch",     "class",    "const",     "continue",   "declare",  "default",
    "delete",     "do",        "else",     "enum",      "export",     "extends",  "finally",
    "for",        "from",      "function", "if",        "implements", "import",   "in",
    "instanceof", "interface", "keyof",    "let",       "namespace",  "never",    "new",
    "number",     "of",        "private",  "protected", "public",     "readonly", "return",
    "static",     "string",    "super",    "switch",    "this",       "throw",    "try",
    "type",       "typeof",    "unknown",  "var",       "void",       "while",    "yield",
};
static const char *const kw_go[] = {
    "break",  "case",        "chan", "const",   "continue", "default", "defer",
    "else",   "fallthrough", "for",  "func",    "go",       "goto",    "if",
    "import", "interface",   "map",  "package", "range",    "return",  "select",
    "struct", "switch",      "type", "var",
};
static const char *const kw_rust[] = {
    "Self",   "as",     "async",  "await", "break", "const",  "continue", "crate",  "dyn",
    "else",   "enum",   "extern", "fn",    "for",   "if",     "impl",     "in",     "let",
    "loop",   "match",  "mod",    "move",  "mut",   "pub",    "ref",      "return", "self",
    "static", "struct", "super",  "trait", "type",  "unsafe", "use",      "where",  "while",
};
static const char *const kw_sh[] = {
    "case", "do", "done",  "elif",     "else",   "esac",   "export", "fi",    "for",   "function",
    "if",   "in", "local", "readonly", "return", "select", "then",   "until", "while",
};
/* Upper case: SQL's words are matched case aside. */
static const char *const kw_sql[] = {
    "ADD",      "ALL",      "ALTER",  "AND",        "AS",      "ASC",        "BEGIN",     "BETWEEN",
    "BY",       "CASE",     "COMMIT", "CONSTRAINT", "CREATE",  "CROSS",      "DEFAULT",   "DELETE",
    "DESC",     "DISTINCT", "DROP",   "ELSE",       "END",     "EXISTS",     "FOREIGN",   "FROM",
    "FULL",     "GROUP",    "HAVING", "IN",         "INDEX",   "INNER",      "INSERT",    "INTO",
    "IS",       "JOIN",     "KEY",    "LEFT",       "LIKE",    "LIMIT",      "NOT",       "OFFSET",
    "ON",       "OR",       "ORDER",  "OUTER",      "PRIMARY", "REFERENCES", "RETURNING", "RIGHT",
    "ROLLBACK", "SELECT",   "SET",    "TABLE",      "THEN",    "UNION",      "UNIQUE",    "UPDATE",
    "VALUES",   "VIEW",     "WHEN",   "WHERE",      "WITH",
};
/* Words shown as literals (the number style): constants of the language. */
static const char *const lit_c[] = {"NULL", "false", "nullptr", "true"};
static const char *const lit_python[] = {"False", "None", "True"};
static const char *const lit_js[] = {"NaN", "false", "null", "true", "undefined"};
static const char *const lit_go[] = {"false", "iota", "nil", "true"};
static const char *const lit_rust[] = {"None", "Some", "false", "true"};
static const char *const lit_json[] = {"false", "null", "true"};
static const char *const lit_yaml[] = {"False", "NULL", "Null", "True",
                                       "false", "null", "true", "~"};
static const char *const lit_sql[] = {"FALSE", "NULL", "TRUE"};

#define WORDS(a) a, sizeof a / sizeof a[0]

typedef struct wordlist {
    const char *const *v;
    size_t n;
} wordlist;

static bool in_words(wordlist w, const char *p, size_t n)
{
    size_t lo = 0, hi = w.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = w.v[mid];
        int c = strncmp(k, p, n);
        if (c == 0)
            c = k[n] ? 1 : 0;
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* ---------------------------------------------------------------- helpers */

enum { M_CODE, M_BLOCK_COMMENT, M_STRING };

static void mark(uint8_t *style, size_t a, size_t b, uint8_t st)
{
    if (b > a)
        memset(style + a, st, b - a);
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word(char c)
{
    return is_alpha(c) || is_digit(c);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* A number from p[i] (a digit): digits, letters (0x1F, 1e9, 10u, 2.5f), '_' and '.', and a
 * sign after an exponent. Returns its end. */
static size_t number_end(const char *p, size_t n, size_t i)
{
    bool hex = i + 1 < n && p[i] == '0' && (p[i + 1] == 'x' || p[i + 1] == 'X');
    while (i < n) {
        char c = p[i];
        if (is_word(c) || c == '.' || c == '\'') {
            i++;
        } else if ((c == '+' || c == '-') && !hex && (p[i - 1] == 'e' || p[i - 1] == 'E')) {
            i++;
        } else {
            break;
        }
    }
    return i;
}

/* From p[i], inside a string, to its closing quote q (backslash escapes skipped when
 * escapes). Returns the end, and whether it closed on this line. */
static size_t close_quote(const char *p, size_t n, size_t i, char q, bool escapes, bool *closed)
{
    for (; i < n; i++) {
        if (escapes && p[i] == '\\') {
            i++;
            continue;
        }
        if (p[i] == q) {
            *closed = true;
            return i + 1;
        }
    }
    *closed = false;
    return n;
}

/* A quoted string that opens at p[i]. */
static size_t string_end(const char *p, size_t n, size_t i, char q, bool escapes, bool *closed)
{
    return close_quote(p, n, i + 1, q, escapes, closed);
}

/* ---------------------------------------------------------------- C-like languages */

/* A Python string prefix: one or two of r, b, f, u in either case ("rb", "F"), so that
 * "or" and "in" before a quote stay words. */
static bool py_prefix(const char *w, size_t len)
{
    if (len < 1 || len > 2)
        return false;
    for (size_t k = 0; k < len; k++)
        if (!strchr("rRbBfFuU", w[k]))
            return false;
    return true;
}

typedef struct clike {
    wordlist keywords, literals;
    bool hash_comment;  /* '#' starts a comment (Python) */
    bool slash_comment; /* '//' and block comments */
    bool nested;        /* block comments nest (Rust) */
    bool preprocessor;  /* '#include' and the like (C, C++) */
    char long_quote;    /* '`' for a string that spans lines (JS, TS: a template; Go: raw) */
    bool triple_quotes; /* Python's ''' and """ */
    bool dollar;        /* '$' is part of a name (JS, TS) */
} clike;

static const clike clikes[HL__COUNT] = {
    [HL_C] = {{WORDS(kw_c)}, {WORDS(lit_c)}, false, true, false, true, 0, false, false},
    [HL_CPP] = {{WORDS(kw_cpp)}, {WORDS(lit_c)}, false, true, false, true, 0, false, false},
    [HL_PYTHON] =
        {{WORDS(kw_python)}, {WORDS(lit_python)}, true, false, false, false, 0, true, false},
    [HL_JS] = {{WORDS(kw_js)}, {WORDS(lit_js)}, false, true, false, false, '`', false, true},
    [HL_TS] = {{WORDS(kw_ts)}, {WORDS(lit_js)}, false, true, false, false, '`', false, true},
    [HL_GO] = {{WORDS(kw_go)}, {WORDS(lit_go)}, false, true, false, false, '`', false, false},
    [HL_RUST] = {{WORDS(kw_rust)}, {WORDS(lit_rust)}, false, true, true, false, 0, false, false},
};

/* Inside a block comment at p[i]: to its end (nested ones counted), or the line's end. */
static size_t block_comment(const clike *l, hl_state *st, const char *p, size_t n, size_t i)
{
    while (i < n) {
        if (p[i] == '*' && i + 1 < n && p[i + 1] == '/') {
            i += 2;
            if (st->depth > 0)
                st->depth--;
            if (st->depth == 0) {
                st->mode = M_CODE;
                return i;
            }
        } else if (l->nested && p[i] == '/' && i + 1 < n && p[i + 1] == '*') {
            i += 2;
            if (st->depth < 255)
                st->depth++;
        } else {
            i++;
        }
    }
    return n;
}

/* Inside a string that spans lines (quote st->quote; Python's triple when triple): to its
 * end or the line's. */
static size_t long_string(hl_state *st, const char *p, size_t n, size_t i, bool triple,
                          bool escapes)
{
    char q = (char)st->quote;
    for (; i < n; i++) {
        if (escapes && p[i] == '\\') {
            i++;
            continue;
        }
        if (p[i] != q)
            continue;
        if (!triple) {
            st->mode = M_CODE;
            return i + 1;
        }
        if (i + 2 < n && p[i + 1] == q && p[i + 2] == q) {
            st->mode = M_CODE;
            return i + 3;
        }
    }
    return n;
}

/* Rust: 'a' or '\n' is a character, 'a (a lifetime) is not: the quote must close soon. */
static bool rust_char(const char *p, size_t n, size_t i)
{
    if (i + 2 < n && p[i + 1] == '\\')
        return true;
    size_t k = i + 1;
    if (k < n && (unsigned char)p[k] >= 0x80)
        while (k + 1 < n && ((unsigned char)p[k + 1] & 0xC0) == 0x80)
            k++;
    return k + 1 < n && p[k + 1] == '\'';
}

static void hl_clike(hl_lang lang, hl_state *st, const char *p, size_t n, uint8_t *style)
{
    const clike *l = &clikes[lang];
    size_t i = 0;
    if (st->mode == M_BLOCK_COMMENT) {
        i = block_comment(l, st, p, n, 0);
        mark(style, 0, i, MD_CODE_COMMENT);
    } else if (st->mode == M_STRING) {
        i = long_string(st, p, n, 0, l->triple_quotes, st->quote != '`' || lang != HL_GO);
        mark(style, 0, i, MD_CODE_STRING);
    }
    if (l->preprocessor && st->mode == M_CODE) {
        size_t k = i;
        while (k < n && is_blank(p[k]))
            k++;
        if (k < n && p[k] == '#') {
            size_t e = k + 1;
            while (e < n && is_blank(p[e]))
                e++;
            while (e < n && is_word(p[e]))
                e++;
            mark(style, k, e, MD_CODE_KEYWORD);
            /* #include <stdio.h>: the header as a string */
            size_t a = e;
            while (a < n && is_blank(p[a]))
                a++;
            if (a < n && p[a] == '<') {
                const char *gt = memchr(p + a, '>', n - a);
                if (gt) {
                    mark(style, a, (size_t)(gt - p) + 1, MD_CODE_STRING);
                    e = (size_t)(gt - p) + 1;
                }
            }
            i = e;
        }
    }
    while (i < n && st->mode == M_CODE) {
        char c = p[i];
        if (l->slash_comment && c == '/' && i + 1 < n && p[i + 1] == '/') {
            mark(style, i, n, MD_CODE_COMMENT);
            return;
        }
        if (l->hash_comment && c == '#') {
            mark(style, i, n, MD_CODE_COMMENT);
            return;
        }
        if (l->slash_comment && c == '/' && i + 1 < n && p[i + 1] == '*') {
            st->mode = M_BLOCK_COMMENT;
            st->depth = 1;
            size_t e = block_comment(l, st, p, n, i + 2);
            mark(style, i, e, MD_CODE_COMMENT);
            i = e;
            continue;
        }
        if (l->triple_quotes && (c == '"' || c == '\'') && i + 2 < n && p[i + 1] == c &&
            p[i + 2] == c) {
            st->mode = M_STRING;
            st->quote = (uint8_t)c;
            size_t e = long_string(st, p, n, i + 3, true, true);
            mark(style, i, e, MD_CODE_STRING);
            i = e;
            continue;
        }
        if (l->long_quote && c == l->long_quote) {
            st->mode = M_STRING;
            st->quote = (uint8_t)c;
            size_t e = long_string(st, p, n, i + 1, false, lang != HL_GO);
            mark(style, i, e, MD_CODE_STRING);
            i = e;
            continue;
        }
        /* '...': a string, or a character; in Rust perhaps a lifetime ('a) */
        if (c == '"' || (c == '\'' && (lang != HL_RUST || rust_char(p, n, i)))) {
            bool closed;
            size_t e = string_end(p, n, i, c, true, &closed);
            mark(style, i, e, MD_CODE_STRING);
            i = e;
            continue;
        }
        if (is_digit(c)) {
            size_t e = number_end(p, n, i);
            mark(style, i, e, MD_CODE_NUMBER);
            i = e;
            continue;
        }
        if (is_alpha(c) || (l->dollar && c == '$')) {
            size_t e = i + 1;
            while (e < n && (is_word(p[e]) || (l->dollar && p[e] == '$')))
                e++;
            /* Python's prefixed strings: r"...", f'...', rb"""...""" (the prefix is the string's) */
            if (lang == HL_PYTHON && e < n && (p[e] == '"' || p[e] == '\'') &&
                py_prefix(p + i, e - i)) {
                char q = p[e];
                size_t end;
                if (e + 2 < n && p[e + 1] == q && p[e + 2] == q) {
                    st->mode = M_STRING;
                    st->quote = (uint8_t)q;
                    end = long_string(st, p, n, e + 3, true, true);
                } else {
                    bool closed;
                    end = string_end(p, n, e, q, true, &closed);
                }
                mark(style, i, end, MD_CODE_STRING);
                i = end;
                continue;
            }
            if (in_words(l->keywords, p + i, e - i))
                mark(style, i, e, MD_CODE_KEYWORD);
            else if (in_words(l->literals, p + i, e - i))
                mark(style, i, e, MD_CODE_NUMBER);
            i = e;
            continue;
        }
        i++;
    }
}

/* ---------------------------------------------------------------- shell */

/* $NAME, ${...}, $1, $@, $?, $$: a variable from p[i] ('$'). Returns its end. */
static size_t variable_end(const char *p, size_t n, size_t i)
{
    size_t e = i + 1;
    if (e < n && p[e] == '{') {
        const char *close = memchr(p + e, '}', n - e);
        return close ? (size_t)(close - p) + 1 : e;
    }
    if (e < n && p[e] && (is_digit(p[e]) || strchr("@*#?$!-", p[e])))
        return e + 1;
    while (e < n && is_word(p[e]))
        e++;
    return e;
}

static void hl_sh(hl_state *st, const char *p, size_t n, uint8_t *style)
{
    size_t i = 0;
    bool word_start = true;     /* a '#' here starts a comment; a keyword may begin here */
    if (st->mode == M_STRING) { /* a quoted string that spans lines */
        bool closed;
        size_t e = close_quote(p, n, 0, (char)st->quote, st->quote == '"', &closed);
        mark(style, 0, e, MD_CODE_STRING);
        if (closed)
            st->mode = M_CODE;
        i = e;
        word_start = false;
    }
    while (i < n) {
        char c = p[i];
        if (c == '#' && word_start) {
            mark(style, i, n, MD_CODE_COMMENT);
            return;
        }
        if (c == '"' || c == '\'') {
            bool closed;
            size_t e = string_end(p, n, i, c, c == '"', &closed);
            mark(style, i, e, MD_CODE_STRING);
            /* Variables inside "..." are still names. */
            for (size_t k = i + 1; c == '"' && k < e; k++)
                if (p[k] == '$' && (k == 0 || p[k - 1] != '\\')) {
                    size_t v = variable_end(p, e, k);
                    if (v > k + 1)
                        mark(style, k, v, MD_CODE_NAME);
                    k = v - 1;
                }
            if (!closed) {
                st->mode = M_STRING;
                st->quote = (uint8_t)c;
            }
            i = e;
            word_start = false;
            continue;
        }
        if (c == '$') {
            size_t e = variable_end(p, n, i);
            if (e > i + 1)
                mark(style, i, e, MD_CODE_NAME);
            i = e > i + 1 ? e : i + 1;
            word_start = false;
            continue;
        }
        if (is_alpha(c) && word_start) {
            size_t e = i + 1;
            while (e < n && (is_word(p[e]) || p[e] == '-'))
                e++;
            bool ends = e == n || is_blank(p[e]) || p[e] == ';';
            if (ends && in_words((wordlist){WORDS(kw_sh)}, p + i, e - i))
                mark(style, i, e, MD_CODE_KEYWORD);
            i = e;
            word_start = false;
            continue;
        }
        word_start = is_blank(c) || c == ';' || c == '|' || c == '&' || c == '(' || c == '`';
        i++;
    }
}

/* ---------------------------------------------------------------- JSON, YAML */

/* A value word from p[i] to the next delimiter: a number, a literal, or nothing of note. */
static size_t scalar(wordlist lits, const char *p, size_t n, size_t i, const char *stops,
                     uint8_t *style)
{
    size_t e = i;
    while (e < n && !strchr(stops, p[e]))
        e++;
    size_t t = e;
    while (t > i && is_blank(p[t - 1]))
        t--;
    bool num = t > i && (is_digit(p[i]) || ((p[i] == '-' || p[i] == '+') && t > i + 1 &&
                                            (is_digit(p[i + 1]) || p[i + 1] == '.')));
    for (size_t k = i; num && k < t; k++)
        num = is_word(p[k]) || strchr(".+-", p[k]);
    if (num || in_words(lits, p + i, t - i))
        mark(style, i, t, MD_CODE_NUMBER);
    return e > i ? e : i + 1;
}

static void hl_json(const char *p, size_t n, uint8_t *style)
{
    for (size_t i = 0; i < n;) {
        char c = p[i];
        if (c == '"') {
            bool closed;
            size_t e = string_end(p, n, i, '"', true, &closed);
            size_t k = e;
            while (k < n && is_blank(p[k]))
                k++;
            mark(style, i, e, k < n && p[k] == ':' ? MD_CODE_NAME : MD_CODE_STRING);
            i = e;
        } else if (c == '/' && i + 1 < n && p[i + 1] == '/') { /* JSONC */
            mark(style, i, n, MD_CODE_COMMENT);
            return;
        } else if (is_blank(c) || strchr("{}[],:", c)) {
            i++;
        } else {
            i = scalar((wordlist){WORDS(lit_json)}, p, n, i, "{}[],: \t\r", style);
        }
    }
}

static void hl_yaml(const char *p, size_t n, uint8_t *style)
{
    size_t i = 0;
    while (i < n && is_blank(p[i]))
        i++;
    if (i < n && p[i] == '#') {
        mark(style, i, n, MD_CODE_COMMENT);
        return;
    }
    if (n - i >= 3 && (memcmp(p + i, "---", 3) == 0 || memcmp(p + i, "...", 3) == 0) &&
        (n - i == 3 || is_blank(p[i + 3]))) {
        mark(style, i, i + 3, MD_CODE_KEYWORD);
        return;
    }
    while (i + 1 < n && p[i] == '-' && is_blank(p[i + 1])) { /* list items */
        i += 2;
        while (i < n && is_blank(p[i]))
            i++;
    }
    /* key: value (a key may be quoted) */
    size_t k = i;
    if (k < n && (p[k] == '"' || p[k] == '\'')) {
        bool closed;
        k = string_end(p, n, k, p[k], p[k] == '"', &closed);
    } else {
        while (k < n && p[k] != ':' && p[k] != '#')
            k++;
    }
    if (k < n && p[k] == ':' && (k + 1 == n || is_blank(p[k + 1])) && k > i) {
        mark(style, i, k, MD_CODE_NAME);
        i = k + 1;
    }
    while (i < n) {
        char c = p[i];
        if (c == '#' && (i == 0 || is_blank(p[i - 1]))) {
            mark(style, i, n, MD_CODE_COMMENT);
            return;
        }
        if (c == '"' || c == '\'') {
            bool closed;
            size_t e = string_end(p, n, i, c, c == '"', &closed);
            mark(style, i, e, MD_CODE_STRING);
            i = e;
        } else if (is_blank(c) || strchr("[]{},&*|>!", c)) {
            i++;
        } else {
            i = scalar((wordlist){WORDS(lit_yaml)}, p, n, i, "[]{},#", style);
        }
    }
}

/* ---------------------------------------------------------------- SQL */

static void hl_sql(hl_state *st, const char *p, size_t n, uint8_t *style)
{
    static const clike sql = {{0}, {0}, false, true, false, false, 0, false, false};
    size_t i = 0;
    if (st->mode == M_BLOCK_COMMENT) {
        i = block_comment(&sql, st, p, n, 0);
        mark(style, 0, i, MD_CODE_COMMENT);
    }
    while (i < n && st->mode == M_CODE) {
        char c = p[i];
        if (c == '-' && i + 1 < n && p[i + 1] == '-') {
            mark(style, i, n, MD_CODE_COMMENT);
            return;
        }
        if (c == '/' && i + 1 < n && p[i + 1] == '*') {
            st->mode = M_BLOCK_COMMENT;
            st->depth = 1;
            size_t e = block_comment(&sql, st, p, n, i + 2);
            mark(style, i, e, MD_CODE_COMMENT);
            i = e;
        } else if (c == '\'' || c == '"') {
            bool closed;
            size_t e = string_end(p, n, i, c, false, &closed);
            mark(style, i, e, c == '"' ? MD_CODE_NAME : MD_CODE_STRING);
            i = e;
        } else if (is_digit(c)) {
            size_t e = number_end(p, n, i);
            mark(style, i, e, MD_CODE_NUMBER);
            i = e;
        } else if (is_alpha(c)) {
            size_t e = i + 1;
            while (e < n && is_word(p[e]))
                e++;
            char up[16];
            if (e - i < sizeof up) {
                for (size_t k = i; k < e; k++)
                    up[k - i] = p[k] >= 'a' && p[k] <= 'z' ? (char)(p[k] - 32) : p[k];
                if (in_words((wordlist){WORDS(kw_sql)}, up, e - i))
                    mark(style, i, e, MD_CODE_KEYWORD);
                else if (in_words((wordlist){WORDS(lit_sql)}, up, e - i))
                    mark(style, i, e, MD_CODE_NUMBER);
            }
            i = e;
        } else {
            i++;
        }
    }
}

/* ---------------------------------------------------------------- diff */

static bool starts(const char *p, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(p, prefix, k) == 0;
}

static void hl_diff(const char *p, size_t n, uint8_t *style)
{
    if (!n)
        return;
    if (starts(p, n, "+++") || starts(p, n, "---") || starts(p, n, "diff ") ||
        starts(p, n, "index ") || starts(p, n, "@@"))
        mark(style, 0, n, MD_CODE_KEYWORD);
    else if (p[0] == '+')
        mark(style, 0, n, MD_DIFF_ADD);
    else if (p[0] == '-')
        mark(style, 0, n, MD_DIFF_DEL);
}

/* ---------------------------------------------------------------- the entry */

void hl_line(hl_lang lang, hl_state *st, const char *p, size_t n, uint8_t *style)
{
    switch (lang) {
    case HL_C:
    case HL_CPP:
    case HL_PYTHON:
    case HL_JS:
    case HL_TS:
    case HL_GO:
    case HL_RUST:
        hl_clike(lang, st, p, n, style);
        break;
    case HL_SH:
        hl_sh(st, p, n, style);
        break;
    case HL_JSON:
        hl_json(p, n, style);
        break;
    case HL_YAML:
        hl_yaml(p, n, style);
        break;
    case HL_SQL:
        hl_sql(st, p, n, style);
        break;
    case HL_DIFF:
        hl_diff(p, n, style);
        break;
    case HL_NONE:
    case HL__COUNT:
        break;
    }
}
