"""client/submit.sh: what students run, against the test stack."""
import os
import socket
import subprocess
import tarfile
import tempfile
import threading
import unittest
import urllib.parse

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
            sha, key = ojtest.sql("SELECT sha256, storage_key FROM submissions WHERE id = %s", (sid,))[0]
            self.assertIn(f"sha256 {sha}", r.stdout)
            with tarfile.open(os.path.join(ojtest.VAR, "storage", key), "r:bz2") as t:
                names = {os.path.normpath(n) for n in t.getnames()}
            self.assertIn("main.c", names)
            self.assertNotIn("build.o", names)

    def test_refuses_locally_when_over_the_limit(self):
        with tempfile.TemporaryDirectory() as work:
            with open(os.path.join(work, "data.bin"), "wb") as f:
                f.write(os.urandom(5000))
            # Students' rows only: the stack's watchdog uploads a canary at any moment.
            count = "SELECT COUNT(*) FROM submissions WHERE canary = 0"
            before = ojtest.sql(count)[0][0]
            r = self.run_submit(work, OJ_LIMIT="1000")
            self.assertEqual(r.returncode, 1)
            self.assertIn("over the limit", r.stderr)
            self.assertEqual(ojtest.sql(count)[0][0], before)

    def test_server_refusal_is_printed_and_fails(self):
        with tempfile.TemporaryDirectory() as work:
            open(os.path.join(work, "a.c"), "w").close()
            r = self.run_submit(work, OJ_TOKEN="ZZZZZZZZ")
            self.assertEqual(r.returncode, 1)
            self.assertIn("[FAIL ✗] Invalid token!", r.stdout)


class AnswerCuttingProxy:
    """A loopback TCP proxy to the stack's nginx that, on its first connection, passes the
    request through, reads nginx's whole answer and then closes the client's connection
    without a byte of it: the upload was stored, and the student saw "Empty reply"."""

    def __init__(self):
        u = urllib.parse.urlsplit(ojtest.URL)
        self.upstream = (u.hostname, u.port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.cut = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            up = socket.create_connection(self.upstream)
            first = self.connections == 1
            threading.Thread(target=self.pump, args=(client, up), daemon=True).start()
            threading.Thread(target=self.answer_cut if first else self.pump, args=(up, client),
                             daemon=True).start()

    @staticmethod
    def pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def answer_cut(self, up, client):
        got = b""
        while True:
            data = up.recv(65536)
            if not data:
                break
            got += data
            head, sep, body = got.partition(b"\r\n\r\n")
            if not sep:
                continue
            lower = head.lower()
            if b"transfer-encoding: chunked" in lower and body.endswith(b"0\r\n\r\n"):
                break
            for line in lower.split(b"\r\n"):
                if line.startswith(b"content-length:") and len(body) >= int(line.split(b":")[1]):
                    break
            else:
                continue
            break
        self.cut.set()
        for s in (client, up):
            s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self):
        self.listener.close()


class SubmitShRetryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.course, cls.tokens = ojtest.make_course(modules=("Re",), students=2)

    def submit(self, work, token, server=ojtest.URL):
        e = dict(os.environ, HOME=work, OJ_SERVER=server, OJ_TOKEN=token, OJ_COURSE=self.course,
                 OJ_MODULE="Re")
        return subprocess.run(["bash", SUBMIT, "-d", work], capture_output=True, text=True, env=e,
                              timeout=120)

    def submissions(self, token):
        return ojtest.sql("SELECT s.id, s.sha256 FROM submissions s JOIN students t ON "
                          "t.id = s.student_id WHERE t.token = %s ORDER BY s.received_at", (token,))

    def test_retry_after_a_lost_answer_makes_one_submission(self):
        proxy = AnswerCuttingProxy()
        try:
            with tempfile.TemporaryDirectory() as work:
                with open(os.path.join(work, "main.c"), "w") as f:
                    f.write("int main(void) { return 0; }\n")
                r = self.submit(work, self.tokens[0], proxy.url)
        finally:
            proxy.close()
        self.assertTrue(proxy.cut.is_set(), "the proxy never cut an answer")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("connection failed; retrying", r.stderr)
        succ = [l for l in r.stdout.splitlines() if l.startswith("[SUCC ✓] Received ")]
        self.assertEqual(len(succ), 1, r.stdout)
        rows = self.submissions(self.tokens[0])
        self.assertEqual([row[0] for row in rows], [succ[0].split()[3]])
        self.assertEqual(proxy.connections, 2)

    def test_the_same_work_packs_to_the_same_bytes(self):
        with tempfile.TemporaryDirectory() as work:
            with open(os.path.join(work, "main.c"), "w") as f:
                f.write("int main(void) { return 0; }\n")
            os.mkdir(os.path.join(work, "src"))
            with open(os.path.join(work, "src", "util.c"), "w") as f:
                f.write("int util;\n")
            first = self.submit(work, self.tokens[1])
            self.assertEqual(first.returncode, 0, first.stderr)
            # The first run wrote .oj/receipts (the directory's time changed); a touch
            # changes every file's time; neither is the work.
            os.utime(os.path.join(work, "main.c"), (1, 1))
            second = self.submit(work, self.tokens[1])
            self.assertEqual(second.returncode, 0, second.stderr)
        rows = self.submissions(self.tokens[1])
        self.assertEqual(len(rows), 2, "two runs are two submissions (two keys)")
        self.assertEqual(rows[0][1], rows[1][1], "the same work packed to other bytes")


if __name__ == "__main__":
    ojtest.main()
