"""Job text reaches the database as valid UTF-8, and archive
symlinks that climb out through other links are bad_archive.

Before: a compile error quoting invalid bytes (`#error bad \\xff\\xfe`) made the log write
fail (strict utf8mb4, MariaDB error 1366), so the submission was judged three times and
ended judge_error minutes later; and a tar with `q -> .` and
`answer.txt -> q/../judge/secret.txt` was accepted (each link's own text looked safe).
Every case is uploaded through nginx and must be judged once, with its own verdict.
"""
import io
import os
import tarfile
import tempfile

import ojtest
import runner_util as ru

FFFD = "\ufffd"
HELLO = ru.HostileUploads.HELLO
BAD_ERROR = b'#error bad \xff\xfe\nint main(void) { return 0; }\n'
# Prints bytes that are not UTF-8, for a judge that echoes them.
PRINT_BAD = b'#include <stdio.h>\nint main(void) { fputs("got \\xff\\xfe\\n", stdout); return 0; }\n'
SECRET = ru.READER_SECRET
# A judge that echoes the program's bytes as they are: raw in a test name, and as
# Python's json.dumps writes surrogate-escaped bytes ("\\udcff") in the message.
ECHO_JUDGE = """import json, os, subprocess
out = subprocess.run([os.environ["OJ_RUN"], "./main"], stdout=subprocess.PIPE, timeout=10).stdout
msg = json.dumps(out.decode("utf-8", "surrogateescape"))
doc = (b'{"score": 0, "max_score": 100, "tests": [{"name": "echo \\xff\\xfe", "passed": false, '
       b'"message": ' + msg.encode() + b'}]}')
open(os.environ["OJ_RESULT"], "wb").write(doc)
"""


def raw_name(b):
    """A str that tarfile writes back as the bytes b (surrogateescape)."""
    return b.decode("utf-8", "surrogateescape")


def tar_bz2(members):
    """members: [(name bytes, kind, data)] with kind "file" (data bytes) or "link" (target
    str); a GNU tar, so names are stored as raw bytes. Returns the archive's path."""
    fd, path = tempfile.mkstemp(suffix=".tar.bz2")
    os.close(fd)
    with tarfile.open(path, "w:bz2", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as t:
        for name, kind, data in members:
            info = tarfile.TarInfo(raw_name(name))
            if kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = data
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    return path


class RunnerText(ru.HostileUploads):
    JUDGES = {"Reader": ru.READER_JUDGE, "Echo": {"judge.toml": ru.GCC_JUDGE_TOML, "test.py": ECHO_JUDGE}}

    def judge(self, members, module="Lab1"):
        return self.judge_archive(tar_bz2(members), module)

    def test_compile_error_quoting_invalid_bytes_is_stored_on_the_first_run(self):
        sid, row = self.judge([(b"main.c", "file", BAD_ERROR)])
        self.assertVerdict(row, "compile_error")
        self.assertIn("#error bad " + FFFD + FFFD, row["log"])
        self.assertEqual(row["log"].count("== build =="), 1, "the build ran more than once")
        self.assertGradingGoesOn()

    def test_entry_named_with_invalid_utf8_gets_its_verdict(self):
        sid, row = self.judge([(b"main.c", "file", HELLO), (b"notes-\xff\xfe.txt", "file", b"x\n")])
        self.assertVerdict(row, "accepted")
        # Named in the log: a refused link with such a name is bad_archive, log stored.
        sid, row = self.judge([(b"main.c", "file", HELLO), (b"ln-\xff\xfe", "link", "/etc/passwd")])
        self.assertVerdict(row, "bad_archive")
        self.assertIn("symlink 'ln-" + FFFD + FFFD + "' points outside", row["log"])
        self.assertGradingGoesOn()

    def test_judge_echoing_invalid_bytes_keeps_its_report(self):
        sid, row = self.judge([(b"main.c", "file", PRINT_BAD)], module="Echo")
        self.assertVerdict(row, "wrong_answer")
        tests = ru.tests_of(sid)
        self.assertEqual(len(tests), 1, tests)
        self.assertEqual(tests[0][0], "echo " + FFFD + FFFD)
        self.assertIn("got " + FFFD + FFFD, tests[0][2])
        self.assertGradingGoesOn()

    def test_symlink_chains_out_of_the_tree_are_bad_archive(self):
        chains = {
            "q -> .": [(b"q", "link", "."), (b"answer.txt", "link", "q/../judge/secret.txt")],
            "d/up -> ..": [(b"d/up", "link", ".."), (b"answer.txt", "link", "d/up/../judge/secret.txt")],
            "later link": [(b"answer.txt", "link", "q/../judge/secret.txt"), (b"q", "link", ".")],
        }
        for name, links in chains.items():
            with self.subTest(chain=name):
                sid, row = self.judge([(b"main.c", "file", HELLO)] + links, module="Reader")
                self.assertVerdict(row, "bad_archive")
                self.assertIn("symlink 'answer.txt' points outside the submission", row["log"])
                self.assertNotIn(SECRET, row["log"])
                self.assertNotIn(SECRET, " ".join(t[2] for t in ru.tests_of(sid)))
        self.assertGradingGoesOn()

    def test_links_inside_the_tree_are_still_accepted(self):
        sid, row = self.judge([(b"main.c", "file", HELLO), (b"src/lib/util.h", "file", b"\n"),
                               (b"lib", "link", "src/lib"), (b"x", "link", "./main.c")])
        self.assertVerdict(row, "accepted")


if __name__ == "__main__":
    ojtest.main()
