"""Hostile submissions are contained with the right verdict (Lab1 judge)."""
import os
import subprocess
import tarfile
import io
import secrets
import unittest

import ojtest
import runner_util as ru

HELLO = b'#include <stdio.h>\nint main(void) { puts("Hello, OJ!"); return 0; }\n'
FORK_BOMB = b"#include <unistd.h>\nint main(void) { for (;;) fork(); }\n"
ALLOC_4G = b"""#include <stdlib.h>
#include <string.h>
#include <stdio.h>
int main(void) {
  size_t n = 4ul << 30;
  volatile char *p = malloc(n);
  if (!p) { puts("malloc failed"); return 1; }
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  printf("%d\\n", p[n - 4096]);
  return 0;
}
"""
LOOP = b"int main(void) { volatile unsigned long i = 0; for (;;) i++; }\n"
OUTPUT_1G = b"""#include <stdio.h>
#include <string.h>
int main(void) {
  static char buf[1 << 20];
  memset(buf, 'x', sizeof buf);
  for (int i = 0; i < 1024; i++) fwrite(buf, 1, sizeof buf, stdout);
  return 0;
}
"""
PROBE = """#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static void try_write(const char *path) {
  FILE *f = fopen(path, "w");
  printf("write %s: %s\\n", path, f ? "ok" : strerror(errno));
}
int main(void) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(%PORT%);
  a.sin_addr.s_addr = htonl(0x7f000001);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int r = s < 0 ? -1 : connect(s, (struct sockaddr *)&a, sizeof a);
  printf("connect: %s\\n", r == 0 ? "ok" : strerror(errno));
  DIR *d = opendir("%STORAGE%");
  printf("storage: %s\\n", d ? "VISIBLE" : strerror(errno));
  d = opendir("%ROOT%");
  printf("repo: %s\\n", d ? "VISIBLE" : strerror(errno));
  try_write("/usr/oj-probe");
  try_write("/judge/oj-probe");
  try_write("/oj-probe");
  try_write("/tmp/oj-probe");
  return 0;
}
"""
# Tries to forge the judge's result and read its expected outputs, now and from a child
# that outlives main; prints what it found instead of the expected line (so the honest
# verdict is wrong_answer, 0 points).
TAMPER = """#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static const char kForged[] = "{\\"score\\": 100, \\"max_score\\": 100, \\"tests\\": []}";
static int forge(void) {
  FILE *f = fopen("/out/result.json", "w");
  if (!f) return errno;
  fputs(kForged, f);
  fclose(f);
  return 0;
}
int main(void) {
  int e = forge();
  printf("forge result: %s\\n", e ? strerror(e) : "ok");
  FILE *j = fopen("/judge/test.py", "r");
  printf("read judge: %s\\n", j ? "ok" : strerror(errno));
  int others = 0;
  DIR *d = opendir("/proc");
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && atoi(de->d_name) != getpid()) {
      char path[300], comm[64] = "";
      snprintf(path, sizeof path, "/proc/%s/comm", de->d_name);
      FILE *c = fopen(path, "r");
      if (c && fgets(comm, sizeof comm, c) && strstr(comm, "python")) others++;
      if (c) fclose(c);
    }
  printf("judge processes visible: %d\\n", others);
  fflush(stdout);
  if (fork() == 0) {
    setsid();
    for (int i = 0; i < 300; i++) { forge(); usleep(10000); }
    return 0;
  }
  return 0;
}
"""
LEFTOVER = """#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(void) {
  if (fork() == 0) {
    prctl(PR_SET_NAME, "%NAME%");
    setsid();
    sleep(600);
    return 0;
  }
  puts("Hello, OJ!");
  return 0;
}
"""


def bomb_member(size):
    """A tar member of `size` zero bytes, streamed (never held in memory)."""
    class Zeros:
        def __init__(self):
            self.left = size

        def read(self, n=-1):
            n = self.left if n < 0 else min(n, self.left)
            self.left -= n
            return bytes(n)

    def add(t):
        info = tarfile.TarInfo("zeros.bin")
        info.size = size
        t.addfile(info, Zeros())
    return add


