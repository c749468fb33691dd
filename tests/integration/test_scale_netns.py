"""Judge hosts on other machines, as network namespaces joined by veth pairs.

One intake host (MariaDB, FastCGI pool, nginx) and two judge hosts, each in its own
`ip netns`, addresses in 198.18.0.0/15 only (ops/ojharness/netns.py). Shows:
- two judge hosts drain 50 submissions: each judged exactly once, every archive fetched
  through a signed link and its SHA-256 checked (the judge echoes the nonce it extracted);
- a judge host whose link is cut mid-job loses its lease, the job is judged again by the
  other host, and when the link returns the late result is refused ("lease lost: result
  refused"); exactly one result;
- archive links without a valid signature, expired, or fetched from outside the judge
  network are refused and serve nothing.
- an archive altered after upload (same size) fails the runner's SHA-256 check: judge_error
  after runner.max_attempts internal errors, no verdict or score for the student;
- results pages and ojctl reports read the replica while it replicates, the primary while
  replication is stopped or the replica's mysqld is killed; the watchdog's replica_running
  alert fires (webhook) and resolves when the replica is back (ReplicaNetnsTest);
- a judge host reaches MariaDB over TLS with an account that REQUIRE SSL: with tls_mode set
  it connects (and says its cipher), without it is refused (TlsNetnsTest).

Needs root, `ip netns`, veth, MariaDB, nginx; skips with the reason otherwise. OJ_BIN (or
OJ_SCALE_BIN) names the build directory; runtime about two minutes.
"""
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import sys
import time
import unittest

import wdhelp  # puts ops/ (ojharness) on sys.path
from ojharness import netns as netns_hosts  # noqa: E402

BIN = os.environ.get("OJ_SCALE_BIN") or os.environ.get("OJ_BIN") or os.path.join(netns_hosts.ROOT, "build/release")
SKIP = netns_hosts.netns_supported()
if not SKIP and not os.access(os.path.join(BIN, "judge_runner/oj-runner"), os.X_OK):
    SKIP = f"no oj-runner under {BIN} (set OJ_BIN to a build directory)"


