"""The fault run in its --smoke variant (20 students over 60 s, every fault of ops/loadtest/chaos
injected) on a private stack of its own with loop-mounted storage, removed afterwards: nothing
acknowledged is lost or judged twice, and each fault produces its watchdog alert, which
resolves.
"""
import os
import re
import shutil
import unittest

import ojtest
import test_loadtest_storm_smoke as storm_smoke

CHAOS = os.path.join(ojtest.ROOT, "ops/loadtest/chaos")


class ChaosSmokeTest(unittest.TestCase):
    assertNothingLost = storm_smoke.StormSmokeTest.assertNothingLost

    def test_chaos_smoke(self):
        if os.geteuid() != 0:
            self.skipTest("chaos needs root (loop-mounted storage, kill -9 of the stack's daemons)")
        for tool in ("mkfs.ext4", "fallocate", "losetup"):
            if not shutil.which(tool):
                self.skipTest(f"{tool} is not installed")
        rc, out = storm_smoke.run([CHAOS, "--smoke", "--drain", "300", "--bin", ojtest.BIN], timeout=840)
        self.assertEqual(rc, 0, out[-5000:])
        self.assertNothingLost(out)
        for check in ("fcgi_worker_crashes", "fcgi_master_restarted", "runner_restarted",
                      "database_restarted", "disk_storage", "nginx_slow_clients", "oom_kills"):
            row = re.search(rf"^\| [^|]+ \| [^|]+ \| {check} \| ([^|]+) \| ([^|]+) \|", out, re.M)
            self.assertIsNotNone(row, f"no fault row expecting {check}\n{out[-5000:]}")
            self.assertNotIn("NO ALERT", row.group(1), check)
            self.assertNotIn("NOT RESOLVED", row.group(2), check)


if __name__ == "__main__":
    ojtest.main()