def symlink_member(name, target):
    def add(t):
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        t.addfile(info)
    return add


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.course, cls.tokens = ru.lab1_course(students=1, supersede=False)
        cls.leftover_name = "ojleft" + secrets.token_hex(4)
        storage = os.path.join(ojtest.VAR, "storage")
        sources = {
            "hello": HELLO,
            "forkbomb": FORK_BOMB,
            "alloc4g": ALLOC_4G,
            "loop": LOOP,
            "output1g": OUTPUT_1G,
            "probe": PROBE.replace("%PORT%", str(ojtest.PORT)).replace("%STORAGE%", storage)
                          .replace("%ROOT%", ojtest.ROOT).encode(),
            "leftover": LEFTOVER.replace("%NAME%", cls.leftover_name).encode(),
            "tamper": TAMPER.encode(),
        }
        archives = {name: {"main.c": src} for name, src in sources.items()}
        archives["dotdot"] = {"main.c": HELLO, "../evil.c": HELLO}
        archives["absolute"] = {"/tmp/evil.c": HELLO}
        archives["symlink"] = {"main.c": HELLO, "link": symlink_member("passwd", "/etc/passwd")}
        archives["bomb"] = {"zeros": bomb_member(300 << 20)}
        cls.ids = {}
        for name, files in archives.items():
            path = ru.tar_bz2(files)
            cls.ids[name] = ru.submit(path, cls.tokens[0], cls.course, "Lab1")
            os.unlink(path)
        cls.rows = {name: ru.wait_done(sid, timeout=400) for name, sid in cls.ids.items()}

    def verdict(self, name):
        r = self.rows[name]
        self.assertEqual(r["status"], "done", f"{name}: {r}")
        return r["verdict"]

    def message(self, name):
        return " ".join(t[2] for t in ru.tests_of(self.ids[name]))

    def test_control_submission_is_accepted(self):
        self.assertEqual(self.verdict("hello"), "accepted")

    def test_fork_bomb_hits_pids_limit(self):
        self.assertEqual(self.verdict("forkbomb"), "time_limit", self.rows["forkbomb"]["log"])
        self.assertIn("process limit", self.rows["forkbomb"]["log"])

    def test_4gb_allocation_is_memory_limit(self):
        self.assertEqual(self.verdict("alloc4g"), "memory_limit", self.rows["alloc4g"]["log"])
        self.assertIn("memory limit", self.rows["alloc4g"]["log"])

    def test_infinite_loop_is_time_limit(self):
        self.assertEqual(self.verdict("loop"), "time_limit")

    def test_1gb_output_is_output_limit(self):
        self.assertEqual(self.verdict("output1g"), "output_limit")
        self.assertLess(len(self.rows["output1g"]["log"]), 70000)

    def test_probe_sees_no_network_storage_or_writable_system(self):
        msg = self.message("probe")
        self.assertEqual(self.verdict("probe"), "wrong_answer")
        self.assertIn("connect: ", msg)
        self.assertNotIn("connect: ok", msg)
        self.assertIn("storage: No such file or directory", msg)
        self.assertIn("repo: No such file or directory", msg)
        self.assertIn("write /usr/oj-probe: Read-only file system", msg)
        self.assertIn("write /judge/oj-probe: No such file or directory", msg)
        self.assertIn("write /oj-probe: Read-only file system", msg)
        self.assertIn("write /tmp/oj-probe: ok", msg)

    def test_program_cannot_forge_the_result_or_read_the_judge(self):
        r = self.rows["tamper"]
        msg = self.message("tamper")
        self.assertEqual(self.verdict("tamper"), "wrong_answer", r["log"])
        self.assertEqual(float(r["score"]), 0.0, r)
        self.assertIn("forge result: No such file or directory", msg)
        self.assertIn("read judge: No such file or directory", msg)
        self.assertIn("judge processes visible: 0", msg)

    def test_left_behind_child_is_killed(self):
        self.assertEqual(self.verdict("leftover"), "accepted")
        r = subprocess.run(["pgrep", "-f", self.leftover_name], capture_output=True, text=True)
        self.assertEqual(r.stdout.strip(), "", "a process of the submission outlived its job")
        r = subprocess.run(["pgrep", "-x", self.leftover_name[:15]], capture_output=True, text=True)
        self.assertEqual(r.stdout.strip(), "")

    def test_dotdot_absolute_and_escaping_links_are_bad_archive(self):
        for name in ("dotdot", "absolute", "symlink"):
            self.assertEqual(self.verdict(name), "bad_archive", self.rows[name]["log"])
        self.assertIn("unsafe entry name", self.rows["dotdot"]["log"])
        self.assertIn("points outside", self.rows["symlink"]["log"])

    def test_bzip2_bomb_is_bad_archive_not_a_full_disk(self):
        self.assertEqual(self.verdict("bomb"), "bad_archive", self.rows["bomb"]["log"])
        self.assertIn("after decompression", self.rows["bomb"]["log"])


if __name__ == "__main__":
    ojtest.main()
