#!/usr/bin/env bash
# tchat -p against tchat-mock answering as other providers do (the real bodies of
# tests/unit/corpus/errors, served by tests/mock/scenarios/providers.json): the entry the
# body says, the exit code it gives, whether and when it is retried (from the mock's log),
# the library type's cause and steps, and no key of the chat in one-shot output.
source "$(dirname "$0")/lib.sh"
start_mock --scenarios "$TCHAT_SRC/tests/mock/scenarios/providers.json"

# One-shot output has no F-keys, Ctrl-T or slash commands: they exist in the chat only.
no_chat_keys() {
    ! grep -Eq -- '\bF[1-8]\b|Ctrl-T|[ (]/(new|model)\b' <<<"$1"
}

# case NAME EXIT REQUESTS STDERR_RE... -- tchat arguments...
case_() {
    local name=$1 want_code=$2 want_reqs=$3
    shift 3
    local res=()
    while [[ $1 != -- ]]; do res+=("$1"); shift; done
    shift
    reset_log
    run_tchat --base-url "$MOCK_URL" "$@"
    local reqs re
    reqs=$(mock_requests)
    if [[ $CODE != "$want_code" ]]; then fail "$name" "exit $CODE, expected $want_code"; return; fi
    if [[ $reqs != "$want_reqs" ]]; then fail "$name" "$reqs requests, expected $want_reqs"; return; fi
    for re in "${res[@]}"; do
        if ! grep -Eq -- "$re" <<<"$ERR"; then fail "$name" "stderr does not match /$re/"; return; fi
    done
    if ! no_chat_keys "$ERR"; then fail "$name" "stderr names a key of the chat"; return; fi
    pass "$name"
}

case_ "402 credits: exit 5, not retried, top up" 5 1 \
    '^tchat: 402 Credits used up · InvalidRequestError' 'Top up' \
    'About InvalidRequestError: The request was malformed' 'Possible reasons:' \
    'Server says: This request requires more credits' 'Not retrying: a billing limit' \
    -- -m mock-402-credits -p hi
case_ "400 credits (Anthropic): exit 5" 5 1 '400 Credits used up' \
    -- -m mock-400-anthropic-credits -p hi
case_ "Gemini's limit 0: a quota, exit 5, not retried" 5 1 '429 Quota exceeded · RateLimitError' \
    'About RateLimitError' 'Not retrying: the quota is used up' \
    -- -m mock-429-gemini-zero -p hi
case_ "Anthropic's spend cap: exit 5, the date it lifts" 5 1 '429 Spending limit reached' \
    'Access resumes: 2026-09-01 at 00:00 UTC' -- -m mock-429-spend-cap -p hi
case_ "moderation: exit 9, the categories" 9 1 '403 Input flagged by moderation' \
    'Flagged for: harassment' 'Upstream provider: OpenAI' 'Rephrase the prompt' \
    -- -m mock-403-moderation -p hi
case_ "Ollama: exit 9, pull the model first" 9 1 '404 Model not found' \
    '1\. Download the model first: ollama pull llama3' -- -m mock-404-ollama -p hi
case_ "Ollama's /v1 shape too" 9 1 'ollama pull ollama' -- -m mock-404-ollama-openai -p hi
case_ "Groq's 413: exit 9, waiting cannot help" 9 1 '413 Request larger than the rate limit' \
    'raise the tier' -- -m mock-413-groq -p hi
case_ "llama.cpp loading: retried, then the reply" 0 2 'Model still loading' \
    -- -m mock-503-loading-then-ok -p hi
case_ "one-shot in Chinese: the type's part, no keys of the chat" 5 1 '关于 InvalidRequestError' \
    '充值' -- -m mock-402-credits --lang zh_CN -p hi

# Gemini's per-minute limit: retried after the body's RetryInfo delay (1.5 s), not the
# backoff (1 s) nor the message's (1.2 s).
reset_log
run_tchat --base-url "$MOCK_URL" -m mock-429-gemini-minute -p hi
gaps=$(mock_gaps)
if [[ $CODE == 0 && $OUT == "Answered after the per-minute limit's delay." && $(mock_requests) == 2 ]] &&
    ((gaps >= 1450 && gaps < 3500)) && grep -q 'server asked 1.5 s (retryDelay)' <<<"$ERR"; then
    pass "Gemini per minute: retried after RetryInfo's 1.5 s (gap $gaps ms)"
else
    fail "Gemini per minute: retried after RetryInfo's 1.5 s" "gap ${gaps:-none} ms"
fi

# --json-errors: the type's cause and steps, the entry's reasons and notes; the exit code.
reset_log
run_tchat --base-url "$MOCK_URL" -m mock-403-moderation --json-errors -p hi
json_check=$(python3 - "$ERR" <<'PY'
import json, sys
lines = [l for l in sys.argv[1].splitlines() if l.strip()]
o = json.loads(lines[-1])
problems = []
if o["entry"] != "moderation" or o["exit_code"] != 9: problems.append("entry/exit")
if not isinstance(o.get("type_cause"), str) or not o["type_cause"]: problems.append("type_cause")
if not isinstance(o.get("type_steps"), list) or not o["type_steps"] or \
        not all(isinstance(s, str) and s for s in o["type_steps"]): problems.append("type_steps")
if not o.get("reasons"): problems.append("reasons")
if o.get("flagged") != "harassment" or "Flagged for: harassment" not in o.get("notes", []):
    problems.append("flagged")
print(" ".join(problems) or "ok")
PY
)
if [[ $CODE == 9 && $json_check == ok ]] && no_chat_keys "$ERR"; then
    pass "--json-errors: type_cause, type_steps, reasons, notes"
else
    fail "--json-errors: type_cause, type_steps, reasons, notes" "$json_check"
fi

restart_mock --scenarios "$TCHAT_SRC/tests/mock/scenarios/providers.json" # steps from the first
run_tchat --base-url "$MOCK_URL" -m mock-429-gemini-minute --json-errors -p hi
json_check=$(python3 - "$ERR" <<'PY'
import json, sys
o = json.loads(sys.argv[1].splitlines()[0])
ok = (o["entry"] == "rate-limit" and o["will_retry"] and o["delay_source"] == "retryDelay"
      and o["delay_ms"] == 1500 and o["type"] == "RateLimitError" and o["type_steps"])
print("ok" if ok else o)
PY
)
if [[ $CODE == 0 && $json_check == ok ]]; then
    pass "--json-errors: a retried attempt names its delay source (retryDelay)"
else
    fail "--json-errors: a retried attempt names its delay source" "$json_check"
fi

finish
