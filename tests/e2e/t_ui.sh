#!/usr/bin/env bash
# The interactive tchat in tmux against tchat-mock: what a person sees.
source "$(dirname "$0")/lib.sh"
SCEN="$(dirname "$0")/scenarios.json"
start_mock --scenarios "$SCEN"

# A streamed reply.
start_ui --base-url "$MOCK_URL" -m mock-ok
type_text "hello there"; keys Enter
check "streamed reply appears" wait_screen 'ai +You said: hello there'
check "title shows the rate-limit gauge" wait_screen 'req 59/60 · tok 149k/150k'
check "usage shown when done" wait_screen 'tokens: [0-9]+ prompt'

# A prompt typed while tchat starts is sent once it is up (its Enter is not a newline).
E2E_ENV="sleep 1" E2E_NOWAIT=1 start_ui --base-url "$MOCK_URL" -m mock-ok
type_text "typed early"; keys Enter
check "typeahead sent" wait_screen 'ai +You said: typed early' 15

# 429 with retry-after: 3 s. The countdown visibly decreases, then it succeeds.
reset_log
type_text "/model mock-429-3s-then-ok"; keys Enter
type_text "count down"; keys Enter
check "429 explained" wait_screen '429 Rate limit reached · RateLimitError'
check "countdown shown with its source" wait_screen 'Retrying in [0-9.]+ s .*attempt 2 of 5 · server asked 3\.0 s \(retry-after\)'
first=$(screen | sed -n 's/.*Retrying in \([0-9.]*\) s.*/\1/p' | head -n1)
wait_screen "Retrying in (0\.[0-9]|1\.[0-9]|2\.[0-$(( ${first%%.*} ))]) s" 5 || true
second=$(screen | sed -n 's/.*Retrying in \([0-9.]*\) s.*/\1/p' | head -n1)
check "countdown decreases ($first → $second)" python3 -c "import sys; sys.exit(0 if float('${second:-99}') < float('${first:-0}') else 1)"
check "then succeeds" wait_screen 'ai +You said: count down' 8
check "after exactly 2 requests" test "$(mock_requests)" = 2
gap=$(mock_gaps)
check "3 s apart ($gap ms)" test "${gap:-0}" -ge 2900 -a "${gap:-0}" -le 4000

# Quota: explained, never retried, not even after a while.
reset_log
type_text "/model mock-429-quota"; keys Enter
type_text "quota please"; keys Enter
check "quota explained" wait_screen 'Quota exceeded'
check "quota says it will not retry" wait_screen 'Not retrying'
check "quota: one request" test "$(mock_requests)" = 1

# 401: explained, not retried, points to Settings.
reset_log
type_text "/model mock-401-key"; keys Enter
type_text "key please"; keys Enter
check "401 explained" wait_screen '401 Incorrect API key provided · AuthenticationError'
check "401 points to Settings" wait_screen 'F2 opens Settings'
check "401: one request" test "$(mock_requests)" = 1
check "failed prompt marked, one key from resent" wait_screen '✖ .*F5'

# F5 during a countdown retries at once; Esc cancels a countdown.
restart_mock --scenarios "$SCEN"
start_ui --base-url "$MOCK_URL" -m mock-429-30s-then-ok
type_text "retry me"; keys Enter
check "long countdown" wait_screen 'Retrying in [0-9]+ s'
keys F5
check "F5 retries now" wait_screen 'ai +You said: retry me' 5
check "F5: 2 requests" test "$(mock_requests)" = 2

restart_mock --scenarios "$SCEN"
start_ui --base-url "$MOCK_URL" -m mock-429-30s-then-ok
type_text "cancel me"; keys Enter
check "countdown before Esc" wait_screen 'Retrying in'
keys Escape
check "Esc cancels the countdown" wait_screen 'Cancelled|cancelled'
check "Esc: no second request" test "$(mock_requests)" = 1
check "prompt kept after cancel" wait_screen 'you +cancel me'

# Escape sequences from the model never reach the terminal.
tm set-option -g set-titles on >/dev/null 2>&1 || true
restart_mock --scenarios "$SCEN"
start_ui --base-url "$MOCK_URL" -m mock-escapes
title_before=$(tm display-message -p '#{pane_title}')
type_text "escapes"; keys Enter
check "escape reply shown" wait_screen 'ready · mock-escapes'
title_after=$(tm display-message -p '#{pane_title}')
check "pane title untouched ($title_after)" test "$title_after" = "$title_before"
check "screen not cleared by the reply" wait_screen 'you +escapes'

# CJK.
start_ui --base-url "$MOCK_URL" -m mock-cjk
type_text "cjk"; keys Enter
check "CJK reply" wait_screen '你好，世界！这是一个测试。'

# A resize in the middle of a stream.
start_ui --base-url "$MOCK_URL" -m mock-long-stream
type_text "resize"; keys Enter
wait_screen 'First line' 5 || true
tm resize-window -t 0 -x 60 -y 20 2>/dev/null || tm resize-pane -t 0 -x 60 -y 20
check "stream survives a resize" wait_screen 'Last line: done\.' 10
narrow() { screen | python3 -c 'import sys; sys.exit(any(len(l) > 60 for l in sys.stdin.read().splitlines()))'; }
check "wrapped to the new width" narrow

# A reply that does not end is stopped at max_reply_mb: kept, marked, explained.
start_ui --base-url "$MOCK_URL" -m mock-endless --max-reply-mb 1
type_text "never stop"; keys Enter
check "endless reply stopped and explained" wait_screen 'Reply too long' 20
check "why: the limit" wait_screen 'max_reply_mb'
check "what came is kept, marked" wait_screen '⚠ Interrupted: Reply too long'
conv=$(ls -t "$XDG_DATA_HOME"/tchat/conversations/*.json | head -n1)
check "saved reply within the limit" python3 -c "
import json; d = json.load(open('$conv')); r = d['messages'][-1]
assert r['role'] == 'assistant' and 900000 < len(r['content'].encode()) <= 1048576, len(r['content'])"

# Ctrl-D on an empty line and Ctrl-C when idle quit, leaving the terminal sane.
start_ui --base-url "$MOCK_URL" -m mock-ok
keys C-d
check "Ctrl-D quits" wait_exit 0
check "terminal sane after Ctrl-D" grep -Eq '(^| )icanon( |$).*' "$T_DIR/stty"
check "echo restored after Ctrl-D" grep -Eq '(^| )echo( |$)' "$T_DIR/stty"
start_ui --base-url "$MOCK_URL" -m mock-ok
keys C-c
check "Ctrl-C quits when idle" wait_exit 0
check "terminal sane after Ctrl-C" grep -Eq '(^| )icanon( |$)' "$T_DIR/stty"

# Ctrl-C while busy cancels instead of quitting.
start_ui --base-url "$MOCK_URL" -m mock-stall
type_text "stall"; keys Enter
wait_screen 'receiving' 5 || true
keys C-c
check "Ctrl-C cancels when busy" wait_screen 'Cancelled|cancelled|Interrupted'
check "still running after Ctrl-C" ui_running

# A crash (SIGSEGV) still gives the terminal back.
start_ui --base-url "$MOCK_URL" -m mock-ok
kill -SEGV "$UI_PID"
check "crash ends tchat" wait_exit '[0-9]+'
check "terminal sane after a crash" grep -Eq '(^| )icanon( |$)' "$T_DIR/stty"
check "echo restored after a crash" grep -Eq '(^| )echo( |$)' "$T_DIR/stty"

finish
