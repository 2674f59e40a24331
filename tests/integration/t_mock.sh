#!/usr/bin/env bash
# Smoke test of tchat-mock with curl: routes, a few faults, --require-key, the request log,
# loopback-only binding and clean exits. Prints "N passed, 0 failed" when all pass.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mock=${TCHAT_MOCK:-$top/build/dev/tchat-mock}
if [[ ! -x $mock ]]; then
    echo "t_mock: tchat-mock not found at $mock (build it, or set TCHAT_MOCK)" >&2
    exit 1
fi
command -v curl >/dev/null || { echo "t_mock: curl is required" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_mock.XXXXXX")
pids=()
passed=0
failed=0
finished=
# An early end (a start that failed, set -e) still prints the counts and fails.
cleanup() {
    local code=$? p
    if [[ -z $finished ]]; then
        failed=$((failed + 1))
        echo "FAIL the script stopped early (exit status $code)"
        echo "$passed passed, $failed failed (stopped early)"
        ((code != 0)) || code=1
    fi
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
    exit "$code"
}
trap cleanup EXIT

pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
fail() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$1" >&2
    if [[ -n ${2:-} ]]; then printf '     %s\n' "$2" >&2; fi
}
# check NAME COMMAND...: passes when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "command: $*"; fi
}

# Polls until cond (a command) succeeds or about $1 seconds pass.
wait_for() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 20; i++)); do
        if "$@"; then return 0; fi
        sleep 0.05
    done
    return 1
}

# start_mock NAME ARGS...: starts the mock with stdout in $tmp/NAME.out and sets $port and
# $mock_pid. Fails the whole test when no port appears within 10 s.
start_mock() {
    local name=$1
    shift
    "$mock" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    mock_pid=$!
    pids+=("$mock_pid")
    wait_for 10 eval "grep -q listening '$tmp/$name.out' || ! kill -0 $mock_pid 2>/dev/null" || true
    if ! grep -q listening "$tmp/$name.out"; then
        echo "t_mock: $name: no 'listening' line (exited, or not within 10 s); stderr:" >&2
        cat "$tmp/$name.err" >&2
        exit 1
    fi
    port=$(sed -n 's#^tchat-mock listening on http://127\.0\.0\.1:\([0-9][0-9]*\)/v1$#\1#p' \
        "$tmp/$name.out")
    if [[ -z $port ]]; then
        echo "t_mock: $name: unexpected first line: $(head -1 "$tmp/$name.out")" >&2
        exit 1
    fi
}

# stop_mock PID: SIGTERM, then waits (up to 5 s) for a clean exit; returns its status.
stop_mock() {
    local pid=$1
    kill -TERM "$pid"
    if ! wait_for 5 eval "! kill -0 $pid 2>/dev/null"; then
        return 1
    fi
    wait "$pid"
}

