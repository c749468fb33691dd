"""Issue 10, items 1-3: signed receipts, idempotent retry, queue position and ETA at submit time."""
import json
import hashlib
import os
import signal
import subprocess
import tempfile
import threading
import unittest

import ojtest
from ojtest import URL, VAR

RUN = os.path.join(VAR, "run")


def header(headers, name):
    for line in headers.splitlines():
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def runner_pids():
    out = []
    for f in os.listdir(RUN):
        if f.startswith("runner-") and f.endswith(".pid"):
            with open(os.path.join(RUN, f)) as fh:
                out.append(int(fh.read()))
    return out


class ReceiptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.course, cls.tokens = ojtest.make_course(modules=("R",), students=5)
        cls.tmp = tempfile.mkdtemp()
        cls.file = ojtest.write_random(os.path.join(cls.tmp, "a.tar.bz2"), 300_000)
        cls.other = ojtest.write_random(os.path.join(cls.tmp, "b.tar.bz2"), 300_000)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.tmp])

    def verify(self, receipt):
        return subprocess.run([os.path.join(ojtest.BIN, "ops/ojctl/ojctl"), "--config", ojtest.CONFIG,
                               "receipt", "verify", receipt], capture_output=True, text=True)

    def test_receipt_verifies_tamper_fails_rotation_keeps_old(self):
        code, body, headers = ojtest.upload(self.file, self.tokens[0], self.course, "R")
        self.assertEqual(code, 200, body)
        receipt = header(headers, "X-OJ-Receipt")
        self.assertRegex(receipt, r"^r1\.\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
        r = self.verify(receipt)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(body.split()[3], r.stdout)
        self.assertIn("present with the same hash", r.stdout)
        for i in (5, len(receipt) // 2, len(receipt) - 2):
            bad = receipt[:i] + ("A" if receipt[i] != "A" else "B") + receipt[i + 1:]
            self.assertNotEqual(self.verify(bad).returncode, 0, f"tampered at {i} verified")
        # Rotate, reload the pool gracefully, and check old and new receipts.
        out = ojtest.ojctl("receipt", "rotate")
        new_key = int(out.split()[-1])
        with open(os.path.join(RUN, "fcgi.pid")) as f:
            os.kill(int(f.read()), signal.SIGHUP)

        def signed_with_new_key():
            c, b, h = ojtest.upload(self.other, self.tokens[1], self.course, "R")
            rc = header(h, "X-OJ-Receipt") or ""
            return rc if c == 200 and rc.startswith(f"r1.{new_key}.") else None
        fresh = ojtest.wait_for(signed_with_new_key, timeout=30, what="receipts signed with the new key")
        self.assertEqual(self.verify(fresh).returncode, 0)
        self.assertEqual(self.verify(receipt).returncode, 0, "an old receipt stopped verifying")

    def test_identical_retries_get_the_same_answer_and_store_once(self):
        token = self.tokens[2]
        answers = [ojtest.upload(self.file, token, self.course, "R") for _ in range(10)]
        lines = {(c, b) for c, b, _ in answers}
        self.assertEqual(len(lines), 1, lines)
        code, line = lines.pop()
        self.assertEqual(code, 200)
        sid = line.split()[3]
        n = ojtest.sql(f"SELECT COUNT(*) FROM submissions s JOIN students t ON t.id=s.student_id "
                       f"WHERE t.token='{token}'")[0][0]
        self.assertEqual(n, "1")
        receipts = {header(h, "X-OJ-Receipt") for _, _, h in answers}
        self.assertEqual(len(receipts), 1)
        code, body, _ = ojtest.upload(self.other, token, self.course, "R")
        self.assertEqual(code, 200)
        self.assertNotEqual(body.split()[3], sid)

    def test_twin_committed_while_storing_is_answered_with_it(self):
        """The look under the student's lock: upload B carries the bytes of upload A,
        which finished arriving before B began but commits only after B's first look for
        a twin (found none). B must answer with A's line and leave no row or file of
        its own. B differs from A in length (another file name), as a different client
        would, so the two are not a parallel batch."""
        token = self.tokens[4]
        with open(self.file, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()

        def stored_copies():
            n = 0
            for d, _, files in os.walk(os.path.join(VAR, "storage")):
                for name in files:
                    path = os.path.join(d, name)
                    if os.path.getsize(path) == 300_000:
                        with open(path, "rb") as f:
                            n += hashlib.sha256(f.read()).hexdigest() == digest
            return n

        def lock_waits():
            return int(ojtest.sql("SELECT COUNT(*) FROM information_schema.INNODB_TRX "
                                  "WHERE trx_state = 'LOCK WAIT'")[0][0])

        copies = stored_copies()
        answers = {}

        def upload(name, filename):
            answers[name] = ojtest.curl("-F", f"token={token}", "-F", f"course={self.course}",
                                        "-F", "module=R", "-F", f"file=@{self.file};filename={filename}",
                                        f"{URL}/upload")

        holder = ojtest.SqlSession()
        threads = []
        try:
            # Holding the student's row lock parks each upload right before its insert,
            # after its first look for a twin.
            holder.run(f"BEGIN; SELECT id FROM students WHERE token = '{token}' FOR UPDATE;")
            threads.append(threading.Thread(target=upload, args=("a", "a.tar.bz2")))
            threads[-1].start()
            ojtest.wait_for(lambda: lock_waits() == 1, timeout=30, what="upload A parked")
            threads.append(threading.Thread(target=upload, args=("b", "retry-of-a.tar.bz2")))
            threads[-1].start()
            ojtest.wait_for(lambda: lock_waits() == 2, timeout=30, what="upload B parked")
            holder.run("COMMIT;")
            for t in threads:
                t.join(timeout=60)
        finally:
            holder.close()
        self.assertFalse(any(t.is_alive() for t in threads), "an upload did not finish")
        (code_a, line_a, _), (code_b, line_b, _) = answers["a"], answers["b"]
        self.assertEqual((code_a, code_b), (200, 200), (line_a, line_b))
        self.assertEqual(line_b, line_a)
        rows = ojtest.sql("SELECT s.id FROM submissions s JOIN students t ON t.id = s.student_id "
                          f"WHERE t.token = '{token}'")
        self.assertEqual(rows, [[line_a.split()[3]]])
        self.assertEqual(stored_copies(), copies + 1)  # A's file only: B's was removed

    def test_concurrent_identical_batch_is_stored_not_deduplicated(self):
        """The old operators' load test sends the same file in parallel and expects
        distinct submissions: only an upload that began after its twin was stored is a retry."""
        token = self.tokens[3]
        # Rate-limited so the eight transfers surely overlap (300 KB at 300 KB/s each).
        cmd = (f"seq 8 | parallel -n0 --jobs 8 curl -s --limit-rate 300K -F token={token} "
               f"-F course={self.course} -F module=R -F file=@{self.file} {URL}/upload")
        out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120).stdout
        ids = {l.split()[3] for l in out.splitlines() if l.startswith("[SUCC ✓]")}
        self.assertEqual(len(out.splitlines()), 8, out)
        self.assertEqual(len(ids), 8, out)

    def test_position_and_eta_headers_match_the_json(self):
        course, tokens = ojtest.make_course(modules=("Q",), students=3)
        with ojtest.paused_runners():
            ojtest.upload(self.file, tokens[0], course, "Q")
            ojtest.upload(self.other, tokens[1], course, "Q")
            code, body, headers = ojtest.upload(self.file, tokens[2], course, "Q")
            self.assertEqual(code, 200, body)
            status, data, _ = ojtest.get(f"/oj/{course}/Q/{tokens[2]}.json")
            self.assertEqual(status, 200)
            sub = json.loads(data)["submissions"][0]
            self.assertEqual(sub["id"], body.split()[3])
            self.assertEqual(int(header(headers, "X-OJ-Queue-Position")), sub["queue_position"])
            eta = header(headers, "X-OJ-ETA-Seconds")
            self.assertEqual(eta, "unknown" if sub["eta_seconds"] is None else str(sub["eta_seconds"]))
            self.assertEqual(header(headers, "X-OJ-Result-URL"), f"{URL}/oj/{course}/Q/{tokens[2]}")



if __name__ == "__main__":
    ojtest.main()
