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
        partial = ru.wait_done(ids["pa1-partial"])
        self.assertEqual((partial["status"], partial["verdict"]), ("done", "partial"), partial["log"])
        self.assertEqual(float(partial["score"]), 60.0)
        failed = [t for t in ru.tests_of(ids["pa1-partial"]) if t[1] == "0"]
        self.assertEqual(len(failed), 4)
        self.assertIn("expected 14", " ".join(t[2] for t in failed))
        ce = ru.wait_done(ids["pa1-compile-error"])
        self.assertEqual((ce["status"], ce["verdict"]), ("done", "compile_error"), ce["log"])
        self.assertIn("error", ce["log"])  # gcc's message reaches the student


if __name__ == "__main__":
    ojtest.main()