# Counts requests sent to the first mock, for the log check (a file: chat runs in $(...)).
note_request() { echo >>"$tmp/sent"; }
# chat MODEL STREAM(true|false) [curl args...]: POSTs a one-message chat; the body goes to
# $tmp/body, headers to $tmp/headers; prints the HTTP status.
chat() {
    local model=$1 stream=$2
    shift 2
    note_request
    curl -sS -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@" \
        -H 'Content-Type: application/json' \
        -d "{\"model\":\"$model\",\"stream\":$stream,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hello mock\"}]}" \
        "$base/chat/completions"
}
header() { tr -d '\r' <"$tmp/headers" | sed -n "s/^$1: //Ip" | head -1; }

# ---- the main mock: no key required, with a log ----
log=$tmp/mock.jsonl
start_mock main --log "$log"
base=http://127.0.0.1:$port/v1
root=http://127.0.0.1:$port

status=$(chat gpt-4o-mini true -H 'Authorization: Bearer sk-test-ABCDEFGHIJKLMNOPwxyz' \
    -H 'OpenAI-Organization: org-t' -A 'tchat-test/1')
check "stream ok: 200" test "$status" = 200
check "stream ok: text/event-stream" test "$(header content-type)" = text/event-stream
check "stream ok: echoes the prompt" grep -q '"content":"You ' "$tmp/body"
check "stream ok: usage chunk" grep -q '"choices":\[\],"usage":{"prompt_tokens"' "$tmp/body"
last=$(grep -v '^$' "$tmp/body" | tail -1)
check "stream ok: ends with data: [DONE]" test "$last" = 'data: [DONE]'
check "stream ok: rate-limit headers" test "$(header x-ratelimit-remaining-requests)" = 59
rid1=$(header x-request-id)
check "x-request-id format" eval '[[ $rid1 =~ ^req_[0-9a-f]{32}$ ]]'

status=$(chat mock-ok false)
check "non-stream ok: 200" test "$status" = 200
check "non-stream ok: chat.completion with the echo" \
    grep -q '"object":"chat.completion".*"content":"You said: hello mock"' "$tmp/body"
check "x-request-id unique" test "$(header x-request-id)" != "$rid1"

status=$(chat mock-429 true)
check "429: status" test "$status" = 429
check "429: retry-after: 1" test "$(header retry-after)" = 1
check "429: rate_limit_exceeded envelope" grep -q '"code": "rate_limit_exceeded"' "$tmp/body"

status=$(chat mock-429-then-ok true)
check "429-then-ok: first 429" test "$status" = 429
status=$(chat mock-429-then-ok true)
check "429-then-ok: then 200" test "$status" = 200
status=$(chat mock-429-then-ok true)
check "429-then-ok: last step repeats" test "$status" = 200

status=$(chat mock-no-such-scenario false)
check "unknown scenario: 400 naming the scenarios" \
    eval 'test "$status" = 400 && grep -q "Unknown mock scenario .no-such-scenario.*429-then-ok" "$tmp/body"'

# Reasoning, in either field, before the reply; streamed and not.
status=$(chat mock-reasoning-openrouter true)
first_line() { grep -n -- "$1" "$tmp/body" | head -1 | cut -d: -f1; }
check "reasoning: in delta.reasoning, before the content" \
    eval 'test "$status" = 200 && test "$(first_line "\"reasoning\":\"Add")" -lt \
          "$(first_line "\"content\":\"Four")"'
status=$(chat mock-reasoning false)
check "reasoning: message.reasoning_content when not streamed" \
    grep -q '"message":{"role":"assistant","reasoning_content":"The user asks' "$tmp/body"

# hold_ms: keep-alives only, then the reply.
status=$(chat mock-held true)
check "held: keep-alive comments first, then the reply" \
    eval 'test "$status" = 200 && test "$(grep -c "^: keep-alive" "$tmp/body")" -ge 10 &&
          head -1 "$tmp/body" | grep -q "^: keep-alive" && grep -q "\"content\":\"You " "$tmp/body"'

status=$(chat mock-502 false)
check "502: HTML page with a title" \
    eval 'test "$status" = 502 && grep -q "<title>502 Bad Gateway</title>" "$tmp/body"'

note_request
rc=0
curl -sS -o /dev/null "$base/chat/completions" \
    -d '{"model":"mock-drop","stream":true,"messages":[]}' 2>/dev/null || rc=$?
check "drop: curl sees a cut transfer (18)" test "$rc" = 18

note_request
status=$(curl -sS -o "$tmp/body" -w '%{http_code}' "$base/models")
check "models: list with gpt-4o-mini" \
    eval 'test "$status" = 200 && grep -q "\"object\":\"list\".*\"id\":\"gpt-4o-mini\"" "$tmp/body"'

note_request
status=$(curl -sS -o "$tmp/body" -w '%{http_code}' "$root/api/v2/status.json")
check "status page: all operational" \
    eval 'test "$status" = 200 && grep -q "\"indicator\":\"none\",\"description\":\"All Systems Operational\"" "$tmp/body"'

note_request
status=$(curl -sS -o "$tmp/body" -w '%{http_code}' -X POST "$base/xyz")
check "404: OpenAI envelope" \
    eval 'test "$status" = 404 && grep -q "Invalid URL (POST /v1/xyz)" "$tmp/body"'

# A malformed request gets 400 and the connection closes (bash's /dev/tcp, no curl).
note_request
if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
    printf 'NOT AN HTTP REQUEST\r\n\r\n' >&3
    reply=$(timeout 5 cat <&3 || true)
    exec 3<&-
    check "malformed request: 400 and close" eval '[[ $reply == "HTTP/1.1 400 "* ]]'
else
    fail "malformed request: cannot connect"
fi

# Several requests on one connection (keep-alive).
note_request
note_request
n=$(curl -sS "$base/models" --next "$base/models" -v 2>&1 | grep -c 'Re-using existing connection' || true)
check "keep-alive: second request reuses the connection" test "$n" -ge 1

# Bound to 127.0.0.1 only.
hexport=$(printf '%04X' "$port")
check "listens on 127.0.0.1 (/proc/net/tcp)" \
    grep -qE "^ *[0-9]+: (0100007F|7F000001):$hexport 00000000:0000 0A" /proc/net/tcp
check "does not listen on any other IPv4 address" \
    eval '! grep -E "^ *[0-9]+: [0-9A-F]{8}:$hexport 00000000:0000 0A" /proc/net/tcp | grep -qvE " (0100007F|7F000001):"'
check "does not listen on IPv6" \
    eval '! grep -qE "^ *[0-9]+: [0-9A-F]{32}:$hexport [0-9A-F]{32}:0000 0A" /proc/net/tcp6 2>/dev/null'
if command -v ss >/dev/null; then
    check "ss shows only 127.0.0.1:$port" \
        eval 'test "$(ss -Hltn "sport = :$port" | awk "{print \$4}")" = "127.0.0.1:$port"'
fi

# The log: one JSON line per request, the expected fields, never the full key.
requests=$(wc -l <"$tmp/sent")
check "log: one line per request ($requests)" test "$(wc -l <"$log")" -eq "$requests"
for field in seq t_ms method path scenario step status model stream auth auth_ok user_agent \
    organization project messages body_bytes; do
    check "log: every line has \"$field\"" test "$(grep -c "\"$field\":" "$log")" -eq "$requests"
