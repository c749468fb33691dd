"""The end-to-end canary.

A watchdog of our own (the stack's is paused for the duration) runs against the shared
stack with a 1 s cycle, for_s = 1 and a webhook receiver; the test's modules get
canaries with a 3 s interval and an 8 s judge target (`ojctl canary set --interval
--target`), the demo's canaries keep an hour so they stay out of the way. Shown:

- a canary goes through nginx's /upload, is judged with its expected verdict, no alert;
- with the runner stopped (ojtest.paused_runners) the canary alert fires within
  target + interval (+ for_s, three cycles of the watchdog's granularity and a second
  for delivery), and resolves after the runner is back;
- a wrong expected verdict fires, and correcting it resolves;
- canary submissions appear on no student page or JSON, not in `ojctl scores export`
  or `token export`, and not in any queue figure (queue position, X-OJ-Queue-Position,
  /metrics, `ojctl queue`), and a module rejudge leaves them alone.
"""
import json
import os
import re
import time

import ojtest
import runner_util as ru
import wdhelp

INTERVAL_S = 3   # canary interval of the test's modules
TARGET_S = 8     # their judge target
WD_CYCLE_S = 1
FOR_S = 1
HELLO = b'#include <stdio.h>\nint main(void) { puts("Hello, OJ!"); return 0; }\n'


# The stack's watchdog is held: ours is then the only one sending canaries and writing
# run/watchdog.status.json.
paused_stack_watchdog = ojtest.paused_watchdog


def canary_rows(course, module=None):
    where, params = "c.code = %s", [course]
    if module:
        where, params = where + " AND m.code = %s", params + [module]
    return ojtest.sql(
        "SELECT s.id, s.status, IFNULL(s.verdict, ''), IFNULL(s.score, ''), s.canary, st.canary, "
        "st.student_no FROM submissions s JOIN students st ON st.id = s.student_id "
        "JOIN modules m ON m.id = s.module_id JOIN courses c ON c.id = m.course_id "
        f"WHERE {where} AND st.canary = 1 ORDER BY s.received_at", params)


