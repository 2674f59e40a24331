#!/usr/bin/env bash
# tchat -p against a server that misbehaves on purpose: what it sends never reaches the
# terminal raw, the key and the base URL's password are never shown, no line of its text
# passes for tchat's own; the explanations a new user needs (a login page while
# streaming, https:// to a plain-HTTP server, a proxy's 407, a closed stdout, a narrow
# terminal); the key refused over plain http://; no core dump.
source "$(dirname "$0")/lib.sh"
start_mock

KEY=sk-test-abcdefghijklmnop1234
MASK='sk-…1234'
PASSWORD=hunter22pass
# The mock as an HTTP proxy (it answers an absolute-form request as its path).
mock_origin() { echo "${MOCK_URL%/v1}"; }

# Exits non-zero, naming what it found, when a file holds a byte that acts on a terminal:
# C0 controls other than \n and \t, DEL, C1 controls, bidi embeddings, overrides, isolates.
terminal_safe() {
    python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
bad = re.search("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]", text)
if bad:
    print("found U+%04X at %d: %r" % (ord(bad.group()), bad.start(), text[max(0, bad.start() - 20):bad.start() + 20]))
    sys.exit(1)
EOF
}

# ---- what the server sends ----

# Escape sequences, bidi overrides and C1 controls in headers and in every field of the
# error; a newline in the message followed by a forged "tchat: " line.
reset_log
run_tchat --base-url "$MOCK_URL" -m mock-hostile -p hi
if [[ $CODE == 9 ]] && why=$(terminal_safe "$T_DIR/err") && ! grep -q '^tchat: forged' "$T_DIR/err" &&
    grep -q '^  Server says: Bad request$' "$T_DIR/err" && grep -q '^ \+tchat: forged line$' "$T_DIR/err" &&
    grep -q 'Request ID: req_hostile$' "$T_DIR/err"; then
    pass "hostile error: nothing raw on stderr, no forged line"
else fail "hostile error: nothing raw on stderr, no forged line" "${why:-see stderr}"; fi

run_tchat --base-url "$MOCK_URL" -m mock-hostile --json-errors -p hi
if [[ $CODE == 9 ]] && terminal_safe "$T_DIR/err" >/dev/null && python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
assert o["message"] == "Bad request\ntchat: forged line\nevil", o["message"]
assert o["error_type"] == "invalid_request_error" and o["error_code"] == "bad", o
assert o["request_id"] == "req_hostile", o
' <<<"$ERR"; then pass "hostile error in --json-errors: fields clean"
else fail "hostile error in --json-errors: fields clean" "unexpected JSON"; fi

# A server that echoes the whole key back in its message.
export OPENAI_API_KEY=$KEY
run_tchat --base-url "$MOCK_URL" --provider openai -m mock-401-echo-key -p hi
text_err=$ERR text_code=$CODE
run_tchat --base-url "$MOCK_URL" --provider openai -m mock-401-echo-key --json-errors -p hi
unset OPENAI_API_KEY
if [[ $text_code == 3 && $CODE == 3 ]] && ! grep -qF "$KEY" <<<"$text_err$ERR" &&
    grep -qF "Incorrect API key provided: $MASK" <<<"$text_err" &&
    python3 -c 'import json,sys; o=json.loads(sys.stdin.read()); assert o["message"].endswith(sys.argv[1]), o' "$MASK" <<<"$ERR"; then
    pass "key echoed by the server: masked on stderr and in JSON"
else fail "key echoed by the server: masked on stderr and in JSON" "the key leaked"; fi

# A password in the base URL: sent (libcurl's basic auth), never shown.
base_pw="http://user:$PASSWORD@${MOCK_URL#http://}"
run_tchat --base-url "$base_pw" -m mock-500 --max-retries 0 -p hi
text_err=$ERR text_code=$CODE
run_tchat --base-url "$base_pw" -m mock-500 --max-retries 0 --json-errors -p hi
if [[ $text_code == 6 && $CODE == 6 ]] && ! grep -qF "$PASSWORD" <<<"$text_err$ERR" &&
    grep -qF "Endpoint: http://user:***@${MOCK_URL#http://}" <<<"$text_err" &&
    python3 -c 'import json,sys; o=json.loads(sys.stdin.read()); assert o["endpoint"] == sys.argv[1], o' \
        "http://user:***@${MOCK_URL#http://}" <<<"$ERR"; then
    pass "password in the base URL masked"
else fail "password in the base URL masked" "the password leaked"; fi

