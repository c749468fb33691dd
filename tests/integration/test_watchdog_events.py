"""Crashes and restarts that recover within a second or two (inside any `for_s`)
still reach the operator: kill -9 of a FastCGI worker, of the pool master, of the runner,
and a MariaDB restart each fire their event alert (fcgi_worker_crashes,
fcgi_master_restarted, runner_restarted, database_restarted) once, which resolves after
watchdog.event_quiet_s without a new event.

Runs against a private stack (ops/oj's supervisors restart the killed daemons); the
watchdog under test has its own config (interval 1 s, event_quiet_s 4) and posts to a
webhook receiver on 127.0.0.1.
"""
import os
import signal
import time

import ojtest
import wdhelp
from ojharness import procs

FIRE_WITHIN_S = 15
QUIET_S = 4


class WatchdogEventsTest(wdhelp.WatchdogTestCase):
    TMP_PREFIX = "oj-wdev-"

    @classmethod
    def set_up_class(cls):
        cls.stack = wdhelp.PrivateStack(os.path.join(cls.tmp, "var"))
        cls.stack.up(stop=("watchdog",))  # ours writes the same status file
        cls.receiver = wdhelp.Receiver()
        cls.config = wdhelp.write_config(cls.stack.config, os.path.join(cls.tmp, "wd.toml"), {
            "watchdog": {
                "interval_s": 1, "for_s": 2, "repeat_s": 3600, "event_quiet_s": QUIET_S,
                "probe_timeout_ms": 1500, "webhook_url": cls.receiver.url,
                "webhook_template": wdhelp.TEMPLATE, "delivery_timeout_ms": 2000,
            },
        })
        cls.start_watchdog(cls.stack.bin, cls.config,
                           os.path.join(cls.stack.var, "run/watchdog.status.json"))
        cls.wait_runner_row()

    @classmethod
    def wait_runner_row(cls):
        ojtest.wait_for(lambda: cls.stack.sql("SELECT COUNT(*) FROM runners WHERE started_at IS NOT NULL "
                                              "AND pid > 0")[0][0] != "0",
                        timeout=60, what="a runner row with started_at and pid")

    def status(self, check):
        return self.wd.status()["checks"][check]

    def event_alert(self, check, inject):
        """Injects a fault; its event alert fires once within FIRE_WITHIN_S and resolves
        QUIET_S after (nothing new happening meanwhile)."""
        # Quiet before the fault (an earlier test's fault may still be settling).
        ojtest.wait_for(lambda: ((self.wd.status() or {}).get("checks") or {}).get(check, {}).get("state") == "ok",
                        timeout=60, what=f"{check} ok before the fault")
        t0 = time.time()
        inject()
        injected = time.time()  # a restart returns once the daemon is back
        fired_at = t0 + self.receiver.wait(check, "firing", t0, timeout=FIRE_WITHIN_S + 30)
        self.assertLessEqual(fired_at - injected, FIRE_WITHIN_S,
                             f"{check} fired {fired_at - injected:.1f} s after the fault")
        resolved = self.receiver.wait(check, "resolved", fired_at, timeout=QUIET_S + 30)
        self.assertGreaterEqual(resolved, QUIET_S - 1, f"{check} resolved before the quiet period")
        firing = self.receiver.find(check, "firing", t0)
        self.assertEqual(len(firing), 1, f"{check}: one firing message per event")
        self.assertIn("[oj FIRING] " + check, firing[0][1]["message"])
        self.assertEqual(self.status(check)["kind"], "event")
        return firing[0][1]["message"]

    def test_1_worker_killed(self):
        master = self.stack.pid("fcgi")
        victim = procs.children_of(master)[0]
        msg = self.event_alert("fcgi_worker_crashes", lambda: os.kill(victim, signal.SIGKILL))
        self.assertIn(f"worker {victim}", msg)
        self.assertIn("signal Killed", msg)
        self.assertFalse(self.receiver.find("fcgi_master_restarted", "firing", 0))

    def test_2_master_killed(self):
        old = self.stack.pid("fcgi")
        msg = self.event_alert("fcgi_master_restarted", lambda: os.kill(old, signal.SIGKILL))
        self.assertIn(f"pid {old} is now pid", msg)
        self.assertNotEqual(self.stack.pid("fcgi"), old)

    def test_3_runner_killed(self):
        old = self.stack.pid("runner-1")
        msg = self.event_alert("runner_restarted", lambda: os.kill(old, signal.SIGKILL))
        self.assertIn(f"pid {old} ->", msg)

    def test_4_mariadb_restarted(self):
        def restart():
            self.stack.stop_component("mysqld", timeout=60)
            self.stack.up()  # starts what is not running: MariaDB, and the stack's watchdog
            self.stack.stop_component("watchdog")
        msg = self.event_alert("database_restarted", restart)
        self.assertIn("restarted", msg)


if __name__ == "__main__":
    ojtest.main()
