#!/usr/bin/env bash
# Seeing what the server does: a reasoning model's thinking shown while it comes, dimmed
# and labelled, then folded to one line above the answer (Alt-h, F10, /thinking unfold
# it); a <think> block taken for reasoning; a request the server holds with keep-alives
# shown as held, with its seconds, and bounded by first_token_timeout.
source "$(dirname "$0")/lib.sh"

cat >"$T_DIR/scenarios.json" <<'JSON'
{"scenarios": {
  "think-slow": {"reasoning": "Two and two make four. The user wants the number alone, so the answer is short and says nothing else at all. It is a small sum; there is no trick in it, and no need to show the working.", "chunk_chars": 4, "chunk_delay_ms": 120, "reply": "Four."},
  "hold-long": {"hold_ms": 600000},
  "hold-8": {"hold_ms": 8000},
  "lone-close": {"reply": "The template opened the block.\n</think>\n\nSix."}
}}
JSON
start_mock --scenarios "$T_DIR/scenarios.json"
CONVS=$XDG_DATA_HOME/tchat/conversations

# The contents the mock got in its last chat request, one a line.
last_request() {
    python3 -c '
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
reqs = [r for r in reqs if r.get("path", "").endswith("/chat/completions")]
print("\n".join(m["content"] for m in reqs[-1]["messages"]))' "$MOCK_LOG"
}

# ---- reasoning, while it comes and after ----
start_ui --base-url "$MOCK_URL" -m mock-think-slow
type_text "What is 2+2?"; keys Enter
check "while it thinks: labelled, with its seconds" wait_screen '^ ai   ▾ thinking… [0-9]+ s$'
check "the reasoning shown, indented under it" wait_screen '^        Two and two make four'
check "the panel says the reply is coming" wait_screen 'receiving · mock-think-slow'
# Alt-h while it thinks changes nothing: it still shows, and still folds once the answer begins.
keys M-h
check "Alt-h while thinking: says it folds by itself" wait_screen 'folds once the answer begins'
check "Alt-h while thinking: still shown" wait_screen '^ ai   ▾ thinking… [0-9]+ s$'
check "the answer came" wait_screen '^      Four\.$'
check "then folded to one line, with how long it took" wait_screen '^ ai   ▸ thought for [0-9.]+ s$'
check "folded: the reasoning is not shown" wait_screen_not 'Two and two' 
# Dimmed: the label in the theme's dim colour (default: colour 244), unlike the answer.
check "the label is dimmed" bash -c "tmux -S $TMUX_SOCK capture-pane -p -e -t 0 | grep -q $'\e\\[38;5;244m▸ thought for'"

keys M-h
check "Alt-h unfolds it" wait_screen '^ ai   ▾ thought for [0-9.]+ s$'
check "the reasoning is back, above the answer" wait_screen '^        Two and two make four'
keys M-h
check "Alt-h folds it again" wait_screen '^ ai   ▸ thought for'
keys F10
check "F10 unfolds it too" wait_screen '^        Two and two make four'
keys F10
check "F10 folds it" wait_screen '^ ai   ▸ thought for'

# The next turn: the reasoning is not sent back.
type_text "/model mock-ok"; keys Enter
type_text "And 3+3?"; keys Enter
check "the next reply" wait_screen 'You said: And 3\+3\?'
check "the request carried the answer" grep -q 'Four\.' <(last_request)
check "but not the reasoning, in no request" bash -c "! grep -q 'Two and two' '$MOCK_LOG'"
type_text "/thinking all"; keys Enter
check "/thinking all unfolds every reply's reasoning" wait_screen '^        Two and two make four'
type_text "/thinking all"; keys Enter
check "and folds them all again" wait_screen_not 'Two and two' 
type_text "/thinking nope"; keys Enter
check "/thinking with a wrong argument says how" wait_screen '/thinking \[all\]'

# Kept in the file, and shown folded when the conversation is opened again.
file=$(ls "$CONVS"/*.json | head -n1)
check "the file keeps the reasoning" grep -q '"reasoning":"Two and two make four' "$file"
check "and how long it took" grep -Eq '"reasoning_ms":[0-9]+' "$file"
type_text "/export $T_DIR/chat.md"; keys Enter
check "the export folds it in a details element" wait_for "grep -q '<details><summary>Thought for' '$T_DIR/chat.md'" 5
keys C-d
wait_screen '^EXIT=0' 5 || true
start_ui --base-url "$MOCK_URL" -m mock-ok --continue
check "reopened: folded, with its time" wait_screen '^ ai   ▸ thought for [0-9.]+ s$'

# A <think> block in the content (DeepSeek-R1's distills, QwQ): reasoning as well.
start_ui --base-url "$MOCK_URL" -m mock-think-tags
type_text "hi"; keys Enter
check "<think> block: the answer alone" wait_screen '^      Hello!$'
check "and its reasoning folded above it" wait_screen '^ ai   ▸ thought for'
check "no tag on screen" wait_screen_not 'think>' 
keys M-h
check "unfolded: the block's text" wait_screen '^        I should greet them back\.$'

# A template that opened <think> in the prompt: a lone </think> in the content. Once the
# reply is whole, what came before it is folded as reasoning.
start_ui --base-url "$MOCK_URL" -m mock-lone-close
type_text "3+3"; keys Enter
check "lone </think>: the answer alone" wait_screen '^      Six\.$'
check "lone </think>: the reasoning folded above it" wait_screen '^ ai   ▸ thought$'
check "lone </think>: no tag on screen" wait_screen_not 'think>'
keys M-h
check "lone </think>: unfolded" wait_screen '^        The template opened the block\.$'

# ---- a request the server holds ----
# The seconds shown while held (empty when the panel does not say so).
held_secs() { screen | sed -nE 's/.* held by the server · mock-hold-8 · ([0-9]+) s · Esc.*/\1/p' | head -n1; }
start_ui --base-url "$MOCK_URL" -m mock-hold-8 --idle-timeout 1
type_text "are you there"; keys Enter
check "held: said, with the seconds since sending" wait_screen 'held by the server · mock-hold-8 · [0-9]+ s · Esc'
first=$(held_secs)
check "the seconds go on" wait_for 'n=$(held_secs); [[ -n $n && -n $first && $n -gt $first ]]' 8
check "then the reply, though keep-alives outlasted idle_timeout" wait_screen 'You said: are you there'
check "and the panel is ready again" wait_screen '^ ready · mock-hold-8'

# Held past first_token_timeout: explained as its own entry (what it says while held is
# seen above; a check of it here would race the timeout).
start_ui --base-url "$MOCK_URL" -m mock-hold-long --first-token-timeout 2 --max-retries 0
type_text "hello"; keys Enter
check "then the first-token timeout, explained" wait_screen 'The reply did not begin in time · Timeout'
check "with what the server did" wait_screen 'only keep-alives for 2 s'

finish
