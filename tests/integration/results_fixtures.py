"""Helpers for the results-page tests (test_results_*.py): submission rows written
straight into the database, as the judge runner would leave them, and a hold that
keeps a judge runner from claiming the test's queued rows."""
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


def submission_sql(token, course, module, status, age_s=0.0, *, verdict=None, score=None,
                   max_score=None, log=None, log_truncated=False, late=False, tests=(),
                   started_age_s=None, size=100):
    """The statements that insert one submission received age_s seconds ago (fractions
    kept): returns (id, [statements]). tests: (name, passed, message) tuples."""
    sid = ojtest.unique("R").ljust(16, "x")[:16]
    sid = "".join(c if c.isalnum() else "x" for c in sid)
    received = f"UTC_TIMESTAMP(6) - INTERVAL {int(age_s * 1e6)} MICROSECOND"
    started = "NULL" if started_age_s is None else \
        f"UTC_TIMESTAMP(6) - INTERVAL {int(started_age_s * 1e6)} MICROSECOND"
    finished = "UTC_TIMESTAMP(6)" if status in ("done", "judge_error", "superseded",
                                                 "cancelled") else "NULL"
    q = lambda v: "NULL" if v is None else (f"'{v}'" if isinstance(v, str) else str(v))
    statements = [
        f"INSERT INTO submissions (id, student_id, module_id, received_at, size_bytes, sha256, "
        f"storage_key, late, status, started_at, finished_at, verdict, score, max_score, log, "
        f"log_truncated) VALUES ('{sid}', {student_id(token)}, {module_id(course, module)}, "
        f"{received}, {size}, '{'ab' * 32}', 'test/{sid}', {int(late)}, '{status}', {started}, "
        f"{finished}, {q(verdict)}, {q(score)}, {q(max_score)}, "
        f"{'NULL' if log is None else hex_text(log)}, {int(log_truncated)})"]
    for seq, (name, passed, message) in enumerate(tests, 1):
        statements.append(
            f"INSERT INTO test_results (submission_id, seq, name, passed, message) VALUES "
            f"('{sid}', {seq}, {hex_text(name)}, {int(passed)}, {hex_text(message)})")
    return sid, statements


def insert_submission(token, course, module, status, age_s=0.0, **kw):
    """Inserts one submission (see submission_sql) and commits it; returns its id. Not for
    queued rows that must stay queued: a runner may claim them at once (QueueHold.insert_queued)."""
    sid, statements = submission_sql(token, course, module, status, age_s, **kw)
    for st in statements:
        sql(st)
    return sid


class QueueHold:
    """Holds row locks on queued submissions in an open transaction, so a judge
    runner's claim (FOR UPDATE SKIP LOCKED) passes them by while the page still reads
    them as queued. finish() runs final statements (e.g. cancelling the rows) and
    commits, releasing the locks."""

    def __init__(self):
        self.session = ojtest.SqlSession()
        self.connection_id = self.session.run("SELECT CONNECTION_ID();")[0].strip()
        self.run("SET SESSION innodb_lock_wait_timeout = 60; BEGIN;")

    def run(self, statements, timeout=60):
        return self.session.run(statements, timeout)

    def insert_queued(self, token, course, module, age_s=0.0, **kw):
        """Inserts a queued submission that no runner can ever claim: the row is inserted
        in a second transaction, this hold queues for its lock while it is uncommitted,
        and InnoDB hands the lock over at the commit, before any other reader can take
        it. Returns the id."""
        sid, statements = submission_sql(token, course, module, "queued", age_s, **kw)
        inserter = ojtest.SqlSession()
        try:
            inserter.run("BEGIN; " + "; ".join(statements) + ";")
            what = f"lock {sid}"
            self.session.send(f"SELECT id FROM submissions WHERE id = '{sid}' FOR UPDATE;")
            ojtest.wait_for(
                lambda: sql("SELECT trx_state FROM information_schema.INNODB_TRX WHERE "
                            f"trx_mysql_thread_id = {self.connection_id}") == [["LOCK WAIT"]],
                timeout=50, what=f"the hold waiting for the lock on {sid}")
            inserter.run("COMMIT;")
            got = self.session.answer(what)
            if [line.strip() for line in got] != [sid]:
                raise AssertionError(f"the hold did not lock {sid}: {got}")
        finally:
            inserter.close()
        return sid

    def finish(self, statements=""):
        if self.session.p.poll() is None:
            try:
                self.run(statements + "\nCOMMIT;")
            finally:
                self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()