done
check "log: seq and t_ms of the first line" grep -qE '^\{"seq":1,"t_ms":[0-9]+\.[0-9]{3},' "$log"
check "log: masked key, headers and messages of the first request" \
    eval 'head -1 "$log" | grep -F "\"auth\":\"Bearer sk-…wxyz\"" | grep -F "\"auth_ok\":true" |
          grep -F "\"user_agent\":\"tchat-test/1\"" | grep -F "\"organization\":\"org-t\"" |
          grep -F "\"project\":null" | grep -qF "\"messages\":[{\"role\":\"user\",\"content\":\"hello mock\"}]"'
check "log: scenario and step of 429-then-ok" \
    grep -qF '"scenario":"429-then-ok","step":1,"status":200' "$log"
check "log: the full key never appears" eval '! grep -qF "ABCDEFGHIJKLMNOP" "$log"'
check "stdout: only the listening line" test "$(wc -l <"$tmp/main.out")" -eq 1
check "SIGTERM: clean exit" stop_mock "$mock_pid"

# ---- --require-key ----
key=sk-test-0123456789abcdefwxyz
start_mock keyed --require-key "$key" --log "$tmp/keyed.jsonl"
base=http://127.0.0.1:$port/v1
status=$(chat mock-ok false)
check "require-key, no header: 401" test "$status" = 401
check "require-key, no header: the real message" \
    grep -qF "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth" "$tmp/body"
status=$(chat mock-ok false -H 'Authorization: Bearer sk-wrong-0000000000vxyz')
check "require-key, wrong key: 401 invalid_api_key" \
    eval 'test "$status" = 401 && grep -q "\"code\": \"invalid_api_key\"" "$tmp/body"'
check "require-key, wrong key: masked in the message" \
    grep -qF 'Incorrect API key provided: sk-wr***vxyz. You can find your API key at https://platform.openai.com/account/api-keys.' "$tmp/body"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$base/models")
check "require-key: models needs the key too" test "$status" = 401
status=$(chat mock-ok false -H "Authorization: Bearer $key")
check "require-key, right key: 200" test "$status" = 200
check "require-key: auth_ok logged" \
    eval 'test "$(grep -c "\"auth_ok\":false" "$tmp/keyed.jsonl")" = 3 &&
          test "$(grep -c "\"auth_ok\":true" "$tmp/keyed.jsonl")" = 1'
check "require-key: the key is never logged" eval '! grep -qF "$key" "$tmp/keyed.jsonl"'
check "SIGTERM (keyed): clean exit" stop_mock "$mock_pid"

# ---- --exit-on-eof: the mock leaves when its parent's end of stdin closes ----
mkfifo "$tmp/stdin"
"$mock" --exit-on-eof <"$tmp/stdin" >"$tmp/eof.out" 2>"$tmp/eof.err" &
eof_pid=$!
pids+=("$eof_pid")
exec 4>"$tmp/stdin"
if wait_for 10 grep -q listening "$tmp/eof.out"; then
    exec 4>&-
    check "exit-on-eof: exits when stdin closes" \
        wait_for 5 eval "! kill -0 $eof_pid 2>/dev/null"
else
    exec 4>&-
    fail "exit-on-eof: mock did not start"
fi

finished=1
echo "$passed passed, $failed failed"
if ((failed > 0)); then
    exit 1
fi
