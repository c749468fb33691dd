"""PA1 judge: runs ./expr on the ten cases in /judge/tests and writes $OJ_RESULT."""
import json
import os
import signal
import subprocess

TESTS = "/judge/tests"
# The student's program runs through oj-run: a nested sandbox without /judge and /out.
# Its exit status is a shell's: 128+N when signal N ended the program.
RUN = os.environ["OJ_RUN"]
result = {"score": 0, "max_score": 100, "tests": []}
names = sorted(n[:-3] for n in os.listdir(TESTS) if n.endswith(".in"))
for name in names:
    with open(os.path.join(TESTS, name + ".in"), "rb") as f:
        given = f.read()
    with open(os.path.join(TESTS, name + ".out"), "rb") as f:
        want = f.read().strip()
    try:
        with open("/tmp/out", "wb") as out:
            p = subprocess.run([RUN, "./expr"], input=given, stdout=out, stderr=subprocess.DEVNULL, timeout=2)
        with open("/tmp/out", "rb") as out:
            got = out.read(4096).strip()
        if p.returncode > 128:
            passed, msg = False, "killed by " + signal.Signals(p.returncode - 128).name
        elif got == want:
            passed, msg = True, "ok"
        else:
            passed = False
            msg = "expected %s, got %s" % (want.decode(errors="replace"), got[:80].decode(errors="replace"))
    except subprocess.TimeoutExpired:
        passed, msg = False, "time limit (2 s)"
    result["tests"].append({"name": name, "passed": passed, "message": msg})
    result["score"] += 10 if passed else 0
with open(os.environ.get("OJ_RESULT", "/out/result.json"), "w") as f:
    json.dump(result, f)
print("PA1: %d/100" % result["score"])
