#!/usr/bin/env bash
# Chaos soak of one-shot mode: a few hundred `tchat -p` runs, each against its own random
# sequence of faults of tchat-mock, each checked for its exit code, the requests the mock
# logged, and clean output (tests/soak/chaos.py says what exactly).
# TCHAT_SOAK_SEED replays a run; TCHAT_SOAK_RUNS changes how many (default 300).
source "$(dirname "$0")/../integration/lib.sh"
seed=${TCHAT_SOAK_SEED:-$(( $(date +%s%N) % 1000000007 ))}
runs=${TCHAT_SOAK_RUNS:-300}
echo "chaos soak: $runs runs, seed $seed (replay with TCHAT_SOAK_SEED=$seed)"

chaos=$(dirname "$0")/chaos.py
python3 "$chaos" plan "$seed" "$runs" "$T_DIR"
start_mock --scenarios "$T_DIR/scenarios.json"
python3 "$chaos" run "$T_DIR" "$TCHAT_BIN" "$MOCK_URL" "$MOCK_LOG"
read -r passed failed <"$T_DIR/counts"
T_PASSED=$((T_PASSED + passed))
T_FAILED=$((T_FAILED + failed))
((failed == 0)) || echo "replay with TCHAT_SOAK_SEED=$seed"
finish
