"""ojctl against the real database: every subcommand, its errors and its audit trail.

Each test makes its own course; nothing assumes an empty database. Submissions are
real uploads through nginx; where a test needs a judged state (done with a score) it
waits for the runner to finish with the row and then sets the result in SQL.
"""
import csv
import hashlib
import secrets
import io
import json
import os
import subprocess
import tempfile
import time
import unittest

import ojtest
from ojtest import sql

OJCTL = os.path.join(ojtest.BIN, "ops/ojctl/ojctl")


def run(*args):
    """Runs ojctl; returns (exit code, stdout, stderr) without raising."""
    r = subprocess.run([OJCTL, "--config", ojtest.CONFIG, *args], capture_output=True, text=True,
                       timeout=120)
    return r.returncode, r.stdout, r.stderr


def jctl(*args):
    return json.loads(ojtest.ojctl("--json", *args))


def audit_count(action, target):
    return int(sql("SELECT COUNT(*) FROM audit_log WHERE action = %s AND target = %s", (action, target))[0][0])


def write_roster(rows, header="student_no,name"):
    f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
    f.write(header + "\n")
    for r in rows:
        f.write(r + "\n")
    f.close()
    return f.name


def upload_bytes(token, course, module, data=None):
    with tempfile.NamedTemporaryFile(suffix=".tar.bz2", delete=False) as f:
        f.write(data if data is not None else os.urandom(256))
    try:
        code, body, _ = ojtest.upload(f.name, token, course, module)
    finally:
        os.unlink(f.name)
    assert code == 200, (code, body)
    return body.split("Received ")[1].split()[0]


def status_of(sid):
    return sql("SELECT status FROM submissions WHERE id = %s", (sid,))[0][0]


def settle(sid):
    """Waits until the runner is done with a submission (it is neither queued nor running)."""
    return ojtest.wait_for(lambda: status_of(sid) not in ("queued", "running") and status_of(sid),
                           timeout=120, what=f"{sid} to leave the queue")


def set_result(sid, score, late=0, max_score=100):
    sql("UPDATE submissions SET status = 'done', verdict = 'partial', score = %s, "
        "max_score = %s, late = %s, runner_id = NULL, lease_until = NULL "
        "WHERE id = %s", (score, max_score, late, sid))


class CourseAndModule(unittest.TestCase):
    def test_course_add_list_json_and_bad_code(self):
        course = ojtest.unique("OC")
        ojtest.ojctl("course", "add", course, "--title", "Ops course")
        self.assertIn(course, ojtest.ojctl("course", "list"))
        self.assertIn({"code": course, "title": "Ops course"}, jctl("course", "list"))
        self.assertEqual(audit_count("course.add", course), 1)
        rc, _, err = run("course", "add", "bad code!")
        self.assertEqual(rc, 2)
        self.assertIn("must be 1-32", err)

    def test_module_add_set_close_open(self):
        course, tokens = ojtest.make_course(modules=("M1",), students=1)
        out = ojtest.ojctl("module", "list", course)
        self.assertTrue(any(line.startswith("M1 ") for line in out.splitlines()), out)
        # Time zones: the same instant written in two zones.
        ojtest.ojctl("module", "set", course, "M1", "--deadline", "2030-01-01 08:00+08:00",
                     "--late-until", "2030-01-02T00:00Z", "--size-limit", "1M", "--supersede", "off",
                     "--judge-dir", "X/Y", "--title", "Renamed")
        row = sql("SELECT m.deadline, m.late_until, m.size_limit_bytes, m.supersede, m.judge_dir, m.title "
                  "FROM modules m JOIN courses c ON c.id = m.course_id WHERE c.code = %s", (course,))[0]
        self.assertEqual(row[0], "2030-01-01 00:00:00.000000")
        self.assertEqual(row[1], "2030-01-02 00:00:00.000000")
        self.assertEqual(row[2:], ["1048576", "0", "X/Y", "Renamed"])
        [m] = jctl("module", "list", course)
        self.assertEqual((m["state"], m["supersede"], m["size_limit_bytes"]), ("open", False, 1048576))
        self.assertEqual(audit_count("module.set", f"{course}/M1"), 1)

        ojtest.ojctl("module", "set", course, "M1", "--close-now")
        self.assertEqual(jctl("module", "list", course)[0]["state"], "closed")
        with tempfile.NamedTemporaryFile(suffix=".tar.bz2") as f:
            f.write(b"x" * 10)
            f.flush()
            code, body, _ = ojtest.upload(f.name, tokens[0], course, "M1")
        self.assertEqual(code, 403)
        self.assertIn("M1 is closed since", body)
        self.assertEqual(audit_count("module.close", f"{course}/M1"), 1)
        ojtest.ojctl("module", "set", course, "M1", "--open")
        self.assertEqual(jctl("module", "list", course)[0]["state"], "open")
        upload_bytes(tokens[0], course, "M1")

    def test_module_errors(self):
        course, _ = ojtest.make_course(modules=("M1",), students=0)
        rc, _, err = run("module", "set", course, "Nope", "--close-now")
        self.assertEqual(rc, 3)
        self.assertIn("no module 'Nope'", err)
        rc, _, err = run("module", "set", course, "M1")
        self.assertEqual(rc, 2)
        self.assertIn("nothing to change", err)
        rc, _, err = run("module", "set", course, "M1", "--deadline", "next friday")
        self.assertEqual(rc, 2)
        self.assertIn("--deadline", err)
        rc, _, err = run("module", "set", course, "M1", "--deadline", "2000-01-01 00:00")
        self.assertEqual(rc, 2)
        self.assertIn("before the opening", err)
        rc, _, err = run("module", "set", course, "M1", "--close-now", "--open")
        self.assertNotEqual(rc, 0)
        rc, _, err = run("module", "add", "NoSuchCourse" + course, "M1", "--deadline", "now+1d")
        self.assertEqual(rc, 3)
        rc, _, err = run("module", "list", "NoSuchCourse" + course)
        self.assertEqual(rc, 3)