# --list: a damaged file's name and a conversation's title hold escape sequences.
cdir=$XDG_DATA_HOME/tchat/conversations
mkdir -p "$cdir"
printf 'not json' >"$cdir/bad"$'\e]0;pwned\a'".json"
cat >"$cdir/20240101-000000-"$'\e[31m'"ab.json" <<'EOF'
{"version":1,"id":"20240101-000000-ab","created":"2024-01-01T00:00:00.000+00:00",
 "updated":"2024-01-01T00:00:00.000+00:00","title":"t\u001b]0;pwned\u0007itle\u202e",
 "messages":[{"role":"user","content":"hi"}]}
EOF
run_tchat --list
if [[ $CODE == 0 ]] && terminal_safe "$T_DIR/out" >/dev/null && terminal_safe "$T_DIR/err" >/dev/null &&
    grep -q 'skipped .*/bad\.json: ' "$T_DIR/err" && grep -q '^20240101-000000-ab .* title$' "$T_DIR/out"; then
    pass "--list prints names and titles clean"
else fail "--list prints names and titles clean" "raw bytes in the list"; fi
rm -rf "$cdir"

# ---- explanations ----

# A login page (200 text/html) while streaming is what --no-stream says it is.
for mode in stream --no-stream; do
    reset_log
    flags=()
    [[ $mode == --no-stream ]] && flags=(--no-stream)
    run_tchat --base-url "$MOCK_URL" -m mock-not-json "${flags[@]}" -p hi
    if [[ $CODE == 6 && $(mock_requests) == 1 ]] && grep -q '^tchat: 200 Unexpected response · APIError' <<<"$ERR" &&
        grep -q 'Server says: Login$' <<<"$ERR"; then pass "login page ($mode): unexpected response, its title quoted"
    else fail "login page ($mode): unexpected response, its title quoted" "exit $CODE, $(mock_requests) requests"; fi
done

# https:// to the plain-HTTP mock: no certificate advice, the http:// URL to use instead.
reset_log
run_tchat --base-url "https://${MOCK_URL#http://}" -p hi
if [[ $CODE == 7 ]] && grep -q 'Server speaks plain HTTP, not HTTPS' <<<"$ERR" &&
    grep -qF "use ${MOCK_URL}" <<<"$ERR" && ! grep -qi 'CA certificates' <<<"$ERR" &&
    ! grep -q 'Retrying' <<<"$ERR"; then pass "https:// to a plain-HTTP server: use http://"
else fail "https:// to a plain-HTTP server: use http://" "exit $CODE"; fi

# A proxy's 407: the proxy's credentials, not the model or the temperature. First from
# the server itself, then from the mock used as the proxy of a plain-HTTP request.
reset_log
run_tchat --base-url "$MOCK_URL" -m mock-407 -p hi
if [[ $CODE == 7 && $(mock_requests) == 1 ]] && grep -q '^tchat: 407 Proxy authentication required · APIConnectionError' <<<"$ERR" &&
    grep -q 'https_proxy=http://USER:PASSWORD@PROXY:PORT' <<<"$ERR" && ! grep -qi 'temperature' <<<"$ERR"; then
    pass "407: proxy authentication, not retried"
else fail "407: proxy authentication, not retried" "exit $CODE, $(mock_requests) requests"; fi
reset_log
http_proxy=$(mock_origin) run_tchat --base-url http://api.example.invalid/v1 -o needs_key=false -m mock-407 -p hi
if [[ $CODE == 7 ]] && grep -q 'Proxy authentication required' <<<"$ERR"; then pass "407 through http_proxy"
else fail "407 through http_proxy" "exit $CODE"; fi

# A reader that stops early (| head): exit 1, and not a word on stderr.
set +e
"$TCHAT_BIN" --base-url "$MOCK_URL" -m mock-slow -p "$(printf 'word %.0s' {1..60})" </dev/null \
    2>"$T_DIR/err" | head -c 10 >/dev/null
CODE=${PIPESTATUS[0]}
set -e
ERR=$(cat "$T_DIR/err")
if [[ $CODE == 1 && -z $ERR ]]; then pass "stdout closed: exit 1, silent"
else fail "stdout closed: exit 1, silent" "exit $CODE"; fi

# The countdown on a terminal 40 columns wide is cut to fit: redrawn in place, it never
# wraps into a flood of lines.
for lang in en zh_CN; do
    restart_mock
    if python3 - "$TCHAT_BIN" "$MOCK_URL" "$lang" <<'EOF'
