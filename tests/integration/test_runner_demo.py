"""The PA1 demo judge grades the example submissions through nginx."""
import os
import unittest

import ojtest
import runner_util as ru

EXAMPLES = os.path.join(ojtest.ROOT, "client/examples")


class PA1Demo(unittest.TestCase):
    def test_examples_end_with_their_verdicts(self):
        course, tokens = ojtest.make_course(modules=("PA1",), students=3, extra=("--judge-dir", "ICS2024/PA1"))
        ids = {}
        for token, name in zip(tokens, ("pa1-correct", "pa1-partial", "pa1-compile-error")):
            with open(os.path.join(EXAMPLES, name, "expr.c"), "rb") as f:
                path = ru.tar_bz2({"expr.c": f.read()})
            ids[name] = ru.submit(path, token, course, "PA1")
            os.unlink(path)
        correct = ru.wait_done(ids["pa1-correct"])
        self.assertEqual((correct["status"], correct["verdict"]), ("done", "accepted"), correct["log"])
        self.assertEqual(float(correct["score"]), 100.0)
        self.assertEqual(len(ru.tests_of(ids["pa1-correct"])), 10)
        # The judge's per-test figures reach test_results (and so the page, its JSON and
        # `ojctl submission show`): 10 points each, and the time it measured.
        figures = ojtest.sql("SELECT seq, score, max_score, time_ms IS NOT NULL FROM test_results "
                             f"WHERE submission_id = '{ids['pa1-correct']}' ORDER BY seq")
        self.assertEqual([(r[1], r[2], r[3]) for r in figures], [("10", "10", "1")] * 10)
        self.assertEqual([r[0] for r in figures], [str(i) for i in range(1, 11)])
        partial = ru.wait_done(ids["pa1-partial"])
        self.assertEqual((partial["status"], partial["verdict"]), ("done", "partial"), partial["log"])
        self.assertEqual(float(partial["score"]), 60.0)
        failed = [t for t in ru.tests_of(ids["pa1-partial"]) if t[1] == "0"]
        self.assertEqual(len(failed), 4)
        zero = ojtest.sql("SELECT COUNT(*) FROM test_results WHERE submission_id = "
                          f"'{ids['pa1-partial']}' AND passed = 0 AND score = 0 AND max_score = 10")
        self.assertEqual(zero, [["4"]])
        self.assertIn("expected 14", " ".join(t[2] for t in failed))
        ce = ru.wait_done(ids["pa1-compile-error"])
        self.assertEqual((ce["status"], ce["verdict"]), ("done", "compile_error"), ce["log"])
        self.assertIn("error", ce["log"])  # gcc's message reaches the student


if __name__ == "__main__":
    ojtest.main()
