#!/usr/bin/env python3
"""Chaos soak of one-shot mode: many `tchat -p` runs, each against its own random
sequence of faults served by tchat-mock, each checked against what the retry policy
promises (README.md, "One-shot mode"; src/core/retry.h).

  chaos.py plan SEED COUNT DIR      writes DIR/scenarios.json (for tchat-mock --scenarios)
                                    and DIR/plan.json
  chaos.py run DIR TCHAT URL LOG    runs the plan against the mock at URL whose request log
                                    is LOG; prints one line per run ("ok   ..." or
                                    "FAIL ...") and writes "PASSED FAILED" to DIR/counts

Run i uses scenario "c<i>" (model mock-c<i>), a list of 1-4 steps: attempt n gets step
min(n, len-1). The expected result follows from the steps and --max-retries: a success
ends the run (exit 0); a failure that is not retried (or the last allowed attempt) ends it
with the failure's exit code. Checked for every run: the exit code, the number of chat
requests the mock logged for that scenario (and none for another), stdout (the reply, or
the part kept of an interrupted one, and never a control character or invalid UTF-8),
stderr (never a control character, never a sanitizer report) and, with --json-errors, one
JSON object per failed attempt with will_retry and exit_code as expected.
"""
import json
import os
import random
import re
import subprocess
import sys
import time

# Every run gets these: small delays, so that hundreds of runs take seconds.
COMMON_FLAGS = ["--backoff-initial", "0.005", "--backoff-max", "0.02", "--max-server-wait", "1",
                "--idle-timeout", "1", "--connect-timeout", "5", "-o", "needs_key=false"]

RATE_LIMIT = {"message": "Rate limit reached for gpt-4o-mini in organization org-mock on "
                         "requests per min (RPM): Limit 3, Used 3, Requested 1.",
              "type": "requests", "code": "rate_limit_exceeded"}
SERVER_ERROR = {"message": "The server had an error while processing your request. Sorry about "
                           "that!", "type": "server_error"}
WORDS = ["alpha", "beta", "gamma", "delta", "héllo", "naïve", "你好", "世界", "🙂", "Ωmega",
         "x", "retry", "backoff", "quota", "stream"]


def words(rng, lo, hi):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def ok(step, text=None, exact=True):
    """A successful reply: text is what stdout must hold (None: the echo of the prompt);
    exact=False when escape sequences or invalid bytes surround it."""
    return {"step": step, "ok": True, "text": text, "exact": exact}


def fail(step, code, retried, partial="", keeps_connection=None):
    """A failure with its exit code, whether it is retried automatically, and the part
    of the reply that reached stdout before it. keeps_connection: the answer was a whole
    HTTP response, so the connection stays open for the next attempt (the default for
    anything but a connection closed or abandoned midway)."""
    if keeps_connection is None:
        keeps_connection = not any(k in step for k in ("hangup", "drop_after", "stall_after"))
    return {"step": step, "ok": False, "code": code, "retried": retried, "partial": partial,
            "keeps_connection": keeps_connection}


def error(status, err, **more):
    step = {"status": status, "error": err}
    step.update(more)
    return step


