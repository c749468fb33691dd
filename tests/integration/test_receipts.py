"""Signed receipts, queue position and ETA at submit time (retries by Idempotency-Key are
test_idempotency.py)."""
import json
import os
import signal
import subprocess
import tempfile
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
        fresh = ojtest.wait_for(signed_with_new_key, timeout=60, what="receipts signed with the new key")
        self.assertEqual(self.verify(fresh).returncode, 0)
        self.assertEqual(self.verify(receipt).returncode, 0, "an old receipt stopped verifying")

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
