#!/usr/bin/env bash
# The settings screen in tmux: first run, typing and saving a key, testing the
# connection, sources of values, unsaved changes, profiles.
source "$(dirname "$0")/lib.sh"
KEY=sk-test-e2e-secretvalue-0123456789
start_mock --require-key "$KEY"

SCREENS=$T_DIR/screens
: >"$SCREENS"
# Every screen read is kept, to check at the end that the key never appeared in full.
screen() { tm capture-pane -p -t 0 | tee -a "$SCREENS"; }

CONF=$XDG_CONFIG_HOME/tchat/config.json
mkdir -p -m 700 "$(dirname "$CONF")"
cat >"$CONF" <<JSON
{
  "profile": "mock",
  "theme": "default",
  "x-unknown-top": {"kept": true},
  "profiles": {
    "mock": {"base_url": "$MOCK_URL", "provider": "openai", "model": "mock-ok", "x-note": "mine"},
    "other": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}
  }
}
JSON
chmod 600 "$CONF"

# First run: no key anywhere and the endpoint needs one.
start_ui
check "first run opens Settings on the key" wait_screen '▸ API key +\(not set\)'
check "first run explains what to do" wait_screen 'No API key is set for this profile'

# Type the key: bullets while typing, masked after.
keys Enter
type_text "$KEY"
check "typing shows bullets" wait_screen '▸ API key +•{10,}'
keys Enter
check "key shown masked" wait_screen '▸ API key +sk-…6789 +config file'

# Esc with unsaved changes asks first.
keys Escape
check "unsaved changes prompt" wait_screen 'Unsaved changes: s save and close'
keys Escape
check "Esc keeps editing" wait_screen '▸ API key'

# Ctrl-S writes the file: 0600, directory 0700, unknown keys and other profiles kept.
keys C-s
check "saved" wait_screen "Saved to $CONF"
check "config file is 0600" test "$(stat -c %a "$CONF")" = 600
check "config dir is 0700" test "$(stat -c %a "$(dirname "$CONF")")" = 700
check "key written" python3 -c "
import json,sys; d=json.load(open('$CONF'))
assert d['profiles']['mock']['api_key'] == '$KEY'
assert d['x-unknown-top'] == {'kept': True} and d['profiles']['mock']['x-note'] == 'mine'
assert d['profiles']['other']['base_url'] == 'http://127.0.0.1:9/v1'"

# Ctrl-T: the connection works with this key.
keys C-t
check "Ctrl-T succeeds" wait_screen 'Connection OK: [0-9]+ models'

# Esc, then a chat that only succeeds with that key.
keys Escape
type_text "with the key"; keys Enter
check "chat works with the saved key" wait_screen 'You said: with the key'
check "the request carried the key" grep -q '"auth_ok": *true' "$MOCK_LOG"

# Ctrl-T with a wrong key shows the 401 explanation; Esc + d discards it.
keys F2
keys Enter; type_text "sk-wrong-0000000000000000000000"; keys Enter
keys C-t
check "Ctrl-T with a wrong key explains the 401" wait_screen '401 Incorrect API key provided · AuthenticationError'
check "the 401 explanation has its steps" wait_screen 'What to do: 1\.'
keys Escape
check "discard prompt" wait_screen 'd discard and close'
keys d
check "discarded: back to the chat" wait_screen 'you +with the key'
check "file still has the good key" grep -q "$KEY" "$CONF"

# A validation error: the old value stays.
keys F2
keys Down; keys Enter; keys C-u; type_text "ftp://nope"; keys Enter
check "bad URL explained" wait_screen 'must start with http:// or https://'
keys Escape
check "old URL kept" wait_screen "Base URL +${MOCK_URL//./\\.}"
keys Escape

# Shift-Tab moves up as Tab moves down.
keys F2
check "the form opens on the key" wait_screen '▸ API key'
keys Tab
check "Tab moves down" wait_screen '▸ Base URL'
keys BTab
check "Shift-Tab moves up" wait_screen '▸ API key'

# Ctrl-T against a refused endpoint, then a new base URL: the explanation stays, and
# nothing reads the value the edit replaced (the asan run of this test catches that).
keys Right
check "the other profile" wait_screen '\[other\]'
keys C-t
check "refused explained" wait_screen 'Connection refused'
keys Down; keys Enter; keys C-u; type_text "http://127.0.0.1:8/v1"; keys Enter
check "new URL in the field" wait_screen 'Base URL +http://127\.0\.0\.1:8/v1'
check "the explanation stays" wait_screen 'Connection refused · APIConnectionError'
check "still running" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q '^EXIT='"
keys Escape
check "unsaved changes" wait_screen 'd discard and close'
keys d
check "back to the chat" wait_screen '^>'
check "the file keeps the old URL" grep -q '127.0.0.1:9/v1' "$CONF"

