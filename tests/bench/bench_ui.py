#!/usr/bin/env python3
"""The interactive tchat in a pseudo-terminal: start to first drawn frame, peak
RSS with an empty conversation, and wake-ups when idle and during a countdown
(voluntary context switches of the UI thread, read from /proc)."""
import fcntl
import os
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

TCHAT = os.environ.get("TCHAT_BIN", "build/release/tchat")
MOCK = os.environ.get("TCHAT_MOCK", "build/release/tchat-mock")
HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = int(os.environ.get("BENCH_RUNS", "20"))


def build_peakrss():
    out = os.path.join(tempfile.mkdtemp(prefix="tchat-bench-"), "peakrss")
    subprocess.run(["cc", "-O2", "-o", out, os.path.join(HERE, "peakrss.c")], check=True)
    return out


def env():
    e = dict(os.environ)
    home = tempfile.mkdtemp(prefix="tchat-bench-home-")
    e.update(HOME=home, XDG_CONFIG_HOME=home + "/.config", XDG_STATE_HOME=home + "/.state",
             LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="xterm-256color")
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TCHAT_CONFIG", "NO_COLOR"):
        e.pop(k, None)
    return e


def spawn(argv, e):
    """Starts argv on a new 100x30 pty; returns (pid, master fd). posix_spawn
    (vfork) keeps the harness's own cost out of the start-up figure."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    actions = [(os.POSIX_SPAWN_DUP2, slave, 0), (os.POSIX_SPAWN_DUP2, slave, 1),
               (os.POSIX_SPAWN_DUP2, slave, 2), (os.POSIX_SPAWN_CLOSE, master)]
    pid = os.posix_spawn(argv[0], argv, e, file_actions=actions, setsid=True)
    os.close(slave)
    return pid, master


def read_until(fd, pattern, timeout=10.0):
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.01)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
            if re.search(pattern, data):
                return data
    raise SystemExit(f"timed out waiting for {pattern!r}; got {data[-300:]!r}")


def drain(fd, seconds):
    deadline = time.monotonic() + seconds
    data = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.02)
        if r:
            try:
                data += os.read(fd, 65536)
            except OSError:
                break
    return data


def switches(pid):
    """Voluntary context switches of the UI thread: each is a sleep ended by a
    wake-up (involuntary ones are preemptions, e.g. by the terminal reading)."""
    with open(f"/proc/{pid}/status") as f:
        s = f.read()
    return int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", s, re.M).group(1))


def child_of(pid):
    for _ in range(200):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            pass
        time.sleep(0.01)
    raise SystemExit("tchat did not start")


def main():
    peakrss = build_peakrss()
    e = env()
    mock = subprocess.Popen([MOCK, "--scenarios", os.path.join(HERE, "..", "e2e", "scenarios.json")],
                            stdout=subprocess.PIPE, text=True)
    url = mock.stdout.readline().split("listening on ")[1].split()[0]

    firsts = []
    for _ in range(RUNS):
        t0 = time.monotonic()
        pid, fd = spawn([TCHAT, "--base-url", url, "-m", "mock-ok"], e)
        read_until(fd, rb"F1")
        firsts.append((time.monotonic() - t0) * 1000)
        os.write(fd, b"\x04")  # Ctrl-D quits
        drain(fd, 0.05)
        os.waitpid(pid, 0)
        os.close(fd)
    print(f"start to first drawn frame: median {statistics.median(firsts):.1f} ms, "
          f"max {max(firsts):.1f} ms over {RUNS} runs (budget 30 ms)")
    # The floor: a program linked with the same libraries that draws one word.
    src = os.path.join(os.path.dirname(peakrss), "floorui.c")
    with open(src, "w") as f:
        f.write("#include <curl/curl.h>\n#include <curses.h>\n#include <locale.h>\n"
                "int main(void){setlocale(LC_ALL,\"\");curl_global_init(CURL_GLOBAL_DEFAULT);"
                "initscr();mvaddstr(0,0,\"F1\");refresh();getch();endwin();return 0;}\n")
    floor = src[:-2]
    subprocess.run(["cc", "-O2", "-o", floor, src, "-lcurl", "-lncursesw", "-lreadline"], check=True)
    ts = []
    for _ in range(RUNS):
        t0 = time.monotonic()
        pid, fd = spawn([floor], e)
        read_until(fd, rb"F1")
        ts.append((time.monotonic() - t0) * 1000)
        os.write(fd, b"q")
        drain(fd, 0.02)
        os.waitpid(pid, 0)
        os.close(fd)
    print(f"floor (same libraries, initscr, one word): median {statistics.median(ts):.1f} ms")

    def rss_of(argv, keys=b"\x04"):
        pid, fd = spawn([peakrss] + argv, e)
        read_until(fd, rb"F1")
        os.write(fd, keys)
        out = drain(fd, 1.0)
        os.waitpid(pid, 0)
        os.close(fd)
        m = re.search(rb"peak_rss_kib=(\d+)", out)
        return int(m.group(1)) / 1024 if m else float("nan")

    print(f"peak RSS, interactive, empty conversation, no request: "
          f"{rss_of([TCHAT, '--base-url', url, '-m', 'mock-ok']):.1f} MiB (budget 10 MiB)")
    print(f"floor RSS (same libraries, initscr, one word): {rss_of([floor], b'q'):.1f} MiB")

    pid, fd = spawn([peakrss, TCHAT, "--base-url", url, "-m", "mock-429-30s-then-ok"], e)
    read_until(fd, rb"F1")
    tchat = child_of(pid)
    drain(fd, 0.5)
    a = switches(tchat)
    drain(fd, 5)
    idle = switches(tchat) - a
    print(f"idle for 5 s: {idle} wake-ups of the UI thread (budget 0)")

    os.write(fd, b"count down\r")
    read_until(fd, rb"Retrying in")
    drain(fd, 0.5)
    a = switches(tchat)
    drain(fd, 5)
    ticks = (switches(tchat) - a) / 5
    print(f"during a countdown: {ticks:.1f} wake-ups per second of the UI thread (budget 10)")

    os.write(fd, b"\x1b")  # Esc cancels the countdown
    drain(fd, 0.3)
    os.write(fd, b"\x04")
    out = drain(fd, 2)
    os.waitpid(pid, 0)
    m = re.search(rb"peak_rss_kib=(\d+)", out)
    if m:
        print(f"peak RSS, interactive, after one request and a countdown: "
              f"{int(m.group(1)) / 1024:.1f} MiB")
    mock.terminate()
    mock.wait()


if __name__ == "__main__":
    main()
