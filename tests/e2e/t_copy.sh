#!/usr/bin/env bash
# Getting text out, in tmux against tchat-mock: /copy and /copy N, the keys that copy,
# the numbers code blocks carry, OSC 52, the mouse wheel and /mouse, and the help.
# A copy is read back from the test's own tmux server: tchat runs inside it, so its
# `tmux load-buffer` lands there (and, with set-clipboard on, so does its OSC 52).
source "$(dirname "$0")/lib.sh"
SCEN="$(dirname "$0")/scenarios.json"
start_mock --scenarios "$SCEN"

# What each copy must be: the reply as the model wrote it, and each block's code as
# written (no fences, the fence's indentation off, long lines whole).
python3 - "$SCEN" "$T_DIR" <<'PY'
import json, sys
reply = json.load(open(sys.argv[1]))["scenarios"]["code"][0]["reply"]
out = sys.argv[2]
open(out + "/reply", "w").write(reply)
open(out + "/block1", "w").write("make -j2\nmake install")
open(out + "/block2", "w").write(
    'def greet(name):\n    return "hello, " + name + ", this line goes on well past the right '
    'edge of a hundred-column pane"\n\nprint(greet("tchat"))')
open(out + "/block3", "w").write("int x = 1;\n    x++;")
open(out + "/sentinel", "w").write("nothing copied yet")
PY

# tmux's newest buffer is the file $1 (waits up to 5 s: a copy is made by a keypress).
buffer_is() {
    local i
    for ((i = 0; i < 100; i++)); do
        tm save-buffer - >"$T_DIR/buffer" 2>/dev/null && cmp -s "$T_DIR/buffer" "$T_DIR/$1" && return 0
        sleep 0.05
    done
    return 1
}
# A buffer that no copy makes, so that each check sees a new copy.
sentinel() { tm set-buffer "nothing copied yet"; }
mouse_flag_is() { wait_for "[[ \$(tmux -S $TMUX_SOCK display -p '#{mouse_any_flag}') == $1 ]]" 5; }
# One wheel notch over the pane, as a terminal reports it (X10 mouse: button 64 up, 65 down).
wheel_up() { tm send-keys -t 0 -H 1b 5b 4d 60 21 21; }
wheel_down() { tm send-keys -t 0 -H 1b 5b 4d 61 21 21; }

start_ui --base-url "$MOCK_URL" -m mock-code
type_text "/copy"; keys Enter
check "/copy before any reply says so" wait_screen 'No reply to copy yet\.'

type_text "show code"; keys Enter
check "the reply arrives" wait_screen '^ +Done\.'
check "code block 1 carries its number" wait_screen '```sh +\[1\] sh$'
check "code block 2 carries its number" wait_screen '```python +\[2\] python$'
check "an indented block carries its number" wait_screen '^ +```c +\[3\] c$'
check "the long code line is cut on screen" wait_screen 'hundred-colu›$'

# /copy and /copy N.
sentinel; type_text "/copy"; keys Enter
check "/copy: the message line says what" wait_screen '^ copied the last reply · 23 lines'
check "/copy: tmux's buffer holds the reply as written" buffer_is reply
sentinel; type_text "/copy 2"; keys Enter
check "/copy 2: the message line says what" wait_screen '^ copied code block 2 · 4 lines'
check "/copy 2: the code without fences, its long line whole" buffer_is block2
sentinel; type_text "/copy 3"; keys Enter
check "/copy 3: the message line says what" wait_screen '^ copied code block 3 · 2 lines'
check "/copy 3: the fence's indentation off, the code's own kept" buffer_is block3
sentinel; type_text "/copy 4"; keys Enter
check "/copy 4: there is no block 4" wait_screen 'The last reply has 3 code blocks\.'
type_text "/copy two"; keys Enter
check "/copy two: how to use it" wait_screen '/copy copies the last reply; /copy N its code block N\.'
check "nothing copied by either" buffer_is sentinel

# Under tmux the buffer gets the text once: no OSC 52 as well, which set-clipboard on
# would turn into a second buffer.
tm set -g set-clipboard on
before=$(tm list-buffers | wc -l)
type_text "/copy 1"; keys Enter
check "/copy 1" buffer_is block1
check "one copy, one buffer" test "$(tm list-buffers | wc -l)" = $((before + 1))
tm set -g set-clipboard external

