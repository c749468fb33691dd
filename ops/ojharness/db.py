"""MariaDB with bind parameters, for the harness's own reads and fixtures.

Values never go into SQL text: a statement takes %s placeholders and a params tuple (or
%(name)s and a dict), and PyMySQL (Debian's python3-pymysql, ops/install-deps.sh) quotes each
value for the connection's character set; a list or tuple value is an IN list:
`query("SELECT id FROM submissions WHERE id IN %s", (ids,))`. With params, a literal %
in the statement is written %%.

Rows come back as the mariadb client prints them (every value text, as the server sends
it) except that NULL is None and nothing is escaped: [["1"]] for SELECT COUNT(*), a
DATETIME(6) as "2026-12-08 00:19:43.123456". A text of several statements runs them all (their
result rows follow each other). Each query() is one connection, autocommit, as the client
ran them: a test may restart the server between two. Session holds one open, for
transactions that other clients must meet.
"""
import sys
import threading

try:
    import pymysql
except ImportError:  # a Python of its own (pyenv, a venv) beside Debian's python3-pymysql
    sys.path.append("/usr/lib/python3/dist-packages")
    import pymysql
from pymysql import converters
from pymysql.constants import CLIENT

from ojharness import HarnessError

# Python values to SQL literals (PyMySQL's own encoders); no decoders: values stay text.
_ENCODERS = {k: v for k, v in converters.conversions.items() if not isinstance(k, int)}


class DatabaseError(HarnessError):
    """A statement failed, or the server could not be reached."""


def _text(v):
    return v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else v


def _execute(conn, sql, params):
    try:
        with conn.cursor() as c:
            c.execute(sql, params)
            rows = []
            while True:
                if c.description:
                    rows += [[_text(v) for v in r] for r in c.fetchall()]
                if not c.nextset():
                    return rows
    except pymysql.MySQLError as e:
        raise DatabaseError(f"sql failed: {sql}: {e}") from e


class Database:
    """Where a MariaDB listens (a unix socket, or host and port) and as whom to connect.
    The default account is the stack's root over its private socket, as ops/oj sets it up
    (socket authentication for the OS user that ran ops/oj up)."""

    def __init__(self, socket=None, *, host=None, port=3306, user="root", password="",
                 database="oj", ssl_ca=None, timeout=120):
        self.socket, self.host, self.port = socket, host, port
        self.user, self.password, self.database = user, password, database
        self.ssl_ca, self.timeout = ssl_ca, timeout

    def connect(self, read_timeout="default"):
        kw = dict(user=self.user, password=self.password, database=self.database or None,
                  charset="utf8mb4", conv=_ENCODERS, autocommit=True,
                  client_flag=CLIENT.MULTI_STATEMENTS, connect_timeout=10,
                  read_timeout=self.timeout if read_timeout == "default" else read_timeout,
                  write_timeout=self.timeout)
        if self.socket:
            kw["unix_socket"] = self.socket
        else:
            kw["host"], kw["port"] = self.host, self.port
        if self.ssl_ca:
            kw["ssl"] = {"ca": self.ssl_ca}
        try:
            return pymysql.connect(**kw)
        except pymysql.MySQLError as e:
            raise DatabaseError(f"cannot connect to MariaDB at {self.socket or self.host}: {e}") from e

    def query(self, sql, params=None):
        """Runs sql (one statement or several) with params; returns the rows."""
        conn = self.connect()
        try:
            return _execute(conn, sql, params)
        finally:
            conn.close()

    def value(self, sql, params=None):
        """The first column of the first row, or None when there is no row."""
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def session(self):
        return Session(self)


class Session:
    """One connection held open: a transaction that other clients' requests meet (row locks
    held across them). send() starts a statement without waiting for it (it may wait on a
    lock); answer() collects its rows. run() is both."""

    def __init__(self, db):
        self.conn = db.connect(read_timeout=None)
        self._thread = self._box = self._what = None
        self.id = int(self.run("SELECT CONNECTION_ID()")[0][0])

    def send(self, sql, params=None):
        if self._thread:
            raise DatabaseError(f"session {self.id}: {self._what!r} has not been answered yet")
        box = {}

        def work():
            try:
                box["rows"] = _execute(self.conn, sql, params)
            except BaseException as e:  # noqa: BLE001 - handed to answer()
                box["error"] = e
        self._box, self._what = box, sql
        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def answer(self, what=None, timeout=60):
        t = self._thread
        if t is None:
            raise DatabaseError(f"session {self.id}: nothing was sent")
        t.join(timeout)
        if t.is_alive():
            raise DatabaseError(f"mariadb did not answer within {timeout} s: {what or self._what}")
        self._thread = None
        if "error" in self._box:
            raise self._box["error"]
        return self._box["rows"]

    def run(self, sql, params=None, timeout=60):
        self.send(sql, params)
        return self.answer(sql, timeout)

    @property
    def closed(self):
        return not self.conn.open

    def close(self):
        """Ends the session; a transaction still open is rolled back by the server."""
        if self.conn.open:
            if self._thread and self._thread.is_alive():
                self.conn._force_close()  # a statement still waits: no polite goodbye
            else:
                self.conn.close()
