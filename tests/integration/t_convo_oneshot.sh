#!/usr/bin/env bash
# One-shot mode in a conversation (-c, --resume): the turn is sent with the history and
# saved; a conversation open in another window is continued in a copy; a full disk is said,
# with a non-zero exit.
source "$(dirname "$0")/lib.sh"
start_mock
CONVS=$XDG_DATA_HOME/tchat/conversations
SHIM=${TCHAT_ENOSPC_SHIM:?set by CTest}
msgs() { python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['messages']))" "$1"; }

# -c with nothing saved yet: a new conversation with this turn.
run_tchat --base-url "$MOCK_URL" -m mock-ok -c -p "first turn"
check() { if "${@:2}"; then pass "$1"; else fail "$1" "condition failed: ${*:2}"; fi; }
check "-c -p with none: exit 0" test "$CODE" = 0
check "-c -p prints the reply" grep -q 'You said: first turn' <<<"$OUT"
file=$(ls "$CONVS"/*.json 2>/dev/null | head -n1)
check "a conversation file" test -f "$file"
check "with the turn" test "$(msgs "$file")" = 2
check "no lock left behind" bash -c "! ls -A '$CONVS' | grep -q '\.lock$'"

# -c again: the same file; the request carried the history.
reset_log
run_tchat --base-url "$MOCK_URL" -m mock-ok -c -p "second turn"
check "-c -p again: exit 0" test "$CODE" = 0
check "one file still" test "$(ls "$CONVS"/*.json | wc -l)" = 1
check "two turns" test "$(msgs "$file")" = 4
check "the history was sent" grep -q 'first turn' "$MOCK_LOG"

# --resume ID -p.
id=$(basename "$file" .json)
run_tchat --base-url "$MOCK_URL" -m mock-ok --resume "$id" -p "third turn"
check "--resume -p: exit 0" test "$CODE" = 0
check "three turns" test "$(msgs "$file")" = 6

# A reasoning model's turn: the reasoning is kept in the file, not sent back next time.
run_tchat --base-url "$MOCK_URL" -m mock-reasoning-openrouter --resume "$id" -p "sum?"
check "a reasoning reply: exit 0" test "$CODE" = 0
last() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['messages'][-1].get(sys.argv[2]))" "$file" "$1"; }
check "its reasoning saved" test "$(last reasoning)" = "Adding the numbers."
check "with how long it took" grep -Eq '^[0-9]+$' <<<"$(last reasoning_ms)"
reset_log
run_tchat --base-url "$MOCK_URL" -m mock-ok --resume "$id" -p "and then?"
check "the next request carries the answer" grep -q '"content":"Four."' "$MOCK_LOG"
check "but not the reasoning" bash -c "! grep -q 'Adding the numbers' '$MOCK_LOG'"

# Another window holds it (a one-shot waiting on a stalled reply): this turn goes to a copy.
"$TCHAT_BIN" --base-url "$MOCK_URL" -m mock-stall -c -p "held turn" >"$T_DIR/held.out" \
    2>"$T_DIR/held.err" </dev/null &
held=$!
wait_for "ls -A '$CONVS' | grep -q '\.lock$'" 10 || true
run_tchat --base-url "$MOCK_URL" -m mock-ok -c -p "while held"
check "held: exit 0" test "$CODE" = 0
check "held: stderr says a copy" grep -q "is open in another tchat window; this turn continues in a copy" <<<"$ERR"
check "held: the reply" grep -q 'You said: while held' <<<"$OUT"
copy=$(ls -t "$CONVS"/*.json | grep -v "$file" | head -n1)
check "held: a second file" test -n "$copy" -a -f "$copy"
check "the copy names the original" python3 -c "
import json; d = json.load(open('$copy'))
assert d['continued_from'] == '$id', d.get('continued_from')
assert [m['content'] for m in d['messages']][-2:] == ['while held', 'You said: while held']"
kill -INT "$held"
wait "$held" || true
check "the window that held it kept its turn, and its partial reply" python3 -c "
import json; d = json.load(open('$file')); m = d['messages']
assert (m[-2]['role'], m[-2]['content']) == ('user', 'held turn'), m[-2]
assert m[-1]['role'] == 'assistant' and m[-1]['status'] == 'interrupted', m[-1]"
check "the original has not the copy's turn" bash -c "! grep -q 'while held' '$file'"

# A full disk: said on stderr, exit non-zero; the conversation as it was is intact.
before=$(cat "$file")
: >"$T_DIR/full"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    LD_PRELOAD=$SHIM TCHAT_TEST_ENOSPC=$T_DIR/full \
    run_tchat --base-url "$MOCK_URL" -m mock-ok --resume "$id" -p "disk full"
check "disk full: exit 1" test "$CODE" = 1
check "disk full: the reply still printed" grep -q 'You said: disk full' <<<"$OUT"
check "disk full: said" grep -q 'No space left on device: this turn is not on disk' <<<"$ERR"
check "disk full: the file as it was" test "$(cat "$file")" = "$before"
finish
