#!/usr/bin/env bash
# Writing a message: the editor (Ctrl-X Ctrl-E, /edit), messages queued while a reply
# comes, earlier prompts back into the input (Alt-Up, /prompt N), cancelling in vi
# mode, and completing the arguments of commands.
source "$(dirname "$0")/lib.sh"

cat >"$T_DIR/scenarios.json" <<'JSON'
{"scenarios": {
  "queue-slow": {"chunk_delay_ms": 150, "chunk_chars": 3, "reply": "Slowly, one piece at a time, taking its time over every word of it, the first reply arrives."},
  "queue-401": {"status": 401, "delay_ms": 3000, "error": {"message": "Incorrect API key provided: sk-ab***wxyz.", "type": "invalid_request_error", "code": "invalid_api_key"}}
}}
JSON
start_mock --scenarios "$T_DIR/scenarios.json"

# The last user message of each chat request the mock got, one a line.
sent() {
    python3 -c '
import json, sys
for l in open(sys.argv[1]):
    if l.strip():
        r = json.loads(l)
        if r.get("path", "").endswith("/chat/completions"):
            print([m["content"] for m in r["messages"] if m["role"] == "user"][-1].replace("\n", "\\n"))' "$MOCK_LOG"
}
input_line() { screen | sed -n '/^> /,$p'; }

