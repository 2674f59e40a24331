#!/usr/bin/env bash
# Two windows on one conversation never lose a turn (the second continues in a copy), and a
# full disk is said, tried again, and cleared once a save succeeds; quitting with unsaved
# changes says so and exits non-zero.
source "$(dirname "$0")/lib.sh"
start_mock
CONVS=$XDG_DATA_HOME/tchat/conversations
SHIM=${TCHAT_ENOSPC_SHIM:?set by CTest}

# Window A starts a conversation.
start_ui --base-url "$MOCK_URL" -m mock-ok
type_text "from A, one"; keys Enter
check "A: first reply" wait_screen 'You said: from A, one'
A=$TMUX_SOCK
orig=$(ls "$CONVS"/*.json | head -n1)
id=$(basename "$orig" .json)

# Window B opens the same one: it says so and continues in a copy.
E2E_KEEP=1 E2E_TAG=2 start_ui --base-url "$MOCK_URL" -m mock-ok --continue
B=$TMUX_SOCK
check "B: says the conversation is open elsewhere" wait_screen "open in another tchat window"
check "B: names the one it continues" wait_screen "$id"
check "B: shows the turns so far" wait_screen 'you +from A, one'
type_text "from B"; keys Enter
check "B: its reply" wait_screen 'You said: from B'

# A goes on.
TMUX_SOCK=$A
type_text "from A, two"; keys Enter
check "A: second reply" wait_screen 'You said: from A, two'
keys C-d
check "A quits" wait_screen '^EXIT=0'
TMUX_SOCK=$B
keys C-d
check "B quits" wait_screen '^EXIT=0'

check "two files" test "$(ls "$CONVS"/*.json | wc -l)" = 2
copy=$(ls "$CONVS"/*.json | grep -v "$orig")
check "A's file has A's turns only" python3 -c "
import json; m = [x['content'] for x in json.load(open('$orig'))['messages']]
assert m == ['from A, one', 'You said: from A, one', 'from A, two', 'You said: from A, two'], m"
check "B's copy has the turns before it, then its own, and names the original" python3 -c "
import json; d = json.load(open('$copy')); m = [x['content'] for x in d['messages']]
assert m == ['from A, one', 'You said: from A, one', 'from B', 'You said: from B'], m
assert d['continued_from'] == '$id', d"
check "no lock files left" bash -c "! ls -A '$CONVS' | grep -q '\.lock$'"

# A full disk: the failure is said, saving is tried again, the notice goes once it works.
: >"$T_DIR/full"
E2E_ENV="export LD_PRELOAD='$SHIM' TCHAT_TEST_ENOSPC='$T_DIR/full' ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0" \
    start_ui --base-url "$MOCK_URL" -m mock-ok
type_text "typed on a full disk"; keys Enter
check "full: said" wait_screen 'Not saved: No space left on device\. tchat tries again'
check "full: the reply still comes" wait_screen 'You said: typed on a full disk'
rm -f "$T_DIR/full"
check "freed: the notice goes once a save works" bash -c "
for i in \$(seq 200); do tmux -S $TMUX_SOCK capture-pane -p | grep -q 'Not saved' || exit 0; sleep 0.05; done; exit 1"
new=$(ls -t "$CONVS"/*.json | head -n1)
check "freed: the turn is on disk" grep -q 'typed on a full disk' "$new"
: >"$T_DIR/full"
type_text "lost at exit"; keys Enter
check "full again: said" wait_screen 'Not saved: No space left on device'
keys C-d
check "quitting with unsaved changes: exit 1" wait_screen '^EXIT=1'
check "and says so" grep -q 'No space left on device: the last changes of this conversation are not on disk' "$T_DIR/ui.err"
check "what was saved before is intact" grep -q 'typed on a full disk' "$new"
finish