def fault_palette(rng, stream):
    """One random step and its expected outcome."""
    reply = words(rng, 3, 12)
    chars = rng.randint(1, 6)
    kinds = [
        lambda: ok({}),
        lambda: ok({"reply": reply, "chunk_chars": chars, "chunk_delay_ms": rng.randint(0, 3),
                    "comments": rng.random() < 0.3, "crlf": rng.random() < 0.3}, reply),
        lambda: ok({"reply": reply, "escapes": True}, reply, exact=False),
        lambda: ok({"reply": reply, "invalid_utf8": True}, reply, exact=False),
        lambda: ok({"reply": reply, "finish_reason": rng.choice(["length", "content_filter"])},
                   reply),
        lambda: ok({"refusal": reply}, reply),
        lambda: fail(error(429, RATE_LIMIT, headers={"retry-after-ms": str(rng.randint(1, 40))}),
                     4, True),
        lambda: fail(error(429, RATE_LIMIT, headers={"x-ratelimit-remaining-requests": "0",
                                                     "x-ratelimit-reset-requests": "15ms"}),
                     4, True),
        lambda: fail(error(429, dict(RATE_LIMIT, message=RATE_LIMIT["message"] +
                                     " Please try again in 20ms.")), 4, True),
        # A wait beyond --max-server-wait is not taken.
        lambda: fail(error(429, RATE_LIMIT, headers={"retry-after": "30"}), 4, False),
        lambda: fail(error(429, {"message": "You exceeded your current quota, please check your "
                                            "plan and billing details.",
                                 "type": "insufficient_quota", "code": "insufficient_quota"}),
                     5, False),
        lambda: fail(error(500, SERVER_ERROR), 6, True),
        lambda: fail(error(500, dict(SERVER_ERROR, message="bad \u001b]0;pwned\u0007 \u001b[2J "
                                                           "news \u009b2J")), 6, True),
        lambda: fail(error(500, SERVER_ERROR, headers={"x-should-retry": "false"}), 6, False),
        lambda: fail({"status": rng.choice([502, 504]), "html": True}, 6, True),
        lambda: fail(error(503, {"message": "Slow Down", "code": "slow_down"}), 6, True),
        lambda: fail(error(408, {"message": "Request timed out.", "type": "server_error"}), 8,
                     True),
        lambda: fail(error(401, {"message": "Incorrect API key provided: sk-ab***wxyz.",
                                 "type": "invalid_request_error", "code": "invalid_api_key"}),
                     3, False),
        lambda: fail(error(403, {"message": "Country, region, or territory not supported",
                                 "type": "request_forbidden",
                                 "code": "unsupported_country_region_territory"}), 3, False),
        lambda: fail(error(rng.choice([400, 404, 413, 422]),
                           {"message": "Invalid value for 'temperature'.",
                            "type": "invalid_request_error", "param": "temperature"}), 9, False),
        lambda: fail(error(409, {"message": "Conflict", "type": "invalid_request_error"}), 9, True),
        # An error envelope in a 200.
        lambda: fail({"error": SERVER_ERROR}, 6, True),
        # The connection closed before any byte, politely or with a reset.
        lambda: fail({"hangup": True, "rst": rng.random() < 0.5}, 7, True),
        # A page that is neither JSON nor an event stream (a captive portal).
        lambda: fail({"body": "<html><head><title>Sign in</title></head><body>login</body></html>",
                      "content_type": "text/html"}, 6, False),
    ]
    if stream:
        cut = rng.randint(1, 3)
        kinds += [
            # Cut before any content: retried; after some: kept, not retried.
            lambda: fail({"drop_after": 0, "reply": reply}, 7, True),
            lambda: fail({"drop_after": cut, "reply": reply, "chunk_chars": chars}, 7, False,
                         reply[:cut * chars]),
            lambda: fail({"malformed": True, "reply": reply}, 6, False, reply),
            lambda: fail({"stream_error": SERVER_ERROR, "reply": reply}, 6, False, reply),
            # An error event before any content: retried. tchat stops reading at the
            # event, so the connection is not reused.
            lambda: fail({"data_error": SERVER_ERROR, "reply": ""}, 6, True,
                         keeps_connection=False),
            lambda: fail({"no_done": True, "reply": reply}, 7, False, reply),
        ]
        # Silence: each costs the idle timeout (1 s), so they are rare.
        if rng.random() < 0.15:
            kinds += [lambda: fail({"stall_after": 0, "reply": reply}, 8, True),
                      lambda: fail({"stall_after": cut, "reply": reply, "chunk_chars": chars}, 8,
                                   False, reply[:cut * chars])]
    else:
        kinds += [
            # Headers and half a body, then the connection closes: nothing was shown.
            lambda: fail({"drop_after": 1, "reply": reply}, 7, True),
            lambda: fail({"malformed": True, "reply": reply}, 6, False),
            lambda: ok({"no_done": True, "reply": reply}, reply),
        ]
    f = rng.choice(kinds)()
    if rng.random() < 0.2:
        f["step"]["delay_ms"] = rng.randint(1, 20)
    return f


def expect(plan):
    """Walks the attempts as the retry policy does: (exit code, requests, final outcome,
    number of failed attempts).

    One thing below the policy: libcurl sends a request again, once and unseen by tchat,
    when a connection kept open from the previous attempt closes without a byte of answer
    (it cannot tell a server that hung up on this request from one that closed an idle
    connection). Such an attempt costs two requests, and the second one's step is the
    answer tchat sees."""
    steps, max_retries = plan["outcomes"], plan["max_retries"]
    requests = 0
    reused = False
    for attempt in range(max_retries + 1):
        o = steps[min(requests, len(steps) - 1)]
        requests += 1
        if reused and o["step"].get("hangup"):
            o = steps[min(requests, len(steps) - 1)]
            requests += 1
        if o["ok"]:
            return 0, requests, o, attempt
        if not o["retried"] or attempt == max_retries:
            return o["code"], requests, o, attempt + 1
        reused = o["keeps_connection"]
    raise AssertionError("unreachable")


def make_plan(seed, count):
    rng = random.Random(seed)
    scenarios, runs = {}, []
    for i in range(count):
        stream = rng.random() < 0.7
        outcomes = [fault_palette(rng, stream) for _ in range(rng.randint(1, 4))]
        name = "c%d" % i
        scenarios[name] = [o["step"] for o in outcomes]
        runs.append({"name": name, "stream": stream, "outcomes": outcomes,
                     "max_retries": rng.choice([0, 1, 2, 3]), "json_errors": rng.random() < 0.5,
                     "prompt": words(rng, 1, 6)})
    return {"scenarios": scenarios}, runs


CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f]")


