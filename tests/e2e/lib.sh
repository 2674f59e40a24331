# Helpers for end-to-end tests: tchat runs in a tmux pane of a fixed size
# against tchat-mock; tests type with send-keys and read with capture-pane,
# waiting for conditions, never for fixed times.
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

# Each start_ui has its own tmux server, its socket in T_DIR: scripts running at the same
# time (two suites, or one suite in two builds) never share a server, and a new server never
# meets the previous one while that is still shutting down (tmux then fails with "server
# exited unexpectedly").
UI_STARTS=0
TMUX_SOCK=$T_DIR/tmux-0.sock
export TERM=screen-256color
tm() { tmux -S "$TMUX_SOCK" "$@"; }
at_exit 'tm kill-server 2>/dev/null'
UI_PID=

# True while process $1 exists and is not a zombie.
pid_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# Closes the pane of the running tchat (a hangup, as when a terminal window closes) and
# waits until that tchat has ended, so that it cannot still be writing when the next starts.
stop_ui() {
    tm kill-server 2>/dev/null || true
    if [[ -n $UI_PID ]]; then
        wait_for "! pid_alive $UI_PID" 10 ||
            t_abort "tchat (pid $UI_PID) still runs 10 s after its terminal went away"
        UI_PID=
    fi
}

# Starts tchat in a new pane (100x30 unless W/H are set) with the given arguments and sets
# UI_PID. When tchat exits, the pane's shell writes the terminal's stty modes to
# $T_DIR/stty, then the exit status to $T_DIR/ui.exit (see wait_exit), and shows "EXIT=<code>".
# E2E_NOWAIT=1: returns at once, without waiting for tchat to start (keys typed early).
# A second window beside the first: E2E_KEEP=1 keeps the running one (switch between them by
# setting TMUX_SOCK), and E2E_TAG names the new one's files (ui$TAG.err, ui$TAG.exit, ...).
start_ui() {
    [[ -n ${E2E_KEEP:-} ]] || stop_ui
    local tag=${E2E_TAG:-}
    UI_STARTS=$((UI_STARTS + 1))
    TMUX_SOCK=$T_DIR/tmux-$UI_STARTS.sock
    rm -f "$T_DIR/ui$tag.pid" "$T_DIR/ui$tag.exit" "$T_DIR/stty$tag"
    local args="" a
    for a in "$@"; do args+=" $(printf '%q' "$a")"; done
    cat >"$T_DIR/run$tag.sh" <<RUN
# However the test ends (even by SIGKILL), its terminal and tchat end with it: the pane's
# parent is the tmux server (its socket may be gone with the test's directory by then).
server=\$PPID
(while kill -0 $T_SCRIPT_PID; do sleep 0.5; done; kill \$server) >/dev/null 2>&1 &
export HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' XDG_STATE_HOME='$XDG_STATE_HOME'
export XDG_DATA_HOME='$XDG_DATA_HOME' LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC TERM=$TERM
${E2E_ENV:-}
sh -c 'echo \$\$ >"\$0" && exec "\$@"' '$T_DIR/ui$tag.pid' '$TCHAT_BIN' $args 2>'$T_DIR/ui$tag.err'
code=\$?
stty -a >'$T_DIR/stty$tag'
echo "\$code" >'$T_DIR/ui$tag.exit.new' && mv '$T_DIR/ui$tag.exit.new' '$T_DIR/ui$tag.exit'
printf '\nEXIT=%s\n' "\$code"
wait # the pane stays for the test to read, until the line above ends it
RUN
    (exec_without_fds tmux -S "$TMUX_SOCK" new-session -d -x "${W:-100}" -y "${H:-30}" \
        "bash $T_DIR/run$tag.sh")
    if [[ -n ${E2E_NOWAIT:-} ]]; then
        UI_PID=
        return 0
    fi
    wait_for "[[ -s '$T_DIR/ui$tag.pid' ]]" 10 || t_abort "tchat was not started in tmux"
    UI_PID=$(<"$T_DIR/ui$tag.pid")
    wait_screen '^ tchat · ' 10 ||
        t_abort "tchat did not start; screen: $(screen); stderr: $(cat "$T_DIR/ui$tag.err")"
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

# Waits until no line of the screen matches the extended regex $1 (timeout $2 s, default 10).
wait_screen_not() {
    local re=$1 limit=${2:-10} i
    for ((i = 0; i < limit * 20; i++)); do
        screen | grep -Eq -- "$re" || return 0
        sleep 0.05
    done
    return 1
}

# Waits until tchat has exited (timeout $2 s, default 10); true when its exit status matches
# the extended regex $1 (e.g. 0, 137, '[0-9]+').
wait_exit() {
    local want=$1 limit=${2:-10}
    wait_for "[[ -s '$T_DIR/ui.exit' ]]" "$limit" || return 1
    [[ $(<"$T_DIR/ui.exit") =~ ^($want)$ ]]
}

# True while the tchat started last is running.
ui_running() { [[ ! -e $T_DIR/ui.exit ]] && pid_alive "$UI_PID"; }

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
        CODE=$(cat "$T_DIR/ui.exit" 2>/dev/null || true)
        fail "$name" "condition failed: $*"
    fi
}