class CanaryTest(wdhelp.WatchdogTestCase):
    TMP_PREFIX = "oj-canary-"
    paused = course = None

    @classmethod
    def set_up_class(cls):
        cls.paused = paused_stack_watchdog().__enter__()
        cls.course, cls.tokens = ojtest.make_course(modules=("C1", "C2"), students=2,
                                                    extra=("--judge-dir", "ICS2024/Lab1"))
        cls.archive = ru.tar_bz2({"main.c": HELLO}, os.path.join(cls.tmp, "hello.tar.bz2"))
        out = json.loads(ojtest.ojctl(
            "canary", "set", cls.course, "C1", "--archive", cls.archive, "--expect", "accepted/100",
            "--interval", str(INTERVAL_S), "--target", str(TARGET_S), "--json"))
        cls.canary_token = out["token"]
        cls.check = f"canary:{cls.course}/C1"
        cls.receiver = wdhelp.Receiver()
        overrides = {
            "watchdog": {"interval_s": WD_CYCLE_S, "for_s": FOR_S, "repeat_s": 3600,
                         "webhook_url": cls.receiver.url, "webhook_template": wdhelp.TEMPLATE,
                         "delivery_timeout_ms": 2000},
            # The demo's canaries: at most one each while we run.
            "canary": {"interval_s": 3600, "judge_target_s": 3600},
        }
        cls.config = wdhelp.write_config(ojtest.CONFIG, os.path.join(cls.tmp, "wd.toml"), overrides)
        cls.t_start = time.time()
        cls.start_watchdog(ojtest.BIN, cls.config, os.path.join(ojtest.VAR, "run/watchdog.status.json"),
                           cycles=0)
        ojtest.wait_for(lambda: cls.check in ((cls.wd.status() or {}).get("checks") or {}),
                        timeout=60, what=f"the watchdog to report {cls.check}")

    @classmethod
    def tear_down_class(cls):
        if cls.course:
            for m in ("C1", "C2"):
                ojtest.ojctl("canary", "remove", cls.course, m, check=False)
        if cls.paused:
            cls.paused.__exit__(None, None, None)

    def check_state(self, check):
        st = ((self.wd.status() or {}).get("checks") or {}).get(check) or {}
        return st.get("state"), st.get("observation"), st.get("detail", "")

    def wait_canary_right(self, check, timeout=120):
        ojtest.wait_for(lambda: self.check_state(check)[:2] == ("ok", "ok"), timeout=timeout,
                        what=f"{check} ok after a right canary")

    def test_1_canary_is_judged_right_without_alert(self):
        def judged():
            return [r for r in canary_rows(self.course, "C1") if r[1] == "done"]
        done = ojtest.wait_for(judged, timeout=180, what="a judged canary")[0]
        self.assertEqual(done[2:], ["accepted", "100", "1", "1", "~canary"])
        self.wait_canary_right(self.check)
        self.assertEqual(self.receiver.find(self.check, "firing", self.t_start), [])
        st = json.loads(ojtest.ojctl("canary", "status", "--course", self.course, "--json"))
        c1 = [c for c in st if c["module"] == "C1"][0]
        self.assertEqual((c1["outcome"], c1["watchdog_state"], c1["expect"]), ("right", "ok", "accepted/100"))
        self.assertEqual(c1["token"], self.canary_token)
        self.assertTrue(c1["runs"] and c1["runs"][0]["id"] in [r[0] for r in canary_rows(self.course)])

    def test_2_stopped_runner_fires_and_restart_resolves(self):
        self.wait_canary_right(self.check)
        with ojtest.paused_runners():
            t0 = time.time()
            # target + interval, plus the watchdog's granularity: a cycle to send the due
            # canary, one to see it late, one to step pending -> firing after for_s, and
            # a second for delivery.
            bound = TARGET_S + INTERVAL_S + FOR_S + 3 * WD_CYCLE_S + 1
            delay = self.receiver.wait(self.check, "firing", t0, timeout=bound + 30)
            self.assertLessEqual(delay, bound, f"{self.check} fired {delay:.1f} s after the runner stopped")
            msg = self.receiver.find(self.check, "firing", t0)[0][1]["message"]
            self.assertRegex(msg, r"still (queued|running) after \d+ s \(target 8 s\)")
            t1 = time.time()
        delay = self.receiver.wait(self.check, "resolved", t1, timeout=90)
        print(f"canary fired {self.receiver.find(self.check, 'firing', t0)[0][0] - t0:.1f} s after the "
              f"runner stopped (bound {bound} s); resolved {delay:.1f} s after it was back")
        self.assertEqual(len(self.receiver.find(self.check, "firing", t0)), 1, "one firing per episode")

    def test_3_wrong_expected_verdict_fires_and_correction_resolves(self):
        check = f"canary:{self.course}/C2"
        t0 = time.time()
        ojtest.ojctl("canary", "set", self.course, "C2", "--archive", self.archive, "--expect",
                     "wrong_answer/0", "--interval", str(INTERVAL_S), "--target", str(TARGET_S))
        try:
            self.receiver.wait(check, "firing", t0, timeout=180)
            msg = self.receiver.find(check, "firing", t0)[0][1]["message"]
            self.assertIn("got accepted/100, expected wrong_answer/0", msg)
            t1 = time.time()
            ojtest.ojctl("canary", "set", self.course, "C2", "--expect", "accepted/100")
            self.receiver.wait(check, "resolved", t1, timeout=180)
        finally:
            ojtest.ojctl("canary", "remove", self.course, "C2", check=False)

    def test_4_canaries_hidden_from_students_grades_and_queue(self):
        self.wait_canary_right(self.check)
        path = ru.tar_bz2({"main.c": HELLO + b"/* real */\n"}, os.path.join(self.tmp, "real.tar.bz2"))
        with ojtest.paused_runners():
            # Canaries pile up while nothing is judged; a real upload lands behind them.
            def queued_canaries():
                return [r for r in canary_rows(self.course, "C1") if r[1] == "queued"]
            ojtest.wait_for(queued_canaries, timeout=60, what="a queued canary")
            code, body, headers = ojtest.upload(path, self.tokens[0], self.course, "C1")
            self.assertEqual(code, 200, body)
            sid = ru.ID_RE.search(body).group(1)
            real_ahead = int(ojtest.sql(
                "SELECT COUNT(*) FROM submissions q JOIN submissions s ON s.id = "
                "%s WHERE q.status = 'queued' AND q.canary = 0 AND (q.received_at < "
                "s.received_at OR (q.received_at = s.received_at AND q.id < s.id))", (sid,))[0][0])
            canaries_ahead = int(ojtest.sql(
                "SELECT COUNT(*) FROM submissions q JOIN submissions s ON s.id = "
                "%s WHERE q.status = 'queued' AND q.canary = 1 AND q.received_at < s.received_at",
                (sid,))[0][0])
            self.assertGreater(canaries_ahead, 0, "the test needs canaries queued ahead")
            hdr = re.search(r"(?im)^X-OJ-Queue-Position: (\d+)", headers)
            self.assertEqual(int(hdr.group(1)), real_ahead, headers)
            st, raw, _ = ojtest.get(f"/oj/{self.course}/C1/{self.tokens[0]}.json")
            self.assertEqual(st, 200)
            mine = [s for s in json.loads(raw)["submissions"] if s["id"] == sid][0]
            self.assertEqual(mine["queue_position"], real_ahead)

            # /metrics and `ojctl queue` count only students' queued submissions; read the
            # database before and after so a canary arriving in between is noticed.
            def queue_figures():
                before = ojtest.sql("SELECT COUNT(*) FROM submissions WHERE status = 'queued' AND canary = 0")
                _, text, _ = ojtest.get("/metrics")
                m = re.search(rb'(?m)^oj_queue_submissions\{status="queued"\} (\d+)$', text)
                q = json.loads(ojtest.ojctl("queue", "--json"))
                after = ojtest.sql("SELECT COUNT(*) FROM submissions WHERE status = 'queued' AND canary = 0")
                if before != after or not m:
                    return None
                return int(before[0][0]), int(m.group(1)), dict(q["depth"])["queued"]
            want, metric, ctl = ojtest.wait_for(queue_figures, timeout=60, what="stable queue figures")
            total = int(ojtest.sql("SELECT COUNT(*) FROM submissions WHERE status = 'queued'")[0][0])
            self.assertLess(want, total, "canaries are queued too")
            self.assertEqual((metric, ctl), (want, want))

        canary_ids = [r[0] for r in canary_rows(self.course)]
        self.assertTrue(canary_ids)
        for token in self.tokens:
            for module in ("C1", "C2"):
                for suffix in ("", ".json"):
                    st, page, _ = ojtest.get(f"/oj/{self.course}/{module}/{token}{suffix}")
                    self.assertEqual(st, 200)
                    for cid in canary_ids:
                        self.assertNotIn(cid.encode(), page, f"canary {cid} on {token}'s {module}{suffix}")
        ru.wait_done(sid)
        for module in ("C1", "C2"):
            csv = ojtest.ojctl("scores", "export", "--course", self.course, "--module", module)
            lines = csv.strip().splitlines()
            self.assertEqual(len(lines), 1 + len(self.tokens), csv)
            self.assertNotIn("canary", csv)
        tokens_csv = ojtest.ojctl("token", "export", "--course", self.course)
        self.assertNotIn(self.canary_token, tokens_csv)
        self.assertNotIn("canary", tokens_csv)
        # A module rejudge sends students' work back, not old canaries (they would read as
        # canaries waiting past their target).
        out = json.loads(ojtest.ojctl("rejudge", "--module", f"{self.course}/C1", "--json"))
        self.assertIn(sid, out["requeued"])
        self.assertFalse(set(out["requeued"]) & set(canary_ids), out)
        ru.wait_done(sid)


if __name__ == "__main__":
    ojtest.main()
