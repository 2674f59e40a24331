#!/usr/bin/env bash
# The panel fits any terminal: at 40x12 the failure's title and the countdown stay (the
# rest goes by importance, cut lines end in an ellipsis), F6's full view scrolls and a
# message such as the report's path is seen whole; below 20x6 a message stands in
# for the screen and tchat goes on; beside a short conversation the steps get a row each.
source "$(dirname "$0")/lib.sh"
SCEN="$(dirname "$0")/scenarios.json"
start_mock --scenarios "$SCEN"

resize() { tm resize-window -t 0 -x "$1" -y "$2" 2>/dev/null || tm resize-pane -t 0 -x "$1" -y "$2"; }
narrow() { screen | python3 -c "import sys; sys.exit(any(len(l) > $1 for l in sys.stdin.read().splitlines()))"; }

W=40 H=12 start_ui --base-url "$MOCK_URL" -m mock-429-30s-then-ok
type_text "small"; keys Enter
check "40x12: the title bar keeps the model" wait_screen '^ tchat · openai · mock-429'
check "40x12: the failure's title" wait_screen '✖ 429 Rate limit'
check "40x12: the countdown" wait_screen 'Retrying in [0-9]+ s'
check "40x12: the keys" wait_screen 'F5 retry now'
check "40x12: a cut line ends in an ellipsis" wait_screen '…$'
check "40x12: nothing wider than the terminal" narrow 40
keys F6
check "40x12: F6's full view, wrapped" wait_screen '^ +tokens were sent in a short'
keys End
check "40x12: F6's view scrolls to its end" wait_screen 'PgUp/PgDn scroll it'
keys Escape
check "40x12: Esc closes F6, the countdown goes on" wait_screen 'Retrying in [0-9]+ s'
keys F7
check "40x12: the report's message is seen" wait_screen '^ Support report written'
check "40x12: with its path, wrapped" wait_screen '[0-9]\.txt$'

resize 15 5
check "15x5: too small, said" wait_screen 'too small'
check "15x5: still running" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q '^EXIT='"
resize 100 30
check "back to 100x30: the conversation" wait_screen 'you +small'
check "back to 100x30: the countdown" wait_screen 'Retrying in'
keys Escape
check "Esc cancels" wait_screen 'Request cancelled'

# A short conversation leaves the panel room: every step on a row of its own.
H=40 start_ui --base-url "$MOCK_URL" -m mock-401-key
type_text "key please"; keys Enter
check "roomy: the explanation" wait_screen '401 Incorrect API key provided'
check "roomy: step 1 on its own row" wait_screen '^ +1\. '
check "roomy: step 2 on its own row" wait_screen '^ +2\. '
# No terminal that can move the cursor: a clear message, exit 2, and -p named.
for t in dumb no-such-terminal-xyz; do
    E2E_ENV="export TERM=$t" E2E_NOWAIT=1 start_ui --base-url "$MOCK_URL" -m mock-ok
    check "TERM=$t: exit 2" wait_exit 2
    check "TERM=$t: says why, and names -p" grep -q 'tchat -p' "$T_DIR/ui.err"
done
finish
