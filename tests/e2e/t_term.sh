#!/usr/bin/env bash
# The terminal comes back, and what was written to stderr while curses ran reaches the
# real stderr, on every way out: a normal end, exit(), a crash signal, and (in
# sanitizer builds) a sanitizer's report.
source "$(dirname "$0")/lib.sh"
TERM_CRASH=${TCHAT_TERM_CRASH:?set by CTest}

# Runs term_crash HOW in a tmux pane; waits for it to end; sets CODE.
RUNS=0
run_crash() {
    tm kill-server 2>/dev/null || true
    # A server of its own each time: a new command can reach a server that is still
    # going away, and fail.
    RUNS=$((RUNS + 1))
    TMUX_SOCK=tchat-e2e-$$-$RUNS
    : >"$T_DIR/ui.err"
    cat >"$T_DIR/run.sh" <<RUN
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=$TERM
'$TERM_CRASH' $1 2>'$T_DIR/ui.err'
code=\$?
stty -a >'$T_DIR/stty'
echo "EXIT=\$code"
sleep 600
RUN
    tm new-session -d -x 80 -y 24 "bash $T_DIR/run.sh"
    wait_screen '^EXIT=[0-9]+' 20 || { echo "term_crash $1 did not end"; screen; }
    CODE=$(screen | sed -n 's/^EXIT=\([0-9]*\).*/\1/p' | head -n1)
}

sane() { grep -Eq '(^| )icanon( |$)' "$T_DIR/stty" && grep -Eq '(^| )echo( |$)' "$T_DIR/stty"; }

for how in done exit segv; do
    run_crash "$how"
    check "$how: stderr replayed" grep -q 'captured while curses ran' "$T_DIR/ui.err"
    check "$how: terminal sane" sane
    check "$how: the screen is given back" bash -c "! tmux -L $TMUX_SOCK capture-pane -p -t 0 | grep -q 'term test running'"
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
