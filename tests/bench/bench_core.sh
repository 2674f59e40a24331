#!/usr/bin/env bash
# Parser throughput (SSE + JSON + sanitiser), Markdown/wrapping cost per message, and
# saving/loading a 10,000-message conversation.
set -euo pipefail
bin=$(dirname "$TCHAT_BIN")/tests
"$bin/bench_sse"
"$bin/bench_wrap"
"$bin/bench_convo"
