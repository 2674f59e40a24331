#!/usr/bin/env bash
# /model and /profile with no name, in tmux: the server's models in a picker (filtered as
# typed, Enter sets the model as /model NAME does, a GET /models that fails explained in the
# picker) and the profiles of the config in another.
source "$(dirname "$0")/lib.sh"
# GET /v1/models answers 401 once, then the list.
start_mock --scenarios "$TCHAT_SRC/tests/mock/scenarios/models-fail.json"

CONF=$XDG_CONFIG_HOME/tchat/config.json
mkdir -p -m 700 "$(dirname "$CONF")"
cat >"$CONF" <<JSON
{
  "profile": "first",
  "profiles": {
    "first": {"base_url": "$MOCK_URL", "model": "mock-ok"},
    "second": {"base_url": "$MOCK_URL", "model": "mock-echo"}
  }
}
JSON
chmod 600 "$CONF"

start_ui
check "the title bar names the profile and the model" wait_screen '^ tchat · first · mock-ok'

# The first GET /models fails: the picker explains it as the guide does.
type_text "/model"; keys Enter
check "/model opens the models picker" wait_screen "^ Models of $MOCK_URL"
check "a failure is explained" wait_screen '401 Incorrect API key provided · AuthenticationError'
check "with what to do" wait_screen 'What to do: 1\.'
check "it asked the server" grep -q '"path": *"/v1/models"' "$MOCK_LOG"
keys Escape
check "Esc closes it" wait_screen '^ tchat · first · mock-ok'

# The next one lists the models; typing filters them.
type_text "/model"; keys Enter
check "the list comes" wait_screen '6 of 6'
check "the model in use is marked and selected" wait_screen '^▸ • mock-ok'
type_text "4.1"
check "the filter narrows the list" wait_screen '2 of 6'
check "what matches is shown" wait_screen '^ +gpt-4\.1-mini'
check "what does not is gone" bash -c "! tmux -S $TMUX_SOCK capture-pane -p | grep -q 'o4-mini'"
keys -l -- "-MI" # (type_text would take it for a flag)
check "case aside" wait_screen '1 of 6'
check "the one left is selected" wait_screen '^▸ +gpt-4\.1-mini'
keys Enter
check "Enter changes the title bar's model" wait_screen '^ tchat · first · gpt-4\.1-mini'
check "as /model NAME says it" wait_screen 'model = gpt-4\.1-mini'
reset_log
type_text "with the picked model"; keys Enter
check "the reply comes" wait_screen 'You said: with the picked model'
check "the request used the model" grep -q '"model": *"gpt-4.1-mini"' "$MOCK_LOG"

# Backspace widens the filter again; Esc leaves the model as it was.
type_text "/model"; keys Enter
check "the list again" wait_screen '6 of 6'
type_text "zzz"
check "no match says so" wait_screen 'Nothing matches the filter'
keys BSpace BSpace BSpace
check "Backspace brings them back" wait_screen '6 of 6'
keys Escape
check "Esc keeps the model" wait_screen '^ tchat · first · gpt-4\.1-mini'

# /profile: the profiles, the current one marked; Enter switches as /profile NAME does.
type_text "/profile"; keys Enter
check "/profile opens the profiles picker" wait_screen '^ Profiles +2 of 2'
check "the current profile is marked" wait_screen '^▸ • first'
check "each with its base URL" wait_screen "second +$MOCK_URL"
type_text "SEC"
check "filtered" wait_screen '1 of 2'
keys Enter
# (the model stays: /model set it for the run, as a flag would)
check "Enter switches the profile" wait_screen '^ tchat · second · gpt-4\.1-mini'
check "as /profile NAME says it" wait_screen "profile second · $MOCK_URL"
keys C-d
check "quits" wait_screen '^EXIT=0'
finish
