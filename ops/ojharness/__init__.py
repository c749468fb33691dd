"""What the tests (tests/), the load tools (ops/loadtest/) and the benchmarks (ops/bench/)
share, written once:

  stack    a running stack (its demo.env), ojctl and ops/oj, private stacks, the stack's
           runners and watchdog held for a block, daemons restarted through their supervisors
  db       MariaDB with bind parameters (PyMySQL, Debian's python3-pymysql): one-off
           queries and sessions that hold a transaction open
  upload   the HTTP client side: the one multipart upload client, GET, curl for raw requests
  webhook  the one webhook receiver (the watchdog's alerts)
  procs    processes as /proc shows them

Operators run ops/loadtest and ops/bench without the tests, so the package lives in ops/;
a script puts ops/ first on sys.path and imports `ojharness.<module>`. Nothing here reaches past loopback and the stack's own sockets.
"""
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


class HarnessError(AssertionError):
    """A command, query or request the harness ran did not do what it was asked. An
    AssertionError, so a test that meets one reports a failure, not an error."""
