#!/usr/bin/env bash
# tchat -p against tchat-mock: every exit code, the explanation on stderr, and
# the number of requests and the delays between them from the mock's log.
source "$(dirname "$0")/lib.sh"
start_mock

# case NAME EXIT REQUESTS STDOUT_RE STDERR_RE -- tchat arguments...
case_() {
    local name=$1 want_code=$2 want_reqs=$3 out_re=$4 err_re=$5
    shift 6
    reset_log
    run_tchat --base-url "$MOCK_URL" "$@"
    local reqs; reqs=$(mock_requests)
    if [[ $CODE != "$want_code" ]]; then fail "$name" "exit $CODE, expected $want_code"; return; fi
    if [[ $want_reqs != - && $reqs != "$want_reqs" ]]; then
        fail "$name" "$reqs requests, expected $want_reqs"; return
    fi
    if [[ -n $out_re ]] && ! grep -Eq -- "$out_re" <<<"$OUT"; then
        fail "$name" "stdout does not match /$out_re/"; return
    fi
    if [[ -n $err_re ]] && ! grep -Eq -- "$err_re" <<<"$ERR"; then
        fail "$name" "stderr does not match /$err_re/"; return
    fi
    pass "$name"
}

case_ "streamed reply" 0 1 '^You said: hello$' '^$' -- -m mock-ok -p hello
case_ "whole reply (--no-stream)" 0 1 '^You said: hello$' '^$' -- -m mock-ok --no-stream -p hello
case_ "CJK reply" 0 1 '你好，世界' '' -- -m mock-cjk -p hi
case_ "401 explained, not retried" 3 1 '^$' \
    '401 .*AuthenticationError' -- -m mock-401 -p hi
case_ "401 incorrect key" 3 1 '' 'Incorrect API key provided' -- -m mock-401-key -p hi
case_ "401 no organization" 3 1 '' 'member of an organization' -- -m mock-401-org -p hi
case_ "403 region" 3 1 '' '403 ' -- -m mock-403-region -p hi
# The mock stands in for a provider: named, it needs its key even on this machine.
case_ "no key: says how to set one, sends nothing" 3 0 '' 'Set a key with OPENAI_API_KEY=' -- \
    --provider openai -m mock-ok -p hi
case_ "no key for groq: names GROQ_API_KEY, not OpenAI's" 3 0 '' 'set GROQ_API_KEY in the' -- \
    --provider groq -m mock-ok -p hi
case_ "no key, no variable: names api_key_env" 3 0 '' 'api_key_env naming a variable' -- \
    --provider other -m mock-ok -p hi
case_ "429 then ok" 0 2 '^You said: hi$' 'Retrying in 1\.0 s' -- -m mock-429-then-ok -p hi
case_ "429 after retries" 4 2 '' '429 .*RateLimitError' -- -m mock-429 --max-retries 1 -p hi
case_ "429 wait beyond max_server_wait" 4 1 '' 'max_server_wait' -- -m mock-429-long -p hi
case_ "429 quota, never retried" 5 1 '' 'quota' -- -m mock-429-quota -p hi
case_ "500 then ok" 0 2 '^You said: hi$' 'backoff' -- -m mock-500-then-ok -p hi
case_ "500, retries off" 6 1 '' '500 .*APIError' -- -m mock-500 --max-retries 0 -p hi
case_ "500 with x-should-retry: false" 6 1 '' 'x-should-retry' -- -m mock-500-noretry -p hi
case_ "502 HTML page shown by its title" 6 1 '' '502 Bad Gateway' -- \
    -m mock-502 --max-retries 0 -p hi
case_ "error event inside the stream" 6 1 '' 'APIError' -- -m mock-stream-error -p hi
case_ "malformed chunk" 6 1 '' '' -- -m mock-malformed -p hi
case_ "login page instead of a stream: not retried" 6 1 '^$' 'Unexpected response' -- \
    -m mock-not-json -p hi
