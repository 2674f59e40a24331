#!/usr/bin/env bash
# kill -9 of the interactive tchat at random moments (while a prompt is typed, right after
# Enter, once the prompt is shown, while the reply streams, during a retry countdown, when
# idle), then tchat --continue, round after round. After every kill:
# - every conversation file parses as JSON, and tchat --list reports none as damaged;
# - every prompt tchat had shown in the conversation is in a file. What tchat had shown is
#   read from the pane after tchat is stopped (SIGSTOP) and before it is killed, so it is
#   exactly what tchat drew before it died.
# TCHAT_SOAK_SEED replays the choices; TCHAT_KILL_ROUNDS sets the rounds (default 30), done
# within a time budget (TCHAT_KILL_SECONDS, default 60).
source "$(dirname "$0")/../e2e/lib.sh"
seed=${TCHAT_SOAK_SEED:-$(( $(date +%s%N) % 32768 ))}
rounds=${TCHAT_KILL_ROUNDS:-30}
budget=${TCHAT_KILL_SECONDS:-60}
RANDOM=$seed
echo "kill -9 loop: $rounds rounds, seed $seed (replay with TCHAT_SOAK_SEED=$seed)"

# Echo replies streamed over about half a second; one scenario waits for a 429 first.
cat >"$T_DIR/scenarios.json" <<'JSON'
{"scenarios": {
  "kslow": {"chunk_chars": 2, "chunk_delay_ms": 25},
  "kwait": [{"status": 429, "headers": {"retry-after-ms": "600"},
             "error": {"message": "Rate limit reached for requests", "type": "requests",
                       "code": "rate_limit_exceeded"}},
            {"chunk_chars": 3, "chunk_delay_ms": 10}]
}}
JSON
start_mock --scenarios "$T_DIR/scenarios.json"
CONVS=$XDG_DATA_HOME/tchat/conversations
SHOWN=$T_DIR/shown          # prompts tchat has shown, one a line
: >"$SHOWN"

# Sends what was typed (Enter). The mock's counters start again, so that with mock-kwait
# every prompt meets a 429 first.
send() {
    curl -s -X POST "${MOCK_URL%/v1}/_mock/reset" >/dev/null
    keys Enter
}

# Waits until the reply to prompt $1 has ended (the whole echo, and tchat idle again).
wait_reply_done() {
    wait_screen "You said: $1\$" 15 && wait_screen '(^| )ready · ' 15
}

# Stops tchat, keeps what it had drawn, kills it with SIGKILL.
stop_and_kill() {
    kill -STOP "$UI_PID"
    local before after i
    before=$(screen)
    for ((i = 0; i < 20; i++)); do   # the pane may still be taking in the last output
        sleep 0.05
        after=$(screen)
        [[ $after == "$before" ]] && break
        before=$after
    done
    printf '%s\n' "$after" >"$T_DIR/last.screen"
    kill -9 "$UI_PID"
    wait_exit 137 || t_abort "tchat did not end with SIGKILL (ui.exit: $(cat "$T_DIR/ui.exit" 2>/dev/null))"
}

# The prompts of this round that the last screen shows in the conversation.
note_shown() {
    local p
    for p in "$@"; do
        grep -Eq "^ *you +$p *\$" "$T_DIR/last.screen" && echo "$p" >>"$SHOWN"
    done
    return 0
}

# Every file parses; every prompt shown is in one. Writes the last prompt of the conversation
# changed last (the one --continue reopens) to $T_DIR/latest.
check_files() {
    python3 - "$CONVS" "$SHOWN" "$T_DIR/latest" <<'PY'
import glob, json, sys
convs, shown, latest = sys.argv[1:4]
prompts = set()
files = sorted(glob.glob(convs + "/*.json"))
newest = ("", "", "")
for f in files:
    try:
        d = json.load(open(f, encoding="utf-8"))
        users = [m["content"] for m in d["messages"] if m["role"] == "user"]
    except Exception as e:
        sys.exit("%s does not parse: %s" % (f, e))
    prompts |= set(users)
    newest = max(newest, (d.get("updated", ""), d.get("id", ""), users[-1] if users else ""))
open(latest, "w").write(newest[2])
want = [l for l in open(shown).read().splitlines() if l]
lost = [p for p in want if p not in prompts]
if lost:
    # Each lost prompt is reported once.
    open(shown, "w").write("".join(p + "\n" for p in want if p in prompts))
    sys.exit("shown but not on disk: %s" % ", ".join(lost))
print("%d files parse, %d shown prompts on disk" % (len(files), len(want)))
PY
}

