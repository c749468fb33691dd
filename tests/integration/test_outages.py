"""The outage ledger and grace, against a real stack.

One real outage drives every assertion: MariaDB of a private stack (wdhelp.PrivateStack;
the shared stack is not touched) is stopped for a measured ~20 s while a watchdog with
a 1 s interval watches and a token's upload is refused with 503. Nothing is seeded into
the ledger: the minutes come from the watchdog's probes (journaled under
<storage>/ledger while the database is down, imported when it is back) and the refusal
from the pool's journal.

Minute granularity, and why the assertion is honest: the ledger counts whole UTC
minutes, and a minute is unavailable when any of its health probes failed (the default
ledger.probe_fail_percent = 0). A ~20 s outage therefore costs one or two minutes
depending on where it falls on the clock. The test measures the outage from outside
and asserts that minutes_lost lies between the number of minutes touched by the
interval in which the database was surely down and probed (from the moment the
watchdog's status shows a failed probe after MariaDB's exit to the moment it is started
again) and the number touched by the interval in which it may have been seen down (from
the stop request to the later of the first 200 from /healthz + 2 s and the watchdog's
status showing a good probe again). Both are computed, not assumed; usually they are equal.

Not waiting for real minutes: the incident is "over" (and gets grace) once the minute
after it has been observed healthy for grace.settle_s. Only that is shortened for the
watchdog under test (5 s instead of 60 s), so grace follows within about a minute of
recovery. The suggest and auto modules have their deadline 10 minutes ahead (inside
grace.window_s after the incident); the late-accept module's deadline is moved to a
few seconds after recovery, so the refused token's next upload lands after it.
"""
import json
import os
import subprocess
import time
from datetime import datetime

import ojtest
import wdhelp
from ojharness import upload

OUTAGE_S = 20
INTERVAL_S = 1
SETTLE_S = 5


def ts(iso):
    """ISO 8601 with offset (ojctl --json) -> Unix seconds."""
    return datetime.fromisoformat(iso).timestamp()