case_ "stream dropped after content: partial kept" 7 1 '^You' 'partial' -- -m mock-drop -p hello
case_ "stream without [DONE]" 7 - '' '' -- -m mock-no-done --max-retries 0 -p hello
case_ "idle timeout during the stream" 8 1 '' 'Timeout' -- -m mock-stall --idle-timeout 1 -p hello
# Until the reply begins, first_token_timeout is the only clock: idle_timeout is not.
case_ "no response at all: first-token timeout, retried" 8 2 '' 'did not begin in time' -- \
    -m mock-stall-first --idle-timeout 1 --first-token-timeout 1 --max-retries 1 -p hello
case_ "keep-alives only: first-token timeout, exit 8" 8 1 '' 'only keep-alives for 2 s' -- \
    -m mock-held-long --idle-timeout 1 --first-token-timeout 2 --max-retries 0 -p hi
case_ "first-token timeout as JSON" 8 1 '' '"entry":"first-token-timeout","type":"Timeout"' -- \
    -m mock-held-long --first-token-timeout 1 --max-retries 0 --json-errors -p hi
case_ "held longer than idle_timeout, then streamed: success" 0 1 '^You said: hi$' '^$' -- \
    -m mock-held --idle-timeout 1 -p hi
# Reasoning: not on stdout; on stderr with --show-reasoning.
case_ "reasoning left out of stdout" 0 1 '^Four\.$' '^$' -- -m mock-reasoning-openrouter -p hi
case_ "--show-reasoning: reasoning on stderr" 0 1 '^Four\.$' '^Adding the numbers\.$' -- \
    -m mock-reasoning-openrouter --show-reasoning -p hi
case_ "a <think> block split off the answer" 0 1 '^Hello!$' '^$' -- -m mock-think-tags -p hi
case_ "--show-reasoning with --json-errors: a usage error" 2 0 '' 'choose one' -- \
    -m mock-ok --show-reasoning --json-errors -p hi
case_ "400 invalid request" 9 1 '' 'InvalidRequestError' -- -m mock-400 -p hi
case_ "404 model" 9 1 '' 'gpt-9' -- -m mock-404-model -p hi
case_ "400 context length" 9 1 '' 'context' -- -m mock-400-context -p hi
case_ "422" 9 1 '' '422' -- -m mock-422 -p hi
case_ "413" 9 1 '' '413' -- -m mock-413 -p hi
case_ "409 (retryable) with retries off" 9 1 '' '409' -- -m mock-409 --max-retries 0 -p hi
case_ "Chinese explanations" 3 1 '' '原因' -- -m mock-401-key --lang zh_CN -p hi

# Connection refused: nothing listens on port 9 of loopback.
reset_log
run_tchat --base-url http://127.0.0.1:9/v1 --max-retries 0 -m x -p hi
if [[ $CODE == 7 ]] && grep -q 'APIConnectionError' <<<"$ERR"; then pass "connection refused"
else fail "connection refused" "expected exit 7 with APIConnectionError"; fi

# Delays come from the server: retry-after: 1 means a second between the requests.
# (A fresh mock for each: a scenario's steps count across the mock's life.)
restart_mock
run_tchat --base-url "$MOCK_URL" -m mock-429-then-ok -p hi
gap=$(mock_gaps)
if [[ $CODE == 0 && $gap -ge 950 && $gap -le 1600 ]]; then pass "retry-after honoured ($gap ms)"
else fail "retry-after honoured" "gap '$gap' ms"; fi

restart_mock
run_tchat --base-url "$MOCK_URL" -m mock-429x2-then-ok -p hi
read -r g1 g2 <<<"$(mock_gaps)"
if [[ $CODE == 0 && $g1 -ge 190 && $g1 -le 700 && $g2 -ge 190 && $g2 -le 700 ]]; then
    pass "retry-after-ms honoured ($g1, $g2 ms)"
else fail "retry-after-ms honoured" "gaps '$g1' '$g2'"; fi

# Backoff: 1 s scaled by a jitter in (0.75, 1].
restart_mock
run_tchat --base-url "$MOCK_URL" -m mock-500-then-ok -p hi
gap=$(mock_gaps)
if [[ $CODE == 0 && $gap -ge 700 && $gap -le 1500 ]]; then pass "backoff with jitter ($gap ms)"
else fail "backoff with jitter" "gap '$gap' ms"; fi

