"""Results page and JSON (docs/contract.md §3.2-3.3): contents for every status, queue
positions across tokens, the one 404, ETag/304, escaping, and isolation between
tokens. Rows are written straight into the database as the judge runner would;
queued rows are held (results_fixtures.QueueHold) so a runner cannot claim them
mid-test."""
import json
import unittest

import ojtest
from ojtest import get, make_course, sql, unique
from results_fixtures import QueueHold, insert_submission

SPEC_TOP = {"course", "module", "deadline", "now", "submissions"}
SPEC_SUB = {"id", "received_at", "size_bytes", "sha256", "status", "queue_position",
            "eta_seconds", "late", "score", "max_score", "verdict", "tests", "log",
            "log_truncated"}
ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$"


def fresh(path):
    """path with a unique query string: a key the microcache has never seen."""
    return f"{path}?t={unique('')}"


def page(course, module, token):
    status, body, headers = get(fresh(f"/oj/{course}/{module}/{token}"))
    return status, body.decode("utf-8"), headers  # strict: the page must be valid UTF-8


def doc(course, module, token):
    status, body, headers = get(fresh(f"/oj/{course}/{module}/{token}.json"))
    assert status == 200, (status, body[:200])
    return json.loads(body.decode("utf-8")), headers


def queued_before(sub_id):
    """What the page must say: queued rows of any token received before sub_id (the
    watchdog's canaries do not count)."""
    return int(sql("SELECT COUNT(*) FROM submissions q JOIN submissions s ON s.id = "
                   "%s WHERE q.status = 'queued' AND q.canary = 0 AND (q.received_at < s.received_at "
                   "OR (q.received_at = s.received_at AND q.id < s.id))", (sub_id,))[0][0])


class ResultsPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.course, cls.tokens = make_course(modules=("M1", "M2"), students=3)
        cls.hold = QueueHold()
        cls.queued = []

    @classmethod
    def tearDownClass(cls):
        cls.hold.finish([("UPDATE submissions SET status = 'cancelled' WHERE id IN %s "
                          "AND status = 'queued'", (cls.queued or [""],))])

    def add_queued(self, token, module="M1", age_s=0.0):
        sid = self.hold.insert_queued(token, self.course, module, age_s)
        self.queued.append(sid)
        return sid

    def test_every_status_on_page_and_json(self):
        c, t = self.course, self.tokens[0]
        done = insert_submission(t, c, "M2", "done", 50, verdict="partial", score=7, max_score=10,
                                 log="build ok\nrun 2 tests\n", started_age_s=45,
                                 tests=[("t-add", True, "ok"), ("t-div", False, "expected 3, got 4")])
        superseded = insert_submission(t, c, "M2", "superseded", 40)
        judge_error = insert_submission(t, c, "M2", "judge_error", 30, log="sandbox failed")
        running = insert_submission(t, c, "M2", "running", 20, started_age_s=10)
        queued = self.add_queued(t, "M2", 10)
        late = insert_submission(t, c, "M2", "done", 5, verdict="accepted", score=10,
                                 max_score=10, late=True, started_age_s=4)

        d, headers = doc(c, "M2", t)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        self.assertTrue(SPEC_TOP <= set(d), set(d))
        self.assertEqual((d["course"], d["module"]), (c, "M2"))
        self.assertRegex(d["deadline"], ISO)
        self.assertRegex(d["now"], ISO)
        subs = {s["id"]: s for s in d["submissions"]}
        self.assertEqual([s["id"] for s in d["submissions"]],
                         [late, queued, running, judge_error, superseded, done])  # newest first
        for s in d["submissions"]:
            self.assertTrue(SPEC_SUB <= set(s), SPEC_SUB - set(s))
            self.assertRegex(s["received_at"], ISO)
            self.assertEqual(s["sha256"], "ab" * 32)
            self.assertEqual(s["size_bytes"], 100)
        self.assertEqual(subs[done]["status"], "done")
        self.assertEqual((subs[done]["score"], subs[done]["max_score"]), (7, 10))
        self.assertEqual(subs[done]["verdict"], "partial")
        self.assertEqual(subs[done]["tests"], [
            {"name": "t-add", "passed": True, "message": "ok", "score": None, "max_score": None},
            {"name": "t-div", "passed": False, "message": "expected 3, got 4", "score": None,
             "max_score": None}])
        self.assertEqual(subs[done]["log"], "build ok\nrun 2 tests\n")
        self.assertIs(subs[done]["log_truncated"], False)
        self.assertIsNone(subs[done]["queue_position"])
        self.assertEqual(subs[superseded]["status"], "superseded")
        self.assertEqual(subs[judge_error]["status"], "judge_error")
        self.assertIsNone(subs[judge_error]["verdict"])
        self.assertEqual(subs[running]["status"], "running")
        self.assertRegex(subs[running]["started_at"], ISO)
        self.assertEqual(subs[queued]["status"], "queued")
        self.assertIsInstance(subs[queued]["queue_position"], int)
        self.assertIs(subs[late]["late"], True)
        self.assertIs(subs[done]["late"], False)
        # There are finished jobs with durations now, so the wait has an estimate.
        self.assertIsInstance(subs[queued]["eta_seconds"], int)
        self.assertGreaterEqual(subs[queued]["eta_seconds"], 1)

        status, html, headers = page(c, "M2", t)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn('href="src/bootstrap.min.css"', html)
        self.assertIn('src="src/bootstrap.min.js"', html)
        self.assertIn('src="src/oj.js', html)
        self.assertIn('name="viewport"', html)
        self.assertIn(f'href="{t}"', html)  # refresh link for a page without JavaScript
        self.assertIn('data-pending="1"', html)
        for sid in (done, superseded, judge_error, running, queued, late):
            self.assertIn(f'id="sub-{sid}"', html)
        positions = [html.index(f'id="sub-{sid}"') for sid in
                     (late, queued, running, judge_error, superseded, done)]
        self.assertEqual(positions, sorted(positions))
        self.assertIn("Score <strong>7 / 10</strong>", html)
        self.assertIn("Verdict <strong>partial</strong>", html)
        self.assertIn("1 of 2 tests passed", html)
        self.assertIn("expected 3, got 4", html)
        self.assertIn("Superseded by a newer submission", html)
        self.assertIn("Judge error", html)
        self.assertIn("Running since", html)
        self.assertRegex(html, r"Queued: (next in line|\d+ ahead), result in")
        self.assertIn(">late<", html)
        self.assertIn("left</span>", html)  # time left before the deadline

    def test_nothing_pending_and_no_submissions(self):
        c, t = self.course, self.tokens[2]
        status, html, _ = page(c, "M1", t)
        self.assertEqual(status, 200)
        self.assertIn("No submissions yet.", html)
        self.assertIn('data-pending="0"', html)
        d, _ = doc(c, "M1", t)
        self.assertEqual(d["submissions"], [])
        insert_submission(t, c, "M1", "done", 1, verdict="accepted", score=1, max_score=1)
        status, html, _ = page(c, "M1", t)
        self.assertIn('data-pending="0"', html)

    def test_queue_position_counts_every_token(self):
        c, (a, b, _) = self.course, self.tokens
        mine = self.add_queued(a, "M1", 30)

        def position():
            # Other tests' and a runner's rows may come and go: wait for a page that
            # agrees with the database before and after it was read.
            def agree():
                before = queued_before(mine)
                d, _ = doc(c, "M1", a)
                after = queued_before(mine)
                pos = {s["id"]: s["queue_position"] for s in d["submissions"]}[mine]
                return (pos,) if before == pos == after else None
            return ojtest.wait_for(agree, timeout=60, what="a stable queue position")[0]

        p0 = position()
        other_course, other_tokens = make_course(students=1)
        self.add_queued(b, "M1", 40)                        # another token, earlier
        self.add_queued(b, "M2", 35)                        # another module, earlier
        self.assertEqual(position(), p0 + 2)
        self.add_queued(b, "M1", 10)                        # later: not ahead
        insert_submission(b, c, "M1", "done", 50, verdict="accepted")  # not queued
        insert_submission(b, c, "M1", "running", 45, started_age_s=1)
        self.assertEqual(position(), p0 + 2)
        self.queued.append(self.hold.insert_queued(other_tokens[0], other_course, "M1", 60))
        self.assertEqual(position(), p0 + 3)                # another course's queue too

    def test_other_tokens_never_appear(self):
        c, (a, b, _) = self.course, self.tokens
        theirs = insert_submission(b, c, "M1", "done", 3, verdict="accepted", score=1,
                                   max_score=1, log="secret of b")
        mine = insert_submission(a, c, "M1", "done", 2, verdict="accepted", score=1, max_score=1)
        other_module = insert_submission(a, c, "M2", "done", 1, verdict="accepted")
        d, _ = doc(c, "M1", a)
        ids = [s["id"] for s in d["submissions"]]
        self.assertIn(mine, ids)
        self.assertNotIn(theirs, ids)
        self.assertNotIn(other_module, ids)
        _, html, _ = page(c, "M1", a)
        self.assertNotIn(theirs, html)
        self.assertNotIn("secret of b", html)
        self.assertNotIn(other_module, html)
        # b's token under a course it is not enrolled in: 404, not b's rows.
        other_course, _ = make_course(modules=("M1",), students=1)
        status, body, _ = get(fresh(f"/oj/{other_course}/M1/{b}"))
        self.assertEqual(status, 404)

    def test_unknown_course_module_token_get_one_identical_404(self):
        c, t = self.course, self.tokens[0]
        disabled_course, (disabled,) = make_course(students=1)
        sql("UPDATE students SET enabled = 0 WHERE token = %s", (disabled,))
        paths = [f"/oj/{c}/M1/ZZZZZZZZ", f"/oj/{c}/NOSUCH/{t}", f"/oj/NOSUCH{unique('')}/M1/{t}",
                 f"/oj/{disabled_course}/M1/{disabled}", f"/oj/{c}/M1/short", f"/oj/{c}/M1",
                 f"/oj/{c}/M1/{t}/extra", f"/oj/{c}/M1/{t}x", f"/oj/{c}/M1/%3Cscript%3E"]
        answers = set()
        for p in paths:
            for path in (p, fresh(p)):
                status, body, headers = get(path)
                self.assertEqual(status, 404, path)
                self.assertTrue(headers["content-type"].startswith("text/html"), path)
                answers.add(body)
        self.assertEqual(len(answers), 1, "the 404 pages differ")
        json_answers = set()
        for p in paths[:4]:
            status, body, _ = get(fresh(p + ".json"))
            self.assertEqual(status, 404, p)
            json_answers.add(body)
        self.assertEqual(len(json_answers), 1, "the JSON 404 bodies differ")

    def test_etag_and_if_none_match(self):
        c, t = self.course, self.tokens[1]
        insert_submission(t, c, "M2", "done", 5, verdict="accepted", score=3, max_score=3)
        path = fresh(f"/oj/{c}/M2/{t}.json")
        status, body, headers = get(path)
        self.assertEqual(status, 200)
        etag = headers["etag"]
        self.assertRegex(etag, r'^(W/)?"[0-9a-f]+"$')
        self.assertIn("cache-control", headers)
        status, body, headers = get(path, {"If-None-Match": etag})
        self.assertEqual(status, 304)
        self.assertEqual(body, b"")
        status, _, _ = get(path, {"If-None-Match": '"something-else"'})
        self.assertEqual(status, 200)
        # Same data a moment later (another URI, so another cache entry): same ETag
        # although "now" moved; new data: a new ETag.
        status, _, h2 = get(fresh(f"/oj/{c}/M2/{t}.json"), {"If-None-Match": etag})
        self.assertEqual(status, 304)
        insert_submission(t, c, "M2", "done", 1, verdict="accepted", score=3, max_score=3)
        status, _, h3 = get(fresh(f"/oj/{c}/M2/{t}.json"), {"If-None-Match": etag})
        self.assertEqual(status, 200)
        self.assertNotEqual(h3["etag"], etag)

    def test_log_with_script_and_invalid_utf8_is_escaped(self):
        c, t = self.course, self.tokens[1]
        evil = "<script>alert(1)</script> & \"quotes\" 'single'"
        sid = insert_submission(t, c, "M1", "done", 1, verdict="wrong_answer", score=0,
                                max_score=5, log=evil + "\nend", log_truncated=True,
                                tests=[("<b>t1</b>", False, "<img src=x onerror=alert(2)>")])
        # Raw invalid UTF-8 from a judge: a utf8mb4 column refuses it in strict mode, and
        # outside strict mode stores a replacement, so whatever the runner manages to
        # store, the page must stay valid UTF-8 and escaped.
        bad = insert_submission(t, c, "M1", "done", 0.5, verdict="runtime_error", score=0,
                                max_score=5)
        try:
            sql("SET SESSION sql_mode = ''; UPDATE submissions SET log = "
                "CONCAT('<script>x</script>', X'FFFE', 'a', X'C3') WHERE id = %s", (bad,))
        except ojtest.DatabaseError:
            pass  # refused: nothing invalid can be stored
        status, raw, _ = get(fresh(f"/oj/{c}/M1/{t}"))
        self.assertEqual(status, 200)
        html = raw.decode("utf-8")  # strict: raises on invalid UTF-8
        self.assertNotIn("<script>alert(1)</script>", html)
        self.assertNotIn("<script>x</script>", html)
        self.assertNotIn("<img src=x", html)
        self.assertNotIn("<b>t1</b>", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; "
                      "&#39;single&#39;", html)
        self.assertIn("&lt;img src=x onerror=alert(2)&gt;", html)
        self.assertIn("&lt;b&gt;t1&lt;/b&gt;", html)
        self.assertIn("The log was truncated.", html)
        # Every <script> on the page is ours.
        self.assertEqual(html.count("<script"), 2)
        d, _ = doc(c, "M1", t)
        subs = {s["id"]: s for s in d["submissions"]}
        self.assertEqual(subs[sid]["log"], evil + "\nend")  # JSON carries the text as data
        self.assertIs(subs[sid]["log_truncated"], True)
        self.assertEqual(subs[sid]["tests"][0]["message"], "<img src=x onerror=alert(2)>")


if __name__ == "__main__":
    ojtest.main()