@unittest.skipIf(SKIP, SKIP or "")
class ScaleNetnsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hosts = netns_hosts.Hosts(BIN, judges=2, lease_s=4, heartbeat_s=1)
        cls.hosts.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.hosts.close()
        for ns in os.listdir("/run/netns") if os.path.isdir("/run/netns") else []:
            assert not ns.startswith(cls.hosts.tag), f"namespace {ns} left behind"

    def setUp(self):
        self.h = self.hosts

    def rows(self, ids, cols):
        return self.h.sql_root(f"SELECT id, {cols} FROM submissions WHERE id IN %s ORDER BY id", (list(ids),))

    # --- archive links ---------------------------------------------------------------
    def test_1_archive_links_refused_without_valid_signature(self):
        h = self.h
        sid, sha = h.upload(h.tokens[9], "W1", "links-" + secrets.token_hex(4))
        key = h.sql_root("SELECT storage_key FROM submissions WHERE id = %s", (sid,))[0][0]
        uri = "/archive/" + key
        base = "http://198.18.1.1:8080"
        now = int(time.time())
        good = netns_hosts.sign_link(h.secret, uri, now + 60)
        # A judge host with a valid link gets the exact bytes (sanity for the refusals).
        code, _ = h.curl(h.judge_ns(1), base + good, out=h.path("fetched"))
        self.assertEqual(code, 200)
        with open(h.path("fetched"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), sha)
        cases = {
            "no signature": (h.judge_ns(1), base + uri, (403,)),
            "wrong signature": (h.judge_ns(1), base + good.replace("md5=", "md5=AA", 1), (403,)),
            "signature for another file": (h.judge_ns(1), base + netns_hosts.sign_link(h.secret, uri + "x", now + 60).replace(uri + "x", uri), (403,)),
            "wrong secret": (h.judge_ns(1), base + netns_hosts.sign_link("0" * 64, uri, now + 60), (403,)),
            "expired": (h.judge_ns(1), base + netns_hosts.sign_link(h.secret, uri, now - 5), (410,)),
            "listing": (h.judge_ns(1), base + netns_hosts.sign_link(h.secret, "/archive/" + key.split("/")[0] + "/", now + 60), (403, 404)),
            "outside the judge network": (h.outsider, "http://198.19.0.1:8080" + good, (403,)),
        }
        for name, (ns, url, want) in cases.items():
            with self.subTest(name):
                out = h.path("refused")
                if os.path.exists(out):
                    os.unlink(out)
                code, _ = h.curl(ns, url, out=out)
                self.assertIn(code, want, f"{name}: {url}")
                if os.path.exists(out):
                    with open(out, "rb") as f:
                        self.assertNotIn(b"nonce.txt", f.read(), f"{name}: archive bytes served")
        # Judge it now so later tests start from an empty queue.
        h.sql_root("UPDATE submissions SET status = 'cancelled' WHERE id = %s", (sid,))

    # --- two hosts drain the queue ----------------------------------------------------
    def test_2_two_hosts_drain_50_each_exactly_once(self):
        h = self.h
        for n in (1, 2):
            if f"runner-{n}" not in h.procs:
                h.start_judge(n)
        want = {}
        for i in range(50):
            nonce = f"drain{i:02d}-" + secrets.token_hex(4)
            sid, sha = h.upload(h.tokens[i % 8], "W1", nonce)
            want[sid] = (nonce, sha)
        h.wait_for(lambda: all(r[1] == "done" for r in self.rows(want, "status")), 150, "50 submissions done")
        rows = self.rows(want, "status, verdict, runner_id, attempts, sha256")
        by_host = {}
        for sid, status, verdict, runner, attempts, sha in rows:
            self.assertEqual((status, verdict, attempts), ("done", "accepted", "0"), sid)
            self.assertEqual(sha, want[sid][1])
            by_host[runner] = by_host.get(runner, 0) + 1
        self.assertEqual(set(by_host), {"judge1:1", "judge2:1"}, by_host)
        # The judge saw exactly the uploaded archive (its nonce), once per submission.
        tests = h.sql_root("SELECT submission_id, COUNT(*), MAX(message) FROM test_results WHERE submission_id IN %s "
                           "GROUP BY submission_id", (list(want),))
        self.assertEqual(len(tests), 50)
        for sid, count, message in tests:
            self.assertEqual(count, "1", sid)
            self.assertIn("nonce=" + want[sid][0], message)
        # A runner logs the verdict after writing it: the last rows can be done first.
        h.wait_for(lambda: all(re.search(rf"submission {sid} \S+ verdict=accepted", h.runner_log(1) + h.runner_log(2))
                               for sid in want), 60, "every verdict logged")
        logs = h.runner_log(1) + h.runner_log(2)
        for sid in want:
            self.assertEqual(len(re.findall(rf"submission {sid} \S+ verdict=accepted", logs)), 1, sid)

    # --- a host cut off mid-job -------------------------------------------------------
    def test_3_cut_link_rejudged_elsewhere_late_result_refused(self):
        h = self.h
        for n in (1, 2):
            if f"runner-{n}" not in h.procs:
                h.start_judge(n)
        sid, _ = h.upload(h.tokens[8], "LONG", "cut-" + secrets.token_hex(4))
        h.wait_for(lambda: self.rows([sid], "status")[0][1] == "running", 60, "LONG claimed")
        first = self.rows([sid], "runner_id")[0][1]
        n_cut = 1 if first == "judge1:1" else 2
        other = "judge2:1" if n_cut == 1 else "judge1:1"
        # Cut once the host has its archive (nginx logs the fetch once it is sent; the
        # 8 s test runs on after): a cut before would fail the fetch instead.
        key = h.sql_root("SELECT storage_key FROM submissions WHERE id = %s", (sid,))[0][0]
        fetched = re.compile(rf'^198\.18\.{n_cut}\.2 .*"GET /archive/{re.escape(key)}\?[^"]*" 200 ', re.M)

        def access_log():
            try:
                with open(h.path("log/nginx-access.log"), errors="replace") as f:
                    return f.read()
            except OSError:
                return ""
        h.wait_for(lambda: fetched.search(access_log()), 30, "the claiming host to fetch the archive")
        h.set_link(n_cut, up=False)
        try:
            h.wait_for(lambda: self.rows([sid], "status, runner_id")[0][1:] == ["done", other], 60,
                       "re-judged by the other host")
        finally:
            h.set_link(n_cut, up=True)
        h.wait_for(lambda: "lease lost: result refused" in h.runner_log(n_cut), 60,
                   "the cut-off host's late result refused")
        self.assertRegex(h.runner_log(n_cut), rf"submission {sid}.*lease lost: result refused")
        row = self.rows([sid], "status, runner_id, verdict, attempts")[0]
        self.assertEqual(row[1:4], ["done", other, "accepted"])
        self.assertGreaterEqual(int(row[4]), 1)  # the expired lease counted as an attempt
        self.assertEqual(h.sql_root("SELECT COUNT(*) FROM test_results WHERE submission_id = %s", (sid,)), [["1"]])


    # --- the runner checks what it fetched ---------------------------------------------
    def test_4_tampered_archive_is_judge_error_not_charged(self):
        h = self.h
        for n in (1, 2):
            if f"runner-{n}" not in h.procs:
                h.start_judge(n)
        for n in (1, 2):  # no fetch while the file is being altered
            h.stop(f"runner-{n}")
        sid, _ = h.upload(h.tokens[9], "W1", "tamper-" + secrets.token_hex(4))
        key = h.sql_root("SELECT storage_key FROM submissions WHERE id = %s", (sid,))[0][0]
        path = h.path("storage", key)
        with open(path, "r+b") as f:  # same size, one byte different: only SHA-256 can tell
            b = f.read(1)
            f.seek(0)
            f.write(bytes([b[0] ^ 0xFF]))
        for n in (1, 2):
            h.start_judge(n)
        h.wait_for(lambda: self.rows([sid], "status")[0][1] == "judge_error", 120, "judge_error after retries")
        row = self.rows([sid], "verdict, score, attempts, log")[0]
        self.assertEqual(row[1:3], [None, None])  # never a verdict or score for the student
        # judge failures get one retry (docs/runner.md, "Who is to blame"), whatever
        # runner.max_attempts (5 in the test config) allows lease expiries
        self.assertEqual(row[3], "2")
        self.assertIn("SHA-256", row[4])
        self.assertIn(f"submission {sid}", h.runner_log(1) + h.runner_log(2))



