"""No submission can stop, stall or cheat grading.

Each case is one hostile upload through nginx to the stock Lab1 judge (or, for the link
case, to a judge that reads a file the program wrote). After each one the next ordinary
submission of another student must be judged as usual, and the stack's runner must not be
disabled. Then: a runner whose sandbox is broken on purpose still disables itself (and
the watchdog says so), and `ojctl rejudge --judge-errors` judges a judge failure's victim
once after the judge is fixed.
"""
import json
import os
import shutil
import tempfile
import unittest

import ojtest
import runner_util as ru

HELLO = ru.HostileUploads.HELLO
RET200 = b"int main(void) { return 200; }\n"
RET168 = b"int main(void) { return 168; }\n"  # 128 + 40: a realtime signal number, unnamed
# The program's writable space (/submission) filled with empty files, then with data.
FILL_INODES = b"""#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char p[64];
  int n = 0;
  for (;; n++) {
    snprintf(p, sizeof p, "f%06d", n);
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) break;
    close(fd);
  }
  printf("created %d files\\n", n);
  return 0;
}
"""
FILL_BYTES_IN = """#include <errno.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  static char buf[1 << 20];
  memset(buf, 'x', sizeof buf);
  long total = 0;
  for (int f = 0; f < 64; f++) {
    char p[64];
    snprintf(p, sizeof p, "%DIR%/big%02d", f);
    FILE *o = fopen(p, "w");
    if (!o) break;
    int full = 0;
    for (int i = 0; i < 8; i++) {  /* 8 MiB per file: under the 16 MiB file size limit */
      if (fwrite(buf, 1, sizeof buf, o) != sizeof buf) { full = 1; break; }
      total += sizeof buf;
    }
    if (fclose(o) != 0 || full) { printf("%DIR% full after %ld MiB: %s\\n", total >> 20, strerror(errno)); return 0; }
  }
  printf("wrote %ld MiB\\n", total >> 20);
  return 0;
}
"""
# A link for the judge to follow: the judge below reads answer.txt and compares it with
# its secret; followed, the link would give full marks.
LINK_OUT = b"""#include <unistd.h>
int main(void) { return symlink("/judge/secret.txt", "answer.txt"); }
"""
PTRACE_INIT = b"""#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
int main(void) {
  long r = ptrace(PTRACE_ATTACH, 1, 0, 0);
  printf("attach init: %s\\n", r == 0 ? "ok" : strerror(errno));
  return 0;
}
"""
# Empty files in the nested /tmp until something gives.
FILL_TMP_INODES = b"""#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char p[64];
  for (long n = 0;; n++) {
    snprintf(p, sizeof p, "/tmp/f%09ld", n);
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) { printf("stopped after %ld files\\n", n); return 0; }
    close(fd);
  }
}
"""
SECRET = ru.READER_SECRET


class Unstoppable(ru.HostileUploads):
    JUDGES = {"Reader": ru.READER_JUDGE}

    def judge(self, source, module="Lab1"):
        return self.judge_archive(ru.tar_bz2({"main.c": source}), module)

    def test_exit_code_200_is_a_runtime_error(self):
        sid, row = self.judge(RET200)
        self.assertVerdict(row, "runtime_error")
        self.assertIn("exit code 200", self.message(sid))
        self.assertGradingGoesOn()

    def test_exit_code_of_an_unnamed_signal_number_is_a_runtime_error(self):
        sid, row = self.judge(RET168)
        self.assertVerdict(row, "runtime_error")
        self.assertGradingGoesOn()

    def test_filling_the_writable_space_with_files_gets_a_verdict(self):
        sid, row = self.judge(FILL_INODES)
        self.assertVerdict(row, "wrong_answer")
        self.assertRegex(self.message(sid), r"created \d+ files")
        self.assertGradingGoesOn()

    def test_filling_the_writable_space_with_data_gets_a_verdict(self):
        sid, row = self.judge(FILL_BYTES_IN.replace("%DIR%", "/submission").encode())
        self.assertVerdict(row, "wrong_answer")
        self.assertIn("No space left on device", self.message(sid))
        self.assertGradingGoesOn()

    def test_filling_the_nested_tmp_and_shm_with_data_gets_a_verdict(self):
        for where in ("/tmp", "/dev/shm"):
            with self.subTest(where=where):
                sid, row = self.judge(FILL_BYTES_IN.replace("%DIR%", where).encode())
                self.assertVerdict(row, "wrong_answer")
                # each has a size well under the memory limit: ENOSPC, not an OOM kill
                self.assertIn("No space left on device", self.message(sid))
        self.assertGradingGoesOn()

    def test_filling_the_nested_tmp_with_files_never_kills_the_judge(self):
        sid, row = self.judge(FILL_TMP_INODES)
        # the nested /tmp has a file limit: ENOSPC long before the memory cgroup fills
        # with inodes (which killing the program would not free, so the OOM killer
        # would go on to the judge)
        self.assertVerdict(row, "wrong_answer")
        self.assertRegex(self.message(sid), r"stopped after \d+ files")
        self.assertGradingGoesOn()

    def test_a_link_left_for_the_judge_is_not_followed(self):
        sid, row = self.judge(LINK_OUT, module="Reader")
        self.assertVerdict(row, "wrong_answer")
        self.assertEqual(float(row["score"]), 0.0)
        self.assertNotIn(SECRET, row["log"])
        self.assertNotIn(SECRET, self.message(sid))
        self.assertGradingGoesOn()

    def test_ptrace_of_the_nested_init_is_refused(self):
        sid, row = self.judge(PTRACE_INIT)
        self.assertVerdict(row, "wrong_answer")
        self.assertIn("attach init: Operation not permitted", self.message(sid))
        self.assertGradingGoesOn()