# The key from the environment is shown as such, and a saved one as shadowed.
E2E_ENV="export OPENAI_API_KEY=$KEY" start_ui
keys F2
check "key from the environment" wait_screen 'API key +sk-…6789 +environment \(OPENAI_API_KEY\)'
check "saved key shadowed by the environment" wait_screen 'shadowed by OPENAI_API_KEY'
keys Escape

# Profiles: switching changes the endpoint used.
start_mock_two() {
    exec_without_fds "$TCHAT_MOCK" --exit-on-eof --log "$T_DIR/mock2.jsonl" \
        >"$T_DIR/mock2.out" 2>&1 < <(script_alive 2>/dev/null) &
    MOCK2_PID=$!
    wait_for "grep -q 'listening on http.*/v1\$' '$T_DIR/mock2.out'" 10 ||
        t_abort "the second tchat-mock did not start: $(cat "$T_DIR/mock2.out")"
    MOCK2_URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$T_DIR/mock2.out")
}
start_mock_two
python3 - "$CONF" "$MOCK2_URL" <<'PY'
import json, sys
p, url = sys.argv[1], sys.argv[2]
d = json.load(open(p))
d["profiles"]["other"] = {"base_url": url, "model": "mock-ok"}
json.dump(d, open(p, "w"), indent=2)
PY
start_ui
type_text "/profile other"; keys Enter
check "profile switched" wait_screen 'profile other'
type_text "to the other endpoint"; keys Enter
check "reply from the other profile" wait_screen 'You said: to the other endpoint'
check "request went to the other endpoint" grep -q 'to the other endpoint' "$T_DIR/mock2.jsonl"
check "and not to the first" bash -c "! grep -q 'to the other endpoint' '$MOCK_LOG'"
kill "$MOCK2_PID" 2>/dev/null || true

# The provider: ←/→ on its field choose it, and the form shows what its preset gives.
start_ui
keys F2
keys a; type_text "fresh"; keys Enter
check "a new profile starts on its base URL" wait_screen '▸ Base URL +https://api\.openai\.com/v1 +default'
keys Down
check "then the provider" wait_screen '▸ Provider +auto +default'
check "auto's preset shown" wait_screen 'Preset auto → openai: base URL https://api\.openai\.com/v1'
keys Right; keys Right; keys Right
check "←/→ choose the provider" wait_screen '▸ Provider +openrouter +config file'
check "its base URL from the preset" wait_screen 'Base URL +https://openrouter\.ai/api/v1 +preset \(openrouter\)'
check "its key variable" wait_screen 'Key variable +\(OPENROUTER_API_KEY\)'
check "what the preset gives" wait_screen 'Preset openrouter: base URL https://openrouter\.ai/api/v1 · key OPENROUTER_API_KEY'
check "the profile did not change" wait_screen '\[fresh\]'
keys Left
check "← goes back" wait_screen '▸ Provider +azure'
check "Azure: no base URL of its own" wait_screen 'base URL yours \(set the Base URL\)'
keys C-t
check "Azure's deployments: no model list" wait_screen 'lists no models'
# Enter on the provider: the list of them all, filtered as typed.
keys Enter
check "Enter lists the providers" wait_screen 'lmstudio'
type_text "gro"
check "filtered as typed" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q 'lmstudio'"
keys Enter
check "chosen from the list" wait_screen '▸ Provider +groq +config file'
check "groq's base URL from the preset" wait_screen 'Base URL +https://api\.groq\.com/openai/v1 +preset \(groq\)'
keys Escape
check "unsaved: the new profile" wait_screen 'd discard and close'
keys d

# Extra headers: a secret one is masked on screen.
python3 - "$CONF" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["profiles"]["mock"]["extra_headers"] = {"X-Title": "tchat", "X-Api-Token": "tok-abcdefghij-1234"}
json.dump(d, open(p, "w"), indent=2)
PY
start_ui
keys F2
check "headers shown, the secret one masked" wait_screen 'Extra headers +\{"X-Title":"tchat","X-Api-Token":"tok…1234"'
keys Escape
type_text "with headers"; keys Enter
check "the headers go with the chat" wait_screen 'You said: with headers'
check "the mock got them" python3 -c "
import json
rows = [json.loads(l) for l in open('$MOCK_LOG') if 'with headers' in l]
h = rows[-1]['headers']
assert h['x-title'] == 'tchat' and h['x-api-token'] == 'tok…1234', h"

# A config file with a key that others can read: a warning, as ssh gives.
chmod 644 "$CONF"
start_ui
check "warning for a readable key file" wait_screen 'readable by others'
chmod 600 "$CONF"

# The key never appeared on any screen in full.
check "full key never on screen" bash -c "! grep -q 'secretvalue' '$SCREENS'"
check "a secret header never on screen" bash -c "! grep -q 'abcdefghij' '$SCREENS'"
finish
