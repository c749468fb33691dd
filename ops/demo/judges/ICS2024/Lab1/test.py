"""Lab1 judge: ./main must print "Hello, OJ!"; names the failure when it does not.

Built like the PA1 judge (its docstring lists what a judge relies on and never does): the
program runs through $OJ_RUN with a timeout, any exit status 0-255 and any output bytes are
handled, and result.json is written last under a temporary name.
"""
import json
import os
import signal
import subprocess

RUN = os.environ["OJ_RUN"]
RESULT = os.environ.get("OJ_RESULT", "/out/result.json")
OUT = "/tmp/out"
TIMEOUT_S = 5


def exit_status(rc):
    """(verdict or None, message) for a shell-style exit status."""
    if rc == 128 + signal.SIGXFSZ:
        return "output_limit", "output exceeds the file size limit"
    if rc > 128:
        try:
            return "runtime_error", "killed by " + signal.Signals(rc - 128).name
        except ValueError:  # not a named signal (realtime, or over 64): a plain exit code
            pass
    if rc != 0:
        return "runtime_error", "exit code %d" % rc
    return None, ""


def main():
    verdict, msg, text = None, "", ""
    with open(OUT, "wb") as out:
        try:
            p = subprocess.run([RUN, "./main"], stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
            verdict, msg = exit_status(p.returncode)
        except subprocess.TimeoutExpired:
            verdict, msg = "time_limit", "time limit (%d s)" % TIMEOUT_S
    with open(OUT, "rb") as f:
        text = f.read(2000).decode("utf-8", "replace")
    passed = verdict is None and text.strip() == "Hello, OJ!"
    if verdict is None and not passed:
        msg = "expected 'Hello, OJ!'"
    result = {"score": 100 if passed else 0, "max_score": 100,
              "tests": [{"name": "hello", "passed": passed,
                         "message": ("ok" if passed else msg) + "; output: " + text[:1000]}]}
    if verdict:
        result["verdict"] = verdict
    tmp = RESULT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.rename(tmp, RESULT)
    print("Lab1: %d/100 %s" % (result["score"], verdict or ""))


if __name__ == "__main__":
    main()
