#!/usr/bin/env bash
# UI budgets: first frame < 30 ms, RSS < 10 MB, no idle wake-ups, countdown <= 10/s,
# and per-event drawing costs with a 10,000-message conversation.
set -euo pipefail
here=$(dirname "$0")
"$(dirname "$TCHAT_BIN")/tests/bench_ui"
python3 "$here/bench_ui.py"
