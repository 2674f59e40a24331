#!/usr/bin/env bash
# --help and the man page: both fit 80 columns, list the same flags, and point at the
# installed documentation; --version names the licence.
source "$(dirname "$0")/lib.sh"

build=$(dirname "$TCHAT_BIN")
man_page=$build/tchat.1 # assets/tchat.1 as configured: version and doc directory filled in

# Lines of stdin longer than 80 characters, numbered.
too_wide() {
    local line n=0
    while IFS= read -r line; do
        n=$((n + 1))
        ((${#line} <= 80)) || printf '%d (%d columns): %s\n' "$n" "${#line}" "$line"
    done
}

expect() { # NAME COMMAND...: passes when the command succeeds
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}

run_tchat --help
help=$OUT
expect "--help exits 0" test "$CODE" = 0
wide=$(too_wide <<<"$help")
if [[ -z $wide ]]; then pass "--help fits 80 columns"; else fail "--help fits 80 columns" "$wide"; fi
docdir=$(tail -n1 <<<"$help" | sed 's/^ *//')
expect "--help ends with the doc directory ($docdir)" eval '[[ $docdir == /*/doc/tchat ]]'
expect "--help points at man tchat" grep -q 'man tchat' <<<"$help"

run_tchat --version
expect "--version names the licence" grep -qx 'License: MIT' <<<"$OUT"
expect "--version names the copyright holder" grep -q 'The tchat authors' <<<"$OUT"
OUT= ERR= CODE= # what follows runs no tchat: a failure shows no stale output

# Flags: "  -p, --prompt TEXT" in --help; ".BR \-p ", " \-\-prompt" after .TP in the man page.
help_flags=$(grep -oE '^  (-[a-zA-Z], |    )--[a-z-]+' <<<"$help" | sed 's/.*--/--/' | sort -u)
man_flags=$(awk 'prev == ".TP" { print } { prev = $0 }' "$man_page" |
    grep -oE '\\-\\-[a-z\\-]+' | sed 's/\\//g' | sort -u)
expect "--help lists flags ($(wc -l <<<"$help_flags"))" test "$(wc -l <<<"$help_flags")" -gt 30
only_help=$(comm -23 <(echo "$help_flags") <(echo "$man_flags"))
only_man=$(comm -13 <(echo "$help_flags") <(echo "$man_flags"))
expect "the man page documents every flag of --help${only_help:+ (missing: ${only_help//$'\n'/ })}" \
    test -z "$only_help"
expect "the man page has no flag that --help lacks${only_man:+ (extra: ${only_man//$'\n'/ })}" \
    test -z "$only_man"
# Every option of the registry is a flag (src/core/config.h), the key excepted.
registry=$(grep -oE 'X\(OPT_[A-Z_]+, "[a-z_]+", OPT_[A-Z]+' "$TCHAT_SRC/src/core/config.h" |
    grep -v OPT_SECRET | sed -E 's/.*"([a-z_]+)".*/--\1/; s/_/-/g' | sort -u)
missing=$(comm -23 <(echo "$registry") <(echo "$help_flags"))
expect "--help lists every option of the registry${missing:+ (missing: ${missing//$'\n'/ })}" \
    test -z "$missing"
expect "--help does not show --api-key" eval '! grep -q -- "--api-key " <<<"$help"'

expect "the man page points at the doc directory" grep -qF "$docdir" "$man_page"

# The exit codes: one table keyed by entry, the same in --help, the man page, README.md and
# docs/errors.md (each entry in the row of its code, and nowhere else).
printf '%s\n' "$help" >"$T_DIR/help.txt"
exit_tables=$(python3 - "$TCHAT_SRC/README.md" "$TCHAT_SRC/docs/errors.md" "$T_DIR/help.txt" \
    "$man_page" <<'PY'
import re, sys
def markdown(path):
    text = open(path).read()
    table = text[text.index("<!-- exit codes"):text.index("<!-- /exit codes -->")]
    rows = {}
    for line in table.splitlines():
        m = re.match(r"\| (\d+) \|[^|]*\|(.*)\|$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows
def blocks(lines, start):
    rows, code = {}, None
    for line in lines:
        m = start.match(line)
        if m:
            code = m.group(1)
            rows[code] = line
        elif code is not None and rows.get(code) is not None:
            rows[code] += " " + line
    return rows
readme = markdown(sys.argv[1])
ids = sorted({i for row in readme.values() for i in re.findall(r"`([a-z-]+)`", row)})
help_text = open(sys.argv[3]).read()
help_text = help_text[help_text.index("Exit codes"):]
help_text = help_text[:help_text.index("\n\n")]
man = open(sys.argv[4]).read()
man = man[man.index(".SH EXIT STATUS"):man.index(".SH KEYS")].replace("\\%", "").replace("\\-", "-")
tables = {"README.md": readme, "docs/errors.md": markdown(sys.argv[2]),
          "--help": blocks(help_text.splitlines(), re.compile(r"^  (\d+) ")),
          "the man page": blocks(man.splitlines(), re.compile(r"^(\d+)\t"))}
for name, rows in tables.items():
    for i in ids:
        where = sorted(c for c, row in rows.items()
                       if re.search(r"(?<![\w-])" + re.escape(i) + r"(?![\w-])", row))
        want = [c for c, row in readme.items() if "`%s`" % i in row]
        if where != want:
            print("%s: %s in the rows of %s, README.md: %s" % (name, i, where, want))
print("entries:", len(ids))
PY
)
if [[ $exit_tables == "entries: "* ]]; then
    pass "the exit codes are the same table in --help, the man page, README.md and docs/errors.md ($exit_tables)"
else
    fail "the exit code tables agree" "$exit_tables"
fi
if command -v man >/dev/null; then
    rendered=$(MANWIDTH=80 COLUMNS=80 man -l "$man_page" 2>"$T_DIR/man.err")
    expect "the man page renders" test -n "$rendered"
    expect "the man page renders without warnings" test ! -s "$T_DIR/man.err"
    wide=$(too_wide <<<"$rendered")
    if [[ -z $wide ]]; then pass "the man page fits 80 columns"; else fail "the man page fits 80 columns" "$wide"; fi
else
    echo "skipped: the man page at 80 columns (no man command)"
fi

finish
