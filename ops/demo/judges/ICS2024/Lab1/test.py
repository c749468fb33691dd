"""Lab1 judge: ./main must print "Hello, OJ!". Names the failure when it is not."""
import json
import os
import signal
import subprocess

# The student's program runs through oj-run: a nested sandbox without /judge and /out.
# Its exit status is a shell's: 128+N when signal N ended the program.
RUN = os.environ["OJ_RUN"]
result = {"score": 0, "max_score": 100, "tests": []}
verdict, msg = None, ""
try:
    with open("/tmp/out", "wb") as out:
        p = subprocess.run([RUN, "./main"], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                           timeout=5)
    rc = p.returncode
except subprocess.TimeoutExpired:
    rc, verdict, msg = None, "time_limit", "time limit (5 s)"
try:
    with open("/tmp/out", "rb") as out:
        text = out.read(2000).decode(errors="replace")
except OSError:
    text = ""
if rc is not None:
    if rc == 128 + signal.SIGXFSZ:
        verdict, msg = "output_limit", "output exceeds the file size limit"
    elif rc > 128:
        verdict, msg = "runtime_error", "killed by " + signal.Signals(rc - 128).name
    elif rc != 0:
        verdict, msg = "runtime_error", "exit code %d" % rc
passed = verdict is None and text.strip() == "Hello, OJ!"
if not passed and verdict is None:
    msg = "expected 'Hello, OJ!'"
if passed:
    result["score"] = 100
    msg = "ok"
result["tests"].append({"name": "hello", "passed": passed, "message": msg + "; output: " + text[:1000]})
if verdict:
    result["verdict"] = verdict
with open(os.environ.get("OJ_RESULT", "/out/result.json"), "w") as f:
    json.dump(result, f)
print("Lab1: %d/100 %s" % (result["score"], verdict or ""))