def free_port():
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


@unittest.skipIf(SKIP, SKIP or "")
class ReplicaNetnsTest(unittest.TestCase):
    """Results pages and ojctl reports read the replica while it replicates, the primary
    while replication is stopped or the replica's mysqld is gone; the watchdog alerts
    (replica_running, through its webhook) while it is, and resolves when it is back.

    Which server answered is told by a row marked on the replica only (outside the
    binlog): status 'cancelled' there, 'queued' on the primary (no runner here)."""

    FIRE_WITHIN_S = 15

    @classmethod
    def setUpClass(cls):
        cls.h = netns_hosts.Hosts(BIN, judges=0, replica=True)
        cls.h.__enter__()
        cls.receiver = cls.wd = None
        try:
            cls.receiver = wdhelp.Receiver()
            # The watchdog runs in this (the test's) namespace, beside its webhook receiver;
            # it reaches both databases by their unix sockets. Its health probe points at a
            # free port: only the replica checks matter here.
            cfg = wdhelp.write_config(cls.h.path("oj.toml"), cls.h.path("wd.toml"), {
                "server": {"listen": "127.0.0.1", "port": free_port()},
                "watchdog": {"interval_s": 1, "for_s": 2, "repeat_s": 3600,
                             "webhook_url": cls.receiver.url, "webhook_template": wdhelp.TEMPLATE,
                             "delivery_timeout_ms": 2000, "mem_available_min_bytes": 1},
            })
            cls.wd = wdhelp.WatchdogProcess(BIN, cfg, cls.h.path("log/watchdog.log"),
                                            cls.h.path("run/watchdog.status.json"))
            token = cls.h.tokens[0]
            cls.token = token
            cls.sid, _ = cls.h.upload(token, "W1", "replica-" + secrets.token_hex(4))
            cls.h.wait_for(lambda: cls.h.sql_replica("SELECT status FROM submissions WHERE id = %s", (cls.sid,))
                           == [["queued"]], 60, "the upload replicated")
            cls.h.sql_replica("SET sql_log_bin = 0; UPDATE submissions SET status = 'cancelled' "
                              "WHERE id = %s", (cls.sid,))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.wd:
            cls.wd.stop()
        if cls.receiver:
            cls.receiver.close()
        cls.h.close()

    # --- observations ----------------------------------------------------------------
    def page(self):
        """(JSON status of our submission, HTML page status code, HTML status word)."""
        h = self.h
        base = f"http://127.0.0.1:8080/oj/{h.course}/W1/{self.token}"
        code, body = h.curl(h.intake, base + ".json")
        self.assertEqual(code, 200, body)
        status = {s["id"]: s["status"] for s in json.loads(body)["submissions"]}.get(self.sid)
        hcode, html = h.curl(h.intake, base)
        self.assertEqual(hcode, 200)
        self.assertIn(self.sid, html)
        return status, "cancelled" in html.lower()

    def served_by(self, strict=True):
        """Which server answered the JSON and the HTML page. While workers switch over (each
        re-checks the replica on its own schedule, backing off while it is unreachable) the
        two may come from different workers: strict=False then says None instead of failing."""
        status, html_cancelled = self.page()
        self.assertIn(status, ("cancelled", "queued"))
        if html_cancelled != (status == "cancelled"):
            self.assertFalse(strict, "HTML and JSON read different servers")
            return None
        return "replica" if status == "cancelled" else "primary"

    def report_by(self):
        """Where `ojctl sub list` (a report) read, and its stderr."""
        r = netns_hosts.run(os.path.join(BIN, "ops/ojctl/ojctl"), "--config", self.h.path("oj.toml"),
                            "sub", "list", "--course", self.h.course, "--token", self.token, "--json")
        status = {s["id"]: s["status"] for s in json.loads(r.stdout)}[self.sid]
        return ("replica" if status == "cancelled" else "primary"), r.stderr

    def wd_check(self, name):
        return ((self.wd.status() or {}).get("checks") or {}).get(name, {})

    def db_status(self):
        r = netns_hosts.run(os.path.join(BIN, "ops/ojctl/ojctl"), "--config", self.h.path("oj.toml"),
                            "db", "status", "--json")
        return json.loads(r.stdout)

    def assert_healthy_and_from_replica(self):
        h = self.h
        h.wait_for(lambda: self.wd_check("replica_running").get("state") == "ok"
                   and self.wd_check("replica_lag").get("observation") == "ok", 60, "watchdog sees a healthy replica")
        h.wait_for(lambda: self.served_by(strict=False) == "replica", 60, "pages served from the replica")
        where, err = self.report_by()
        self.assertEqual(where, "replica", err)
        self.assertNotIn("reading from the primary", err)
        st = self.db_status()
        self.assertEqual(st["reads"], "replica", st)
        self.assertTrue(st["replica"]["usable"], st)

    def assert_fallback_and_alert(self, since, reason_has):
        h = self.h
        h.wait_for(lambda: self.served_by(strict=False) == "primary", 30, "pages served from the primary")
        pages_after = time.time() - since
        for _ in range(5):  # every page, not just the first, answers 200 from the primary
            self.assertEqual(self.served_by(), "primary")
        where, err = self.report_by()
        self.assertEqual(where, "primary")
        self.assertIn("reading from the primary", err)
        delay = self.receiver.wait("replica_running", "firing", since, timeout=self.FIRE_WITHIN_S + 15)
        self.assertLessEqual(delay, self.FIRE_WITHIN_S)
        msg = self.receiver.find("replica_running", "firing", since)[0][1]["message"]
        self.assertIn(reason_has, msg)
        print(f"\n  replica fault ({reason_has}): pages from the primary after {pages_after:.2f} s, "
              f"alert after {delay:.2f} s (interval 1 s, for 2 s)", file=sys.stderr)
        st = self.db_status()
        self.assertEqual(st["reads"], "primary", st)
        self.assertIn(reason_has, st["replica"]["reason"])

    def assert_resolved(self, since):
        delay = self.receiver.wait("replica_running", "resolved", since, timeout=60)
        print(f"  replica back: resolved after {delay:.2f} s", file=sys.stderr)
        self.assertEqual(len(self.receiver.find("replica_running", "firing", since)), 0,
                         "no new firing after recovery")
        self.assert_healthy_and_from_replica()

    # --- tests -----------------------------------------------------------------------
    def test_1_replication_stopped_pages_from_primary_and_alert(self):
        h = self.h
        self.assert_healthy_and_from_replica()
        t0 = time.time()
        h.sql_replica("STOP SLAVE")
        self.assert_fallback_and_alert(t0, "thread stopped")
        t1 = time.time()
        h.sql_replica("START SLAVE")
        self.assert_resolved(t1)

    def test_2_replica_killed_pages_from_primary_and_alert(self):
        h = self.h
        self.assert_healthy_and_from_replica()
        with open(h.path("replica/run/mysqld.pid")) as f:
            pid = int(f.read().strip())
        t0 = time.time()
        os.kill(pid, signal.SIGKILL)
        h.wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 30, "the replica's mysqld gone")
        self.assert_fallback_and_alert(t0, "unreachable")
        t1 = time.time()
        netns_hosts.run(*h.ns_cmd(h.intake, os.path.join(netns_hosts.ROOT, "ops/scale/replica.sh"), "resume",
                                  h.path("replica"), "3307"), timeout=120)
        self.assert_resolved(t1)
        # What was written on the primary while the replica was down reaches it.
        sid2, _ = h.upload(self.token, "W1", "after-" + secrets.token_hex(4))
        h.wait_for(lambda: h.sql_replica("SELECT status FROM submissions WHERE id = %s", (sid2,)) == [["queued"]],
                   60, "replication caught up after the restart")

    def test_3_replica_lagging_pages_from_primary_and_alert(self):
        """Seconds_Behind_Master over replica_max_lag_s (5 s here): made real with
        MASTER_DELAY, which holds each replicated event back while its age grows."""
        h = self.h
        self.assert_healthy_and_from_replica()
        h.sql_replica("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 3600; START SLAVE")
        try:
            t0 = time.time()
            sid3, _ = h.upload(self.token, "W1", "lag-" + secrets.token_hex(4))
            delay = self.receiver.wait("replica_lag", "firing", t0, timeout=self.FIRE_WITHIN_S + 15)
            self.assertLessEqual(delay, 5 + 2 + self.FIRE_WITHIN_S)  # the bound, `for`, a cycle or two
            msg = self.receiver.find("replica_lag", "firing", t0)[0][1]["message"]
            self.assertIn("reads use the primary", msg)
            self.assertEqual(self.wd_check("replica_running").get("state"), "ok")  # running, only late
            # Workers switch each on its own re-check: wait for both, then insist.
            h.wait_for(lambda: self.served_by(strict=False) == "primary", 30, "pages from the primary (replica lags)")
            self.assertEqual(self.served_by(), "primary")
            self.assertEqual(self.report_by()[0], "primary")
            self.assertEqual(h.sql_replica("SELECT COUNT(*) FROM submissions WHERE id = %s", (sid3,)), [["0"]])
        finally:
            t1 = time.time()
            h.sql_replica("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE")
        self.receiver.wait("replica_lag", "resolved", t1, timeout=60)
        self.assert_healthy_and_from_replica()
        self.assertEqual(h.sql_replica("SELECT status FROM submissions WHERE id = %s", (sid3,)), [["queued"]])