# ---- the editor ----
# A scripted editor: it notes what it was given and the terminal it got, then rewrites the
# file (or, with the file "fail" present, exits 3 without touching it).
cat >"$T_DIR/editor.sh" <<EDITOR
#!/bin/sh
d='$T_DIR'
printf '%s\n' "\$@" >"\$d/editor.args"
stat -c %a "\$1" >"\$d/editor.mode"
cat "\$1" >"\$d/editor.before"
stty -a </dev/tty >"\$d/editor.stty"
env >"\$d/editor.env"
echo "editor-stderr" >&2
if [ -e "\$d/hold" ]; then
    : >"\$d/holding"
    i=0
    while [ -e "\$d/hold" ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
fi
[ -e "\$d/fail" ] && exit 3
printf 'edited line one\nedited line two\n' >"\$1"
EDITOR
chmod +x "$T_DIR/editor.sh"

E2E_ENV="export EDITOR='$T_DIR/editor.sh' OPENAI_API_KEY=sk-e2e-secret-key-1234; unset VISUAL" \
    start_ui --base-url "$MOCK_URL" -m mock-ok
reset_log
type_text "draft to edit"; keys C-x C-e
check "Ctrl-X Ctrl-E: the saved text becomes the input" wait_screen '^> edited line one'
check "its second line too" wait_screen '^edited line two'
check "the editor got the input" grep -qx 'draft to edit' "$T_DIR/editor.before"
check "the file was 0600" grep -qx 600 "$T_DIR/editor.mode"
tmpfile=$(head -n1 "$T_DIR/editor.args")
check "one argument, the file" test "$(wc -l <"$T_DIR/editor.args")" = 1
check "the temporary file is removed" test ! -e "$tmpfile"
check "the editor had the terminal in cooked mode" grep -Eq '(^| )icanon( |$)' "$T_DIR/editor.stty"
check "no key in the editor's environment" bash -c "! grep -q '^OPENAI_API_KEY=' '$T_DIR/editor.env'"
check "the editor's stderr went to the real stderr" grep -q editor-stderr "$T_DIR/ui.err"
check "nothing was sent" test "$(mock_requests)" = 0
check "the title is back" wait_screen '^ tchat · '
keys Enter
check "sent as edited" wait_screen 'You said: edited line one'

# /edit TEXT starts from TEXT.
type_text "/edit from a command"; keys Enter
check "/edit: the saved text becomes the input" wait_screen '^> edited line one'
check "/edit started from its text" grep -qx 'from a command' "$T_DIR/editor.before"
keys C-u C-u C-u

# An editor that fails keeps the input and says so.
: >"$T_DIR/fail"
type_text "keep me"; keys C-x C-e
check "a failing editor is said" wait_screen 'exited with status 3: the input is unchanged'
check "the input is as it was" wait_screen '^> keep me$'
rm -f "$T_DIR/fail"
keys C-u

# A resize while the editor runs: the size is taken afresh after it.
: >"$T_DIR/hold"
type_text "resize"; keys C-x C-e
check "the editor runs" wait_for "test -e '$T_DIR/holding'" 10
tm resize-window -t 0 -x 70 -y 24 2>/dev/null || tm resize-pane -t 0 -x 70 -y 24
rm -f "$T_DIR/hold"
check "after a resize in the editor: the new width" wait_screen '^> edited line one'
narrow() { screen | python3 -c 'import sys; l = sys.stdin.read().splitlines(); sys.exit(not (len(l) == 24 and all(len(x) <= 70 for x in l)))'; }
check "laid out at 70x24" narrow
check "the title at the top" bash -c "tmux -S $TMUX_SOCK capture-pane -p -t 0 | head -n1 | grep -q '^ tchat · '"

# Ctrl-C while the editor runs is the editor's: it ends the editor, not tchat.
: >"$T_DIR/hold"
rm -f "$T_DIR/holding"
keys C-u
type_text "interrupted"; keys C-x C-e
check "the editor runs again" wait_for "test -e '$T_DIR/holding'" 10
keys C-c
check "Ctrl-C ended the editor, which is said" wait_screen 'was ended by signal'
check "the input is kept" wait_screen '^> interrupted$'
check "tchat is still running" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q '^EXIT='"
rm -f "$T_DIR/hold"

# ---- the queue ----
start_ui --base-url "$MOCK_URL" -m mock-ok
reset_log
type_text "first [[mock:queue-slow]]"; keys Enter
check "the slow reply comes" wait_screen 'receiving · mock-ok'
type_text "second"; keys Enter
type_text "third"; keys Enter
check "Enter while a reply comes queues it" wait_screen '^ queued · second'
check "queued in order" wait_screen '^ queued · third'
check "no refusal" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q 'A request is in progress'"
type_text "/theme"; keys Enter
check "a command still runs at once" wait_screen '/theme NAME · default'
check "only the first was sent meanwhile" test "$(mock_requests)" = 1
check "the first reply ends" wait_screen 'the first reply arrives\.'
check "then the queued ones, each after the reply before it" wait_screen 'You said: third'
check "sent in order" test "$(sent | tr '\n' '|')" = "first [[mock:queue-slow]]|second|third|"
check "nothing queued any more" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q 'queued ·'"
conv=$(ls -t "$XDG_DATA_HOME"/tchat/conversations/*.json | head -n1)
check "the conversation is one turn after another" python3 -c "
import json; m = json.load(open('$conv'))['messages']
assert [x['role'] for x in m] == ['user', 'assistant'] * 3, m
assert [x['content'] for x in m[::2]] == ['first [[mock:queue-slow]]', 'second', 'third'], m"

# A cancel puts the queue back into the input line, before what is being typed.
reset_log
type_text "stall [[mock:stall]]"; keys Enter
check "a reply that stalls" wait_screen 'receiving · mock-ok'
type_text "queued one"; keys Enter
type_text "queued two"; keys Enter
check "two queued" wait_screen '^ queued · queued two'
type_text "still typing"
keys Escape
check "Esc cancels as before" wait_screen 'Request cancelled'
check "the queue is back in the input, before the typing" \
    bash -c "tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -A2 '^> queued one\$' | tr '\n' '|' | grep -qx '> queued one|queued two|still typing|'"
check "and said" wait_screen 'it is back in the input line'
check "nothing queued was sent" test "$(mock_requests)" = 1
keys C-u C-u C-u C-u

# A request that fails: the same.
reset_log
type_text "fail [[mock:queue-401]]"; keys Enter
type_text "after the failure"; keys Enter
check "queued before the failure" wait_screen '^ queued · after the failure'
check "the failure" wait_screen '401 Incorrect API key'
check "the queued text is back in the input" wait_screen '^> after the failure$'
check "one request" test "$(mock_requests)" = 1
keys C-u

# ---- earlier prompts back into the input ----
type_text "draft"
keys M-Up
check "Alt-Up: the last prompt" wait_screen '^> fail \[\[mock:queue-401\]\]$'
keys M-Up
check "Alt-Up again: the one before" wait_screen '^> stall \[\[mock:stall\]\]$'
keys M-Down
check "Alt-Down: back" wait_screen '^> fail \[\[mock:queue-401\]\]$'
keys M-Down
check "past the last: the line as it was" wait_screen '^> draft$'
keys C-u
type_text "/prompt 2"; keys Enter
check "/prompt 2: the second prompt" wait_screen '^> second$'
keys C-u
type_text "/prompt -3"; keys Enter
check "/prompt -3: the third from the end" wait_screen '^> third$'
keys C-u
type_text "/prompt 40"; keys Enter
check "/prompt past the end says how many" wait_screen 'Prompts in this conversation: 5'
type_text "/prompt 1"; keys Enter
check "/prompt 1" wait_screen '^> first \[\[mock:queue-slow\]\]$'
keys C-u
type_text "second again"; keys Enter
check "resent" wait_screen 'You said: second again'
check "appended at the end: the file stays a list of turns" python3 -c "
import json; m = json.load(open('$conv'))['messages']
assert m[-2]['role'] == 'user' and m[-2]['content'] == 'second again', m[-2:]
assert m[-1]['role'] == 'assistant' and m[0]['content'] == 'first [[mock:queue-slow]]', m"

# F1 lists the new keys and commands.
keys F1
check "F1: the editor's key" wait_screen 'Ctrl-X Ctrl-E +/edit \[TEXT\]'
check "F1: the prompts' keys" wait_screen 'Alt-Up / Alt-Down +/prompt \[N\]'
keys F1

# ---- vi mode (from the inputrc): Esc is vi's, Ctrl-C cancels ----
printf 'set editing-mode vi\n' >"$T_DIR/inputrc"
E2E_ENV="export INPUTRC='$T_DIR/inputrc' EDITOR='$T_DIR/editor.sh'" \
    start_ui --base-url "$MOCK_URL" -m mock-ok
type_text "stall [[mock:stall]]"; keys Enter
check "vi mode: the panel says Ctrl-C cancels" wait_screen 'receiving · mock-ok · Ctrl-C'
type_text "abc"; keys Escape; type_text "0x"
check "Esc went to vi: 0x deleted the first character" wait_screen '^> bc$'
check "Esc did not cancel" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q 'cancelled'"
keys C-c
check "Ctrl-C cancels" wait_screen 'Request cancelled'
check "still running after Ctrl-C" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q '^EXIT='"
keys v
check "v in vi's command mode opens the editor" wait_screen '^> edited line one'
keys i; type_text "!"
keys Escape
type_text "0"; keys C-c
check "Ctrl-C quits when idle, in vi mode too" wait_screen '^EXIT=0' 5

# ---- completing the arguments of commands ----
CONF=$XDG_CONFIG_HOME/tchat/config.json
mkdir -p -m 700 "$(dirname "$CONF")"
cat >"$CONF" <<JSON
{"profile": "work", "profiles": {
  "work": {"base_url": "$MOCK_URL", "model": "mock-ok"},
  "home": {"base_url": "$MOCK_URL", "model": "mock-cjk"}}}
JSON
chmod 600 "$CONF"
mkdir -p "$HOME/exports/sub"
: >"$HOME/exports/notes.md"
start_ui
type_text "/theme li"; keys Tab
check "/theme: the theme names" wait_screen '^> /theme light ?$'
keys C-u; type_text "/theme "; keys Tab Tab
check "/theme: every theme listed" wait_screen 'default  high-contrast  light  mono'
keys C-u; type_text "/lang z"; keys Tab
check "/lang: the languages" wait_screen '^> /lang zh_CN ?$'
keys C-u; type_text "/profile h"; keys Tab
check "/profile: the profiles" wait_screen '^> /profile home ?$'
keys C-u; type_text "/model mock-"; keys Tab Tab
check "/model: the models the profiles name" wait_screen 'mock-ok  mock-cjk|mock-cjk  mock-ok'
keys C-u; type_text "/model gpt-4.1-"; keys Tab
check "/model: no server list before Settings asked" wait_screen '^> /model gpt-4\.1-$'
keys F2
check "Settings" wait_screen '▸ API key'
keys C-t
check "Ctrl-T lists the models" wait_screen 'Connection OK: [0-9]+ models'
keys Escape
check "back in the chat" wait_screen '^> /model gpt-4\.1-$'
keys Tab
check "/model: then the server's models too" wait_screen '^> /model gpt-4\.1-mini ?$'
keys C-u; type_text "/export ~/exp"; keys Tab
check "/export: paths, ~ kept" wait_screen '^> /export ~/exports/$'
keys Tab Tab
check "/export: a directory's entries, by their names" wait_screen 'notes\.md  sub/|sub/  notes\.md'
type_text "n"; keys Tab
check "/export: a file" wait_screen '^> /export ~/exports/notes\.md ?$'
keys C-u; type_text "/mouse o"; keys Tab Tab
check "/mouse: on and off" wait_screen 'on  off|off  on'
keys C-u; type_text "/demo 4"; keys Tab
check "/demo completes nothing outside the demo" wait_screen '^> /demo 4$'
keys C-u; type_text "/system x"; keys Tab
check "free text completes nothing" wait_screen '^> /system x$'

# In the demo, /demo completes the scenario names.
rm -f "$CONF"
start_ui --demo
type_text "/demo 429-q"; keys Tab
check "/demo: the demo names" wait_screen '^> /demo 429-quota ?$'

finish