# The prompt on stdin, with -p: the piped text follows after a blank line.
reset_log
set +e
OUT=$(printf 'piped text\n' | timeout 30 "$TCHAT_BIN" --base-url "$MOCK_URL" -m mock-ok -p "Summarise" 2>"$T_DIR/err")
CODE=$?
set -e
ERR=$(cat "$T_DIR/err")
if [[ $CODE == 0 && $OUT == $'You said: Summarise\n\npiped text' ]]; then pass "prompt and piped stdin"
else fail "prompt and piped stdin" "unexpected output"; fi

set +e
OUT=$(printf 'only stdin' | timeout 30 "$TCHAT_BIN" --base-url "$MOCK_URL" -m mock-ok 2>"$T_DIR/err")
CODE=$?
set -e
if [[ $CODE == 0 && $OUT == 'You said: only stdin' ]]; then pass "prompt on stdin"
else fail "prompt on stdin" "unexpected output"; fi

# Model text never reaches the terminal raw.
run_tchat --base-url "$MOCK_URL" -m mock-escapes -p hi
if [[ $CODE == 0 ]] && ! grep -q $'\e' "$T_DIR/out" && ! grep -q $'\a' "$T_DIR/out"; then
    pass "escape sequences stripped"
else fail "escape sequences stripped" "ESC or BEL in stdout"; fi

run_tchat --base-url "$MOCK_URL" -m mock-invalid-utf8 -p hi
if [[ $CODE == 0 ]] && python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T_DIR/out"; then
    pass "invalid UTF-8 replaced"
else fail "invalid UTF-8 replaced" "stdout is not valid UTF-8"; fi

# --json-errors: one JSON object per failed attempt.
run_tchat --base-url "$MOCK_URL" --provider openai --needs-key false -m mock-429-quota --json-errors -p hi
if [[ $CODE == 5 ]] && python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
assert len(lines) == 1, lines
o = lines[0]
assert o["entry"] == "quota" and o["status"] == 429 and o["type"] == "RateLimitError", o
assert o["will_retry"] is False and o["exit_code"] == 5, o
assert any("quota-increase" in l["url"] for l in o["links"]), o
' <<<"$ERR"; then pass "--json-errors"
else fail "--json-errors" "bad JSON on stderr"; fi

restart_mock
run_tchat --base-url "$MOCK_URL" -m mock-429-then-ok --json-errors -p hi
if [[ $CODE == 0 ]] && python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
assert len(lines) == 1 and lines[0]["will_retry"] is True and lines[0]["delay_source"] == "retry-after", lines
' <<<"$ERR"; then pass "--json-errors reports retried attempts"
else fail "--json-errors reports retried attempts" "bad JSON on stderr"; fi

# Interrupted: SIGINT while the reply stalls; the partial reply stays printed.
# (Files of their own: an old non-empty "out" would say "started" too early, before
# tchat has even installed its handler.)
# timeout passes the SIGINT on to tchat and ends it if it never stops; no watchdog of our
# own is left behind holding the test's output open.
reset_log
timeout -s KILL 60 "$TCHAT_BIN" --base-url "$MOCK_URL" -m mock-stall -p hello \
    >"$T_DIR/int.out" 2>"$T_DIR/int.err" </dev/null &
pid=$!
wait_for "[[ -s '$T_DIR/int.out' ]]" 30 || true
kill -INT "$pid"
set +e; wait "$pid"; CODE=$?; set -e
OUT=$(cat "$T_DIR/int.out"); ERR=$(cat "$T_DIR/int.err")
if [[ $CODE == 130 && $OUT == You* ]] && grep -q 'Interrupted' <<<"$ERR"; then pass "SIGINT interrupts"
else fail "SIGINT interrupts" "expected 130"; fi

