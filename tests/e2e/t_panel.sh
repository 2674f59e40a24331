#!/usr/bin/env bash
# The status panel's keys and the input line's editing, in tmux against tchat-mock.
source "$(dirname "$0")/lib.sh"
start_mock
STATUS_URL=${MOCK_URL%/v1}/

# A 500 after which the status page is fetched and shown next to its link.
start_ui --base-url "$MOCK_URL" -m mock-500 --max-retries 0 -o "status_url=$STATUS_URL"
type_text "status please"; keys Enter
check "500 explained" wait_screen '500 .*APIError'
check "status page indicator shown" wait_screen '127\.0\.0\.1:[0-9]+: All Systems Operational'
check "status page fetched once" test "$(grep -c 'status.json' "$MOCK_LOG")" = 1

# F6: the full explanation (all steps, headers).
keys F6
check "F6 shows the numbered steps one per line" wait_screen '^ +1\. '
check "F6 shows response headers" wait_screen 'x-ratelimit-limit-requests: 60'
keys F6
check "F6 again: compact" wait_screen_not 'x-ratelimit-limit-requests: 60'

# F7: the support report, 0600, with the prompt and without any key.
keys F7
check "F7 writes a report and shows its path" wait_screen 'Support report written:'
check "the path, whole (the notice wraps)" wait_screen 'tchat-report-[0-9-]+\.txt'
report=$(ls "$XDG_STATE_HOME"/tchat/reports/tchat-report-*.txt 2>/dev/null | head -n1)
check "report exists" test -f "$report"
check "report is 0600" test "$(stat -c %a "$report")" = 600
check "report names the status and request id" grep -q 'x-request-id: req_' "$report"
check "report has ISO-8601 times with zone" grep -Eq '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:[0-9]{2}' "$report"
check "report holds the request body" grep -q 'status please' "$report"

# F8: this session's errors with times.
keys F8
check "F8 lists errors with times" wait_screen '[0-9]{2}:[0-9]{2}:[0-9]{2}  500 '
keys q
check "q closes the list" wait_screen 'you +status please'

# Tab completes commands; Ctrl-J inserts a newline; /help opens the help.
type_text "/hel"; keys Tab
check "Tab completes /help" wait_screen '^> /help'
keys Enter
check "/help shows keys and commands" wait_screen 'Commands \(Tab completes\)'
keys Escape
type_text "/model mock-ok"; keys Enter
type_text "line one"; keys C-j; type_text "line two"; keys Enter
check "Ctrl-J keeps both lines in one message" wait_screen 'You said: line one'
check "second line of the same message" wait_screen '^ +line two'
check "one request for the two lines" test "$(grep -c 'line two' "$MOCK_LOG")" = 1

# Bracketed paste keeps newlines and does not send.
tm set-buffer -b p $'pasted one\npasted two'
tm paste-buffer -p -b p -t 0
check "paste lands in the input" wait_screen '^> pasted one'
check "paste kept its newline" wait_screen '^pasted two'
check "paste did not send" bash -c "! grep -q 'pasted' '$MOCK_LOG'"
keys Enter
check "pasted text sent as one message" wait_screen 'You said: pasted one'

# Unknown command and a command this build cannot serve yet say so.
type_text "/frobnicate"; keys Enter
check "unknown command" wait_screen 'Unknown command: /frobnicate'

# A broken user theme: message with file and line, default theme used.
mkdir -p "$XDG_CONFIG_HOME/tchat/themes"
printf 'normal = default on default\ntitle = purpel\n' >"$XDG_CONFIG_HOME/tchat/themes/broken.theme"
start_ui --base-url "$MOCK_URL" -m mock-ok --theme broken
check "broken theme named with its line" wait_screen 'broken\.theme:2: unknown colour "purpel"'
type_text "/theme light"; keys Enter
check "/theme switches" wait_screen 'theme light'

# NO_COLOR: still usable.
E2E_ENV='export NO_COLOR=1' start_ui --base-url "$MOCK_URL" -m mock-ok
type_text "no colour"; keys Enter
check "NO_COLOR works" wait_screen 'You said: no colour'

finish
