"""The deadline storm in its --smoke variant (about two minutes) on a private stack
of its own that it removes afterwards: 20 students upload and poll; every acknowledged upload
has its row and file (SHA-256) and ends judged exactly once; only 2xx/304/413/429/503 answers.
The helpers are shared with test_loadtest_chaos_smoke.py.
"""
import os
import re
import shutil
import subprocess
import unittest

import ojtest

STORM = os.path.join(ojtest.ROOT, "ops/loadtest/storm")


def run(cmd, timeout):
    env = dict(os.environ, OJ_BIN=ojtest.BIN)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    return r.returncode, r.stdout + r.stderr


class StormSmokeTest(unittest.TestCase):
    def assertNothingLost(self, out):
        m = re.search(r"^lost: (\d+) \(acknowledged (\d+), bad sha256 (\d+), double judged (\d+), "
                      r"unfinished (\d+)\)", out, re.M)
        self.assertIsNotNone(m, out[-3000:])
        self.assertEqual(m.group(1), "0", out[-3000:])
        self.assertGreater(int(m.group(2)), 0, "some uploads were acknowledged")
        self.assertEqual((m.group(3), m.group(4), m.group(5)), ("0", "0", "0"), out[-3000:])

    def test_1_storm_smoke(self):
        rc, out = run([STORM, "--smoke", "--drain", "240", "--bin", ojtest.BIN], timeout=600)
        self.assertEqual(rc, 0, out[-4000:])
        self.assertNothingLost(out)
        for table in ("| requests | 2xx/304 | 413 | 429 | 503 |", "| RSS MariaDB |",
                      "| alert (watchdog check) | fired | resolved |", "| double_judged | 0 |"):
            self.assertIn(table, out)


if __name__ == "__main__":
    ojtest.main()