@unittest.skipIf(SKIP, SKIP or "")
class TlsNetnsTest(unittest.TestCase):
    """A judge host reaches the intake's MariaDB over TLS. The server has a certificate
    from a throwaway CA; the runner's account is created REQUIRE SSL, so a session without
    TLS cannot exist. tls_mode = "verify" with the CA: connects, encrypted (Ssl_cipher of
    our own session), and the runner judges; no TLS settings, or another CA: refused."""

    @classmethod
    def setUpClass(cls):
        cls.h = netns_hosts.Hosts(BIN, judges=1, lease_s=4, heartbeat_s=1, tls=True)
        cls.h.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def ojctl_on_judge(self, cfg, *args):
        h = self.h
        return netns_hosts.run(*h.ns_cmd(h.judge_ns(1), os.path.join(BIN, "ops/ojctl/ojctl"), "--config", cfg,
                                         *args), check=False, timeout=30)

    def variant(self, name, drop=(), add=()):
        """The judge host's config with tls_* lines dropped or replaced."""
        with open(self.cfg) as f:
            lines = [line for line in f.read().splitlines() if not line.startswith(tuple(drop))]
        i = lines.index("[database]") + 1
        lines[i:i] = list(add)
        path = self.h.path(f"host1/{name}.toml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o600)
        return path

    def setUp(self):
        self.cfg = self.h.judge_config(1)

    def test_1_tls_session_is_encrypted(self):
        r = self.ojctl_on_judge(self.cfg, "db", "status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(r.stdout)
        self.assertEqual(st["primary"]["address"], "198.18.1.1:3306")
        self.assertEqual(st["primary"]["tls_mode"], "verify")
        self.assertRegex(st["primary"]["tls_cipher"], r"^[A-Z0-9_-]+$")  # e.g. TLS_AES_256_GCM_SHA384
        text = self.ojctl_on_judge(self.cfg, "db", "status").stdout
        self.assertIn("TLS " + st["primary"]["tls_cipher"], text)
        # "required": encrypted without checking the certificate (no CA at hand).
        required = self.variant("required", drop=("tls_",), add=('tls_mode = "required"',))
        r = self.ojctl_on_judge(required, "db", "status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotEqual(json.loads(r.stdout)["primary"]["tls_cipher"], "")

    def test_2_without_tls_refused(self):
        cases = {
            "no TLS settings": self.variant("plain", drop=("tls_",)),
            "another CA": self.variant("other-ca", drop=("tls_ca",),
                                       add=(f'tls_ca = "{self.h.path("tls/other-ca.pem")}"',)),
        }
        for name, cfg in cases.items():
            with self.subTest(name):
                r = self.ojctl_on_judge(cfg, "db", "status", "--json")
                self.assertEqual(r.returncode, 4, f"{name}: {r.stdout} {r.stderr}")  # database unavailable
                self.assertIn("cannot connect to database", r.stderr)
                self.assertEqual(r.stdout, "")
        r = self.ojctl_on_judge(cases["no TLS settings"], "db", "status")
        self.assertIn("Access denied", r.stderr)  # the server's REQUIRE SSL, not a network failure
        r = self.ojctl_on_judge(cases["another CA"], "db", "status")
        self.assertIn("TLS/SSL error", r.stderr)  # the server's certificate did not verify

    def test_3_runner_judges_over_tls(self):
        h = self.h
        h.start_judge(1)
        try:
            sid, sha = h.upload(h.tokens[0], "W1", "tls-" + secrets.token_hex(4))
            h.wait_for(lambda: h.sql_root("SELECT status FROM submissions WHERE id = %s", (sid,)) == [["done"]],
                       120, "judged by the TLS judge host")
            row = h.sql_root("SELECT verdict, runner_id, sha256 FROM submissions WHERE id = %s", (sid,))[0]
            self.assertEqual(row, ["accepted", "judge1:1", sha])
            self.assertRegex(h.runner_log(1), r"database session: TLS cipher [A-Z0-9_-]+")
        finally:
            h.stop("runner-1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
