"""Headless Chromium against a results page: Bootstrap's CSS applies, a
queued submission turns done on screen without a reload when the row changes, a
failed poll is survived, and polling stops once nothing is pending. The browser side
is results_page.mjs (playwright-core with Debian's chromium); this file owns the
database rows. The screenshot is kept as $OJ_BIN/test-artifacts/results_browser.png."""
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))

import ojtest  # noqa: E402
from ojtest import make_course  # noqa: E402
from results_fixtures import QueueHold, insert_submission  # noqa: E402

CHROMIUM = os.environ.get("OJ_CHROMIUM", "/usr/bin/chromium")


def ensure_node_modules():
    if os.path.isdir(os.path.join(HERE, "node_modules/playwright-core")):
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", HERE], check=True,
                   timeout=600)


class ResultsBrowserTest(unittest.TestCase):
    def setUp(self):
        if not os.access(CHROMIUM, os.X_OK):
            self.skipTest(f"{CHROMIUM} not installed (apt-get install chromium)")
        if not shutil.which("node") or not shutil.which("npm"):
            self.skipTest("node/npm not installed")
        ensure_node_modules()

    def test_queued_turns_done_without_reload_and_polling_stops(self):
        course, (token,) = make_course(students=1)
        # History so the queued row has a wait estimate, then the row under test.
        insert_submission(token, course, "M1", "done", 60, verdict="wrong_answer", score=0,
                          max_score=5, started_age_s=58)
        hold = QueueHold()
        sid = hold.insert_queued(token, course, "M1", 1)
        shot = os.path.join(ojtest.BIN or HERE, "test-artifacts", "results_browser.png")
        proc = subprocess.Popen(
            ["node", os.path.join(HERE, "results_page.mjs"),
             f"{ojtest.URL}/oj/{course}/M1/{token}", sid, shot],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        try:
            line = proc.stdout.readline().strip()
            self.assertEqual(line, "READY", "the browser side failed before polling")
            # The judge finishes: done with a score, tests and a hostile log, in the
            # holding transaction, so no runner ever had the row.
            hold.run(
                "UPDATE submissions SET status = 'done', verdict = 'partial', score = 4, "
                "max_score = 5, started_at = UTC_TIMESTAMP(6) - INTERVAL 2 SECOND, "
                "finished_at = UTC_TIMESTAMP(6), log = %s WHERE id = %s",
                ("<script>alert(1)</script><img src=x onerror=\"window.__ojPwned=1\">", sid))
            hold.run("INSERT INTO test_results (submission_id, seq, name, passed, message) VALUES "
                     "(%s, 1, 'first', 1, 'ok'), (%s, 2, 'second', 0, 'wrong')", (sid, sid))
            hold.finish()
            proc.stdin.write("FLIPPED\n")
            proc.stdin.flush()
            self.assertEqual(proc.wait(timeout=300), 0, "browser checks failed (see stderr)")
            self.assertTrue(os.path.getsize(shot) > 1000)
            print(f"screenshot: {shot}")
        finally:
            hold.finish()
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    ojtest.main()
