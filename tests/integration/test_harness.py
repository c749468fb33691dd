"""The shared harness (ops/ojharness) against the stack: values reach MariaDB as bind
parameters whatever they hold, rows come back as the mariadb client printed them (text,
NULL as None), a session holds a transaction that another client meets, and the upload
client's answer carries the header block."""
import os
import tempfile
import unittest

import ojtest
from ojharness import upload
from ojharness.stack import write_config

HOSTILE = ["it's", 'say "hi"', "back\\slash", "new\nline\ttab", "nul\0byte", "%s %(x)s %%",
           "'; DROP TABLE students; --", "ünïcødé ✓ 🎉", ""]


class DatabaseTest(unittest.TestCase):
    def test_any_text_round_trips_as_a_parameter(self):
        for v in HOSTILE:
            self.assertEqual(ojtest.sql("SELECT %s", (v,)), [[v]], repr(v))
        self.assertEqual(ojtest.sql("SELECT %(a)s, %(b)s", {"a": "x'y", "b": 7}), [["x'y", "7"]])

    def test_rows_are_text_and_null_is_none(self):
        self.assertEqual(ojtest.sql("SELECT 1, NULL, 2.50, CAST('2030-01-01 00:00:00' AS DATETIME(6))"),
                         [["1", None, "2.50", "2030-01-01 00:00:00.000000"]])
        self.assertEqual(ojtest.sql("SELECT 1; SELECT 2"), [["1"], ["2"]])  # every result set

    def test_a_list_is_an_in_list(self):
        self.assertEqual(ojtest.sql("SELECT 'b' IN %s, 'z' IN %s", (["a", "b", "c"], ["a"])), [["1", "0"]])

    def test_a_statement_that_fails_raises(self):
        with self.assertRaises(ojtest.DatabaseError):
            ojtest.sql("SELECT * FROM no_such_table")

    def test_hostile_values_are_stored_as_they_are(self):
        course, (token,) = ojtest.make_course(students=1)
        for v in HOSTILE:
            ojtest.sql("UPDATE students SET student_no = %s WHERE token = %s", (v[:32], token))
            self.assertEqual(ojtest.sql("SELECT student_no FROM students WHERE token = %s", (token,)),
                             [[v[:32]]], repr(v))
        self.assertEqual(ojtest.sql("SELECT COUNT(*) FROM students s JOIN courses c ON c.id = s.course_id "
                                    "WHERE c.code = %s", (course,)), [["1"]])

    def test_a_session_holds_its_transaction(self):
        course, (token,) = ojtest.make_course(students=1)
        s = ojtest.session()
        try:
            s.run("BEGIN")
            s.run("UPDATE students SET enabled = 0 WHERE token = %s", (token,))
            # Another client does not see it before the commit, and does after.
            self.assertEqual(ojtest.sql("SELECT enabled FROM students WHERE token = %s", (token,)), [["1"]])
            s.run("COMMIT")
            self.assertEqual(ojtest.sql("SELECT enabled FROM students WHERE token = %s", (token,)), [["0"]])
            self.assertEqual(s.run("SELECT CONNECTION_ID()"), [[str(s.id)]])
        finally:
            s.close()
        self.assertTrue(s.closed)


class UploadClientTest(unittest.TestCase):
    def test_answer_has_status_body_and_header_block(self):
        course, (token,) = ojtest.make_course(students=1)
        status, body, headers = upload.upload(ojtest.URL, token, course, "M1", data=os.urandom(500))
        self.assertEqual(status, 200, body)
        self.assertTrue(body.startswith("[SUCC ✓] Received "), body)
        self.assertRegex(headers, r"(?im)^X-OJ-Queue-Position: \d+\r?$")
        self.assertEqual(headers.get("x-oj-result-url"), headers.get("X-OJ-Result-URL"))
        self.assertEqual(headers.get("X-OJ-Result-URL"), f"{ojtest.URL}/oj/{course}/M1/{token}")
        status, body, _ = upload.upload(ojtest.URL, "ZZZZZZZZ", course, "M1", data=b"x")
        self.assertEqual(status, 403, body)


class ConfigWriterTest(unittest.TestCase):
    def test_overrides_and_keeps_the_rest(self):
        with tempfile.TemporaryDirectory() as d:
            out = write_config(ojtest.CONFIG, os.path.join(d, "oj.toml"),
                               {"runner": {"lease_s": 3, "bwrap_path": 'a "b" \\c'}, "new": {"on": True}})
            import tomllib
            with open(out, "rb") as f:
                cfg = tomllib.load(f)
            with open(ojtest.CONFIG, "rb") as f:
                base = tomllib.load(f)
            self.assertEqual(cfg["runner"]["lease_s"], 3)
            self.assertEqual(cfg["runner"]["bwrap_path"], 'a "b" \\c')
            self.assertIs(cfg["new"]["on"], True)
            self.assertEqual(cfg["server"], base["server"])
            self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)


if __name__ == "__main__":
    ojtest.main()