class Roster(unittest.TestCase):
    def test_500_students_fast_and_idempotent(self):
        course, _ = ojtest.make_course(modules=(), students=0)
        path = write_roster([f"2024{i:05d},Student {i}" for i in range(500)])
        try:
            t0 = time.monotonic()
            out = ojtest.ojctl("roster", "import", "--course", course, path)
            took = time.monotonic() - t0
            # One transaction, not a latency promise: the bound catches an import gone
            # pathological (a round trip or commit per row at a crawl), not a busy machine.
            self.assertLess(took, 30.0)
            self.assertIn("500 added", out)
            first = ojtest.ojctl("token", "export", "--course", course)
            again = ojtest.ojctl("roster", "import", course, path)  # positional form
            self.assertIn("0 added, 0 renamed, 500 unchanged", again)
            self.assertEqual(ojtest.ojctl("token", "export", course), first)
        finally:
            os.unlink(path)
        rows = list(csv.reader(io.StringIO(first)))
        self.assertEqual(rows[0], ["student_no", "name", "token"])
        tokens = [r[2] for r in rows[1:]]
        self.assertEqual(len(tokens), 500)
        self.assertEqual(len(set(tokens)), 500)
        for t in tokens:
            self.assertRegex(t, r"^[A-Za-z0-9]{8}$")
        self.assertEqual(audit_count("roster.import", course), 2)

    def test_rename_keeps_token_and_new_students_are_added(self):
        course, _ = ojtest.make_course(modules=(), students=0)
        p1 = write_roster(["1,Ann", "2,Bob"])
        p2 = write_roster(['1,"Lee, Ann"', "2,Bob", "3,Cid"])
        try:
            ojtest.ojctl("roster", "import", course, p1)
            before = {s["student_no"]: s["token"] for s in jctl("token", "export", course)}
            out = ojtest.ojctl("roster", "import", course, p2)
            self.assertIn("1 added, 1 renamed, 1 unchanged", out)
        finally:
            os.unlink(p1)
            os.unlink(p2)
        after = {s["student_no"]: s for s in jctl("token", "export", course)}
        self.assertEqual(after["1"]["token"], before["1"])
        self.assertEqual(after["1"]["name"], "Lee, Ann")
        self.assertIn('"Lee, Ann"', ojtest.ojctl("token", "export", course))

    def test_bad_rows_are_reported_with_line_numbers_and_change_nothing(self):
        course, _ = ojtest.make_course(modules=(), students=0)
        cases = [
            (["1,Ann", "2", "3,Cid"], "3:", "fields"),
            (["1,Ann", "2,Bob", "1,Ann again"], "4:", "duplicate student_no '1' (first on line 2)"),
            (["1,Ann", "bad no,X"], "3:", "student_no"),
            (['1,"Ann'], "2:", "never closed"),
        ]
        for rows, where, what in cases:
            path = write_roster(rows)
            try:
                rc, _, err = run("roster", "import", "--course", course, path)
            finally:
                os.unlink(path)
            self.assertEqual(rc, 2, err)
            self.assertIn(f"{path}:{where}", err)
            self.assertIn(what, err)
            self.assertIn("nothing was imported", err)
        path = write_roster(["1,Ann"], header="id,fullname")
        rc, _, err = run("roster", "import", course, path)
        os.unlink(path)
        self.assertEqual(rc, 2)
        self.assertIn("header", err)
        self.assertEqual(sql("SELECT COUNT(*) FROM students s JOIN courses c ON c.id = s.course_id "
                             "WHERE c.code = %s", (course,))[0][0], "0")

    def test_unknown_course_and_missing_file(self):
        path = write_roster(["1,Ann"])
        rc, _, err = run("roster", "import", "NoSuch" + ojtest.unique("C"), path)
        os.unlink(path)
        self.assertEqual(rc, 3)
        self.assertIn("ojctl course add", err)
        rc, _, err = run("roster", "import", "ICS2024", "/nonexistent/roster.csv")
        self.assertEqual(rc, 3)
        rc, _, err = run("token", "export")
        self.assertEqual(rc, 2)
        self.assertIn("usage", err)


