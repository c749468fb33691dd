"""Helpers for the watchdog integration tests: a webhook receiver, a config writer,
a private stack, and a watchdog process under test."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import tomllib
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import procs

try:
    import ojtest
except (OSError, KeyError):  # no shared stack (the netns tests): Receiver and WatchdogProcess still work
    ojtest = None


class Receiver:
    """A webhook receiver on 127.0.0.1:<free port>. While `down`, it accepts a POST and
    hangs without answering (the worst kind of outage: a sender without a timeout
    would block); when it comes back it answers 200 and records the JSON body."""

    def __init__(self):
        self.messages = []  # (time received, parsed body)
        self.attempts_while_down = 0
        self.down = False
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if outer.down:
                    with outer.lock:
                        outer.attempts_while_down += 1
                    deadline = time.time() + 30
                    while outer.down and time.time() < deadline:
                        time.sleep(0.05)
                    self.close_connection = True
                    return  # no answer at all
                with outer.lock:
                    outer.messages.append((time.time(), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.down = False
        self.server.shutdown()
        self.server.server_close()

    def find(self, check, state, since):
        with self.lock:
            return [(t, m) for t, m in self.messages
                    if t >= since and m.get("check") == check and m.get("state") == state]

    def wait(self, check, state, since, timeout):
        """Waits for a (check, state) message received after `since`; returns its delay."""
        end = time.monotonic() + timeout
        while not self.find(check, state, since):
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout} s waiting for webhook message {check} {state}")
            time.sleep(0.05)
        return self.find(check, state, since)[0][0] - since


TEMPLATE = ('{"check": "{{check}}", "state": "{{state}}", "message": "{{message}}", '
            '"value": "{{value}}", "threshold": "{{threshold}}", "host": "{{host}}"}')


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(str(v))


def write_config(base_path, out_path, overrides):
    """Copies a stack's TOML config with overrides {section: {key: value}}."""
    with open(base_path, "rb") as f:
        cfg = tomllib.load(f)
    for section, kv in overrides.items():
        cfg.setdefault(section, {}).update(kv)
    with open(out_path, "w") as f:
        for section, kv in cfg.items():
            f.write(f"[{section}]\n")
            for k, v in kv.items():
                f.write(f"{k} = {toml_value(v)}\n")
            f.write("\n")
    os.chmod(out_path, 0o600)
    return out_path


