"""The stack command and health, against the test stack."""
import os
import queue
import re
import subprocess
import threading
import time
import unittest

import ojtest
from ojtest import VAR


def alive(pid):
    """True for a running process; a zombie (dead, not yet reaped) is not alive."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def oj(*args):
    return subprocess.run([os.path.join(ojtest.ROOT, "ops/oj"), *args, "--var", VAR],
                          capture_output=True, text=True, timeout=300)


class FoundationTest(unittest.TestCase):
    def test_healthz_is_served_through_nginx(self):
        status, body, headers = ojtest.get("/healthz")
        self.assertEqual((status, body), (200, b"ok\n"))
        self.assertEqual(headers.get("server"), "nginx")

    def test_second_up_says_so_and_changes_nothing(self):
        pids = {f: open(os.path.join(VAR, "run", f)).read() for f in os.listdir(os.path.join(VAR, "run"))
                if f.endswith(".pid")}
        r = oj("up", "--bin", ojtest.BIN)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already up", r.stdout)
        after = {f: open(os.path.join(VAR, "run", f)).read() for f in pids}
        self.assertEqual(pids, after)

    def test_status_lists_every_component(self):
        r = oj("status")
        self.assertEqual(r.returncode, 0, r.stdout)
        for name in ("mariadb", "fcgi", "nginx", "runner", "watchdog"):
            self.assertRegex(r.stdout, rf"(?m)^{name}\s+running \(pid \d+\)$")

    def test_nginx_limits_come_from_the_config(self):
        import tomllib
        with open(ojtest.CONFIG, "rb") as f:
            cfg = tomllib.load(f)
        limit = cfg.get("upload", {}).get("max_body_bytes", 12 * 1024 * 1024)
        conf = open(os.path.join(VAR, "nginx", "nginx.conf")).read()
        self.assertIn(f"client_max_body_size {limit};", conf)
        self.assertNotRegex(conf, r"fastcgi_keep_conn\s+on")

    def test_app_unreachable_gives_the_503_line_not_502(self):
        sup = os.path.join(VAR, "run", "fcgi.sup.pid")
        with open(sup) as f:
            sup_pid = int(f.read())
        with open(os.path.join(VAR, "run", "fcgi.pid")) as f:
            master = int(f.read())
        os.kill(sup_pid, 19)  # SIGSTOP: keep the supervisor from restarting the pool yet
        try:
            os.kill(master, 9)
            ojtest.wait_for(lambda: not alive(master), timeout=10, what="master gone")
            code, body, headers = ojtest.curl("-F", "token=AAAAAAAA", "-F", "course=C", "-F", "module=M",
                                              "-F", "file=@/etc/hostname", ojtest.URL + "/upload")
            self.assertEqual(code, 503, body)
            self.assertRegex(body, r"^\[FAIL ✗\] Server busy, retry in \d+ s\n$")
            self.assertIn("retry-after:", headers.lower())
            status, text, _ = ojtest.get("/healthz")
            self.assertEqual(status, 503)
            status, page, _ = ojtest.get("/oj/C/M/AAAAAAAA")
            self.assertEqual(status, 503)
        finally:
            os.kill(sup_pid, 18)  # SIGCONT
        ojtest.wait_for(lambda: ojtest.get("/healthz")[0] == 200, timeout=30, what="the pool to come back")

    def test_killed_pool_master_is_restarted_and_its_workers_go(self):
        pidf = os.path.join(VAR, "run", "fcgi.pid")
        with open(pidf) as f:
            master = int(f.read())
        workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                                                   text=True).stdout.split()]
        self.assertTrue(workers)
        os.kill(master, 9)

        def restarted():
            try:
                with open(pidf) as f:
                    pid = int(f.read())
            except (OSError, ValueError):
                return None
            return pid if pid != master and alive(pid) else None
        ojtest.wait_for(restarted, timeout=30, what="the supervisor to restart the pool master")
        ojtest.wait_for(lambda: ojtest.get("/healthz")[0] == 200, timeout=30, what="healthz 200")
        ojtest.wait_for(lambda: not any(alive(w) for w in workers), timeout=30,
                        what="the orphaned workers to exit")

    def test_a_second_pool_master_waits_and_takes_nothing(self):
        # Two masters on one socket path was how nginx lost the pool's socket mid-test: the
        # second unlinked and rebound it, the first removed it on exit.
        sock = os.path.join(VAR, "run", "fcgi.sock")
        inode = os.stat(sock).st_ino
        second = subprocess.Popen([os.path.join(ojtest.BIN, "fcgi_app/oj-fcgi"), "--config", ojtest.CONFIG],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in second.stderr], daemon=True).start()
        try:
            deadline = time.monotonic() + 60
            seen = ""
            while "another pool master holds" not in seen:
                self.assertLess(time.monotonic(), deadline, f"the second master never said it waits: {seen}")
                try:
                    seen += lines.get(timeout=1)
                except queue.Empty:
                    self.assertIsNone(second.poll(), f"the second master exited: {seen}")
            self.assertEqual(os.stat(sock).st_ino, inode, "the second master took the socket")
            self.assertEqual(ojtest.get("/healthz")[0], 200)
        finally:
            second.kill()
            second.wait(timeout=30)
        self.assertEqual(os.stat(sock).st_ino, inode)
        self.assertEqual(ojtest.get("/healthz")[0], 200)

    def test_unknown_routes_are_404_lines(self):
        for path in ("/", "/index.html", "/upload/x", "/../etc/passwd", "/oj/a/b/src/nosuch.css"):
            code, body, _ = ojtest.curl("--path-as-is", ojtest.URL + path)
            self.assertIn(code, (400, 404) if ".." in path else (404,), path)
            self.assertNotIn("<html", body.lower(), path)

    def test_get_upload_is_refused_without_html(self):
        code, body, _ = ojtest.curl(ojtest.URL + "/upload")
        self.assertEqual(code, 405)
        self.assertTrue(body.startswith("[FAIL ✗]"), body)

    def test_schema_version_recorded_and_migrate_is_idempotent(self):
        out = ojtest.ojctl("db", "migrate", "--sql-dir", os.path.join(ojtest.ROOT, "sql"))
        self.assertIn("up to date", out)
        versions = [int(v[0]) for v in ojtest.sql("SELECT version FROM schema_version ORDER BY version")]
        files = sorted(int(re.match(r"(\d{4})_", f).group(1)) for f in os.listdir(os.path.join(ojtest.ROOT, "sql"))
                       if re.match(r"\d{4}_.*\.sql$", f))
        self.assertEqual(versions, files)


if __name__ == "__main__":
    ojtest.main()
