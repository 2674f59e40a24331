#!/usr/bin/env bash
# The layers of src/ui, lowest first: a file may include headers of its own layer or
# below, never above. src/core never includes curses, readline or a src/ui header.
# (The rule ARCHITECTURE.md states; this keeps it true.)
source "$(dirname "$0")/lib.sh"

python3 - "$TCHAT_SRC" <<'PY' && pass "includes follow the layers" || fail "includes follow the layers" "see above"
import os, re, sys
src = sys.argv[1] + "/src"
layers = [
    ["theme", "render", "highlight", "lines", "models"], # no curses windows of their own
    ["draw", "term", "clipboard", "screen", "command", "lineedit"], # drawing primitives, the terminal (and its clipboard), screen types, a line being typed
    ["input", "view", "panel", "pager", "editor", "picker"], # parts of screens (editor: lends the terminal; picker: a list to pick from)
    ["settings", "chat", "pickers", "browser"], # screens (pickers, browser: pickers over the chat)
    ["commands"],                          # the table of keys and commands over the chat
    ["ui"],                                # the loop
]
level = {m: i for i, names in enumerate(layers) for m in names}
core = {f[:-2] for f in os.listdir(src + "/core") if f.endswith(".h")}
bad = []
for f in sorted(os.listdir(src + "/ui")):
    if not f.endswith((".c", ".h")):
        continue
    mod = f[:-2]
    if mod not in level:
        bad.append(f"src/ui/{f}: not in any layer (add it to tests/integration/t_layers.sh)")
        continue
    for inc in re.findall(r'#include "([^"]+)\.h"', open(f"{src}/ui/{f}").read()):
        if inc in core:
            continue
        if inc not in level:
            bad.append(f"src/ui/{f}: includes unknown {inc}.h")
        elif level[inc] > level[mod]:
            bad.append(f"src/ui/{f}: includes {inc}.h, a layer above it")
for f in sorted(os.listdir(src + "/core")):
    text = open(f"{src}/core/{f}").read()
    for inc in re.findall(r'#include [<"]([^>"]+)[>"]', text):
        if inc.startswith(("curses", "ncurses", "readline/")) or inc[:-2] in level:
            bad.append(f"src/core/{f}: includes {inc}")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
finish