class Tokens(unittest.TestCase):
    def test_disable_enable_rotate(self):
        course, [tok] = ojtest.make_course(modules=("M1",), students=1)
        ojtest.ojctl("token", "disable", tok)
        with tempfile.NamedTemporaryFile(suffix=".tar.bz2") as f:
            f.write(b"abc")
            f.flush()
            code, body, _ = ojtest.upload(f.name, tok, course, "M1")
            self.assertEqual((code, body.strip()), (403, "[FAIL ✗] Invalid token!"))
            self.assertNotIn(tok, ojtest.ojctl("token", "export", course))
            self.assertIn(tok, ojtest.ojctl("token", "export", course, "--all"))
            ojtest.ojctl("token", "enable", "--course", course, "--student", "s0000")
            self.assertEqual(ojtest.upload(f.name, tok, course, "M1")[0], 200)
            new = ojtest.ojctl("token", "rotate", tok).strip()
            self.assertRegex(new, r"^[A-Za-z0-9]{8}$")
            self.assertNotEqual(new, tok)
            self.assertEqual(ojtest.upload(f.name, tok, course, "M1")[0], 403)
            f.write(b"def")  # different bytes from the first upload
            f.flush()
            self.assertEqual(ojtest.upload(f.name, new, course, "M1")[0], 200)
        # The old submissions stay with the student under the new token.
        self.assertEqual(len(jctl("sub", "list", "--token", new)), 2)
        for action in ("token.disable", "token.enable", "token.rotate"):
            self.assertEqual(audit_count(action, f"{course}/s0000"), 1, action)
        rc, _, err = run("token", "disable", "ZZZZZZZZ")
        self.assertEqual(rc, 3)
        rc, _, err = run("token", "rotate")
        self.assertEqual(rc, 2)


