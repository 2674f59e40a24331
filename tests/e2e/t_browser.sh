#!/usr/bin/env bash
# The conversations browser (F9, /conversations) in tmux: newest first, filtered by titles
# and contents as typed, Enter opens one here, r renames, d deletes after asking (the one
# open here too: a new conversation starts), a conversation another window has open is
# neither deleted nor renamed, a damaged file is listed with what is wrong; and
# tchat --list --search, the same filter on the command line.
source "$(dirname "$0")/lib.sh"
start_mock
CONVS=$XDG_DATA_HOME/tchat/conversations
mkdir -p -m 700 "$CONVS"

A=20250101-090000-aaaa B=20250102-090000-bbbb C=20250103-090000-cccc D=20250104-090000-dddd
python3 - "$CONVS" <<'PY'
import json, sys
d = sys.argv[1]
def conv(id, updated, title, msgs):
    m = []
    for i, text in enumerate(msgs):
        m.append({"role": "user" if i % 2 == 0 else "assistant", "content": text, "status": "ok"})
    doc = {"version": 1, "id": id, "created": updated, "updated": updated, "title": title,
           "profile": "p", "model": "mock-ok", "x-kept": {"by": "the browser"}, "messages": m}
    with open(f"{d}/{id}.json", "w") as f:
        json.dump(doc, f, ensure_ascii=False)
conv("20250101-090000-aaaa", "2025-01-01T09:00:00.000+00:00", "Backoff question",
     ["How long should a client wait?", "Use exponential backoff with jitter."])
conv("20250102-090000-bbbb", "2025-01-02T09:00:00.000+00:00", "Rate limits",
     ["什么是速率限制？", "Requests per minute, per organization."])
conv("20250103-090000-cccc", "2025-01-03T09:00:00.000+00:00", "Old notes",
     ["Remember the blue teapot.", "Noted."])
