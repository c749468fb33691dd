"""Issue 11: judge hosts on other machines, as network namespaces joined by veth pairs.

One intake host (MariaDB, FastCGI pool, nginx) and two judge hosts, each in its own
`ip netns`, addresses in 198.18.0.0/15 only (tests/integration/netns_hosts.py). Shows:
- two judge hosts drain 50 submissions: each judged exactly once, every archive fetched
  through a signed link and its SHA-256 checked (the judge echoes the nonce it extracted);
- a judge host whose link is cut mid-job loses its lease, the job is judged again by the
  other host, and when the link returns the late result is refused ("lease lost: result
  refused"); exactly one result;
- archive links without a valid signature, expired, or fetched from outside the judge
  network are refused and serve nothing.
- an archive altered after upload (same size) fails the runner's SHA-256 check: judge_error
  after runner.max_attempts internal errors, no verdict or score for the student;
- results pages read the replica while it replicates, the primary while replication is
  stopped or the replica is down (ReplicaNetnsTest).

Needs root, `ip netns`, veth, MariaDB, nginx; skips with the reason otherwise. OJ_BIN (or
OJ_SCALE_BIN) names the build directory; runtime about two minutes.
"""
import hashlib
import os
import re
import secrets
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import netns_hosts  # noqa: E402

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
        quoted = ",".join(f"'{i}'" for i in ids)
        return self.h.sql_root(f"SELECT id, {cols} FROM submissions WHERE id IN ({quoted}) ORDER BY id")

    # --- archive links ---------------------------------------------------------------
    def test_1_archive_links_refused_without_valid_signature(self):
        h = self.h
        sid, sha = h.upload(h.tokens[9], "W1", "links-" + secrets.token_hex(4))
        key = h.sql_root(f"SELECT storage_key FROM submissions WHERE id = '{sid}'")[0][0]
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
        h.sql_root(f"UPDATE submissions SET status = 'cancelled' WHERE id = '{sid}'")

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
        tests = h.sql_root("SELECT submission_id, COUNT(*), MAX(message) FROM test_results WHERE submission_id IN (" +
                           ",".join(f"'{s}'" for s in want) + ") GROUP BY submission_id")
        self.assertEqual(len(tests), 50)
        for sid, count, message in tests:
            self.assertEqual(count, "1", sid)
            self.assertIn("nonce=" + want[sid][0], message)
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
        h.wait_for(lambda: self.rows([sid], "status")[0][1] == "running", 30, "LONG claimed")
        first = self.rows([sid], "runner_id")[0][1]
        n_cut = 1 if first == "judge1:1" else 2
        other = "judge2:1" if n_cut == 1 else "judge1:1"
        time.sleep(1)
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
        self.assertEqual(h.sql_root(f"SELECT COUNT(*) FROM test_results WHERE submission_id = '{sid}'"), [["1"]])


    # --- the runner checks what it fetched ---------------------------------------------
    def test_4_tampered_archive_is_judge_error_not_charged(self):
        h = self.h
        for n in (1, 2):
            if f"runner-{n}" not in h.procs:
                h.start_judge(n)
        for n in (1, 2):  # no fetch while the file is being altered
            h.stop(f"runner-{n}")
        sid, _ = h.upload(h.tokens[9], "W1", "tamper-" + secrets.token_hex(4))
        key = h.sql_root(f"SELECT storage_key FROM submissions WHERE id = '{sid}'")[0][0]
        path = h.path("storage", key)
        with open(path, "r+b") as f:  # same size, one byte different: only SHA-256 can tell
            b = f.read(1)
            f.seek(0)
            f.write(bytes([b[0] ^ 0xFF]))
        for n in (1, 2):
            h.start_judge(n)
        h.wait_for(lambda: self.rows([sid], "status")[0][1] == "judge_error", 60, "judge_error after retries")
        row = self.rows([sid], "verdict, score, attempts, log")[0]
        self.assertEqual(row[1:3], ["NULL", "NULL"])  # never a verdict or score for the student
        self.assertEqual(row[3], "5")  # runner.max_attempts in the test config
        self.assertIn("SHA-256", row[4])
        self.assertIn(f"submission {sid}", h.runner_log(1) + h.runner_log(2))



@unittest.skipIf(SKIP, SKIP or "")
class ReplicaNetnsTest(unittest.TestCase):
    """Results pages read the replica while it replicates, the primary otherwise."""

    @classmethod
    def setUpClass(cls):
        cls.h = netns_hosts.Hosts(BIN, judges=0, replica=True)
        cls.h.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def status_seen(self, token, sid):
        import json
        code, body = self.h.curl(self.h.intake, f"http://127.0.0.1:8080/oj/{self.h.course}/W1/{token}.json")
        if code != 200:
            return code
        return {s["id"]: s["status"] for s in json.loads(body)["submissions"]}.get(sid)

    def test_pages_from_replica_fall_back_to_primary(self):
        h = self.h
        token = h.tokens[0]
        sid, _ = h.upload(token, "W1", "replica-" + secrets.token_hex(4))
        h.wait_for(lambda: h.sql_replica(f"SELECT status FROM submissions WHERE id = '{sid}'") == [["queued"]],
                   30, "the upload replicated")
        # Mark the row on the replica only (outside the binlog): what a page shows tells
        # which server answered.
        h.sql_replica(f"SET sql_log_bin = 0; UPDATE submissions SET status = 'cancelled' WHERE id = '{sid}'")
        h.wait_for(lambda: self.status_seen(token, sid) == "cancelled", 10, "page served from the replica")
        h.sql_replica("STOP SLAVE")
        h.wait_for(lambda: self.status_seen(token, sid) == "queued", 10, "page from the primary (replica stopped)")
        h.sql_replica("START SLAVE")
        h.wait_for(lambda: self.status_seen(token, sid) == "cancelled", 10, "page from the replica again")
        run_stop = netns_hosts.run(os.path.join(netns_hosts.ROOT, "ops/scale/replica.sh"), "stop", h.path("replica"))
        self.assertEqual(run_stop.returncode, 0)
        h.wait_for(lambda: self.status_seen(token, sid) == "queued", 15, "page from the primary (replica down)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
