"""Helpers for the watchdog integration tests: a watchdog process under test and the base
of their test classes, on the shared harness (ops/ojharness: the webhook receiver, the
config writer, the private stack)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib  # noqa: F401 - test_outages reads the private stack's config with it
import unittest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "../../ops")))
from ojharness import stack, webhook  # noqa: E402

try:
    import ojtest
except (OSError, KeyError):  # no shared stack (the netns tests): Receiver and WatchdogProcess still work
    ojtest = None


Receiver = webhook.Receiver
TEMPLATE = webhook.TEMPLATE
write_config = stack.write_config


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


def PrivateStack(var):
    """A whole stack of our own (ojharness.stack.PrivateStack in var), for faults that would
    break the shared one; up() tolerates a component other than MariaDB, the pool and
    nginx failing to start (these tests stop the runner and the stack's watchdog anyway)."""
    return stack.PrivateStack(ojtest.BIN, var, tolerant=True)


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