import fcntl, os, pty, struct, subprocess, sys, termios, unicodedata
tchat, url, lang = sys.argv[1:4]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
p = subprocess.Popen([tchat, "--base-url", url, "-m", "mock-429-then-ok", "--lang", lang, "-p", "hi"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
out = p.stdout.read()
p.wait(timeout=30)
text = data.decode("utf-8", "replace").replace("\x1b[K", "")
lines = [seg for line in text.split("\n") for seg in line.split("\r")]
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
countdown = [l for l in lines if "1.0" in l or "0." in l]
wide = [l for l in countdown if width(l) > 40]
ok = p.returncode == 0 and out == b"You said: hi\n" and countdown and not wide
if not ok:
    print("exit", p.returncode, "countdown lines:", countdown[:3], "too wide:", wide[:3])
sys.exit(0 if ok else 1)
EOF
    then pass "countdown fits a 40-column terminal ($lang)"
    else fail "countdown fits a 40-column terminal ($lang)" "a line wider than the terminal"; fi
done

# ---- the key over plain http:// ----

export OPENAI_API_KEY=$KEY
reset_log
http_proxy=$(mock_origin) run_tchat --base-url http://api.example.invalid/v1 -m mock-ok -p hi
if [[ $CODE == 2 && $(mock_requests) == 0 ]] && grep -q '^tchat: Key not sent over plain HTTP' <<<"$ERR" &&
    grep -q 'allow_insecure_http: true' <<<"$ERR"; then pass "key refused over plain http:// (exit 2, nothing sent)"
else fail "key refused over plain http:// (exit 2, nothing sent)" "exit $CODE, $(mock_requests) requests"; fi

restart_mock
http_proxy=$(mock_origin) run_tchat --base-url http://api.example.invalid/v1 -m mock-500-then-ok \
    --allow-insecure-http true -p hi
warnings=$(grep -c 'unencrypted (http://) to api.example.invalid' <<<"$ERR" || true)
if [[ $CODE == 0 && $OUT == 'You said: hi' && $warnings == 1 && $(mock_requests) == 2 ]]; then
    pass "allow_insecure_http: sent, warned once for two requests"
else fail "allow_insecure_http: sent, warned once for two requests" "exit $CODE, $warnings warnings"; fi

reset_log
run_tchat --base-url "$MOCK_URL" --provider openai -m mock-ok -p hi
if [[ $CODE == 0 && -z $ERR ]] && grep -q '"auth": *"Bearer sk-' "$MOCK_LOG"; then
    pass "http:// to loopback: the key goes, no warning"
else fail "http:// to loopback: the key goes, no warning" "exit $CODE"; fi
unset OPENAI_API_KEY

# ---- no core dump ----

# A running tchat (a reply that stalls) has no core file size and is not dumpable. Not
# dumpable shows from outside as /proc/PID files owned by root whatever the process's
# user, and as /proc/PID/environ unreadable to another process of that user; both need
# tchat to run as a user other than root, so as root it runs as nobody (setpriv).
as_user=()
if [[ $(id -u) == 0 ]]; then
    if command -v setpriv >/dev/null; then
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
    fi
fi
if [[ $(id -u) == 0 && ${#as_user[@]} == 0 ]]; then
    echo "skip core dump check: root without setpriv cannot tell a dumpable process"
else
    chmod 755 "$T_DIR"
    env HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent "${as_user[@]}" "$TCHAT_BIN" \
        --base-url "$MOCK_URL" -m mock-stall --idle-timeout 60 -p hi >/dev/null 2>&1 </dev/null &
    pid=$!
    wait_for "grep -q '\"scenario\":\"stall\"' '$MOCK_LOG'" 20 || true
    # The process may be the setpriv that exec()s tchat: wait until it is tchat.
    wait_for "[[ \$(cat /proc/$pid/comm 2>/dev/null) == tchat ]]" 10 || true
    core=$(awk '/^Max core file size/ {print $5, $6}' "/proc/$pid/limits" 2>/dev/null || true)
    puid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    owner=$(stat -c %u "/proc/$pid/environ" 2>/dev/null || true)
    if "${as_user[@]}" cat "/proc/$pid/environ" >/dev/null 2>&1; then readable=yes; else readable=no; fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [[ $core == "0 0" ]]; then pass "no core file (RLIMIT_CORE 0)"
    else fail "no core file (RLIMIT_CORE 0)" "Max core file size: '$core'"; fi
    if [[ $readable == no && $owner == 0 && -n $puid && $puid != 0 ]]; then pass "not dumpable (uid $puid, /proc files owned by $owner)"
    else fail "not dumpable" "uid $puid, /proc/PID/environ owned by $owner, readable to its user: $readable"; fi
fi

finish
