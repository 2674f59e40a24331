#!/usr/bin/env bash
# One-shot budgets: start to first request < 20 ms, peak RSS < 8 MB, 50 MB SSE at >= 100 MB/s.
set -euo pipefail
exec python3 "$(dirname "$0")/bench_oneshot.py"
