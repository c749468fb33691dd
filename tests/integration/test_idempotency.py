"""Retries are told by the client's Idempotency-Key, never by timing or content.

An upload whose key the token already used within upload.idempotency_window_s gets the
first upload's exact answer (line and X-OJ-* headers, receipt included) and stores
nothing; the same key with another file or module is the 422 line; without the header
nothing is deduplicated, however identical or concurrent the uploads are."""
import hashlib
import os
import secrets
import subprocess
import tempfile
import threading
import unittest

import ojtest
from ojharness import upload
from ojtest import URL, VAR

SIZE = 123_457  # an odd size: this file's uploads are found in storage by size and hash


def key():
    return secrets.token_urlsafe(24)  # 32 URL-safe characters, as submit.sh makes them


def answer_of(headers_text):
    """The parts of an answer that a retry must get again: X-OJ-* and Retry-After."""
    out = []
    for line in headers_text.splitlines():
        name = line.split(":", 1)[0].lower()
        if name.startswith("x-oj-") or name == "retry-after":
            out.append(line.strip())
    return tuple(sorted(out))


def rows_of(token):
    return ojtest.sql("SELECT s.id FROM submissions s JOIN students t ON t.id = s.student_id "
                      "WHERE t.token = %s ORDER BY s.received_at", (token,))


class IdempotencyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.course, cls.tokens = ojtest.make_course(modules=("K", "L"), students=8)
        cls.tmp = tempfile.mkdtemp()
        cls.file = ojtest.write_random(os.path.join(cls.tmp, "a.tar.bz2"), SIZE)
        cls.other = ojtest.write_random(os.path.join(cls.tmp, "b.tar.bz2"), SIZE)
        with open(cls.file, "rb") as f:
            cls.digest = hashlib.sha256(f.read()).hexdigest()

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.tmp])

    def upload(self, token, k, path=None, module="K", filename=None):
        return upload.upload(URL, token, self.course, module, path=path or self.file, filename=filename,
                             headers={"Idempotency-Key": k} if k else None)

    def stored_copies(self):
        n = 0
        for d, _, files in os.walk(os.path.join(VAR, "storage")):
            for name in files:
                path = os.path.join(d, name)
                try:
                    if os.path.getsize(path) != SIZE:
                        continue
                    with open(path, "rb") as f:
                        n += hashlib.sha256(f.read()).hexdigest() == self.digest
                except FileNotFoundError:  # a part file that went meanwhile
                    pass
        return n

    def test_ten_uploads_with_one_key_at_once_are_one_submission_and_ten_identical_answers(self):
        token, k = self.tokens[0], key()
        copies = self.stored_copies()
        answers, start = [None] * 10, threading.Event()

        def send(i):
            start.wait()
            answers[i] = self.upload(token, k)
        threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads), "an upload did not finish")
        distinct = {(code, body, answer_of(h)) for code, body, h in answers}
        self.assertEqual(len(distinct), 1, distinct)
        code, body, headers = distinct.pop()
        self.assertEqual(code, 200, body)
        self.assertRegex(body, r"^\[SUCC ✓\] Received [A-Za-z0-9]{16} at [0-9-]{10} [0-9:]{8}\n$")
        self.assertTrue(any(h.lower().startswith("x-oj-receipt:") for h in headers), headers)
        self.assertEqual(rows_of(token), [[body.split()[3]]])
        self.assertEqual(self.stored_copies(), copies + 1, "a retry left a file behind")

    def test_same_key_with_another_file_or_module_is_the_422_line_and_stores_nothing(self):
        token, k = self.tokens[1], key()
        code, first, _ = self.upload(token, k)
        self.assertEqual(code, 200, first)
        for path, module in ((self.other, "K"), (self.file, "L"), (self.other, "L")):
            code, body, _ = self.upload(token, k, path, module)
            self.assertEqual((code, body),
                             (422, "[FAIL ✗] Idempotency-Key reused with a different file\n"))
        self.assertEqual(rows_of(token), [[first.split()[3]]])
        # The first upload's answer is still what a true retry gets.
        self.assertEqual(self.upload(token, k)[1], first)

    def test_a_key_is_the_tokens_own(self):
        k = key()
        a = self.upload(self.tokens[2], k)
        b = self.upload(self.tokens[3], k)
        self.assertEqual((a[0], b[0]), (200, 200))
        self.assertNotEqual(a[1].split()[3], b[1].split()[3])

    def test_without_the_header_identical_uploads_are_all_stored(self):
        token = self.tokens[4]
        ids = set()
        for _ in range(5):
            code, body, _ = self.upload(token, None)
            self.assertEqual(code, 200, body)
            ids.add(body.split()[3])
        self.assertEqual(len(ids), 5)
        self.assertEqual(len(rows_of(token)), 5)

    def test_malformed_key_is_a_400_line_and_stores_nothing(self):
        token = self.tokens[5]
        for bad in ("short", "x" * 65, "has space in it here", "slash/slash/slash/", "é" * 16):
            code, body, _ = self.upload(token, bad)
            self.assertEqual(code, 400, bad)
            self.assertEqual(body, "[FAIL ✗] Malformed upload: Idempotency-Key must be 16-64 "
                                   "URL-safe characters\n", bad)
        self.assertEqual(rows_of(token), [])
        # The draft's structured-field form (a quoted string) is the same key.
        k = key()
        first = self.upload(token, f'"{k}"')
        self.assertEqual(first[0], 200, first[1])
        self.assertEqual(self.upload(token, k)[1], first[1])

    def test_retry_after_the_module_closed_still_gets_the_first_answer(self):
        course, (token,) = ojtest.make_course(modules=("C",), students=1)
        k = key()
        code, first, h1 = upload.upload(URL, token, course, "C", path=self.file,
                                         headers={"Idempotency-Key": k})
        self.assertEqual(code, 200, first)
        ojtest.ojctl("module", "set", course, "C", "--close-now")
        code, again, h2 = upload.upload(URL, token, course, "C", path=self.file,
                                         headers={"Idempotency-Key": k})
        self.assertEqual((code, again, answer_of(h2)), (200, first, answer_of(h1)))
        code, body, _ = upload.upload(URL, token, course, "C", path=self.file,
                                      headers={"Idempotency-Key": key()})
        self.assertEqual(code, 403, body)  # a new key is a new upload: closed

    def test_a_key_past_its_window_is_a_new_upload(self):
        token, k = self.tokens[6], key()
        code, first, _ = self.upload(token, k)
        self.assertEqual(code, 200, first)
        ojtest.sql("UPDATE upload_keys u JOIN students s ON s.id = u.student_id SET "
                   "u.created_at = u.created_at - INTERVAL 2 DAY WHERE s.token = %s", (token,))
        code, second, _ = self.upload(token, k, self.other)  # other bytes: no 422 after the window
        self.assertEqual(code, 200, second)
        self.assertNotEqual(second.split()[3], first.split()[3])
        self.assertEqual(len(rows_of(token)), 2)
        # The expired record went when the key was used again: one record per key.
        n = ojtest.sql("SELECT COUNT(*) FROM upload_keys u JOIN students s ON s.id = u.student_id "
                       "WHERE s.token = %s", (token,))[0][0]
        self.assertEqual(n, "1")

    def test_retry_while_the_first_is_in_flight_waits_for_it(self):
        """Both uploads with one key are parked at the student's lock, right before their
        inserts (so both have stored their files and found no earlier use of the key); the
        one that commits first wins and the other answers with its answer, removing its
        own file."""
        token, k = self.tokens[7], key()
        copies = self.stored_copies()
        answers = {}

        def send(name, filename):
            answers[name] = self.upload(token, k, filename=filename)
        holder = ojtest.session()
        threads = []
        try:
            holder_id = holder.id

            def parked():
                # Only waits for the holder's lock: other clients' lock waits come and go.
                return int(ojtest.sql(
                    "SELECT COUNT(DISTINCT w.requesting_trx_id) FROM information_schema.INNODB_LOCK_WAITS w "
                    "JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
                    "WHERE b.trx_mysql_thread_id = %s", (holder_id,))[0][0])
            holder.run("BEGIN")
            holder.run("SELECT id FROM students WHERE token = %s FOR UPDATE", (token,))
            threads.append(threading.Thread(target=send, args=("a", "a.tar.bz2")))
            threads[-1].start()
            ojtest.wait_for(lambda: parked() == 1, timeout=60, what="upload A parked")
            threads.append(threading.Thread(target=send, args=("b", "retry.tar.bz2")))
            threads[-1].start()
            ojtest.wait_for(lambda: parked() == 2, timeout=60, what="upload B parked")
            holder.run("COMMIT")
            for t in threads:
                t.join(timeout=60)
        finally:
            holder.close()
        self.assertFalse(any(t.is_alive() for t in threads), "an upload did not finish")
        (ca, la, ha), (cb, lb, hb) = answers["a"], answers["b"]
        self.assertEqual((ca, cb), (200, 200), (la, lb))
        self.assertEqual((lb, answer_of(hb)), (la, answer_of(ha)))
        self.assertEqual(len(rows_of(token)), 1)
        self.assertEqual(self.stored_copies(), copies + 1)


if __name__ == "__main__":
    ojtest.main()
