#!/usr/bin/env bash
# Parser throughput (SSE + JSON + sanitiser) and Markdown/wrapping cost per message.
set -euo pipefail
bin=$(dirname "$TCHAT_BIN")/tests
"$bin/bench_sse"
"$bin/bench_wrap"
