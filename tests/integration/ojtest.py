"""Shared helpers for integration tests against a real stack.

The ctest fixture `stack_up` starts the stack with `ops/oj up --var $OJ_VAR --free-ports`;
each test_*.py reads $OJ_VAR/demo.env. Tests share that one stack (ctest runs them
one at a time), so each test makes its own course/module/students with unique codes
instead of assuming an empty database.
"""
import http.client
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

import procs

ROOT = os.environ.get("OJ_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
VAR = os.environ.get("OJ_VAR") or os.path.join(ROOT, "var")


def load_env():
    env = {}
    with open(os.path.join(VAR, "demo.env")) as f:
        for line in f:
            line = line.strip()
            if line and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


ENV = load_env()
URL = ENV["OJ_URL"]
BIN = os.environ.get("OJ_BIN") or ENV.get("OJ_BIN")
CONFIG = ENV["OJ_CONFIG"]
HOST, PORT = urllib.parse.urlsplit(URL).hostname, urllib.parse.urlsplit(URL).port


def unique(prefix):
    return prefix + secrets.token_hex(4)


def ojctl(*args, check=True):
    """Runs ojctl against the test stack; returns stdout."""
    r = subprocess.run([os.path.join(BIN, "ops/ojctl/ojctl"), "--config", CONFIG, *args],
                       capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"ojctl {' '.join(args)} failed: {r.stderr}")
    return r.stdout


def sql(query):
    """Runs one SQL statement as the stack's root over its private socket; returns rows."""
    r = subprocess.run(["mariadb", "--no-defaults", "--socket", os.path.join(VAR, "run/mysqld.sock"),
                        "-uroot", "-N", "-B", "oj", "-e", query],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"sql failed: {query}: {r.stderr}")
    return [line.split("\t") for line in r.stdout.splitlines()]


class SqlSession:
    """One mariadb client session (the stack's root over its private socket), fed statements
    on stdin: for tests that hold a transaction open across other clients' requests."""

    def __init__(self):
        self.p = subprocess.Popen(
            ["mariadb", "--no-defaults", "--unbuffered", "--socket",
             os.path.join(VAR, "run/mysqld.sock"), "-uroot", "-N", "-B", "oj"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        with self.p.stdout:
            for line in self.p.stdout:
                self.lines.put(line)
        self.lines.put(None)

    def send(self, statements):
        """Sends statements without waiting for them; answer() collects the output."""
        self.p.stdin.write(statements + "\nSELECT '__oj_done__';\n")
        self.p.stdin.flush()

    def answer(self, what, timeout=60):
        lines = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"mariadb did not answer: {what}") from None
            if line is None:
                raise AssertionError(f"mariadb exited: {what}: {''.join(lines)}")
            if line.strip() == "__oj_done__":
                return lines
            lines.append(line)

    def run(self, statements, timeout=60):
        self.send(statements)
        return self.answer(statements, timeout)

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.p.wait(timeout=20)


def make_course(modules=("M1",), students=2, deadline="now+30d", opens="now-1d", extra=()):
    """Creates a fresh course with modules and students; returns (course, [tokens])."""
    course = unique("T")
    ojctl("course", "add", course, "--title", "Test course")
    for m in modules:
        ojctl("module", "add", course, m, "--opens", opens, "--deadline", deadline, *extra)
    tokens = [ojctl("student", "add", course, f"s{i:04d}").strip() for i in range(students)]
    return course, tokens


def curl(*args, timeout=120):
    """Runs curl -s; returns (http_code, body, headers_text)."""
    hdr = subprocess.run(["mktemp"], capture_output=True, text=True).stdout.strip()
    try:
        r = subprocess.run(["curl", "-s", "--max-time", str(timeout), "-D", hdr, "-w", "|%{http_code}",
                            *args], capture_output=True, timeout=timeout + 10)
        out = r.stdout.decode("utf-8", "replace")
        body, code = out.rsplit("|", 1)
        with open(hdr) as f:
            headers = f.read()
        return int(code), body, headers
    finally:
        os.unlink(hdr)


def upload(path, token, course, module, extra=()):
    return curl("-F", f"token={token}", "-F", f"course={course}", "-F", f"module={module}",
                "-F", f"file=@{path}", *extra, f"{URL}/upload")


def get(path, headers=None):
    c = http.client.HTTPConnection(HOST, PORT, timeout=30)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body, dict((k.lower(), v) for k, v in r.getheaders())


def wait_for(predicate, timeout=60, what="condition"):
    """Polls predicate (a state check, not a sleep-for-time) until true or timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def write_random(path, nbytes):
    with open(path, "wb") as f:
        left = nbytes
        while left:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n
    return path


def main():
    unittest.main(argv=[sys.argv[0], "-v"])


class paused_runners:
    """Stops the stack's judge runners cleanly for a block and starts them again.

    SIGSTOP would freeze a runner possibly inside its claim transaction, holding row
    locks that the upload path then waits on; instead the supervisor is held and the
    runner is asked to exit (SIGTERM: it returns its job and leaves no transaction)."""

    def __enter__(self):
        import signal
        self.sups = []
        run = os.path.join(VAR, "run")
        for f in sorted(os.listdir(run)):
            if not (f.startswith("runner-") and f.endswith(".sup.pid")):
                continue
            name = f[: -len(".sup.pid")]
            try:
                with open(os.path.join(run, f)) as fh:
                    sup = int(fh.read())
            except (OSError, ValueError):
                continue
            os.kill(sup, signal.SIGSTOP)
            self.sups.append(sup)
            _stop_children(sup, f"{name} to exit")
        return self

    def __exit__(self, *exc):
        import signal
        for sup in self.sups:
            try:
                os.kill(sup, signal.SIGCONT)
            except ProcessLookupError:
                pass
        return False


class paused_watchdog:
    """Holds the stack's watchdog for a block (its supervisor stopped, the daemon asked to
    exit) and lets the supervisor start it again after: for tests that count rows or files
    the watchdog's canaries (at any moment) would add, and for tests that run a
    watchdog of their own."""

    def __enter__(self):
        import signal
        run = os.path.join(VAR, "run")
        self.sup = None
        try:
            with open(os.path.join(run, "watchdog.sup.pid")) as f:
                self.sup = int(f.read())
            os.kill(self.sup, signal.SIGSTOP)
        except (OSError, ValueError):
            self.sup = None
            return self
        _stop_children(self.sup, "the stack's watchdog to exit")
        return self

    def __exit__(self, *exc):
        import signal
        if self.sup:
            try:
                os.kill(self.sup, signal.SIGCONT)
            except ProcessLookupError:
                pass
        return False


def _stop_children(sup, what):
    """SIGTERMs what a (stopped) supervisor runs and waits for it to exit: its children, not
    the pid in run/NAME.pid, which a supervisor that has just restarted its daemon may not
    have written yet (and during its restart back-off names a daemon already gone)."""
    import signal
    for pid in procs.children_of(sup):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        wait_for(lambda: _gone(pid), timeout=120, what=what)


def _gone(pid):
    return not procs.alive(pid)