# The keys: Alt-w / F3 copy the reply, Alt-o / F4 the next code block, round again.
type_text "draft"
sentinel; keys M-w
check "Alt-w copies the reply" buffer_is reply
check "Alt-w: the message line" wait_screen '^ copied the last reply · 23 lines'
check "Alt-w leaves the input line alone" wait_screen '^> draft$'
sentinel; keys M-o
check "Alt-o: code block 1" buffer_is block1
check "Alt-o: the message line" wait_screen '^ copied code block 1 · 2 lines'
sentinel; keys M-o
check "Alt-o again: code block 2" buffer_is block2
sentinel; keys F4
check "F4: code block 3" buffer_is block3
sentinel; keys M-o
check "Alt-o after the last: code block 1 again" buffer_is block1
sentinel; keys F3
check "F3 copies the reply" buffer_is reply
check "the draft is still there" wait_screen '^> draft$'
keys C-u

# The mouse: the wheel scrolls; /mouse releases it and takes it back.
check "mouse reporting on at start" mouse_flag_is 1
reset_log
type_text "more"; keys Enter
check "a second reply" wait_requests 1
check "the second reply is done" wait_screen 'ready · mock-code'
wheel_up
check "the wheel scrolls up" wait_screen '↓ 3 · End'
wheel_down
check "and down" wait_for "! tmux -S $TMUX_SOCK capture-pane -p -t 0 | grep -q '↓ [0-9]'" 5
type_text "/mouse"; keys Enter
check "/mouse: released, says so" wait_screen '^ Mouse released: a drag selects text'
check "/mouse: reporting off" mouse_flag_is 0
type_text "/mouse"; keys Enter
check "/mouse again: back, says so" wait_screen '^ Mouse on: the wheel scrolls, Shift-drag selects text'
check "/mouse again: reporting on" mouse_flag_is 1
type_text "/mouse off"; keys Enter
check "/mouse off" mouse_flag_is 0
type_text "/mouse on"; keys Enter
check "/mouse on" mouse_flag_is 1
type_text "/mouse sideways"; keys Enter
check "/mouse sideways: how to use it" wait_screen '^ /mouse on\|off'
wheel_up
check "the wheel scrolls after /mouse on" wait_screen '↓ 3 · End'

# F1 lists the keys and commands, and how to select text with the terminal.
keys F1
check "F1: /copy and its keys" wait_screen 'Alt-w, F3 +/copy \[N\] +copy the last reply, or its code block N'
check "F1: /copy-next and its keys" wait_screen 'Alt-o, F4 +/copy-next +copy the last reply.s next code block'
check "F1: /mouse" wait_screen '/mouse \[on\|off\] +release the mouse to the terminal'
keys End
check "F1: selecting with Shift-drag" wait_screen 'Selecting text with the mouse: hold Shift'
keys Escape

# Outside tmux (no $TMUX), OSC 52 alone: tmux with set-clipboard on decodes it into a
# buffer, which checks the sequence end to end, UTF-8 included.
E2E_ENV="unset TMUX" start_ui --base-url "$MOCK_URL" -m mock-code
tm set -g set-clipboard on
type_text "show code"; keys Enter
check "OSC 52: the reply arrives" wait_screen '^ +Done\.'
sentinel; type_text "/copy 2"; keys Enter
check "OSC 52: code block 2" buffer_is block2
check "OSC 52: the message line" wait_screen '^ copied code block 2 · 4 lines'
type_text "/model mock-cjk"; keys Enter
type_text "cjk"; keys Enter
check "OSC 52: the CJK reply arrives" wait_screen '你好，世界！'
check "OSC 52: the CJK reply is done" wait_screen 'ready · mock-cjk'
printf '%s' '你好，世界！这是一个测试。🙂 emoji' >"$T_DIR/cjk"
sentinel; keys M-w
check "OSC 52: UTF-8 intact" buffer_is cjk

# Wrapped code on screen (code_wrap) still copies as written.
start_ui --base-url "$MOCK_URL" -m mock-code -o code_wrap=true
type_text "show code"; keys Enter
check "code_wrap: the long line wraps on screen" wait_screen '^ +hundred-column pane"$'
sentinel; type_text "/copy 2"; keys Enter
check "code_wrap: the copy has no line break of the wrap's" buffer_is block2

finish