def clean_text(data, what):
    """The text of stdout or stderr, or why it is not clean."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, "%s is not valid UTF-8 (%s)" % (what, e)
    m = CONTROL.search(text)
    if m:
        return None, "%s holds control character U+%04X" % (what, ord(m.group()))
    return text, None


def check_json_errors(err, failed_attempts, code, final_ok):
    lines = [l for l in err.splitlines() if l.strip()]
    if len(lines) != failed_attempts:
        return "%d JSON errors on stderr, expected %d" % (len(lines), failed_attempts)
    for n, line in enumerate(lines):
        try:
            o = json.loads(line)
        except ValueError:
            return "stderr line %d is not JSON" % (n + 1)
        last = n == len(lines) - 1
        want_retry = not last or final_ok
        if o.get("will_retry") is not want_retry:
            return "JSON error %d: will_retry %s, expected %s" % (n + 1, o.get("will_retry"),
                                                                  want_retry)
        if not want_retry and o.get("exit_code") != code:
            return "JSON error %d: exit_code %s, expected %d" % (n + 1, o.get("exit_code"), code)
    return None


def check_run(run, code, out_bytes, err_bytes, logged):
    want_code, want_reqs, final, failed_attempts = expect(run)
    if code != want_code:
        return "exit %s, expected %d" % (code, want_code)
    mine = [r for r in logged if r.get("scenario") == run["name"]]
    if len(mine) != len(logged):
        return "the mock logged requests of other scenarios: %s" % sorted(
            {r.get("scenario") for r in logged} - {run["name"]})
    if len(mine) != want_reqs:
        return "%d requests, expected %d" % (len(mine), want_reqs)
    out, why = clean_text(out_bytes, "stdout")
    if why:
        return why
    err, why = clean_text(err_bytes, "stderr")
    if why:
        return why
    if "Sanitizer" in err or "runtime error:" in err:
        return "sanitizer report on stderr"
    if final["ok"]:
        text = final["text"]
        if text is None:
            text = "You said: " + run["prompt"]
        if final["exact"] and out != text + "\n":
            return "stdout %r, expected %r" % (out[:200], text + "\n")
        if not final["exact"] and text not in out:
            return "stdout %r does not hold %r" % (out[:200], text)
    else:
        partial = final["partial"]
        want = partial + "\n" if partial else ""
        if out != want:
            return "stdout %r, expected %r" % (out[:200], want)
    if run["json_errors"]:
        return check_json_errors(err, failed_attempts, want_code, final["ok"])
    if want_code != 0 and not err.strip():
        return "a failure with nothing on stderr"
    return None


def describe(run):
    def short(o):
        s = o["step"]
        for key in ("status", "hangup", "drop_after", "stall_after", "malformed", "stream_error",
                    "data_error", "no_done", "escapes", "invalid_utf8", "refusal", "body",
                    "error"):
            if key in s:
                v = s[key]
                return "%s=%s" % (key, v if isinstance(v, (int, bool)) else "…")
        return "ok"
    return "%s [%s] %s retries %d%s" % (run["name"], ", ".join(short(o) for o in run["outcomes"]),
                                        "stream" if run["stream"] else "no-stream",
                                        run["max_retries"],
                                        " json" if run["json_errors"] else "")


def read_new(log, offset):
    with open(log, "rb") as f:
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1
    lines = [json.loads(l) for l in data[:end].splitlines() if l.strip()]
    return [r for r in lines if r.get("path") == "/v1/chat/completions"], offset + end


def run_plan(d, tchat, url, log):
    with open(os.path.join(d, "plan.json")) as f:
        runs = json.load(f)
    passed = failed = 0
    offset = 0
    started = time.monotonic()
    for run in runs:
        args = [tchat, "--base-url", url, "-m", "mock-" + run["name"],
                "--max-retries", str(run["max_retries"])] + COMMON_FLAGS
        if not run["stream"]:
            args.append("--no-stream")
        if run["json_errors"]:
            args.append("--json-errors")
        args += ["-p", run["prompt"]]
        try:
            p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
            code, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            code, out, err = "hung (killed after 30 s)", e.stdout or b"", e.stderr or b""
        logged, offset = read_new(log, offset)
        why = check_run(run, code, out, err, logged)
        if why:
            failed += 1
            print("FAIL %s: %s" % (describe(run), why))
            print("  stdout: %r\n  stderr: %r" % (out[:300], err[:600]))
        else:
            passed += 1
            print("ok   %s: exit %s, %d requests" % (describe(run), code, len(logged)))
    print("%d runs in %.1f s" % (len(runs), time.monotonic() - started))
    with open(os.path.join(d, "counts"), "w") as f:
        f.write("%d %d\n" % (passed, failed))


def main(argv):
    if len(argv) == 5 and argv[1] == "plan":
        scenarios, runs = make_plan(int(argv[2]), int(argv[3]))
        with open(os.path.join(argv[4], "scenarios.json"), "w") as f:
            json.dump(scenarios, f, indent=1)
        with open(os.path.join(argv[4], "plan.json"), "w") as f:
            json.dump(runs, f)
        return 0
    if len(argv) == 6 and argv[1] == "run":
        run_plan(*argv[2:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
