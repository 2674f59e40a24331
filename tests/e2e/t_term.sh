#!/usr/bin/env bash
# The terminal comes back, and what was written to stderr while curses ran reaches the
# real stderr, on every way out: a normal end, exit(), a crash signal, and (in
# sanitizer builds) a sanitizer's report.
source "$(dirname "$0")/lib.sh"
TERM_CRASH=${TCHAT_TERM_CRASH:?set by CTest}

# Runs term_crash HOW in a tmux pane of its own (as start_ui does); waits for it to end;
# sets CODE.
run_crash() {
    stop_ui
    UI_STARTS=$((UI_STARTS + 1))
    TMUX_SOCK=$T_DIR/tmux-$UI_STARTS.sock
    rm -f "$T_DIR/ui.exit" "$T_DIR/stty"
    : >"$T_DIR/ui.err"
    cat >"$T_DIR/run.sh" <<RUN
server=\$PPID
(while kill -0 $T_SCRIPT_PID; do sleep 0.5; done; kill \$server) >/dev/null 2>&1 &
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=$TERM
'$TERM_CRASH' $1 2>'$T_DIR/ui.err'
code=\$?
stty -a >'$T_DIR/stty'
echo "\$code" >'$T_DIR/ui.exit'
printf '\nEXIT=%s\n' "\$code"
wait
RUN
    (exec_without_fds tmux -S "$TMUX_SOCK" new-session -d -x 80 -y 24 "bash $T_DIR/run.sh")
    wait_exit '[0-9]+' 20 || { echo "term_crash $1 did not end"; screen; }
    CODE=$(cat "$T_DIR/ui.exit" 2>/dev/null)
}

sane() { grep -Eq '(^| )icanon( |$)' "$T_DIR/stty" && grep -Eq '(^| )echo( |$)' "$T_DIR/stty"; }

for how in done exit segv; do
    run_crash "$how"
    check "$how: stderr replayed" grep -q 'captured while curses ran' "$T_DIR/ui.err"
    check "$how: terminal sane" sane
    check "$how: the screen is given back" bash -c "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q 'term test running'"
done
run_crash done
check "done: exit 0" test "$CODE" = 0
run_crash exit
check "exit: its status" test "$CODE" = 3
run_crash segv
# 128+11, or a sanitizer's handler that reported the signal and exited.
check "segv: killed by the signal" bash -c "test '$CODE' = 139 || grep -q 'AddressSanitizer:DEADLYSIGNAL' '$T_DIR/ui.err'"

for how in asan:heap-use-after-free ubsan:signed.integer.overflow; do
    run_crash "${how%%:*}"
    if [[ $CODE == 77 ]]; then
        echo "skip ${how%%:*}: not a sanitizer build"
        continue
    fi
    check "${how%%:*}: the report reaches stderr" grep -Eq "${how#*:}" "$T_DIR/ui.err"
    check "${how%%:*}: what came before it too" grep -q 'captured while curses ran' "$T_DIR/ui.err"
    check "${how%%:*}: terminal sane" sane
done
finish