# Exit 1: stdout goes away in the middle of a long reply (a reader that stops early).
set +e
"$TCHAT_BIN" --base-url "$MOCK_URL" -m mock-big -p go </dev/null 2>"$T_DIR/err" | head -c 100 >/dev/null
CODE=${PIPESTATUS[0]}
set -e
ERR=$(cat "$T_DIR/err")
if [[ $CODE == 1 ]]; then pass "stdout closed: exit 1"; else fail "stdout closed: exit 1" "exit $CODE"; fi

# Usage and configuration errors.
run_tchat --bogus
if [[ $CODE == 2 ]]; then pass "unknown flag"; else fail "unknown flag" "expected 2"; fi
printf '{\n  "profiles": {\n    "x": {"model": "m",}\n  }\n}\n' >"$T_DIR/bad.json"
run_tchat --config "$T_DIR/bad.json" -p hi
if [[ $CODE == 2 ]] && grep -q 'bad.json:3' <<<"$ERR"; then pass "malformed config names file and line"
else fail "malformed config names file and line" "expected exit 2 and bad.json:3"; fi
# A config given as a pipe is read; one whose writer never ends is given up after 3 s.
# (Named pipes: run_tchat starts tchat without the test's other descriptors, so a
# /dev/fd/N of a process substitution would not reach it.)
mkfifo "$T_DIR/cfg.pipe" "$T_DIR/cfg-silent.pipe"
(echo '{"profiles": {"p": {"needs_key": false}}}' >"$T_DIR/cfg.pipe" &)
run_tchat --config "$T_DIR/cfg.pipe" --key-status
if [[ $CODE == 0 ]] && grep -q 'profile p: needs no key' <<<"$OUT"; then pass "config from a pipe"
else fail "config from a pipe" "expected exit 0 and profile p"; fi
start=$SECONDS
exec 7<>"$T_DIR/cfg-silent.pipe" # a writer that never writes
run_tchat --config "$T_DIR/cfg-silent.pipe" --key-status
exec 7>&-
if [[ $CODE == 2 && $((SECONDS - start)) -lt 10 ]] && grep -q 'no end of input after 3 s' <<<"$ERR"; then
    pass "config pipe that never ends: a clear message"
else fail "config pipe that never ends: a clear message" "expected exit 2 within 10 s"; fi
run_tchat -o api_key=sk-secret -p hi
if [[ $CODE == 2 ]] && ! grep -q 'sk-secret' <<<"$ERR"; then pass "no key on the command line"
else fail "no key on the command line" "expected exit 2"; fi
run_tchat --api-key sk-secret -p hi
if [[ $CODE == 2 ]] && ! grep -q 'sk-secret' <<<"$ERR" && grep -q 'not taken from the command line' <<<"$ERR"; then
    pass "--api-key refused, not taken for --api-key-cmd"
else fail "--api-key refused" "expected exit 2"; fi
run_tchat --temperature 5 -p hi
if [[ $CODE == 2 ]] && grep -q -- '--temperature: must be a number' <<<"$ERR"; then pass "every option is a flag, validated"
else fail "every option is a flag, validated" "expected exit 2"; fi

# The key is sent, but never shown.
reset_log
export OPENAI_API_KEY=sk-test-abcdefghijklmnop1234
run_tchat --base-url "$MOCK_URL" --provider openai -m mock-401-key -p hi
unset OPENAI_API_KEY
if [[ $CODE == 3 ]] && ! grep -q 'abcdefghijklmnop' <<<"$ERR$OUT" &&
    grep -q '"auth": *"Bearer sk-…1234"' "$MOCK_LOG"; then pass "key sent, never printed"
else fail "key sent, never printed" "key leaked or not sent"; fi

# A profile that needs no key sends none, even with one in the environment.
reset_log
export OPENAI_API_KEY=sk-test-abcdefghijklmnop1234
run_tchat --base-url "$MOCK_URL" --provider openai -m mock-ok -o needs_key=false -p hi
unset OPENAI_API_KEY
if [[ $CODE == 0 ]] && grep -q '"auth": *null' "$MOCK_LOG"; then pass "needs_key false: no Authorization"
else fail "needs_key false: no Authorization" "a key was sent"; fi

finish
