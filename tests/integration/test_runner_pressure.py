"""With a fake PSI file over the threshold the runner holds and says why;
under it, it proceeds."""
import os
import tempfile
import unittest

import ojtest
import runner_util as ru

HELLO = b'#include <stdio.h>\nint main(void) { puts("Hello, OJ!"); return 0; }\n'


def psi(avg10):
    return f"some avg10={avg10:.2f} avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"


class Pressure(unittest.TestCase):
    def test_fake_memory_pressure_holds_the_runner(self):
        with tempfile.TemporaryDirectory() as tmp:
            fake = os.path.join(tmp, "memory")
            with open(fake, "w") as f:
                f.write(psi(95.0))
            config = ru.runner_config(tmp, psi_memory_path=fake, psi_memory_max=40.0, heartbeat_s=1,
                                      idle_poll_ms=200)
            course, tokens = ru.lab1_course()
            with ru.StackRunnerPaused():
                runner = ru.RunnerProcess(config, 13, os.path.join(tmp, "runner.log"))
                try:
                    rid = f"{ru.hostname()}:13"
                    state = lambda: ojtest.sql("SELECT state, reason FROM runners WHERE id = %s", (rid,))
                    held = ojtest.wait_for(lambda: (s := state()) and s[0][0] == "held" and s[0],
                                           timeout=60, what="runner to hold")
                    self.assertIn("memory pressure 95.00% > 40.00%", held[1])
                    self.assertIn("memory pressure 95.00% > 40.00%", runner.log_text())
                    path = ru.tar_bz2({"main.c": HELLO})
                    sid = ru.submit(path, tokens[0], course, "Lab1")
                    os.unlink(path)
                    # Held: the submission stays queued while the runner keeps saying why.
                    ojtest.wait_for(lambda: (s := state()) and s[0][0] == "held" and
                                    ru.row(sid)["status"] == "queued" and
                                    runner.log_text().count("held") >= 1, timeout=60, what="held")
                    self.assertEqual(ru.row(sid)["status"], "queued")
                    with open(fake + ".new", "w") as f:
                        f.write(psi(1.0))
                    os.rename(fake + ".new", fake)
                    r = ru.wait_done(sid, timeout=120)
                    self.assertEqual(r["verdict"], "accepted")
                    self.assertEqual(r["runner_id"], rid)
                    self.assertNotEqual(state()[0][0], "held")
                    self.assertIn("no longer held", runner.log_text())
                finally:
                    runner.stop()


if __name__ == "__main__":
    ojtest.main()
