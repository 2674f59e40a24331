#!/usr/bin/env python3
"""One-shot benchmarks: start to first request, peak RSS, and SSE throughput.

Start to first request: a loopback listener notes when tchat's connection
arrives; the time is taken from just before the process is started. Throughput:
`tchat -p` reads a 50 MB SSE stream from tchat-mock into /dev/null.
"""
import json
import os
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


def build_peakrss():
    """Compiles peakrss.c (a small parent measures the child's peak RSS truly)."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(tempfile.mkdtemp(prefix="tchat-bench-"), "peakrss")
    subprocess.run(["cc", "-O2", "-o", out, os.path.join(here, "peakrss.c")], check=True)
    return out


PEAKRSS = build_peakrss()


def peak_rss_kib(cmd, **kw):
    p = subprocess.run([PEAKRSS] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, text=True, **kw)
    line = [l for l in p.stderr.splitlines() if l.startswith("peak_rss_kib=")][-1]
    return int(line.split("=")[1]), p.returncode


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
    # The floor: an empty program linked with the same libcurl, after curl_global_init.
    floor_src = os.path.join(os.path.dirname(PEAKRSS), "floor.c")
    with open(floor_src, "w") as f:
        f.write("#include <curl/curl.h>\nint main(void){curl_global_init(CURL_GLOBAL_DEFAULT);return 0;}\n")
    floor_bin = floor_src[:-2]
    subprocess.run(["cc", "-O2", "-o", floor_bin, floor_src, "-lcurl"], check=True)
    floor_rss, _ = peak_rss_kib([floor_bin])
    t0 = time.monotonic()
    for _ in range(RUNS):
        subprocess.run([floor_bin])
    floor_ms = (time.monotonic() - t0) * 1000 / RUNS
    srv.close()
    print(f"start to first request: median {statistics.median(firsts):.1f} ms, "
          f"max {max(firsts):.1f} ms over {RUNS} runs (budget 20 ms)")
    print(f"whole one-shot run: median {statistics.median(totals):.1f} ms")
    print(f"peak RSS, one-shot: {rss / 1024:.1f} MiB (budget 8 MiB)")
    print(f"floor (empty program linked with libcurl, after curl_global_init): "
          f"{floor_ms:.1f} ms per run, peak RSS {floor_rss / 1024:.1f} MiB")


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