points=(typing enter shown streaming waiting idle)
declare -A killed_at
started=$SECONDS
done_rounds=0
for ((round = 1; round <= rounds; round++)); do
    if ((SECONDS - started >= budget)); then
        echo "time budget of $budget s used up after $done_rounds rounds"
        break
    fi
    round_started=$SECONDS
    models=(kslow kslow kwait ok)
    model=mock-${models[RANDOM % ${#models[@]}]}
    args=(--base-url "$MOCK_URL" -m "$model")
    ((round == 1)) || args+=(--continue)
    start_ui "${args[@]}"
    if ((round > 1)); then
        last=$(cat "$T_DIR/latest")
        [[ -z $last ]] || check "round $round: --continue shows $last" wait_screen "^ *you +$last *\$"
    fi
    if ((RANDOM % 8 == 0)); then
        type_text "/new"; keys Enter
    fi
    # Some prompts answered in full, then one cut at a random point.
    sent=()
    answered=$((RANDOM % 3))
    for ((k = 1; k <= answered; k++)); do
        p="k$round-$k-$RANDOM"
        type_text "$p"; send
        sent+=("$p")
        wait_reply_done "$p" || t_abort "round $round: no reply to $p"
    done
    point=${points[RANDOM % ${#points[@]}]}
    # A countdown needs the 429 first; streaming needs a reply slow enough to be caught.
    switch=
    if [[ $point == waiting && $model != mock-kwait ]]; then switch=mock-kwait
    elif [[ $point == streaming && $model == mock-ok ]]; then switch=mock-kslow; fi
    if [[ -n $switch ]]; then
        model=$switch
        type_text "/model $model"; keys Enter
        check "round $round: /model $model" wait_screen "· $model"
    fi
    p="k$round-last-$RANDOM"
    type_text "$p"
    [[ $point == typing ]] || send
    case $point in
        typing) check "round $round: typed" wait_screen "^> $p" ;;
        shown) check "round $round: prompt shown" wait_screen "^ *you +$p *\$" ;;
        streaming) check "round $round: reply streaming" wait_screen "You said: ${p%%-last-*}-l" ;;
        waiting) check "round $round: countdown" wait_screen 'Retrying in' ;;
        idle) check "round $round: reply done" wait_reply_done "$p" ;;
    esac
    [[ $point == typing ]] || sent+=("$p")
    stop_and_kill
    note_shown "${sent[@]}"
    killed_at[$point]=$(( ${killed_at[$point]:-0} + 1 ))
    what="round $round ($model, killed $point, $p $(grep -qx "$p" "$SHOWN" && echo shown || echo not shown), $((SECONDS - round_started)) s)"
    if result=$(check_files 2>&1); then
        pass "$what: $result"
    else
        OUT=$(cat "$T_DIR/last.screen"); ERR=$result; CODE=137
        fail "$what" "$result"
    fi
    # A damaged file would be named on stderr ("…/ID.json: what is wrong").
    run_tchat --list
    if [[ $CODE == 0 ]] && ! grep -q '\.json' <<<"$ERR"; then
        pass "round $round: --list reports no damaged file"
    else fail "round $round: --list" "a damaged file, or exit $CODE"; fi
    done_rounds=$round
done
summary=""
for point in "${points[@]}"; do summary+=" $point ${killed_at[$point]:-0}"; done
echo "killed:$summary; $(wc -l <"$SHOWN") prompts shown, $done_rounds rounds in $((SECONDS - started)) s"
check "at least 10 rounds within $budget s" test "$done_rounds" -ge 10
finish
