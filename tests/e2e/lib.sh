# Helpers for end-to-end tests: tchat runs in a tmux pane of a fixed size
# against tchat-mock; tests type with send-keys and read with capture-pane,
# waiting for conditions, never for fixed times.
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

TMUX_SOCK=tchat-e2e-$$
export TERM=screen-256color
tm() { tmux -L "$TMUX_SOCK" "$@"; }

e2e_cleanup() {
    tm kill-server 2>/dev/null || true
    t_cleanup
}
trap e2e_cleanup EXIT

# Starts tchat in a new pane (100x30 unless W/H are set) with the given arguments, and
# waits for its title (unless E2E_NOWAIT is set).
# When it exits, the pane prints "EXIT=<code>" and the terminal's stty modes.
# A second window beside the first: E2E_KEEP=1 keeps the previous tmux server (switch
# between them by setting TMUX_SOCK), and E2E_TAG names its files (ui$TAG.err, ...).
E2E_SERVERS=0
start_ui() {
    [[ -n ${E2E_KEEP:-} ]] || tm kill-server 2>/dev/null || true
    local tag=${E2E_TAG:-}
    # A server of its own each time: a new command can reach a server that is still
    # going away, and fail ("server exited unexpectedly").
    E2E_SERVERS=$((E2E_SERVERS + 1))
    TMUX_SOCK=tchat-e2e-$$-$E2E_SERVERS
    local args="" a
    for a in "$@"; do args+=" $(printf '%q' "$a")"; done
    cat >"$T_DIR/run$tag.sh" <<RUN
export HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' XDG_STATE_HOME='$XDG_STATE_HOME'
export XDG_DATA_HOME='$XDG_DATA_HOME' LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC TERM=$TERM
${E2E_ENV:-}
'$TCHAT_BIN' $args 2>'$T_DIR/ui$tag.err'
code=\$?
stty -a >'$T_DIR/stty$tag'
echo "EXIT=\$code"
sleep 600
RUN
    tm new-session -d -x "${W:-100}" -y "${H:-30}" "bash $T_DIR/run$tag.sh"
    [[ -n ${E2E_NOWAIT:-} ]] && return 0
    wait_screen '^ tchat · ' 10 || { echo "tchat did not start"; screen; cat "$T_DIR/ui$tag.err"; exit 1; }
}

screen() { tm capture-pane -p -t 0; }
keys() { tm send-keys -t 0 "$@"; }
# Types text literally (no key names).
type_text() { tm send-keys -t 0 -l "$1"; }

# Waits until the screen matches the extended regex $1 (timeout $2 s, default 10).
wait_screen() {
    local re=$1 limit=${2:-10} i
    for ((i = 0; i < limit * 20; i++)); do
        screen | grep -Eq -- "$re" && return 0
        sleep 0.05
    done
    return 1
}

# Waits until the mock has logged $1 requests.
wait_requests() {
    local want=$1 limit=${2:-10} i
    for ((i = 0; i < limit * 20; i++)); do
        [[ $(mock_requests) -ge $want ]] && return 0
        sleep 0.05
    done
    return 1
}

check() {
    # check NAME CONDITION...: runs the condition, reports, shows the screen on failure.
    local name=$1
    shift
    if "$@"; then
        pass "$name"
    else
        OUT=$(screen)
        ERR=$(cat "$T_DIR/ui.err" 2>/dev/null || true)
        CODE=
        fail "$name" "condition failed: $*"
    fi
}
