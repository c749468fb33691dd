"""Helpers for the results-page tests (test_results_*.py): submission rows written
straight into the database, as the judge runner would leave them, and a hold that
keeps a judge runner from claiming the test's queued rows."""
import os
import queue
import subprocess
import threading

import ojtest
from ojtest import sql


def student_id(token):
    return int(sql(f"SELECT id FROM students WHERE token = '{token}'")[0][0])


def module_id(course, module):
    return int(sql(f"SELECT m.id FROM modules m JOIN courses c ON c.id = m.course_id "
                   f"WHERE c.code = '{course}' AND m.code = '{module}'")[0][0])


def hex_text(s):
    """A UTF-8 string as an SQL literal that survives any bytes: CONVERT(X'..' USING utf8mb4)."""
    data = s.encode("utf-8") if isinstance(s, str) else s
    return f"CONVERT(X'{data.hex()}' USING utf8mb4)" if data else "''"


def insert_submission(token, course, module, status, age_s=0.0, *, verdict=None, score=None,
                      max_score=None, log=None, log_truncated=False, late=False, tests=(),
                      started_age_s=None, size=100):
    """Inserts one submission received age_s seconds ago (fractions kept); returns its id.
    tests: (name, passed, message) tuples."""
    sid = ojtest.unique("R").ljust(16, "x")[:16]
    sid = "".join(c if c.isalnum() else "x" for c in sid)
    received = f"UTC_TIMESTAMP(6) - INTERVAL {int(age_s * 1e6)} MICROSECOND"
    started = "NULL" if started_age_s is None else \
        f"UTC_TIMESTAMP(6) - INTERVAL {int(started_age_s * 1e6)} MICROSECOND"
    finished = "UTC_TIMESTAMP(6)" if status in ("done", "judge_error", "superseded",
                                                 "cancelled") else "NULL"
    q = lambda v: "NULL" if v is None else (f"'{v}'" if isinstance(v, str) else str(v))
    sql(f"INSERT INTO submissions (id, student_id, module_id, received_at, size_bytes, sha256, "
        f"storage_key, late, status, started_at, finished_at, verdict, score, max_score, log, "
        f"log_truncated) VALUES ('{sid}', {student_id(token)}, {module_id(course, module)}, "
        f"{received}, {size}, '{'ab' * 32}', 'test/{sid}', {int(late)}, '{status}', {started}, "
        f"{finished}, {q(verdict)}, {q(score)}, {q(max_score)}, "
        f"{'NULL' if log is None else hex_text(log)}, {int(log_truncated)})")
    for seq, (name, passed, message) in enumerate(tests, 1):
        sql(f"INSERT INTO test_results (submission_id, seq, name, passed, message) VALUES "
            f"('{sid}', {seq}, {hex_text(name)}, {int(passed)}, {hex_text(message)})")
    return sid


class QueueHold:
    """Holds row locks on the given queued submissions in an open transaction, so a
    judge runner's claim (FOR UPDATE SKIP LOCKED) passes them by while the page still
    reads them as queued. finish() runs final statements (e.g. cancelling the rows)
    and commits, releasing the locks."""

    def __init__(self):
        self.p = subprocess.Popen(
            ["mariadb", "--no-defaults", "--unbuffered", "--socket",
             os.path.join(ojtest.VAR, "run/mysqld.sock"), "-uroot", "-N", "-B", "oj"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.run("SET SESSION innodb_lock_wait_timeout = 10; BEGIN;")

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, statements, timeout=20):
        self.p.stdin.write(statements + "\nSELECT '__oj_done__';\n")
        self.p.stdin.flush()
        lines = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"mariadb did not answer: {statements}") from None
            if line is None:
                raise AssertionError(f"mariadb exited: {statements}: {''.join(lines)}")
            if line.strip() == "__oj_done__":
                return lines
            lines.append(line)

    def lock(self, *ids):
        ids_sql = ", ".join(f"'{i}'" for i in ids)
        self.run(f"SELECT id FROM submissions WHERE id IN ({ids_sql}) FOR UPDATE;")

    def finish(self, statements=""):
        if self.p.poll() is None:
            try:
                self.run(statements + "\nCOMMIT;")
            finally:
                self.p.stdin.close()
                self.p.wait(timeout=20)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()
