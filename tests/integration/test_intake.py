"""Submission intake against the real stack: nginx + the FastCGI pool + MariaDB."""
import glob
import hashlib
import os
import select
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import unittest

import ojtest
from ojtest import URL, VAR, sql

SUCC = "[SUCC ✓] Received "
STORAGE = os.path.join(VAR, "storage")


def readf(path):
    with open(path) as f:
        return f.read()


def stored_files():
    """Submission files (and part files) under storage; the outage ledger's journals in
    storage/ledger/ record refusals and are not submissions."""
    ledger = os.path.join(STORAGE, "ledger") + os.sep
    return set(p for p in glob.glob(os.path.join(STORAGE, "**"), recursive=True)
               if os.path.isfile(p) and not p.startswith(ledger))


def submission_count():
    return int(sql("SELECT COUNT(*) FROM submissions")[0][0])


def worker_reading(data):
    """The pool worker blocked in read() while reading the upload whose file part starts
    with data (its part file holds those bytes), or None. Any worker in read() is not
    enough: another client's request (the watchdog's probe, a canary) may be in one."""
    head = data[:64]
    for p in worker_pids():
        try:
            if readf(f"/proc/{p}/syscall").split()[0] != "0":
                continue
            for part in glob.glob(os.path.join(STORAGE, "tmp", f"{p}-*.part")):
                with open(part, "rb") as f:
                    if f.read(len(head)) == head:
                        return p
        except OSError:
            pass
    return None


def runner_pids():
    pids = []
    for f in glob.glob(os.path.join(VAR, "run", "runner-*.pid")):
        try:
            pids.append(int(readf(f)))
        except (OSError, ValueError):
            pass
    return pids


def fcgi_master():
    return int(readf(os.path.join(VAR, "run", "fcgi.pid")))


def worker_pids():
    out = subprocess.run(["pgrep", "-P", str(fcgi_master())], capture_output=True, text=True).stdout
    return sorted(int(p) for p in out.split())


