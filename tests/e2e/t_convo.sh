#!/usr/bin/env bash
# Conversations that are never lost, and the demo, in tmux.
source "$(dirname "$0")/lib.sh"
start_mock
CONVS=$XDG_DATA_HOME/tchat/conversations

# Two turns, then kill -9: the file is valid JSON with both turns.
start_ui --base-url "$MOCK_URL" -m mock-ok
type_text "first question"; keys Enter
check "first reply" wait_screen 'You said: first question'
type_text "second question"; keys Enter
check "second reply" wait_screen 'You said: second question'
wait_for "python3 -c \"import json,glob,sys; f=glob.glob('$CONVS/*.json'); d=json.load(open(f[0])); sys.exit(0 if len(d['messages'])==4 else 1)\"" 10 || true
kill -9 "$UI_PID"
check "tchat killed" wait_exit 137
file=$(ls "$CONVS"/*.json | head -n1)
check "one conversation file" test -f "$file"
check "file is 0600" test "$(stat -c %a "$file")" = 600
check "valid JSON with both turns" python3 -c "
import json; d = json.load(open('$file'))
m = [(x['role'], x['content'], x['status']) for x in d['messages']]
assert m == [('user', 'first question', 'ok'), ('assistant', 'You said: first question', 'ok'),
             ('user', 'second question', 'ok'), ('assistant', 'You said: second question', 'ok')], m
assert d['version'] == 1 and d['title'] == 'first question'"

# --list names it; --continue shows both turns.
run_tchat --list
check "--list names the conversation" grep -q 'first question' <<<"$OUT"
check "--list counts the messages" grep -q '4 messages' <<<"$OUT"
start_ui --base-url "$MOCK_URL" -m mock-ok --continue
check "--continue shows the first turn" wait_screen 'you +first question'
check "--continue shows the second turn" wait_screen 'You said: second question'

# A failed prompt stays, marked, one key from resent; Up recalls it.
type_text "/model mock-500"; keys Enter
type_text "this one fails"; keys Enter
keys Escape
check "failed prompt kept and marked" wait_screen 'you +this one fails'
check "failed prompt saved" python3 -c "
import json; d = json.load(open('$file'))
assert d['messages'][-1]['content'] == 'this one fails' and d['messages'][-1]['status'] == 'failed', d['messages'][-1]"
keys Up
check "Up recalls the prompt" wait_screen '^> this one fails'
keys C-u

# /export writes Markdown with roles as headings.
type_text "/export $T_DIR/out.md"; keys Enter
check "/export says where" wait_screen "Exported to $T_DIR/out.md"
check "export has role headings" grep -q '^## You' "$T_DIR/out.md"
check "export has the replies" grep -q 'You said: second question' "$T_DIR/out.md"

# /new starts a new conversation file.
type_text "/model mock-ok"; keys Enter
type_text "/new"; keys Enter
type_text "a new one"; keys Enter
check "new conversation" wait_screen 'You said: a new one'
wait_for "[[ \$(ls '$CONVS'/*.json | wc -l) == 2 ]]" 10 || true
check "/new made a second file" test "$(ls "$CONVS"/*.json | wc -l)" = 2
keys C-d
check "quit" wait_exit 0

# The input history persists across runs.
start_ui --base-url "$MOCK_URL" -m mock-ok
keys Up
check "history persists" wait_screen '^> a new one'
keys C-u; keys C-d
check "quit after the history" wait_exit 0

# A damaged file is reported by name and skipped, never overwritten.
printf '{"version": 1, "messages": [' >"$CONVS/20200101-000000-dead.json"
cp "$CONVS/20200101-000000-dead.json" "$T_DIR/damaged.copy"
run_tchat --list
check "--list reports the damaged file" grep -q '20200101-000000-dead.json' <<<"$ERR"
check "--list still lists the others" grep -q 'a new one' <<<"$OUT"
start_ui --base-url "$MOCK_URL" -m mock-ok --resume 20200101-000000-dead
check "resume of a damaged file says why" wait_screen '20200101-000000-dead.json'
type_text "after damage"; keys Enter
check "chat goes on in a new conversation" wait_screen 'You said: after damage'
keys C-d
check "quit after the damaged file" wait_exit 0
check "damaged file untouched" cmp -s "$CONVS/20200101-000000-dead.json" "$T_DIR/damaged.copy"

# The demo: no key, no network, its scenarios fail as described.
E2E_ENV='export OPENAI_API_KEY= OPENAI_BASE_URL=http://192.0.2.1/v1' start_ui --demo
type_text "hello demo"; keys Enter
check "demo answers and quotes the message" wait_screen '│ hello demo'
check "demo lists the scenarios" wait_screen '/demo 429'
demo_mock=$(pgrep -P "$UI_PID" -f tchat-mock || true)
check "demo runs its own server" test -n "$demo_mock"
wait_screen 'ready · demo' 10 || true
type_text "/demo 429"; keys Enter
type_text "rate limit me"; keys Enter
check "demo 429 counts down" wait_screen 'Retrying in [0-9.]+ s .*server asked 3\.0 s \(retry-after\)'
check "demo 429: no internal model name on screen" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q 'mock-demo'"
check "demo 429 then answers" wait_screen 'after the rate limit' 8
wait_screen 'ready · demo' 10 || true
# A server error waits long enough to read the panel, then answers; F2 meanwhile says a
# request is in progress, and that goes when it ends.
type_text "/demo 500"; keys Enter
type_text "server error please"; keys Enter
check "demo 500 backs off 3 s or more" wait_screen 'Retrying in [0-9.]+ s .*backoff [3-9]\.[0-9] s'
keys F2
check "busy: said" wait_screen 'A request is in progress'
check "demo 500 then answers" wait_screen 'after a backoff for a server error' 10
check "the busy notice went with the request" bash -c "for i in \$(seq 100); do tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q 'A request is in progress' || exit 0; sleep 0.05; done; exit 1"
# A cancelled retry is a cancelled retry in F8.
type_text "/demo 503"; keys Enter
type_text "cancel my retry"; keys Enter
check "demo 503 counts down" wait_screen 'Retrying in'
keys Escape
check "cancelled" wait_screen 'Request cancelled'
keys F8
check "F8: the retry was cancelled" wait_screen '503 .*retry cancelled'
keys q
wait_screen 'ready · demo' 10 || true
type_text "/demo 429-quota"; keys Enter
type_text "quota me"; keys Enter
check "demo quota explained, not retried" wait_screen 'Not retrying: the quota is used up'
type_text "/demo 401"; keys Enter
type_text "auth me"; keys Enter
check "demo 401 explained" wait_screen '401 Invalid authentication · AuthenticationError'
type_text "/demo 402-credits"; keys Enter
type_text "pay me"; keys Enter
check "demo 402: credits, not retried" wait_screen '402 Credits used up · InvalidRequestError'
check "demo 402: the type's line under the title" wait_screen 'About InvalidRequestError'
check "demo 402: a billing limit, not retried" wait_screen 'Not retrying: a billing limit'
type_text "/demo 404-ollama"; keys Enter
type_text "pull me"; keys Enter
check "demo 404: Ollama's model to pull" wait_screen '1\. Download the model first: ollama pull llama3'
type_text "/demo drop"; keys Enter
type_text "drop me"; keys Enter
check "demo drop keeps the partial reply" wait_screen 'Interrupted: .*F5'
type_text "/demo timeout"; keys Enter
type_text "time me out"; keys Enter
check "demo timeout" wait_screen 'Timeout' 10
check "demo timeout then answers" wait_screen 'after an idle timeout' 15
keys C-d
check "demo quits" wait_exit 0
check "demo stopped its server" wait_for "[[ -n '$demo_mock' ]] && ! pid_alive '$demo_mock'"
check "demo wrote no config" test ! -e "$XDG_CONFIG_HOME/tchat/config.json"
finish