open(f"{d}/20250104-090000-dddd.json", "w").write('{"version":1,"messages":[{"role":"robot","content":"x"}]}')
PY
chmod 600 "$CONVS"/*.json

# tchat --list --search: titles and contents, case aside.
run_tchat --list --search EXPONENTIAL
check "--search finds a reply's text, case aside" test "$OUT" = "$A  2025-01-01 09:00  2 messages  Backoff question"
run_tchat --list --search 速率
check "--search finds CJK text" grep -q "^$B .* Rate limits$" <<<"$OUT"
check "--search finds one" test "$(wc -l <<<"$OUT")" = 1
run_tchat --list --search "old NOTES"
check "--search finds a title" grep -q "^$C " <<<"$OUT"
check "damaged files are said on stderr" grep -q "skipped .*$D.json: messages\[0\]: unknown role" <<<"$ERR"
run_tchat --list --search "no such words"
check "no match: nothing listed" test -z "$OUT"
check "no match: said" grep -q 'no conversation contains "no such words"' <<<"$ERR"
check "no match: exit 0" test "$CODE" = 0
run_tchat --list --search ""
check "an empty search lists them all" test "$(wc -l <<<"$OUT")" = 3
run_tchat --search teapot
check "--search alone is a usage error" test "$CODE" = 2
check "and says it goes with --list" grep -q -- '--search goes with --list' <<<"$ERR"

# The labels of the browser's items, top to bottom, each followed by '|'.
items() {
    screen | python3 -c '
import re, sys
rows = sys.stdin.read().split("\n")[3:-3]
print("".join(m.group(1) + "|" for m in (re.match(r"^[▸ ] [• ] (.+?)(  |$)", r) for r in rows) if m), end="")'
}

# The browser: newest first, the damaged file last.
start_ui --base-url "$MOCK_URL" -m mock-ok
keys F9
check "F9 opens the browser" wait_screen '^ Conversations +4 of 4'
check "newest first, the damaged file last" test "$(items)" = "Old notes|Rate limits|Backoff question|$D|"
check "with dates and counts" wait_screen 'Old notes +2025-01-03 09:00 · 2 messages'
check "the damaged file is marked" wait_screen "$D +damaged"
check "F9 again closes it" bash -c "tmux -S $TMUX_SOCK send-keys F9; for i in \$(seq 100); do tmux -S $TMUX_SOCK capture-pane -p | grep -q '^ Conversations' || exit 0; sleep 0.05; done; exit 1"

# Filtered by contents, then opened here.
type_text "/conversations"; keys Enter
check "/conversations opens it too" wait_screen '^ Conversations +4 of 4'
type_text "JITTER"
check "the filter looks in the messages, case aside" wait_screen '1 of 4'
check "and shows what matches" wait_screen '^▸ +Backoff question'
keys Enter
check "Enter opens it here" wait_screen 'ai +Use exponential backoff with jitter\.'
check "its prompt too" wait_screen 'you +How long should a client wait\?'

# The one open here is marked; a damaged file is not opened and says why.
keys F9
check "the conversation here is marked" wait_screen '^[▸ ] • Backoff question'
keys End
check "the damaged file's problem is shown" wait_screen "^ damaged: messages\[0\]: unknown role \"robot\""
keys Enter
check "it is not opened" wait_screen '^ Conversations'
keys r
check "nor renamed" wait_screen "$D is damaged: it cannot be opened or renamed"

# r renames: the title in the file, nothing else changed.
keys C-u
type_text "速率"
check "CJK filter" wait_screen '1 of 4'
keys Up r
check "r asks for the new title" wait_screen '^ New title: Rate limits'
keys C-u
type_text "Limits, renamed"
keys Enter
check "renamed, and said" wait_screen 'Renamed: Limits, renamed'
check "the list shows the new title" wait_screen '^▸ +Limits, renamed'
check "the file has the new title and kept the rest" python3 -c "
import json; d = json.load(open('$CONVS/$B.json'))
assert d['title'] == 'Limits, renamed', d['title']
assert d['x-kept'] == {'by': 'the browser'} and d['updated'] == '2025-01-02T09:00:00.000+00:00', d
assert [m['content'] for m in d['messages']] == ['什么是速率限制？', 'Requests per minute, per organization.']"

# d asks first: any other key keeps it, y deletes it.
keys d
check "d asks first" wait_screen "^ Delete 'Limits, renamed'\? y/n"
keys n
check "n: the question goes" wait_screen '↑/↓ move · Enter open'
check "and the file stays" test -f "$CONVS/$B.json"
keys d
check "d asks again" wait_screen "^ Delete 'Limits, renamed'\? y/n"
keys y
check "y deletes it, and says so" wait_screen 'Deleted: Limits, renamed'
check "the file is gone" test ! -e "$CONVS/$B.json"
check "the list follows" wait_screen '0 of 3'
keys Escape

# Another window has C open: this one neither deletes nor renames it, and says why.
W1=$TMUX_SOCK
E2E_KEEP=1 E2E_TAG=2 start_ui --base-url "$MOCK_URL" -m mock-ok --resume "$C"
W2=$TMUX_SOCK
check "the second window has it" wait_screen 'you +Remember the blue teapot\.'
TMUX_SOCK=$W1
keys F9
type_text "teapot"
check "found in the first window" wait_screen '^▸ +Old notes'
keys Down d
check "not deleted: open in another window" wait_screen "$C is open in another tchat window: it is not deleted"
keys r
check "not renamed either" wait_screen "$C is open in another tchat window: it is not renamed"
check "the file is still there" test -f "$CONVS/$C.json"
# Enter goes on in a copy, as --resume does, and says so.
keys Enter
check "opened in a copy, said" wait_screen "open in another tchat window: this one continues in a copy"
check "naming the original" wait_screen "$C\)\."
type_text "second turn here"; keys Enter
check "the copy goes on" wait_screen 'You said: second turn here'
check "the original is untouched" python3 -c "
import json; d = json.load(open('$CONVS/$C.json')); assert len(d['messages']) == 2, d"

# Deleting the conversation open here starts a new one.
keys F9
copy_title='Old notes'
check "the copy is marked as the one here" wait_screen "^▸ • $copy_title|^ +• $copy_title"
copy=$(grep -l '"continued_from"' "$CONVS"/*.json)
check "the copy is a file" test -f "$copy"
type_text "second turn"
check "the copy found by its new turn" wait_screen '1 of'
keys Up d
check "deleting the one here says what follows" wait_screen "the conversation of this window \(a new one starts\)\? y/n"
keys y
check "deleted" wait_screen "Deleted: $copy_title"
check "its file is gone" test ! -e "$copy"
check "no lock file left behind" bash -c "! ls -A '$CONVS' | grep -q \"\\.$(basename "$copy" .json)\\.lock\""
keys Escape
check "a new conversation here" wait_screen 'Type a message and press Enter'
type_text "a fresh start"; keys Enter
check "it works" wait_screen 'You said: a fresh start'
keys C-d
check "quits" wait_screen '^EXIT=0'
TMUX_SOCK=$W2
keys C-d
check "the second window quits" wait_screen '^EXIT=0'
finish
