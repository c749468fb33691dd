"""The load harness runs in CI. ops/loadtest/seed-replay --quick against the shared
test stack: the old operators' tests (concurrent 11.8 MB uploads with the exact [SUCC ✓]
line and distinct IDs, 15.8 MB uploads answered 413 with the exact line, concurrent page
queries with one token, uploads while two judges run), then the loss check, which must
report zero lost acknowledged submissions.
"""
import os
import re
import shutil
import subprocess
import unittest

import ojtest

SEED_REPLAY = os.path.join(ojtest.ROOT, "ops/loadtest/seed-replay")


class LoadtestSmokeTest(unittest.TestCase):
    def test_seed_replay_quick_loses_nothing(self):
        for tool in ("parallel", "curl", "mariadb", "bzip2"):
            if not shutil.which(tool):
                self.skipTest(f"{tool} is not installed (ops/install-deps.sh)")
        env = dict(os.environ, OJ_BIN=ojtest.BIN)
        r = subprocess.run([SEED_REPLAY, "--quick", "--wait", "60", ojtest.VAR], capture_output=True,
                           text=True, timeout=300, env=env)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out[-3000:])
        m = re.search(r"^lost: (\d+) \(acknowledged (\d+)", out, re.M)
        self.assertIsNotNone(m, out[-3000:])
        self.assertEqual(m.group(1), "0", out[-3000:])
        self.assertEqual(int(m.group(2)), 4 + 8 + 8, "every upload of the quick rounds acknowledged")
        self.assertIn("| upload-4x15.8MB | 4 | 413 too large | 4/4 |", out)


if __name__ == "__main__":
    ojtest.main()
