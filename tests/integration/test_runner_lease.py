"""Leases: kill -9 mid-job ends with exactly one result; two runners on 50
submissions judge each exactly once. Extra runners use a short-lease config copy and
their own slots; the stack's runner-1 is paused meanwhile so they see every job."""
import os
import re
import signal
import tempfile
import unittest

import ojtest
import runner_util as ru

HELLO = b'#include <stdio.h>\nint main(void) { puts("Hello, OJ!"); return 0; }\n'
SLOW_HELLO = (b'#include <stdio.h>\n#include <unistd.h>\n'
              b'int main(void) { sleep(4); puts("Hello, OJ!"); return 0; }\n')


class Lease(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.config = ru.runner_config(self.tmp.name, lease_s=3, heartbeat_s=1, idle_poll_ms=200)
        self.runners = []

    def tearDown(self):
        for r in self.runners:
            r.stop()
        self.tmp.cleanup()

    def start(self, slot):
        r = ru.RunnerProcess(self.config, slot, os.path.join(self.tmp.name, f"runner-{slot}.log"))
        self.runners.append(r)
        return r

    def test_kill_9_mid_job_gives_exactly_one_result(self):
        course, tokens = ru.lab1_course()
        with ru.StackRunnerPaused():
            a = self.start(11)
            path = ru.tar_bz2({"main.c": SLOW_HELLO})
            sid = ru.submit(path, tokens[0], course, "Lab1")
            os.unlink(path)
            rid_a = f"{ru.hostname()}:11"
            ojtest.wait_for(lambda: (r := ru.row(sid)) and r["status"] == "running" and r["runner_id"] == rid_a,
                            timeout=120, what="runner 11 to claim the job")
            # Mid-job: the claim is followed at once by extraction, build and a 4 s test.
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait()
            b = self.start(12)
            r = ru.wait_done(sid, timeout=120)
            self.assertEqual((r["status"], r["verdict"]), ("done", "accepted"), r)
            self.assertEqual(r["runner_id"], f"{ru.hostname()}:12")
            self.assertEqual(r["attempts"], 1, "the expired lease counts one failed attempt")
            self.assertEqual(len(ru.tests_of(sid)), 1)
            # The runner logs the verdict after writing it: the row can be done first.
            ojtest.wait_for(lambda: re.search(rf"submission {sid} .*verdict=", b.log_text()), timeout=60,
                            what="runner 12 to log the verdict")
            self.assertEqual(len(re.findall(rf"submission {sid} .*verdict=", b.log_text())), 1)
            self.assertIn("expired leases: 1 requeued", b.log_text())
            # The killed runner's slot cleans what its job left (cgroups, the job's tmpfs).
            a.stop()
            a2 = self.start(11)
            ojtest.wait_for(lambda: "removed leftovers" in a2.log_text(), timeout=60,
                            what="restarted runner 11 to remove its leftovers")

    def test_two_runners_judge_50_submissions_exactly_once(self):
        course, tokens = ru.lab1_course(students=2, supersede=False)
        # Distinct bytes each: the intake answers a repeated upload with its first receipt.
        paths = [ru.tar_bz2({"main.c": HELLO + b"/* %d */\n" % i}) for i in range(50)]
        with ru.StackRunnerPaused():
            ids = [ru.submit(p, tokens[i % 2], course, "Lab1") for i, p in enumerate(paths)]
            for p in paths:
                os.unlink(p)
            self.assertEqual(len(set(ids)), 50)
            a, b = self.start(11), self.start(12)
            rows = {sid: ru.wait_done(sid, timeout=600) for sid in ids}
            # Each verdict is logged after it is written: wait for the last lines.
            ojtest.wait_for(lambda: all(re.search(rf"submission {sid} .*verdict=", a.log_text() + b.log_text())
                                        for sid in ids), timeout=60, what="every verdict logged")
            logs = a.log_text() + b.log_text()
        for sid, r in rows.items():
            self.assertEqual((r["status"], r["verdict"], r["attempts"]), ("done", "accepted", 0), sid)
            self.assertEqual(len(re.findall(rf"submission {sid} .*verdict=", logs)), 1, sid)
        by = {}
        for r in rows.values():
            by[r["runner_id"]] = by.get(r["runner_id"], 0) + 1
        self.assertEqual(set(by), {f"{ru.hostname()}:11", f"{ru.hostname()}:12"}, by)


if __name__ == "__main__":
    ojtest.main()
