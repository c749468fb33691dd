"""PA1 judge: runs ./expr on each case in /judge/tests (NN.in -> NN.out) and writes result.json.

A model for a course's own judges (docs/runner.md, "Writing a judge"). What it relies on
and what it never does:
- the student's program runs only through $OJ_RUN (a nested sandbox without /judge and
  /out), with a timeout; its exit status is a shell's (128+N: signal N), any value 0-255;
- its output goes to a file of the judge's own (/tmp), is read with a cap and decoded with
  replacement: any bytes are fine;
- files the program leaves in /submission are regular files (oj-run removes links), and
  are opened without following links anyway;
- result.json is written last, to a temporary name, then renamed: a judge that crashes
  midway leaves none, which the runner reports as the judge's failure, not the student's.
"""
import json
import os
import signal
import subprocess
import time

TESTS = "/judge/tests"
RUN = os.environ["OJ_RUN"]
RESULT = os.environ.get("OJ_RESULT", "/out/result.json")
OUT = "/tmp/out"  # the judge's scratch; the program's stdout is written here
PER_TEST_S = 2
OUTPUT_CAP = 64 << 10


def describe(rc):
    """(verdict or None, message) for a shell-style exit status."""
    if rc == 0:
        return None, ""
    if rc == 128 + signal.SIGXFSZ:
        return "output_limit", "output exceeds the file size limit"
    if rc > 128:
        try:
            name = signal.Signals(rc - 128).name
        except ValueError:
            return "runtime_error", "exit code %d" % rc  # not a named signal: a plain exit code
        return "runtime_error", "killed by " + name
    return "runtime_error", "exit code %d" % rc


def run(program, given):
    """Runs the program on the given bytes; returns (verdict or None, message, output text)."""
    with open(OUT, "wb") as out:
        try:
            p = subprocess.run([RUN, program], input=given, stdout=out, stderr=subprocess.DEVNULL,
                               timeout=PER_TEST_S)
        except subprocess.TimeoutExpired:
            return "time_limit", "time limit (%d s)" % PER_TEST_S, ""
    with open(OUT, "rb") as f:
        text = f.read(OUTPUT_CAP).decode("utf-8", "replace")
    verdict, msg = describe(p.returncode)
    return verdict, msg, text


def main():
    result = {"score": 0, "max_score": 100, "tests": []}
    names = sorted(n[:-3] for n in os.listdir(TESTS) if n.endswith(".in"))
    worst = None
    for name in names:
        with open(os.path.join(TESTS, name + ".in"), "rb") as f:
            given = f.read()
        with open(os.path.join(TESTS, name + ".out"), "rb") as f:
            want = f.read().decode().strip()
        started = time.monotonic()
        verdict, msg, got = run("./expr", given)
        elapsed_ms = int((time.monotonic() - started) * 1000)
        passed = verdict is None and got.strip() == want
        if verdict is None and not passed:
            msg = "expected %s, got %s" % (want, got.strip()[:80])
        worst = worst or verdict
        worth = 100 // len(names)
        # Per test: its points and the wall time the judge saw (the sandbox start included).
        result["tests"].append({"name": name, "passed": passed, "message": msg if not passed else "ok",
                                "score": worth if passed else 0, "max_score": worth,
                                "time_ms": elapsed_ms})
        result["score"] += worth if passed else 0
    if worst and result["score"] == 0:
        result["verdict"] = worst
    tmp = RESULT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.rename(tmp, RESULT)
    print("PA1: %d/100" % result["score"])


if __name__ == "__main__":
    main()
