#!/usr/bin/env bash
# Code blocks highlighted by language, in the theme's colours: keywords, strings, comments,
# numbers, names, a diff's lines; an unknown language plain; plain again with NO_COLOR and
# with the mono theme. The colours are read from tmux (capture-pane -e): the default theme's
# code is colour 180 on 236, keywords 111, strings 150, comments 244, numbers 215, names 81,
# added lines 114, removed 203.
source "$(dirname "$0")/lib.sh"

cat >"$T_DIR/scenarios.json" <<'JSON'
{"scenarios": {
  "streamed-code": {"chunk_chars": 3, "chunk_delay_ms": 5, "reply": "```c\nint a; /* starts here\n   and ends here */ return 1;\n```\n\n```brainfuck\nif \"x\" // not C\n```"}
}}
JSON
start_mock --scenarios "$T_DIR/scenarios.json"

ESC=$'\e'
# The screen with its colours, one SGR sequence per change.
colours() { tm capture-pane -p -e -t 0; }
# Whether text appears right after the colour sequence (and code's background, which tmux
# repeats at the start of a row): has FG TEXT
has() { colours | grep -qF -e "${ESC}[38;5;$1m$2" -e "${ESC}[38;5;$1m${ESC}[48;5;236m$2"; }
# The row of the screen that holds $1, with its escape sequences.
row_with() { colours | grep -F -- "$1" | head -n1; }

H=50 start_ui --base-url "$MOCK_URL" -m mock-highlight
type_text "show me"; keys Enter
check "the reply came" wait_screen '\[5\] sh'
check "C: a keyword" has 111 'return'
check "C: the header of #include as a string" has 150 '<stdio.h>'
check "C: a comment" has 244 '/* a comment */'
check "C: a number" has 215 '42'
check "C: plain code in code's colour" has 180 ' main('
check "Python: a keyword" has 111 'def'
check "Python: an f-string" has 150 'f"hi {name}"'
check "Python: None" has 215 'None'
check "JSON: a key" has 81 '"key"'
check "JSON: a value" has 150 '"value"'
check "JSON: a literal" has 215 'true'
check "diff: an added line" has 114 '+new line'
check "diff: a removed line" has 203 '-old line'
check "diff: the hunk header" has 111 '@@ -1 +1 @@'
check "shell: a variable inside a string" has 81 '$HOME'
check "shell: a comment" has 244 '# where'
check "on code's background" bash -c "tmux -S $TMUX_SOCK capture-pane -p -e -t 0 | grep -F 'def' | grep -qF '48;5;236m'"

# Streamed three characters at a time: a comment that spans lines is still one.
start_ui --base-url "$MOCK_URL" -m mock-streamed-code
type_text "stream it"; keys Enter
check "streamed: the reply came" wait_screen '\[2\] brainfuck'
check "streamed: the comment's first line" has 244 '/* starts here'
check "streamed: its second line, after a line break that came in another delta" \
    has 244 '   and ends here */'
check "streamed: code again after it" has 111 'return'
check "unknown language: plain" bash -c "tmux -S $TMUX_SOCK capture-pane -p -e -t 0 | grep -F 'not C' | grep -vqE '38;5;(111|150|244)m'"

# NO_COLOR: no colour at all; code plain.
E2E_ENV='export NO_COLOR=1' start_ui --base-url "$MOCK_URL" -m mock-highlight
type_text "show me"; keys Enter
check "NO_COLOR: the reply came" wait_screen '\[5\] sh'
check "NO_COLOR: no colour anywhere" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -e -t 0 | grep -qE '\[[0-9;]*(38|48);5;'"
check "NO_COLOR: a keyword looks as the code around it" bash -c \
    "tmux -S $TMUX_SOCK capture-pane -p -e -t 0 | grep -qE '^ *def greet\(name\):  # say hello'"

# The mono theme: code in reverse video, the same from one end of a line to the other.
start_ui --base-url "$MOCK_URL" -m mock-highlight --theme mono
type_text "show me"; keys Enter
check "mono: the reply came" wait_screen '\[5\] sh'
line=$(row_with 'greet(name)')
check "mono: code in reverse video" grep -qF "${ESC}[7m" <<<"$line"
check "mono: no colour, nothing changes within the line" \
    grep -qE "${ESC}\\[7mdef greet\\(name\\):  # say hello" <<<"$line"

finish