# The demo's Lab1 judge as it was (it crashed on odd exit codes): signal.Signals(rc - 128) raises ValueError for an
# exit status of 160-255, so it writes no result.json.
OLD_LAB1_JUDGE = """import json, os, signal, subprocess
p = subprocess.run([os.environ["OJ_RUN"], "./main"], stdout=subprocess.PIPE, timeout=5)
msg = "killed by " + signal.Signals(p.returncode - 128).name if p.returncode > 128 else "exit %d" % p.returncode
ok = p.stdout.strip() == b"Hello, OJ!"
json.dump({"score": 100 if ok else 0, "max_score": 100, "tests": [{"name": "hello", "passed": ok, "message": msg}]},
          open(os.environ["OJ_RESULT"], "w"))
"""


class JudgeFailures(unittest.TestCase):
    """A judge that crashes on one submission ends that submission, not the queue; a
    runner whose own sandbox is broken disables itself and the watchdog says so."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="oj-judgefail-")
        os.chmod(self.tmp, 0o755)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_a_crashing_judge_blames_the_submission_and_rejudge_judges_it_once(self):
        judge = ru.write_judge(self.tmp, "lab1-old", {"judge.toml": ru.GCC_JUDGE_TOML, "test.py": OLD_LAB1_JUDGE})
        course, tokens = ojtest.make_course(modules=("Old",), students=2,
                                            extra=("--judge-dir", judge, "--supersede", "off"))
        path = ru.tar_bz2({"main.c": RET200})
        victim = ru.submit(path, tokens[0], course, "Old")
        os.unlink(path)
        row = ru.wait_done(victim, timeout=300)
        # judged twice (one retry), then judge_error with the reason; never the runner's fault
        self.assertEqual((row["status"], row["attempts"]), ("judge_error", 2), row)
        self.assertIn("self-test passes", row["log"])
        self.assertNotIn("disabled", ru.runner_states().values())
        # the queue goes on: another student's upload to the same module is judged
        path = ru.tar_bz2({"main.c": HELLO})
        other = ru.submit(path, tokens[1], course, "Old")
        os.unlink(path)
        self.assertEqual(ru.wait_done(other, timeout=120)["verdict"], "accepted")
        # the staff fix the judge; the victims are judged again, once each
        shutil.copy(os.path.join(ojtest.ROOT, "ops/demo/judges/ICS2024/Lab1/test.py"),
                    os.path.join(judge, "test.py"))
        out = ojtest.ojctl("rejudge", "--judge-errors", "--course", course)
        self.assertIn("requeued 1 submission", out)
        row = ru.wait_done(victim, timeout=120)
        self.assertEqual((row["status"], row["verdict"], row["attempts"]), ("done", "runtime_error", 0), row)

    def test_a_runner_with_a_broken_sandbox_disables_itself_and_the_watchdog_alerts(self):
        course, (token,) = ru.lab1_course(students=1)
        config = ru.runner_config(self.tmp, bwrap_path="/bin/false")
        slot = 90 + os.getpid() % 9
        runner_id = f"{ru.hostname()}:{slot}"
        status_file = os.path.join(ojtest.VAR, "run", "watchdog.status.json")

        def alert_state():
            try:
                with open(status_file) as f:
                    return json.load(f)["checks"]["runner_disabled"]
            except (OSError, ValueError, KeyError):
                return {}
        try:
            with ru.StackRunnerPaused():
                broken = ru.RunnerProcess(config, slot, os.path.join(self.tmp, "runner.log"))
                try:
                    path = ru.tar_bz2({"main.c": HELLO})
                    sid = ru.submit(path, token, course, "Lab1")
                    os.unlink(path)
                    ojtest.wait_for(lambda: ru.runner_states().get(runner_id) == "disabled", timeout=120,
                                    what="the broken runner to disable itself")
                    reason = ojtest.sql("SELECT reason FROM runners WHERE id = %s", (runner_id,))[0][0]
                    self.assertIn("self-test failed", reason)
                    # the submission was not charged for the runner's fault
                    row = ru.row(sid)
                    self.assertEqual((row["status"], row["attempts"]), ("queued", 0), row)
                    firing = ojtest.wait_for(lambda: (a := alert_state()).get("state") == "firing" and a,
                                             timeout=120, what="the watchdog's runner_disabled alert")
                    self.assertIn(runner_id, firing["detail"])
                finally:
                    broken.stop()
        finally:
            ojtest.sql("DELETE FROM runners WHERE id = %s", (runner_id,))
        # the stack's own runner judges it
        self.assertEqual(ru.wait_done(sid, timeout=120)["verdict"], "accepted")


if __name__ == "__main__":
    ojtest.main()
