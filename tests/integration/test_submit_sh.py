"""client/submit.sh: what students run, against the test stack."""
import os
import subprocess
import tarfile
import tempfile
import unittest

import ojtest

SUBMIT = os.path.join(ojtest.ROOT, "client", "submit.sh")


class SubmitShTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.course, cls.tokens = ojtest.make_course(modules=("Sub",), students=1)

    def run_submit(self, work, **env):
        e = dict(os.environ, HOME=work, OJ_SERVER=ojtest.URL, OJ_TOKEN=self.tokens[0],
                 OJ_COURSE=self.course, OJ_MODULE="Sub")
        e.update(env)
        return subprocess.run(["bash", SUBMIT, "-d", work], capture_output=True, text=True, env=e, timeout=120)

    def test_packs_respecting_gitignore_and_prints_line_and_url(self):
        with tempfile.TemporaryDirectory() as work:
            for name, text in {"main.c": "int main(){}\n", "build.o": "junk", ".gitignore": "*.o\n"}.items():
                with open(os.path.join(work, name), "w") as f:
                    f.write(text)
            subprocess.run(["git", "init", "-q", work], check=True)
            r = self.run_submit(work)
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = r.stdout.splitlines()
            succ = [l for l in lines if l.startswith("[SUCC ✓] Received ")]
            self.assertEqual(len(succ), 1, r.stdout)
            self.assertIn(f"Results: {ojtest.URL}/oj/{self.course}/Sub/{self.tokens[0]}", lines)
            self.assertTrue(any(l.startswith("Queue position: ") for l in lines), r.stdout)
            sid = succ[0].split()[3]
            receipt = os.path.join(work, ".oj", "receipts", sid + ".receipt")
            self.assertTrue(any(l.startswith(f"Receipt: {receipt} ") for l in lines), r.stdout)
            with open(receipt) as f:
                out = ojtest.ojctl("receipt", "verify", f.read().strip())
            self.assertIn("VALID", out)
            sha, key = ojtest.sql(f"SELECT sha256, storage_key FROM submissions WHERE id='{sid}'")[0]
            self.assertIn(f"sha256 {sha}", r.stdout)
            with tarfile.open(os.path.join(ojtest.VAR, "storage", key), "r:bz2") as t:
                names = {os.path.normpath(n) for n in t.getnames()}
            self.assertIn("main.c", names)
            self.assertNotIn("build.o", names)

    def test_refuses_locally_when_over_the_limit(self):
        with tempfile.TemporaryDirectory() as work:
            with open(os.path.join(work, "data.bin"), "wb") as f:
                f.write(os.urandom(5000))
            before = ojtest.sql("SELECT COUNT(*) FROM submissions")[0][0]
            r = self.run_submit(work, OJ_LIMIT="1000")
            self.assertEqual(r.returncode, 1)
            self.assertIn("over the limit", r.stderr)
            self.assertEqual(ojtest.sql("SELECT COUNT(*) FROM submissions")[0][0], before)

    def test_server_refusal_is_printed_and_fails(self):
        with tempfile.TemporaryDirectory() as work:
            open(os.path.join(work, "a.c"), "w").close()
            r = self.run_submit(work, OJ_TOKEN="ZZZZZZZZ")
            self.assertEqual(r.returncode, 1)
            self.assertIn("[FAIL ✗] Invalid token!", r.stdout)


if __name__ == "__main__":
    ojtest.main()