class WatchdogProcess:
    """oj-watchdog --config PATH, logging to a file; stopped with SIGTERM."""

    def __init__(self, bin_dir, config, log_path, status_path):
        self.config = config
        self.status_path = status_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([os.path.join(bin_dir, "ops/watchdog/oj-watchdog"),
                                      "--config", config], stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)

    def status(self):
        try:
            with open(self.status_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class PrivateStack:
    """A whole stack of our own (ops/oj up --var DIR --free-ports), for faults that would
    break the shared one."""

    def __init__(self, var):
        self.var = var
        self.bin = ojtest.BIN
        # The judge sandbox's uid must reach VAR/judge; mkdtemp parents are 0700.
        os.chmod(os.path.dirname(os.path.abspath(var)), 0o755)

    def oj(self, *args, timeout=600):
        r = subprocess.run([os.path.join(ojtest.ROOT, "ops/oj"), *args, "--var", self.var],
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(f"ops/oj {' '.join(args)} failed: {r.stdout}\n{r.stderr}")
        return r.stdout

    def up(self):
        """ops/oj up; tolerates a component other than MariaDB, the pool and nginx failing
        to start (these tests stop the runner and the stack's watchdog anyway)."""
        try:
            return self.oj("up", "--free-ports", "--bin", self.bin)
        except AssertionError as e:
            if not self.healthy():
                raise
            print(f"note: {str(e).strip().splitlines()[-1]}; the serving stack is healthy")
            return ""

    def healthy(self):
        try:
            with open(self.config, "rb") as f:
                port = tomllib.load(f)["server"]["port"]
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            ok = c.getresponse().status == 200
            c.close()
            return ok
        except (OSError, KeyError, ValueError):
            return False

    def down(self):
        subprocess.run([os.path.join(ojtest.ROOT, "ops/oj"), "down", "--var", self.var, "--purge"],
                       capture_output=True, text=True, timeout=300)

    @property
    def config(self):
        return os.path.join(self.var, "oj.toml")

    def pidfile(self, name):
        return os.path.join(self.var, "run", name + ".pid")

    def pid(self, name):
        with open(self.pidfile(name)) as f:
            return int(f.read().strip())

    def stop_component(self, name, timeout=30):
        """Stops one daemon of the stack (and its supervisor, so it stays stopped), as
        ops/oj down does, and waits for it to exit."""
        run = os.path.join(self.var, "run")
        sup = os.path.join(run, name + ".sup.pid")
        if os.path.exists(sup):
            open(os.path.join(run, name + ".stop"), "w").close()
            self._stop_pidfile(sup, timeout)
        self._stop_pidfile(self.pidfile(name), timeout)
        try:
            os.unlink(os.path.join(run, name + ".stop"))
        except OSError:
            pass

    @staticmethod
    def _stop_pidfile(path, timeout):
        try:
            with open(path) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.time() + timeout
        while time.time() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.unlink(path)
        except OSError:
            pass

    def sql(self, query):
        r = subprocess.run(["mariadb", "--no-defaults", "--socket",
                            os.path.join(self.var, "run/mysqld.sock"), "-uroot", "-N", "-B", "oj",
                            "-e", query], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"sql failed: {query}: {r.stderr}")
        return [line.split("\t") for line in r.stdout.splitlines()]


_alive = procs.alive
children_of = procs.children_of


def write_pressure(dir_, resource, some, full=0.0):
    path = os.path.join(dir_, resource)
    with open(path + ".tmp", "w") as f:
        f.write(f"some avg10={some:.2f} avg60=0.00 avg300=0.00 total=0\n")
        if resource != "cpu":
            f.write(f"full avg10={full:.2f} avg60=0.00 avg300=0.00 total=0\n")
    os.replace(path + ".tmp", path)


class WatchdogTestCase(unittest.TestCase):
    """Base of the test classes that run a watchdog of their own: a temporary directory
    (cls.tmp) and whichever of a private stack (cls.stack), a webhook receiver
    (cls.receiver) and a watchdog process (cls.wd) the subclass's set_up_class creates.
    tearDownClass stops them, also after a set_up_class that failed halfway, then runs the
    subclass's tear_down_class and removes the directory. OJ_TEST_VERBOSE=1 prints the
    watchdog's log."""
    TMP_PREFIX = "oj-wd-"
    stack = wd = receiver = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix=cls.TMP_PREFIX)
        cls.stack = cls.wd = cls.receiver = None
        try:
            cls.set_up_class()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def set_up_class(cls):
        raise NotImplementedError

    @classmethod
    def tear_down_class(cls):
        """What the subclass set up besides the stack, the receiver and the watchdog."""

    @classmethod
    def start_watchdog(cls, bin_dir, config, status_path, cycles=3):
        """Starts cls.wd (log in cls.tmp/watchdog.log) and waits for `cycles` cycles."""
        cls.wd = WatchdogProcess(bin_dir, config, os.path.join(cls.tmp, "watchdog.log"), status_path)
        if cycles:
            ojtest.wait_for(lambda: (cls.wd.status() or {}).get("cycle", 0) >= cycles, timeout=60,
                            what=f"{cycles} watchdog cycles")
        return cls.wd

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.wd:
                cls.wd.stop()
            if cls.receiver:
                cls.receiver.close()
            if cls.stack:
                cls.stack.down()
            cls.tear_down_class()
        finally:
            log = os.path.join(cls.tmp, "watchdog.log")
            if os.environ.get("OJ_TEST_VERBOSE") and os.path.exists(log):
                with open(log, errors="replace") as f:
                    print(f.read())
            shutil.rmtree(cls.tmp, ignore_errors=True)