def minutes_touched(a, b):
    """UTC minutes that the interval [a, b] (Unix seconds) touches."""
    return int(b // 60) - int(a // 60) + 1 if b >= a else 0


class OutageLedgerTest(wdhelp.WatchdogTestCase):
    TMP_PREFIX = "oj-outage-"

    @classmethod
    def ctl(cls, *args, check=True, config=None):
        r = subprocess.run([os.path.join(ojtest.BIN, "ops/ojctl/ojctl"), "--config",
                            config or cls.stack.config, *args],
                                  capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"ojctl {' '.join(args)} failed: {r.stderr}")
        return r.stdout

    @classmethod
    def upload(cls, token, module, data):
        return upload.upload(cls.url, token, cls.course, module, data=data, filename="upload.bin", timeout=60)

    @classmethod
    def healthz(cls):
        try:
            return ojtest.curl(f"{cls.url}/healthz", timeout=5)[0]
        except Exception:  # noqa: BLE001 - any failure is "not healthy"
            return 0

    @classmethod
    def wd_probe(cls, observation, after):
        """True once the watchdog under test has written a cycle after `after` whose health
        probe had this observation ("over": failed, "ok")."""
        st = cls.wd.status() or {}
        probe = (st.get("checks") or {}).get("health_probe") or {}
        return st.get("at", 0) > after and probe.get("observation") == observation

    @classmethod
    def set_up_class(cls):
        cls.stack = wdhelp.PrivateStack(os.path.join(cls.tmp, "var"))
        # The stack's own watchdog would decide grace with its own settings; the runner
        # is not needed (nothing here is judged).
        cls.stack.up(stop=("watchdog", "runner-1"))
        with open(cls.stack.config, "rb") as f:
            port = wdhelp.tomllib.load(f)["server"]["port"]
        cls.url = f"http://127.0.0.1:{port}"

        cls.course = ojtest.unique("O")
        cls.ctl("course", "add", cls.course, "--title", "Outage test")
        for m in ("S", "A", "L"):
            cls.ctl("module", "add", cls.course, m, "--opens", "now-1d", "--deadline", "now+10m")
        cls.ctl("module", "set-grace", cls.course, "A", "auto")
        cls.ctl("module", "set-grace", cls.course, "L", "off")
        cls.tokens = [cls.ctl("student", "add", cls.course, f"s{i}").strip() for i in range(3)]
        cls.deadline_a0 = cls.module_deadline("A")

        cls.receiver = wdhelp.Receiver()
        cls.wd_config = config = wdhelp.write_config(
            cls.stack.config, os.path.join(cls.tmp, "wd.toml"), {
            "watchdog": {"interval_s": INTERVAL_S, "for_s": 2, "repeat_s": 3600,
                         "probe_timeout_ms": 1500, "mem_available_min_bytes": 1,
                         "disk_free_min_percent": 0.0,
                         "webhook_url": cls.receiver.url, "webhook_template": wdhelp.TEMPLATE,
                         "delivery_timeout_ms": 2000},
            "grace": {"settle_s": SETTLE_S},
        })
        cls.start_watchdog(cls.stack.bin, config,
                           os.path.join(cls.stack.var, "run/watchdog.status.json"))

        # The outage, measured from outside. OJ_OUTAGE_STRADDLE=1 starts it 10 s before a
        # minute ends, so it costs two minutes (to exercise the merge across minutes).
        if os.environ.get("OJ_OUTAGE_STRADDLE") == "1":
            ojtest.wait_for(lambda: 48 <= time.time() % 60 < 50, timeout=61,
                            what="second 48 of a minute")
        cls.t_stop_req = time.time()
        try:
            cls.stack.stop_component("mysqld", timeout=60)
            cls.t_down = time.time()
            ojtest.wait_for(lambda: cls.healthz() == 503, timeout=60, what="/healthz 503")
            # From here on the watchdog has surely probed the database down (it keeps
            # probing every cycle while it stays down).
            ojtest.wait_for(lambda: cls.wd_probe("over", cls.t_down), timeout=60,
                            what="the watchdog to probe the database down")
            cls.t_seen_down = time.time()
            cls.refused = cls.upload(cls.tokens[0], "L", os.urandom(1000))
            cls.t_refused = time.time()
            time.sleep(max(0.0, cls.t_down + OUTAGE_S - time.time()))  # the outage's length
            cls.journal_while_down = cls.read_journal("refusals.journal")
            cls.minutes_journal_while_down = cls.read_journal("minutes.journal")
        finally:
            cls.t_start_req = time.time()
            # Starts what is not running: MariaDB (and watchdog, runner, stopped again).
            cls.stack.up(stop=("watchdog", "runner-1"))
        ojtest.wait_for(lambda: cls.healthz() == 200, timeout=60, what="/healthz 200 again")
        cls.t_healthy = time.time()
        # The watchdog's own probe may lag ours (a cycle, or more on a busy machine).
        ojtest.wait_for(lambda: cls.wd_probe("ok", cls.t_healthy), timeout=60,
                        what="the watchdog to probe the stack healthy again")
        cls.t_wd_healthy = time.time()
        cls.expect_min = minutes_touched(cls.t_seen_down, cls.t_start_req)
        cls.expect_max = minutes_touched(cls.t_stop_req, max(cls.t_healthy + 2, cls.t_wd_healthy))

    @classmethod
    def read_journal(cls, name):
        """The journal and the part an import took before the database went away."""
        text = ""
        for suffix in ("", ".importing"):
            try:
                with open(os.path.join(cls.stack.var, "storage", "ledger", name + suffix)) as f:
                    text += f.read()
            except OSError:
                pass
        return text

    @classmethod
    def module_deadline(cls, code):
        for m in json.loads(cls.ctl("module", "list", cls.course, "--json")):
            if m["code"] == code:
                return m["deadline"]
        raise AssertionError(f"no module {code}")

    @classmethod
    def incident(cls):
        """The incident of our outage, once the ledger shows it as over."""
        def find():
            # With the watchdog's configuration: "over" depends on grace.settle_s.
            for i in json.loads(cls.ctl("outages", "--module", f"{cls.course}/L", "--since",
                                        "now-1h", "--json", config=cls.wd_config)):
                if ts(i["start"]) <= cls.t_refused <= ts(i["end"]) and i["state"] == "over":
                    return i
            return None
        return ojtest.wait_for(find, timeout=60 + SETTLE_S + 30, what="the incident to be over")

    def test_1_journals_while_database_down(self):
        self.assertEqual(self.refused[0], 503, self.refused[1])
        self.assertRegex(self.refused[1], r"^\[FAIL ✗\] Server busy, retry in \d+ s\n$")
        # Recorded locally while MariaDB was down: validated fields only.
        lines = [l for l in self.journal_while_down.splitlines() if self.tokens[0] in l]
        self.assertEqual(len(lines), 1, self.journal_while_down)
        self.assertRegex(lines[0], r"^R [A-Za-z0-9]{16} \d+ 503 " + self.tokens[0] + " " +
                         self.course + r" L database$")
        self.assertRegex(self.minutes_journal_while_down, r"(?m)^M \d+ \d+ [1-9]\d* \d+ \d+$")

    def test_2_ledger_shows_the_incident(self):
        inc = self.incident()
        print(f"outage: down {self.t_start_req - self.t_down:.1f} s (stop requested "
              f"{self.t_stop_req:.1f}, healthy again {self.t_healthy:.1f}); minutes lost "
              f"{inc['minutes_lost']}, expected {self.expect_min}..{self.expect_max}")
        self.assertGreaterEqual(inc["minutes_lost"], self.expect_min)
        self.assertLessEqual(inc["minutes_lost"], self.expect_max)
        self.assertGreaterEqual(inc["refused_attempts"], 1)
        self.assertEqual(inc["affected_tokens"], 1)
        # The table form names the same incident.
        table = self.ctl("outages", "--since", "now-1h")
        self.assertIn("MINUTES_LOST", table)

    def test_3_suggest_sends_one_message_with_the_command(self):
        inc = self.incident()
        t0 = self.t_stop_req
        self.receiver.wait("outage_grace", "suggest", t0, timeout=60)
        mine = [m for _, m in self.receiver.find("outage_grace", "suggest", t0)
                if f"{self.course}/S" in m["message"]]
        self.assertEqual(len(mine), 1, mine)
        print(mine[0]["message"])
        cmd = f"ojctl module extend {self.course} S --minutes {inc['minutes_lost']}"
        self.assertIn(cmd, mine[0]["message"])
        self.assertIn(f"unavailable for {inc['minutes_lost']} minute", mine[0]["message"])
        # More cycles: still one message.
        self.wait_cycles(5)
        mine = [m for _, m in self.receiver.find("outage_grace", "suggest", t0)
                if f"{self.course}/S" in m["message"]]
        self.assertEqual(len(mine), 1, mine)
        # The suggest module's deadline is unchanged; `off` sends nothing.
        self.assertFalse([m for _, m in self.receiver.messages
                          if f"{self.course}/L" in m.get("message", "")])

    def test_4_auto_extends_exactly_once(self):
        inc = self.incident()
        n = inc["minutes_lost"]
        ojtest.wait_for(lambda: self.module_deadline("A") != self.deadline_a0, timeout=60,
                        what="the auto module's deadline to move")
        self.wait_cycles(5)
        self.assertEqual(ts(self.module_deadline("A")) - ts(self.deadline_a0), 60 * n)
        rows = self.stack.sql(
            "SELECT actor, detail FROM audit_log WHERE action = 'module.extend' AND "
            "target = %s", (f"{self.course}/A",))
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0][0], "oj-watchdog")
        self.assertIn(f"(+{n} min)", rows[0][1])
        decisions = self.stack.sql(
            "SELECT g.action, g.minutes FROM grace_decisions g JOIN modules m ON m.id = "
            "g.module_id JOIN courses c ON c.id = m.course_id WHERE c.code = %s "
            "ORDER BY m.code", (self.course,))
        self.assertEqual(decisions, [["extend", str(n)], ["suggest", str(n)]])
        self.assertTrue(self.receiver.find("outage_grace", "extended", self.t_stop_req))

    def test_5_refused_token_uploads_on_time_after_the_deadline(self):
        refused, control = self.tokens[0], self.tokens[1]
        self.ctl("module", "set", self.course, "L", "--deadline", "now+2s")
        deadline = time.time() + 2
        ojtest.wait_for(lambda: time.time() > deadline + 1, timeout=10, what="the deadline")
        code, body, _ = self.upload(control, "L", os.urandom(1000))
        self.assertEqual(code, 403, body)
        self.assertIn("is closed since", body)
        code, body, _ = self.upload(refused, "L", os.urandom(1000))
        self.assertEqual(code, 200, body)
        self.assertRegex(body, r"^\[SUCC ✓\] Received [A-Za-z0-9]{16} at "
                               r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$")  # no " (late)"
        sub_id = body.split()[3]
        _, page, _ = self.get_json(refused)
        j = json.loads(page)
        sub = [s for s in j["submissions"] if s["id"] == sub_id][0]
        self.assertFalse(sub["late"])
        self.assertIsNotNone(sub["on_time_refused_at"])
        self.assertRegex(sub["on_time_note"],
                         r"^accepted on time: refused at \d\d:\d\d during an outage$")
        html = self.get_page(refused)
        self.assertIn("accepted on time: refused at", html)
        # Only the first upload after the refusal is helped.
        code, body, _ = self.upload(refused, "L", os.urandom(1000))
        self.assertEqual(code, 403, body)
        # Grades: the on-time submission is not late.
        csv = self.ctl("scores", "export", "--course", self.course, "--module", "L")
        header = csv.splitlines()[0].split(",")
        row = [r.split(",") for r in csv.splitlines()[1:] if r.startswith("s0,")][0]
        self.assertEqual(row[header.index("late")], "0", csv)
        self.assertEqual(row[header.index("latest_id")], sub_id, csv)

    def get_json(self, token):
        code, body, _ = ojtest.curl(f"{self.url}/oj/{self.course}/L/{token}.json", timeout=60)
        self.assertEqual(code, 200, body)
        return code, body, None

    def get_page(self, token):
        code, body, _ = ojtest.curl(f"{self.url}/oj/{self.course}/L/{token}", timeout=60)
        self.assertEqual(code, 200, body)
        return body

    def wait_cycles(self, n):
        start = (self.wd.status() or {}).get("cycle", 0)
        ojtest.wait_for(lambda: (self.wd.status() or {}).get("cycle", 0) >= start + n,
                        timeout=60, what=f"{n} more watchdog cycles")


if __name__ == "__main__":
    ojtest.main()