class Submissions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.course, cls.tokens = ojtest.make_course(modules=("A", "B"), students=3,
                                                    extra=("--supersede", "off"))
        t = cls.tokens
        cls.a0 = [upload_bytes(t[0], cls.course, "A", b"first"), upload_bytes(t[0], cls.course, "A", b"second")]
        cls.a1 = upload_bytes(t[1], cls.course, "A", b"third")
        cls.b0 = upload_bytes(t[0], cls.course, "B", b"fourth")
        for sid in cls.a0 + [cls.a1, cls.b0]:
            settle(sid)
        set_result(cls.a0[0], 40)
        set_result(cls.a0[1], 70, late=1)
        set_result(cls.a1, 100)

    def test_list_filters(self):
        c = self.course
        ids = lambda *a: {s["id"] for s in jctl("sub", "list", "--course", c, *a)}
        self.assertEqual(ids(), set(self.a0 + [self.a1, self.b0]))
        self.assertEqual(ids("--module", "A"), set(self.a0 + [self.a1]))
        self.assertEqual({s["id"] for s in jctl("sub", "list", "--module", f"{c}/B")}, {self.b0})
        self.assertEqual(ids("--token", self.tokens[1]), {self.a1})
        self.assertEqual(ids("--status", "done"), set(self.a0 + [self.a1]))
        self.assertEqual(ids("--since", "now+1h"), set())
        self.assertEqual(ids("--until", "now+1h", "--limit", "1"), {self.b0})
        out = ojtest.ojctl("sub", "list", "--course", c)
        self.assertTrue(out.startswith("ID "), out)
        self.assertIn(self.a1, out)
        rc, _, err = run("sub", "list", "--status", "bogus")
        self.assertEqual(rc, 2)
        self.assertIn("unknown status", err)

    def test_show(self):
        d = jctl("sub", "show", self.a1)
        self.assertEqual((d["id"], d["course"], d["module"], d["status"], d["score"]),
                         (self.a1, self.course, "A", "done", 100))
        import hashlib
        self.assertEqual(d["sha256"], hashlib.sha256(b"third").hexdigest())
        self.assertIn("sha256", ojtest.ojctl("sub", "show", self.a1))
        self.assertEqual(run("sub", "show", "A" * 16)[0], 3)
        self.assertEqual(run("sub", "show", "short")[0], 2)

    def test_scores_export(self):
        out = ojtest.ojctl("scores", "export", "--course", self.course, "--module", "A")
        rows = {r["student_no"]: r for r in csv.DictReader(io.StringIO(out))}
        self.assertEqual(set(rows), {"s0000", "s0001", "s0002"})
        r0 = rows["s0000"]
        self.assertEqual((r0["submissions"], r0["latest_score"], r0["best_score"], r0["max_score"],
                          r0["late"], r0["best_late"], r0["latest_id"]),
                         ("2", "70", "70", "100", "1", "1", self.a0[1]))
        self.assertEqual((rows["s0001"]["best_score"], rows["s0001"]["late"]), ("100", "0"))
        self.assertEqual((rows["s0002"]["submissions"], rows["s0002"]["best_score"]), ("0", ""))
        self.assertEqual(ojtest.ojctl("scores", "export", self.course, "A"), out)
        self.assertEqual(run("scores", "export", "--course", self.course, "--module", "Nope")[0], 3)
        self.assertEqual(run("scores", "export", "--course", self.course)[0], 2)

    def test_queue(self):
        q = jctl("queue")
        self.assertEqual(set(q["depth"]), {"queued", "running", "done", "superseded", "cancelled", "judge_error"})
        self.assertIn("runners", q)
        out = ojtest.ojctl("queue")
        self.assertIn("depth:", out)
        self.assertIn("oldest queued:", out)

    def test_rejudge_one_module_and_judge_errors(self):
        course, [tok] = ojtest.make_course(modules=("R",), students=1, extra=("--supersede", "off"))
        ids = [upload_bytes(tok, course, "R", bytes([i])) for i in range(3)]
        for sid in ids:
            settle(sid)
        set_result(ids[0], 10)
        sql("INSERT INTO test_results (submission_id, seq, name, passed) VALUES (%s, 1, 't', 1)", (ids[0],))
        sql("UPDATE submissions SET status = 'judge_error', verdict = NULL WHERE id IN %s", (ids[1:3],))
        out = jctl("rejudge", ids[0])
        self.assertEqual(out["requeued"], [ids[0]])
        self.assertEqual(sql("SELECT COUNT(*) FROM test_results WHERE submission_id = %s", (ids[0],))[0][0], "0")
        self.assertEqual(audit_count("rejudge", ids[0]), 1)
        for sid in ids:
            settle(sid)
        set_result(ids[0], 10)
        sql("UPDATE submissions SET status = 'judge_error' WHERE id IN %s", (ids[1:3],))
        out = jctl("rejudge", "--judge-errors", "--course", course)
        self.assertEqual(sorted(out["requeued"]), sorted(ids[1:]))
        for sid in ids:
            settle(sid)
        out = jctl("rejudge", "--module", f"{course}/R")
        self.assertEqual(sorted(out["requeued"]), sorted(ids))
        self.assertEqual(audit_count("rejudge", f"{course}/R"), 1)
        self.assertEqual(run("rejudge", "A" * 16)[0], 3)
        self.assertEqual(run("rejudge")[0], 2)
        self.assertEqual(run("rejudge", "--module", f"{course}/Nope")[0], 3)
        self.assertEqual(run("rejudge", "--module", "nocourse")[0], 2)

    def test_cancel(self):
        """A queued submission is cancelled. The runner would claim an ordinary queued row
        within milliseconds, so the row is inserted in an open transaction (the runner's
        SKIP LOCKED claim passes over it) and ojctl's cancel queues behind that lock."""
        course, [tok] = ojtest.make_course(modules=("C",), students=1)
        sid = "Cx" + secrets.token_hex(7)
        data = b"cancel me"
        key = f"{sid[:2]}/{sid}"
        os.makedirs(os.path.join(ojtest.VAR, "storage", sid[:2]), exist_ok=True)
        with open(os.path.join(ojtest.VAR, "storage", key), "wb") as f:
            f.write(data)
        holder = ojtest.session()
        try:
            holder.run("BEGIN")
            holder.run("INSERT INTO submissions (id, student_id, module_id, received_at, size_bytes, sha256, "
                       "storage_key, status) SELECT %s, s.id, m.id, UTC_TIMESTAMP(6), %s, %s, %s, 'queued' "
                       "FROM students s JOIN modules m ON m.course_id = s.course_id WHERE s.token = %s",
                       (sid, len(data), hashlib.sha256(data).hexdigest(), key, tok))
            self.assertEqual(holder.run("SELECT ROW_COUNT()"), [["1"]])  # inserted, uncommitted
            holder_id = holder.id
            cancel = subprocess.Popen([OJCTL, "--config", ojtest.CONFIG, "cancel", sid],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # A wait for the holder's lock (not any lock wait: other clients' come and go).
            ojtest.wait_for(lambda: int(sql(
                "SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS w JOIN "
                "information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
                "WHERE b.trx_mysql_thread_id = %s", (holder_id,))[0][0]) > 0
                            or cancel.poll() is not None, timeout=60, what="ojctl cancel to wait for the row lock")
            holder.run("COMMIT")
            out, err = cancel.communicate(timeout=60)
        finally:
            holder.close()
        self.assertEqual(cancel.returncode, 0, err)
        self.assertIn(f"cancelled {sid}", out)
        self.assertEqual(status_of(sid), "cancelled")
        self.assertEqual(audit_count("cancel", sid), 1)
        # Not queued any more: a clean refusal naming the status.
        rc, _, err = run("cancel", sid)
        self.assertEqual(rc, 5)
        self.assertIn("is cancelled; only queued submissions can be cancelled", err)
        done = upload_bytes(tok, course, "C")
        settle(done)
        rc, _, err = run("cancel", done)
        self.assertEqual(rc, 5)
        self.assertEqual(run("cancel", "B" * 16)[0], 3)
        self.assertEqual(run("cancel", "not-an-id")[0], 2)


class Check(unittest.TestCase):
    def test_check_reports_each_item(self):
        rc, out, err = run("--json", "check")
        results = {r["check"]: r for r in json.loads(out)}
        for name in ("config", "database", "nginx limits", "storage", "sandbox: bwrap",
                     "sandbox: user namespaces", "sandbox: cgroups"):
            self.assertIn(name, results)
        self.assertEqual(results["config"]["result"], "ok")
        self.assertEqual(results["database"]["result"], "ok")
        self.assertEqual(results["storage"]["result"], "ok")
        # The stack rendered nginx.conf from this config: the limits agree.
        self.assertIn(results["nginx limits"]["result"], ("ok", "WARN"))
        self.assertNotIn("other limits", results["nginx limits"]["detail"])
        for r in results.values():
            if r["result"] == "FAIL":
                self.assertTrue(r["hint"], r)
        self.assertEqual(rc, 1 if any(r["result"] == "FAIL" for r in results.values()) else 0)

    def test_check_names_a_bad_config_and_a_stale_nginx_conf(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.toml")
            with open(bad, "w") as f:
                f.write("[upload]\nmax_body_bytez = 1\n")
            r = subprocess.run([OJCTL, "--config", bad, "check"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn("max_body_bytez", r.stdout)
            self.assertIn("fix:", r.stdout)
            stale = os.path.join(d, "nginx.conf")
            text = subprocess.run([OJCTL, "--config", ojtest.CONFIG, "nginx", "render"],
                                  capture_output=True, text=True, check=True).stdout
            import re
            with open(stale, "w") as f:
                f.write(re.sub(r"client_max_body_size \d+", "client_max_body_size 1", text))
            rc, out, _ = run("--json", "check", "--nginx-conf", stale)
            [n] = [r for r in json.loads(out) if r["check"] == "nginx limits"]
            self.assertEqual(n["result"], "FAIL")
            self.assertIn("client_max_body_size", n["detail"])
            self.assertIn("ojctl nginx render", n["hint"])
            self.assertEqual(rc, 1)

    def test_help_everywhere_and_audit_list(self):
        for cmd in (["course", "add"], ["module", "set"], ["roster", "import"], ["token", "export"],
                    ["token", "rotate"], ["sub", "list"], ["sub", "show"], ["queue"], ["rejudge"],
                    ["cancel"], ["scores", "export"], ["db", "migrate"], ["check"], ["nginx", "render"]):
            r = subprocess.run([OJCTL, *cmd, "--help"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn("Usage", r.stdout)
        self.assertTrue(jctl("audit", "list", "--limit", "5"))
        self.assertIn("schema is up to date", ojtest.ojctl("db", "migrate", "--sql-dir",
                                                           os.path.join(ojtest.ROOT, "sql")))


if __name__ == "__main__":
    ojtest.main()
