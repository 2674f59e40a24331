# Shared helpers for the integration tests: a fixed, isolated environment, the
# mock server, and assertions that print what differed.
set -euo pipefail

TCHAT_SRC=${TCHAT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TCHAT_BIN=${TCHAT_BIN:-$TCHAT_SRC/build/dev/tchat}
TCHAT_MOCK=${TCHAT_MOCK:-$TCHAT_SRC/build/dev/tchat-mock}

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tchat-test.XXXXXX")
export HOME=$T_DIR/home XDG_CONFIG_HOME=$T_DIR/home/.config XDG_DATA_HOME=$T_DIR/home/.local/share
export XDG_STATE_HOME=$T_DIR/home/.local/state XDG_CACHE_HOME=$T_DIR/home/.cache
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID TCHAT_CONFIG NO_COLOR
unset AZURE_OPENAI_API_KEY OPENROUTER_API_KEY GROQ_API_KEY DEEPSEEK_API_KEY TOGETHER_API_KEY
unset MISTRAL_API_KEY GEMINI_API_KEY ANTHROPIC_API_KEY
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
mkdir -p "$HOME"

T_PASSED=0
T_FAILED=0
MOCK_PID=
MOCK_URL=
MOCK_LOG=$T_DIR/mock.jsonl

t_cleanup() {
    stop_mock
    rm -rf "$T_DIR"
}
trap t_cleanup EXIT

# Waits up to $2 seconds (default 10) for the command in $1 to succeed.
wait_for() {
    local cond=$1 limit=${2:-10} i
    for ((i = 0; i < limit * 20; i++)); do
        eval "$cond" && return 0
        sleep 0.05
    done
    return 1
}

# Starts tchat-mock with the given extra arguments; sets MOCK_URL.
start_mock() {
    : >"$MOCK_LOG"
    # Emptied first: a restart must not read the previous mock's line before the new one
    # has opened the file.
    : >"$T_DIR/mock.out"
    "$TCHAT_MOCK" --log "$MOCK_LOG" "$@" >"$T_DIR/mock.out" 2>"$T_DIR/mock.err" &
    MOCK_PID=$!
    wait_for "grep -q 'listening on' '$T_DIR/mock.out'" 10 ||
        { echo "tchat-mock did not start:"; cat "$T_DIR/mock.err"; exit 1; }
    MOCK_URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$T_DIR/mock.out" | head -n1)
}

stop_mock() {
    if [[ -n $MOCK_PID ]]; then
        kill "$MOCK_PID" 2>/dev/null || true
        wait "$MOCK_PID" 2>/dev/null || true
        MOCK_PID=
    fi
}

# A fresh mock: scenario steps count from the first request again.
restart_mock() {
    stop_mock
    start_mock "$@"
}

# Requests the mock has logged since the last reset_log.
mock_requests() { grep -c . "$MOCK_LOG" || true; }
reset_log() { : >"$MOCK_LOG"; }

# The gaps in ms between consecutive logged requests, space separated.
mock_gaps() {
    python3 -c '
import json, sys
t = [json.loads(l)["t_ms"] for l in open(sys.argv[1]) if l.strip()]
print(" ".join(str(int(round(b - a))) for a, b in zip(t, t[1:])))' "$MOCK_LOG"
}

# Runs tchat with a timeout; sets OUT, ERR, CODE.
run_tchat() {
    local out=$T_DIR/out err=$T_DIR/err
    set +e
    timeout -k 5 60 "$TCHAT_BIN" "$@" >"$out" 2>"$err" </dev/null
    CODE=$?
    set -e
    OUT=$(cat "$out")
    ERR=$(cat "$err")
}

pass() { T_PASSED=$((T_PASSED + 1)); printf 'ok   %s\n' "$1"; }
fail() {
    T_FAILED=$((T_FAILED + 1))
    printf 'FAIL %s: %s\n' "$1" "$2"
    printf '  exit: %s\n  stdout: %s\n  stderr: %s\n' "${CODE:-}" "${OUT:-}" "${ERR:-}" | head -40
}

finish() {
    printf '%d passed, %d failed\n' "$T_PASSED" "$T_FAILED"
    ((T_FAILED == 0))
}
