"""The integration tests' view of the stack under test, on the shared harness (ops/ojharness).

The ctest fixture `stack_up` starts the stack with `ops/oj up --var $OJ_VAR --free-ports`;
each test_*.py reads $OJ_VAR/demo.env. Tests share that one stack (ctest runs them
one at a time), so each test makes its own course/module/students with unique codes
instead of assuming an empty database.
"""
import os
import secrets
import sys
import unittest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "../../ops")))
from ojharness import stack as _stack  # noqa: E402
from ojharness import upload as _upload  # noqa: E402
from ojharness.db import DatabaseError  # noqa: E402,F401
from ojharness.stack import wait_for  # noqa: E402,F401

ROOT = os.environ.get("OJ_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
VAR = os.environ.get("OJ_VAR") or os.path.join(ROOT, "var")

STACK = _stack.Stack(VAR)
ENV = STACK.env
URL = STACK.url
BIN = STACK.bin
CONFIG = STACK.config
HOST, PORT = STACK.host, STACK.port


def unique(prefix):
    return prefix + secrets.token_hex(4)


def ojctl(*args, check=True):
    """Runs ojctl against the test stack; returns stdout."""
    return STACK.ojctl(*args, check=check, timeout=60)


def sql(query, params=None):
    """One statement (or several) as the stack's root over its private socket, values as
    bind parameters (ojharness.db); returns the rows."""
    return STACK.sql(query, params)


def session():
    """A database session of its own (ojharness.db.Session): for tests that hold a
    transaction open across other clients' requests."""
    return STACK.db.session()


def make_course(modules=("M1",), students=2, deadline="now+30d", opens="now-1d", extra=()):
    """Creates a fresh course with modules and students; returns (course, [tokens])."""
    course = unique("T")
    tokens = STACK.add_course(course, "Test course",
                              {m: ["--opens", opens, "--deadline", deadline, *extra] for m in modules},
                              [f"s{i:04d}" for i in range(students)])
    return course, tokens


def curl(*args, timeout=120):
    """Runs curl -s; returns (http_code, body, headers_text)."""
    return _upload.curl(*args, timeout=timeout)


def upload(path, token, course, module, headers=None):
    """Uploads the file at path (ojharness.upload); returns (status, body, headers_text)."""
    return _upload.upload(URL, token, course, module, path=path, headers=headers)


def get(path, headers=None):
    """GET path; returns (status, body bytes, {lower-case name: value})."""
    return _upload.get(URL, path, headers=headers)


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


def paused_runners():
    """The stack's judge runners held for a block (ojharness.stack: supervisors stopped,
    runners asked to exit) and started again after."""
    return STACK.paused_runners()


def paused_watchdog():
    """The stack's watchdog held for a block: for tests that count rows or files its
    canaries (any moment) would add, and for tests that run a watchdog of their own."""
    return STACK.paused_watchdog()
