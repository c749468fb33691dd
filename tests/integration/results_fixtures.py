"""Helpers for the results-page tests (test_results_*.py): submission rows written
straight into the database, as the judge runner would leave them, and a hold that
keeps a judge runner from claiming the test's queued rows. Values are bind parameters
(ojharness.db), so any text (markup, quotes, any UTF-8) reaches the row as it is."""
import ojtest
from ojtest import sql

FINISHED = ("done", "judge_error", "superseded", "cancelled")


def student_id(token):
    return int(sql("SELECT id FROM students WHERE token = %s", (token,))[0][0])


def module_id(course, module):
    return int(sql("SELECT m.id FROM modules m JOIN courses c ON c.id = m.course_id "
                   "WHERE c.code = %s AND m.code = %s", (course, module))[0][0])


def submission_sql(token, course, module, status, age_s=0.0, *, verdict=None, score=None,
                   max_score=None, log=None, log_truncated=False, late=False, tests=(),
                   started_age_s=None, size=100):
    """The statements that insert one submission received age_s seconds ago (fractions
    kept): returns (id, [(statement, params)]). tests: (name, passed, message) tuples."""
    sid = ojtest.unique("R").ljust(16, "x")[:16]
    sid = "".join(c if c.isalnum() else "x" for c in sid)
    ago = "UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND"
    statements = [(
        "INSERT INTO submissions (id, student_id, module_id, received_at, size_bytes, sha256, "
        "storage_key, late, status, started_at, finished_at, verdict, score, max_score, log, "
        f"log_truncated) VALUES (%s, %s, %s, {ago}, %s, %s, %s, %s, %s, "
        f"{'NULL' if started_age_s is None else ago}, "
        f"{'UTC_TIMESTAMP(6)' if status in FINISHED else 'NULL'}, %s, %s, %s, %s, %s)",
        (sid, student_id(token), module_id(course, module), int(age_s * 1e6), size, "ab" * 32,
         f"test/{sid}", int(late), status,
         *(() if started_age_s is None else (int(started_age_s * 1e6),)),
         verdict, score, max_score, log, int(log_truncated)))]
    for seq, (name, passed, message) in enumerate(tests, 1):
        statements.append((
            "INSERT INTO test_results (submission_id, seq, name, passed, message) "
            "VALUES (%s, %s, %s, %s, %s)", (sid, seq, name, int(passed), message)))
    return sid, statements


def insert_submission(token, course, module, status, age_s=0.0, **kw):
    """Inserts one submission (see submission_sql) and commits it; returns its id. Not for
    queued rows that must stay queued: a runner may claim them at once (QueueHold.insert_queued)."""
    sid, statements = submission_sql(token, course, module, status, age_s, **kw)
    for st, params in statements:
        sql(st, params)
    return sid


class QueueHold:
    """Holds row locks on queued submissions in an open transaction, so a judge
    runner's claim (FOR UPDATE SKIP LOCKED) passes them by while the page still reads
    them as queued. finish() runs final statements (e.g. cancelling the rows) and
    commits, releasing the locks."""

    def __init__(self):
        self.session = ojtest.session()
        self.run("SET SESSION innodb_lock_wait_timeout = 60")
        self.run("BEGIN")

    def run(self, statement, params=None, timeout=60):
        return self.session.run(statement, params, timeout)

    def insert_queued(self, token, course, module, age_s=0.0, **kw):
        """Inserts a queued submission that no runner can ever claim: the row is inserted
        in a second transaction, this hold queues for its lock while it is uncommitted,
        and InnoDB hands the lock over at the commit, before any other reader can take
        it. Returns the id."""
        sid, statements = submission_sql(token, course, module, "queued", age_s, **kw)
        inserter = ojtest.session()
        try:
            inserter.run("BEGIN")
            for st, params in statements:
                inserter.run(st, params)
            what = f"lock {sid}"
            self.session.send("SELECT id FROM submissions WHERE id = %s FOR UPDATE", (sid,))
            ojtest.wait_for(
                lambda: sql("SELECT trx_state FROM information_schema.INNODB_TRX WHERE "
                            "trx_mysql_thread_id = %s", (self.session.id,)) == [["LOCK WAIT"]],
                timeout=50, what=f"the hold waiting for the lock on {sid}")
            inserter.run("COMMIT")
            got = self.session.answer(what)
            if got != [[sid]]:
                raise AssertionError(f"the hold did not lock {sid}: {got}")
        finally:
            inserter.close()
        return sid

    def finish(self, statements=()):
        """Runs statements ([(statement, params)]) and commits."""
        if not self.session.closed:
            try:
                for st, params in statements:
                    self.run(st, params)
                self.run("COMMIT")
            finally:
                self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()
