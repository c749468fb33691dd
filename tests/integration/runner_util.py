"""Helpers for the judge runner's integration tests (test_runner_*.py)."""
import io
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import unittest

import ojtest
from ojharness.stack import stopped_runner, write_config

ID_RE = re.compile(r"Received ([A-Za-z0-9]{16})")
RUNNER = os.path.join(ojtest.BIN, "judge_runner/oj-runner")
RUN_DIR = os.path.join(ojtest.VAR, "run")
LOG_DIR = os.path.join(ojtest.VAR, "log")


def tar_bz2(files, path=None):
    """files: {name: bytes} (or TarInfo-producing callables); returns the archive path."""
    if path is None:
        fd, path = tempfile.mkstemp(suffix=".tar.bz2")
        os.close(fd)
    with tarfile.open(path, "w:bz2") as t:
        for name, data in files.items():
            if callable(data):
                data(t)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return path


def submit(path, token, course, module):
    code, body, _ = ojtest.upload(path, token, course, module)
    m = ID_RE.search(body)
    if code != 200 or not m:
        raise AssertionError(f"upload failed: {code} {body}")
    return m.group(1)


def row(sid):
    r = ojtest.sql("SELECT status, IFNULL(verdict,''), IFNULL(score,''), IFNULL(max_score,''), attempts, "
                   "IFNULL(runner_id,''), IFNULL(log,'') FROM submissions WHERE id = %s", (sid,))
    if not r:
        return None
    s = r[0]
    return {"status": s[0], "verdict": s[1], "score": s[2], "max_score": s[3], "attempts": int(s[4]),
            "runner_id": s[5], "log": s[6]}


def wait_done(sid, timeout=240):
    def done():
        r = row(sid)
        return r if r and r["status"] in ("done", "judge_error") else None
    return ojtest.wait_for(done, timeout=timeout, what=f"submission {sid} to be judged")


def tests_of(sid):
    return ojtest.sql("SELECT name, passed, IFNULL(message,'') FROM test_results WHERE submission_id = %s "
                      "ORDER BY seq", (sid,))


def runner_config(tmpdir, **runner_keys):
    """A copy of the stack's config with [runner] keys overridden; returns its path."""
    return write_config(ojtest.CONFIG, os.path.join(tmpdir, "oj.toml"), {"runner": runner_keys})


class RunnerProcess:
    """An extra oj-runner started by a test, logging to a file of its own."""

    def __init__(self, config, slot, log_path):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([RUNNER, "--config", config, "--slot", str(slot)], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def StackRunnerPaused():
    """Stops the stack's runner-1 (SIGTERM: it returns any job) and restarts it after
    (ojharness.stack.stopped_runner). Tests share the stack one at a time (ctest
    RESOURCE_LOCK), so stopping the stack's runner is safe."""
    return stopped_runner(ojtest.STACK, "runner-1", slot=1)


def lab1_course(students=1, supersede=True):
    extra = ("--judge-dir", "ICS2024/Lab1") + (() if supersede else ("--supersede", "off"))
    return ojtest.make_course(modules=("Lab1",), students=students, extra=extra)


def hostname():
    return os.uname().nodename


def runner_states():
    """{runner id: state} of every runner the database knows."""
    return dict(ojtest.sql("SELECT id, state FROM runners"))


def write_judge(parent, name, files):
    """A module judge directory parent/name with files {name: text}, readable by the sandbox."""
    judge = os.path.join(parent, name)
    os.mkdir(judge)
    for fname, text in files.items():
        with open(os.path.join(judge, fname), "w") as f:
            f.write(text)
    os.chmod(judge, 0o755)
    return judge


# A module judge that builds main.c and runs the naive test.py below (it follows links):
# after the program ran, it reads /submission/answer.txt and gives full marks if that is
# its secret. The protection must not depend on the judge's care.
GCC_JUDGE_TOML = """max_score = 100
[build]
command = ["gcc", "-O2", "-o", "main", "main.c"]
[test]
command = ["python3", "/judge/test.py"]
"""
READER_SECRET = "staff-only-" + os.urandom(6).hex()
READER_JUDGE = {"judge.toml": GCC_JUDGE_TOML, "secret.txt": READER_SECRET, "test.py": """\
import json, os, subprocess
subprocess.run([os.environ["OJ_RUN"], "./main"], timeout=10)
secret = open("/judge/secret.txt").read()
try:
    got = open("/submission/answer.txt").read()
except OSError as e:
    got = "unreadable: " + e.__class__.__name__
ok = got == secret
json.dump({"score": 100 if ok else 0, "max_score": 100,
           "tests": [{"name": "answer", "passed": ok, "message": "read: " + got}]},
          open(os.environ["OJ_RESULT"], "w"))
"""}


class HostileUploads(unittest.TestCase):
    """Base of the tests that send one hostile upload per case (a submission must never stop grading): a course with the
    stock Lab1 and the modules of JUDGES ({module: {file: text}}, judges written to a
    temporary directory), two students (the first attacks, the second is the control)."""
    JUDGES = {}
    HELLO = b'#include <stdio.h>\nint main(void) { puts("Hello, OJ!"); return 0; }\n'

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="oj-hostile-")
        os.chmod(cls.tmp, 0o755)  # the sandbox uid reads the judges below
        cls.course, cls.tokens = lab1_course(students=2, supersede=False)
        for module, files in cls.JUDGES.items():
            judge = write_judge(cls.tmp, module.lower(), files)
            ojtest.ojctl("module", "add", cls.course, module, "--opens", "now-1d", "--deadline", "now+30d",
                         "--judge-dir", judge, "--supersede", "off")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def judge_archive(self, path, module="Lab1"):
        """Submits the archive at path as the first student; returns (id, final row)."""
        try:
            sid = submit(path, self.tokens[0], self.course, module)
        finally:
            os.unlink(path)
        return sid, wait_done(sid, timeout=300)

    def assertVerdict(self, row, verdict):
        self.assertEqual((row["status"], row["verdict"]), ("done", verdict), row["log"][-3000:])
        self.assertEqual(row["attempts"], 0, "judged more than once")

    def assertGradingGoesOn(self):
        """The next ordinary upload of another student is judged; no runner is disabled."""
        path = tar_bz2({"main.c": self.HELLO})
        try:
            sid = submit(path, self.tokens[1], self.course, "Lab1")
        finally:
            os.unlink(path)
        row = wait_done(sid, timeout=120)
        self.assertEqual((row["status"], row["verdict"]), ("done", "accepted"), row["log"][-2000:])
        states = runner_states()
        self.assertNotIn("disabled", states.values(), states)

    def message(self, sid):
        return " ".join(t[2] for t in tests_of(sid))
