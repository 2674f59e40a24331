#!/usr/bin/env python3
"""One-shot benchmarks: start to first request, peak RSS, and SSE throughput.

Start to first request: a loopback listener notes when tchat's connection
arrives; the time is taken from just before the process is started. Throughput:
`tchat -p` reads a 50 MB SSE stream from tchat-mock into /dev/null.
"""
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TCHAT = os.environ.get("TCHAT_BIN", "build/release/tchat")
MOCK = os.environ.get("TCHAT_MOCK", "build/release/tchat-mock")
RUNS = int(os.environ.get("BENCH_RUNS", "30"))

SSE = (b'data: {"choices":[{"index":0,"delta":{"content":"ok"}}]}\n\n'
       b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
       b"data: [DONE]\n\n")
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(SSE)).encode() + b"\r\n\r\n" + SSE)


def env():
    e = dict(os.environ)
    home = tempfile.mkdtemp(prefix="tchat-bench-")
    e.update(HOME=home, XDG_CONFIG_HOME=home + "/.config", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TCHAT_CONFIG"):
        e.pop(k, None)
    return e


def peak_rss_kib(cmd, **kw):
    """Runs cmd in a child that reports its own children's peak RSS."""
    code = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n")
    out = subprocess.run([sys.executable, "-c", code] + cmd, capture_output=True, text=True, **kw)
    rss, rc = out.stdout.split()
    return int(rss), int(rc)


def start_to_first_request():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    arrivals = []

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            arrivals.append(time.monotonic())
            c.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = c.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            while len(body) < length:
                body += c.recv(65536)
            c.sendall(RESPONSE)
            c.close()

    threading.Thread(target=serve, daemon=True).start()
    e = env()
    firsts, totals = [], []
    for _ in range(RUNS):
        n = len(arrivals)
        t0 = time.monotonic()
        p = subprocess.run([TCHAT, "--base-url", url, "-m", "m", "-p", "hi"], env=e,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        t1 = time.monotonic()
        if p.returncode != 0 or len(arrivals) <= n:
            sys.exit(f"tchat failed: {p.stderr.decode()}")
        firsts.append((arrivals[n] - t0) * 1000)
        totals.append((t1 - t0) * 1000)
    rss, rc = peak_rss_kib([TCHAT, "--base-url", url, "-m", "m", "-p", "hi"], env=e)
    srv.close()
    print(f"start to first request: median {statistics.median(firsts):.1f} ms, "
          f"max {max(firsts):.1f} ms over {RUNS} runs (budget 20 ms)")
    print(f"whole one-shot run: median {statistics.median(totals):.1f} ms")
    print(f"peak RSS, one-shot: {rss / 1024:.1f} MiB (budget 8 MiB)")


def throughput():
    log = tempfile.mktemp(suffix=".jsonl")
    mock = subprocess.Popen([MOCK, "--log", log], stdout=subprocess.PIPE, text=True)
    line = mock.stdout.readline()
    url = line.split("listening on ")[1].split()[0]
    e = env()
    best = None
    for _ in range(3):
        t0 = time.monotonic()
        p = subprocess.run([TCHAT, "--base-url", url, "-m", "mock-big", "-p", "go"], env=e,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        dt = time.monotonic() - t0
        if p.returncode != 0:
            sys.exit(f"tchat failed: {p.stderr.decode()}")
        size = len(p.stdout)
        best = dt if best is None else min(best, dt)
    rss, _ = peak_rss_kib([TCHAT, "--base-url", url, "-m", "mock-big", "-p", "go"], env=e)
    mock.terminate()
    mock.wait()
    os.unlink(log)
    sse_bytes = 52428800
    print(f"50 MB SSE stream: {sse_bytes / 1e6 / best:.0f} MB/s of SSE "
          f"({size / 1e6:.1f} MB of reply text) in {best * 1000:.0f} ms (budget 100 MB/s)")
    print(f"peak RSS while streaming 50 MB: {rss / 1024:.1f} MiB")


if __name__ == "__main__":
    start_to_first_request()
    throughput()
