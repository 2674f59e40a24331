# Shared helpers for the integration tests: a fixed, isolated environment, the
# mock server, and assertions that print what differed.
#
# A script ends with `finish`, which prints "N passed, M failed". A script that ends in any
# other way (a helper gave up, a command failed under set -e) still prints the counts, says
# where it stopped, and exits non-zero.
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
T_FINISHED=
T_STOPPED_AT=
T_AT_EXIT=()
MOCK_PID=
MOCK_URL=
MOCK_STARTS=0
MOCK_LOG=$T_DIR/mock.jsonl

# Where the last failing command was, and the calls that led there: the reason given when
# set -e ends the script.
t_note_error() {
    local status=$1 line=$2 command=$3 i
    T_STOPPED_AT="${BASH_SOURCE[1]##*/}:$line: \`$command\` returned $status"
    for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
        T_STOPPED_AT+=", in ${FUNCNAME[i]} called from ${BASH_SOURCE[i + 1]##*/}:${BASH_LINENO[i]}"
    done
}
set -E
trap 't_note_error $? $LINENO "$BASH_COMMAND"' ERR

# at_exit COMMAND: run COMMAND (a string) when the script exits, before the mock stops.
at_exit() { T_AT_EXIT+=("$1"); }

# Ends the script now, as failed, saying why.
t_abort() {
    T_STOPPED_AT=$*
    exit 1
}

t_cleanup() {
    local code=$? i
    trap - ERR
    set +e
    if [[ -z $T_FINISHED ]]; then
        T_FAILED=$((T_FAILED + 1))
        printf 'FAIL the script stopped early: %s\n' "${T_STOPPED_AT:-exit status $code}"
        printf '%d passed, %d failed (stopped early)\n' "$T_PASSED" "$T_FAILED"
        ((code != 0)) || code=1
    fi
    for ((i = ${#T_AT_EXIT[@]} - 1; i >= 0; i--)); do eval "${T_AT_EXIT[i]}"; done
    stop_mock
    # No helper started in the background may outlive the script: one that kept
    # ctest's output pipe open would hold the test until it ends.
    local jobs_left
    jobs_left=$(jobs -p)
    if [[ -n $jobs_left ]]; then
        kill -9 $jobs_left 2>/dev/null
        wait $jobs_left 2>/dev/null
    fi
    rm -rf "$T_DIR"
    exit "$code"
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

# Replaces this (sub)shell by "$@" without the file descriptors above 2 that it inherited
# (the lock of scripts/dev test, ctest's pipes): a helper that outlives the script then
# holds none of them.
exec_without_fds() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    exec "$@"
}

# Ends (closing its output) when this script has ended, however it ended (even by SIGKILL),
# and removes what the script could not.
T_SCRIPT_PID=$$
script_alive() {
    while kill -0 "$T_SCRIPT_PID" 2>/dev/null; do sleep 0.5; done
    # An interactive tchat ends with its terminal (tests/e2e/lib.sh); after that nothing
    # writes here any more.
    local ui i
    ui=$(cat "$T_DIR/ui.pid" 2>/dev/null) || true
    for ((i = 0; i < 100 && ${#ui} > 0; i++)); do
        [[ -d /proc/$ui ]] || break
        sleep 0.1
    done
    rm -rf "$T_DIR"
}

# Starts tchat-mock with the given extra arguments; sets MOCK_PID and MOCK_URL. Each start
# has its own output file, so the URL read is always the one of this mock. The mock's stdin
# ends with the script (--exit-on-eof), so a killed script does not leave it behind.
start_mock() {
    MOCK_STARTS=$((MOCK_STARTS + 1))
    local out=$T_DIR/mock.$MOCK_STARTS.out err=$T_DIR/mock.$MOCK_STARTS.err
    local line='^tchat-mock listening on http://127\.0\.0\.1:[0-9]+/v1$'
    : >"$MOCK_LOG"
    exec_without_fds "$TCHAT_MOCK" --exit-on-eof --log "$MOCK_LOG" "$@" >"$out" 2>"$err" \
        < <(script_alive 2>/dev/null) &
    MOCK_PID=$!
    MOCK_URL=
    wait_for "grep -Eq '$line' '$out' 2>/dev/null || ! kill -0 $MOCK_PID 2>/dev/null" 10 || true
    if grep -Eq "$line" "$out" 2>/dev/null; then
        MOCK_URL=$(sed -n 's/^tchat-mock listening on //p' "$out")
    fi
    [[ -n $MOCK_URL ]] ||
        t_abort "tchat-mock $* did not start (it exited, or printed no URL within 10 s); stdout: $(cat "$out" 2>/dev/null); stderr: $(cat "$err" 2>/dev/null)"
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
    (exec_without_fds timeout -k 5 60 "$TCHAT_BIN" "$@") >"$out" 2>"$err" </dev/null
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
    T_FINISHED=1
    printf '%d passed, %d failed\n' "$T_PASSED" "$T_FAILED"
    ((T_FAILED == 0))
}