def raw_post(body, content_type, extra_headers=()):
    """POST /upload with an exact body; returns (status, text)."""
    s = socket.create_connection((ojtest.HOST, ojtest.PORT), timeout=60)
    head = (f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n")
    for h in extra_headers:
        head += h + "\r\n"
    s.sendall(head.encode() + b"\r\n" + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    status = int(data.split(b" ", 2)[1])
    text = data.split(b"\r\n\r\n", 1)[1]
    if b"transfer-encoding: chunked" in data.split(b"\r\n\r\n", 1)[0].lower():
        out, rest = b"", text
        while rest:
            n, rest = rest.split(b"\r\n", 1)
            n = int(n, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        text = out
    return status, text.decode("utf-8", "replace")


def form(fields, boundary="BoUnDaRy"):
    b = b""
    for name, value in fields:
        disp = f'form-data; name="{name}"' + ('; filename="x.tar.bz2"' if name == "file" else "")
        b += f"--{boundary}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + value + b"\r\n"
    return b + f"--{boundary}--\r\n".encode()


class FastCgiClient:
    """Speaks FastCGI to the pool's socket directly, the way nginx does, so a test
    can hold a worker in the middle of a request."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(120)  # bounds a hang; read_all() returns what came by then
        self.s.connect(path)

    def record(self, rtype, content):
        self.s.sendall(struct.pack("!BBHHBx", 1, rtype, 1, len(content), 0) + content)

    def begin(self, params):
        self.record(1, struct.pack("!HB5x", 1, 0))  # BEGIN_REQUEST, responder, no keep-conn
        body = b""
        for k, v in params.items():
            k, v = k.encode(), v.encode()
            body += bytes([len(k)]) + (bytes([len(v)]) if len(v) < 128 else struct.pack("!I", len(v) | 0x80000000)) + k + v
        self.record(4, body)
        self.record(4, b"")

    def stdin(self, data):
        for i in range(0, len(data), 65535):
            self.record(5, data[i:i + 65535])

    def read_all(self):
        data = b""
        try:
            while True:
                c = self.s.recv(65536)
                if not c:
                    break
                data += c
        except OSError:
            pass
        return data


class IntakeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The runner would claim rows while we look at them, and the watchdog's canaries
        # would add rows and files while we count them; hold both for this class.
        cls.paused = ojtest.paused_runners().__enter__()
        cls.paused_watchdog = ojtest.paused_watchdog().__enter__()
        cls.course, cls.tokens = ojtest.make_course(modules=("M1", "M2"), students=4)
        ojtest.ojctl("module", "add", cls.course, "Closed", "--opens", "now-2d", "--deadline", "now-1d")
        ojtest.ojctl("module", "add", cls.course, "Later", "--opens", "now+1d", "--deadline", "now+2d")
        ojtest.ojctl("module", "add", cls.course, "Late", "--opens", "now-2d", "--deadline", "now-1h",
                     "--late-until", "now+1d")
        cls.tmp = tempfile.mkdtemp()
        cls.big = ojtest.write_random(os.path.join(cls.tmp, "big.tar.bz2"), 11_800_000)
        cls.huge = ojtest.write_random(os.path.join(cls.tmp, "huge.tar.bz2"), 16_000_000)
        cls.small = ojtest.write_random(os.path.join(cls.tmp, "small.tar.bz2"), 1000)
        cls.empty = os.path.join(cls.tmp, "empty.tar.bz2")
        open(cls.empty, "wb").close()

    @classmethod
    def tearDownClass(cls):
        cls.paused_watchdog.__exit__(None, None, None)
        cls.paused.__exit__(None, None, None)
        subprocess.run(["rm", "-rf", cls.tmp])

    def up(self, path, token=None, module="M1", course=None):
        return ojtest.upload(path, token or self.tokens[0], course or self.course, module)

    def assert_nothing_stored(self, fn):
        before_rows, before_files = submission_count(), stored_files()
        result = fn()
        self.assertEqual(submission_count(), before_rows, "a row was stored")
        self.assertEqual(stored_files(), before_files, "a file was left in storage")
        return result

    def test_big_upload_is_stored_with_its_hash_and_queued(self):
        code, body, _ = self.up(self.big, token=self.tokens[1])
        self.assertEqual(code, 200, body)
        self.assertRegex(body, r"^\[SUCC ✓\] Received [A-Za-z0-9]{16} at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$")
        sid = body.split()[3]
        status, sha, key, size = sql("SELECT status, sha256, storage_key, size_bytes FROM submissions WHERE id = %s", (sid,))[0]
        with open(self.big, "rb") as f:
            sent = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(status, "queued")
        self.assertEqual(sha, sent)
        self.assertEqual(int(size), 11_800_000)
        with open(os.path.join(STORAGE, key), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), sent)

    def test_too_large_gets_413_line_and_nothing_stored(self):
        for extra in ((), ("-H", "Expect: 100-continue"), ("-H", "Expect:")):
            code, body, _ = self.assert_nothing_stored(lambda: ojtest.curl(
                "-F", f"token={self.tokens[0]}", "-F", f"course={self.course}", "-F", "module=M1",
                "-F", f"file=@{self.huge}", *extra, f"{URL}/upload"))
            self.assertEqual((code, body), (413, "[FAIL ✗] File is too large!\n"), extra)

    def test_module_size_limit_gets_413(self):
        ojtest.ojctl("module", "add", self.course, "Tiny", "--deadline", "now+1d", "--size-limit", "500")
        code, body, _ = self.assert_nothing_stored(lambda: self.up(self.small, module="Tiny"))
        self.assertEqual((code, body), (413, "[FAIL ✗] File is too large!\n"))

    def test_each_rejection_has_its_line_and_stores_nothing(self):
        other_course, other_tokens = ojtest.make_course(modules=("M1",), students=1)
        cases = [
            ("wrong token", lambda: self.up(self.small, token="ZZZZZZZZ"), 403, "[FAIL ✗] Invalid token!"),
            ("malformed token", lambda: self.up(self.small, token="../etc"), 403, "[FAIL ✗] Invalid token!"),
            ("token of another course", lambda: self.up(self.small, token=other_tokens[0]), 403,
             "[FAIL ✗] Invalid token!"),
            ("bad token, unknown module", lambda: self.up(self.small, token="ZZZZZZZZ", module="Nope"), 403,
             "[FAIL ✗] Invalid token!"),
            ("unknown module", lambda: self.up(self.small, module="Nope"), 404,
             "[FAIL ✗] Unknown course or module!"),
            # docs/contract.md §3.1: an invalid token learns nothing, and a valid one does not learn which
            # courses exist: a course it is not in is the unknown token's answer.
            ("valid token, unknown course", lambda: self.up(self.small, course="NoSuchCourse"), 403,
             "[FAIL ✗] Invalid token!"),
            ("unknown token, unknown course",
             lambda: self.up(self.small, token="ZZZZZZZZ", course="NoSuchCourse"), 403,
             "[FAIL ✗] Invalid token!"),
            ("closed module", lambda: self.up(self.small, module="Closed"), 403, None),
            ("not yet open", lambda: self.up(self.small, module="Later"), 403, None),
            ("missing file", lambda: ojtest.curl("-F", f"token={self.tokens[0]}", "-F", f"course={self.course}",
                                                 "-F", "module=M1", f"{URL}/upload"), 400,
             "[FAIL ✗] Missing field: file"),
            ("missing token", lambda: ojtest.curl("-F", f"course={self.course}", "-F", "module=M1",
                                                  "-F", f"file=@{self.small}", f"{URL}/upload"), 400,
             "[FAIL ✗] Missing field: token"),
            ("empty file", lambda: self.up(self.empty), 400, "[FAIL ✗] Empty file!"),
            ("not multipart", lambda: ojtest.curl("--data-binary", "hello", f"{URL}/upload"), 400, None),
        ]
        for what, fn, status, line in cases:
            with self.subTest(what):
                code, body, _ = self.assert_nothing_stored(fn)
                self.assertEqual(code, status, f"{what}: {body}")
                if line:
                    self.assertEqual(body, line + "\n", what)
                self.assertTrue(body.startswith("[FAIL ✗] ") and body.endswith("\n") and body.count("\n") == 1, body)
        code, body, _ = self.up(self.small, module="Closed")
        self.assertRegex(body, r"^\[FAIL ✗\] Closed is closed since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$")
        code, body, _ = self.up(self.small, module="Later")
        self.assertRegex(body, r"^\[FAIL ✗\] Later opens at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$")

    def test_late_window_is_marked(self):
        code, body, _ = self.up(self.small, module="Late", token=self.tokens[2])
        self.assertEqual(code, 200, body)
        self.assertTrue(body.endswith(" (late)\n"), body)
        self.assertEqual(sql("SELECT late FROM submissions WHERE id = %s", (body.split()[3],))[0][0], "1")

    def test_hostile_multipart_bodies_get_400_lines(self):
        t, c = self.tokens[0].encode(), self.course.encode()
        ok_fields = [("token", t), ("course", c), ("module", b"M1")]
        cd = b'Content-Disposition: form-data; name="token"\r\n'
        cases = {
            "folded header": b"--B\r\n" + cd + b" folded\r\n\r\nx\r\n--B--\r\n",
            "tab-folded header": b"--B\r\n" + cd + b"\tfolded\r\n\r\nx\r\n--B--\r\n",
            "no closing boundary": b"--B\r\n" + cd + b"\r\nx\r\n",
            "header then closing boundary": b"--B\r\n" + cd + b"--B--\r\n",
            "boundary never appears": b"x" * 100000,
            "thousands of parts": (b"--B\r\n" + cd + b"\r\nx\r\n") * 3000 + b"--B--\r\n",
            "long line without newline": b"--B\r\n" + b"h" * 500000,
            "huge preamble": b"p" * 2_000_000 + b"\r\n" + form(ok_fields, "B"),
            "huge epilogue": form(ok_fields + [("file", b"data")], "B") + b"e" * 2_000_000,
            "field content starting with CRLF": form([("token", b"\r\n" + t), ("course", c), ("module", b"M1"),
                                                      ("file", b"data")], "B"),
            "duplicated field": form(ok_fields + [("module", b"M1"), ("file", b"data")], "B"),
        }
        for what, body in cases.items():
            with self.subTest(what):
                status, text = self.assert_nothing_stored(
                    lambda: raw_post(body, "multipart/form-data; boundary=B"))
                self.assertEqual(status, 400, f"{what}: {text}")
                self.assertRegex(text, r"^\[FAIL ✗\] (Malformed upload: .+|Missing field: \w+)\n$", what)
        status, text = raw_post(b"x", "multipart/form-data")
        self.assertEqual((status, text), (400, "[FAIL ✗] Malformed upload: no boundary\n"))

    def test_32_concurrent_big_uploads_all_succeed(self):
        token = self.tokens[3]
        cmd = (f"seq 32 | parallel -n0 --jobs 32 curl -s -F token={token} -F course={self.course} "
               f"-F module=M2 -F file=@{self.big} {URL}/upload")
        out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=300).stdout
        lines = out.splitlines()
        self.assertEqual(len(lines), 32, out)
        ids = set()
        for line in lines:
            self.assertTrue(line.startswith(SUCC), line)
            ids.add(line.split()[3])
        self.assertEqual(len(ids), 32)
        with open(self.big, "rb") as f:
            sent = hashlib.sha256(f.read()).hexdigest()
        rows = sql("SELECT id, sha256, storage_key FROM submissions WHERE id IN %s", (ids,))
        self.assertEqual(len(rows), 32)
        for sid, sha, key in rows:
            self.assertEqual(sha, sent)
            self.assertEqual(os.path.getsize(os.path.join(STORAGE, key)), 11_800_000)

    def test_superseding_leaves_one_queued(self):
        course, tokens = ojtest.make_course(modules=("S",), students=1)
        ids = []
        for i in range(3):
            # Distinct bytes, like a student's successive uploads (content is never deduplicated).
            f = ojtest.write_random(os.path.join(self.tmp, f"s{i}.bin"), 1000)
            code, body, _ = ojtest.upload(f, tokens[0], course, "S")
            self.assertEqual(code, 200, body)
            ids.append(body.split()[3])
        states = dict(sql("SELECT id, status FROM submissions WHERE id IN %s", (ids,)))
        self.assertEqual(states[ids[2]], "queued")
        self.assertEqual(states[ids[0]], "superseded")
        self.assertEqual(states[ids[1]], "superseded")
        ojtest.ojctl("module", "add", course, "K", "--deadline", "now+1d", "--supersede", "0")
        for i in range(2):
            ojtest.upload(os.path.join(self.tmp, f"s{i}.bin"), tokens[0], course, "K")
        self.assertEqual(sql("SELECT COUNT(*) FROM submissions s JOIN modules m ON m.id=s.module_id "
                             "WHERE m.code='K' AND s.status='queued' AND m.course_id="
                             "(SELECT id FROM courses WHERE code = %s)", (course,))[0][0], "2")

    def test_per_token_rate_limit_gives_429_with_retry_after(self):
        import tomllib
        with open(ojtest.CONFIG, "rb") as f:
            limit = tomllib.load(f).get("upload", {}).get("token_limit", 60)
        course, tokens = ojtest.make_course(modules=("R",), students=1)
        rdir = os.path.join(self.tmp, "rate")
        os.makedirs(rdir, exist_ok=True)
        for i in range(limit + 1):  # distinct bytes: identical ones would count as retries
            ojtest.write_random(os.path.join(rdir, f"{i:04d}.bin"), 500)
        files = "\n".join(os.path.join(rdir, f"{i:04d}.bin") for i in range(limit))
        cmd = ("parallel --jobs 8 curl -s -o /dev/null -w '%{http_code}\\\\n' "
               f"-F token={tokens[0]} -F course={course} -F module=R -F file=@{{}} {URL}/upload")
        out = subprocess.run(["bash", "-c", cmd], input=files, capture_output=True, text=True,
                             timeout=300).stdout
        self.assertEqual(out.split().count("200"), limit, out)
        last = os.path.join(rdir, f"{limit:04d}.bin")
        code, body, headers = self.assert_nothing_stored(lambda: ojtest.upload(last, tokens[0], course, "R"))
        self.assertEqual(code, 429, body)
        self.assertRegex(body, r"^\[FAIL ✗\] Too many requests, retry in (\d+) s\n$")
        n = body.split()[-2]
        self.assertIn(f"retry-after: {n}", headers.lower())

    def test_slow_clients_do_not_hold_workers(self):
        """20 clients trickling their bodies at ~1 KB/s (more than the 8 workers) while
        normal uploads go through promptly: nginx buffers bodies, workers never wait."""
        body = form([("token", self.tokens[0].encode()), ("course", self.course.encode()),
                     ("module", b"M1"), ("file", os.urandom(30000))], "S")
        stop = threading.Event()
        socks = []
        for _ in range(20):
            s = socket.create_connection((ojtest.HOST, ojtest.PORT), timeout=30)
            s.sendall((f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=S\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n").encode())
            socks.append(s)

        def trickle():
            sent = 0
            while not stop.is_set() and sent < 5000:
                for s in socks:
                    try:
                        s.sendall(body[sent:sent + 100])
                    except OSError:
                        pass
                sent += 100
                stop.wait(0.1)
        t = threading.Thread(target=trickle)
        t.start()
        try:
            for i in range(10):
                code, text, _ = self.up(self.small, token=self.tokens[1])
                self.assertEqual(code, 200, text)
            # Done while every slow client is still sending its body (none has an answer
            # or was cut off): the uploads did not wait for any of them.
            readable, _, _ = select.select(socks, [], [], 0)
            self.assertEqual(readable, [], "a slow client was answered or cut off before the uploads finished")
        finally:
            stop.set()
            t.join()
            for s in socks:
                s.close()

    def test_sigterm_mid_upload_lets_the_upload_finish(self):
        """SIGTERM is how a worker is told to stop (pool reload, drain, its master's death):
        an upload it is reading must still be stored and acknowledged, then it exits."""
        before_workers = worker_pids()
        course, (token,) = ojtest.make_course(students=1)
        data = os.urandom(200000)
        body = form([("token", token.encode()), ("course", course.encode()), ("module", b"M1"),
                     ("file", data)], "T")
        client = FastCgiClient(os.path.join(VAR, "run", "fcgi.sock"))
        client.begin({"REQUEST_METHOD": "POST", "REQUEST_URI": "/upload",
                      "CONTENT_TYPE": "multipart/form-data; boundary=T", "CONTENT_LENGTH": str(len(body)),
                      "REMOTE_ADDR": "127.0.0.1"})
        client.stdin(body[:150000])

        victim = ojtest.wait_for(lambda: worker_reading(data), timeout=60, what="a worker reading our request")
        os.kill(victim, signal.SIGTERM)
        client.stdin(body[150000:])
        client.record(5, b"")  # end of the body
        reply = client.read_all()
        client.s.close()
        self.assertIn("[SUCC ✓] Received".encode(), reply, reply[-300:])
        sid = reply.decode("utf-8", "replace").split("[SUCC ✓] Received ")[1].split()[0]
        self.assertEqual(sql("SELECT sha256 FROM submissions WHERE id = %s", (sid,)),
                         [[hashlib.sha256(data).hexdigest()]])
        ojtest.wait_for(lambda: len(worker_pids()) == len(before_workers) and victim not in worker_pids(),
                        timeout=60, what="the stopped worker to exit and be replaced")

    def test_kill_9_of_a_worker_mid_upload_leaves_nothing_and_is_respawned(self):
        before_workers = worker_pids()
        self.assertGreater(len(before_workers), 0)
        data = os.urandom(200000)
        body = form([("token", self.tokens[0].encode()), ("course", self.course.encode()),
                     ("module", b"M1"), ("file", data)], "K")
        client = FastCgiClient(os.path.join(VAR, "run", "fcgi.sock"))
        client.begin({"REQUEST_METHOD": "POST", "REQUEST_URI": "/upload",
                      "CONTENT_TYPE": "multipart/form-data; boundary=K", "CONTENT_LENGTH": str(len(body)),
                      "REMOTE_ADDR": "127.0.0.1"})
        before_rows = submission_count()
        client.stdin(body[:150000])  # the file part is half written to a part file

        # The victim's part file holds our bytes (worker_reading checks it).
        victim = ojtest.wait_for(lambda: worker_reading(data), timeout=60, what="a worker reading our request")
        os.kill(victim, signal.SIGKILL)
        reply = client.read_all()
        client.s.close()
        self.assertNotIn(b"SUCC", reply)
        ojtest.wait_for(lambda: len(worker_pids()) == len(before_workers) and victim not in worker_pids(),
                        timeout=60, what="the master to respawn the worker")
        ojtest.wait_for(lambda: not glob.glob(os.path.join(STORAGE, "tmp", f"{victim}-*")), timeout=60,
                        what="the dead worker's part file to be removed")
        self.assertEqual(submission_count(), before_rows)
        # And an acknowledged upload survives the death of every worker right after.
        code, text, _ = self.up(self.small, token=self.tokens[2])
        self.assertEqual(code, 200, text)
        sid = text.split()[3]
        for p in worker_pids():
            os.kill(p, signal.SIGKILL)
        key = sql("SELECT storage_key FROM submissions WHERE id = %s", (sid,))[0][0]
        self.assertTrue(os.path.isfile(os.path.join(STORAGE, key)))
        ojtest.wait_for(lambda: ojtest.get("/healthz")[0] == 200, timeout=60, what="the pool to recover")


class DatabaseOutageTest(unittest.TestCase):
    """Runs last in this file (name order): stops the shared stack's MariaDB and starts it again."""

    @classmethod
    def setUpClass(cls):
        cls.paused_watchdog = ojtest.paused_watchdog().__enter__()  # no canary among the files

    @classmethod
    def tearDownClass(cls):
        cls.paused_watchdog.__exit__(None, None, None)

    def test_zz_database_down_gives_503_then_recovers_without_app_restart(self):
        course, tokens = ojtest.make_course(modules=("D",), students=1)
        small = ojtest.write_random(tempfile.mktemp(), 1000)
        fcgi_pid = fcgi_master()
        mysqld_pid = int(readf(os.path.join(VAR, "run", "mysqld.pid")))
        before_files = stored_files()
        os.kill(mysqld_pid, signal.SIGTERM)
        try:
            ojtest.wait_for(lambda: not os.path.exists(f"/proc/{mysqld_pid}"), timeout=60, what="mariadbd to stop")
            code, body, headers = ojtest.upload(small, tokens[0], course, "D")
            self.assertEqual(code, 503, body)
            self.assertRegex(body, r"^\[FAIL ✗\] Server busy, retry in \d+ s\n$")
            self.assertIn("retry-after:", headers.lower())
            self.assertEqual(stored_files(), before_files)
            status, text, _ = ojtest.get("/healthz")
            self.assertEqual(status, 503)
            self.assertIn(b"database", text)
            self.assertEqual(text.count(b"\n"), 1)
        finally:
            subprocess.run([os.path.join(ojtest.ROOT, "ops/oj"), "up", "--var", VAR, "--bin", ojtest.BIN],
                           check=True, capture_output=True, timeout=300)
        ojtest.wait_for(lambda: ojtest.get("/healthz")[0] == 200, timeout=60, what="healthz 200 again")
        self.assertEqual(fcgi_master(), fcgi_pid, "the app was restarted")
        code, body, _ = ojtest.upload(small, tokens[0], course, "D")
        self.assertEqual(code, 200, body)
        os.unlink(small)


if __name__ == "__main__":
    ojtest.main()
