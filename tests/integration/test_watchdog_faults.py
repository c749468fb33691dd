"""Each injected fault fires its alert within 15 s and sends "resolved" after
recovery; a webhook receiver that is down does not delay the check cycle.

Destructive faults (MariaDB stopped, FastCGI workers frozen) run against a private
stack started here and removed afterwards; the shared stack is not touched. The
watchdog under test has its own config (interval 1 s, for 2 s) and posts to a webhook
receiver this test runs on 127.0.0.1.
"""
import os
import signal
import subprocess
import time

import ojtest
import wdhelp
from ojharness import procs

FIRE_WITHIN_S = 15


class WatchdogFaultsTest(wdhelp.WatchdogTestCase):
    mounted = False

    @classmethod
    def set_up_class(cls):
        cls.stack = wdhelp.PrivateStack(os.path.join(cls.tmp, "var"))
        # The stack's own watchdog and runner would interfere: the runner would claim the
        # old submission we queue, and the watchdog writes the same status file.
        cls.stack.up(stop=("watchdog", "runner-1"))
        cls.stack.sql("DELETE FROM runners")
        # Without a runner the demo's canaries would end late or unjudged; this
        # test is about the other checks (the canary has tests/integration/test_canary.py).
        cls.stack.sql("DELETE FROM canaries")
        cls.psi = os.path.join(cls.tmp, "pressure")
        os.makedirs(cls.psi)
        for r in ("memory", "io", "cpu"):
            wdhelp.write_pressure(cls.psi, r, 0.0)
        # A small filesystem for the storage check: tmpfs when we may mount, else the
        # real storage with a threshold raised above its use (see test_storage).
        cls.small = os.path.join(cls.tmp, "smallfs")
        os.makedirs(cls.small)
        cls.mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", cls.small],
                                     capture_output=True).returncode == 0
        cls.receiver = wdhelp.Receiver()
        cls.overrides = {
            "paths": {"storage_dir": cls.small if cls.mounted else
                      os.path.join(cls.stack.var, "storage")},
            "watchdog": {
                "interval_s": 1, "for_s": 2, "repeat_s": 3600, "probe_timeout_ms": 1500,
                "probe_latency_max_ms": 1000, "psi_dir": cls.psi,
                "heartbeat_max_age_s": 30, "oldest_queued_max_s": 60,
                "disk_free_min_percent": 10.0, "mem_available_min_bytes": 1,
                "webhook_url": cls.receiver.url, "webhook_template": wdhelp.TEMPLATE,
                "delivery_timeout_ms": 2000,
            },
        }
        cls.config = wdhelp.write_config(cls.stack.config, os.path.join(cls.tmp, "wd.toml"),
                                         cls.overrides)
        # Wait until the watchdog has seen a healthy stack for a while.
        cls.start_watchdog(cls.stack.bin, cls.config,
                           os.path.join(cls.stack.var, "run/watchdog.status.json"))

        def not_ok():
            st = (cls.wd.status() or {}).get("checks")
            if not st:
                return {"status": "no checks in the watchdog's status yet"}
            # Event checks (oom_kills is host-wide: other tests' memory hogs) may fire any time.
            return {k: v["detail"] for k, v in st.items() if v["state"] != "ok" and v.get("kind") != "event"}
        try:
            ojtest.wait_for(lambda: not not_ok(), timeout=60, what="every check ok")
        except AssertionError:
            raise AssertionError(f"checks not ok before any fault: {not_ok()}") from None

    @classmethod
    def tear_down_class(cls):
        if cls.mounted:
            subprocess.run(["umount", "-l", cls.small])

    def fire_and_resolve(self, check, inject, recover, fire_within=FIRE_WITHIN_S):
        t0 = time.time()
        try:
            inject()
            delay = self.receiver.wait(check, "firing", t0, timeout=fire_within + 30)
            self.assertLessEqual(delay, fire_within, f"{check} fired after {delay:.1f} s")
        finally:
            t1 = time.time()
            recover()
        self.receiver.wait(check, "resolved", t1, timeout=60)
        firing = self.receiver.find(check, "firing", t0)
        self.assertEqual(len(firing), 1, f"{check}: one firing message per episode")
        self.assertIn("[oj FIRING] " + check, firing[0][1]["message"])
        return delay

    def test_1_runner_heartbeat_stale(self):
        rid = ojtest.unique("wd-runner-")
        self.fire_and_resolve(
            "runner_heartbeat",
            lambda: self.stack.sql(
                "INSERT INTO runners (id, host, slot, state, heartbeat_at) VALUES "
                "(%s, 'testhost', 99, 'judging', UTC_TIMESTAMP(6) - INTERVAL 1 HOUR)", (rid,)),
            lambda: self.stack.sql(
                "UPDATE runners SET heartbeat_at = UTC_TIMESTAMP(6) WHERE id = %s", (rid,)))
        self.stack.sql("DELETE FROM runners WHERE id = %s", (rid,))

    def test_2_old_queued_submission_without_runner(self):
        sid = ojtest.unique("WDQ").upper()[:16].ljust(16, "Q")
        self.fire_and_resolve(
            "oldest_queued",
            lambda: self.stack.sql(
                "INSERT INTO submissions (id, student_id, module_id, received_at, size_bytes, "
                "sha256, storage_key, status) SELECT "
                "%s, s.id, m.id, UTC_TIMESTAMP(6) - INTERVAL 2 HOUR, 1, REPEAT('0', 64), "
                "'wd-test', 'queued' FROM students s JOIN modules m ON m.course_id = s.course_id "
                "LIMIT 1", (sid,)),
            lambda: self.stack.sql("UPDATE submissions SET status = 'cancelled' WHERE id = %s", (sid,)))

    def test_3_storage_over_threshold(self):
        if self.mounted:
            fill = os.path.join(self.small, "fill")

            def inject():
                with open(fill, "wb") as f:
                    f.write(b"\0" * (int(7.6 * 1024 * 1024)))
            self.fire_and_resolve("disk_storage", inject, lambda: os.unlink(fill))
        else:
            # No mount permission: a threshold above the current use, then back.
            def set_min(pct):
                wd = dict(self.overrides["watchdog"], disk_free_min_percent=pct)
                wdhelp.write_config(self.stack.config, self.config, dict(self.overrides, watchdog=wd))
                self.wd.reload()
            self.fire_and_resolve("disk_storage", lambda: set_min(100.0), lambda: set_min(10.0))

    def test_4_psi_over_threshold_fake_dir(self):
        self.fire_and_resolve(
            "psi_memory_some",
            lambda: wdhelp.write_pressure(self.psi, "memory", 85.0, 30.0),
            lambda: wdhelp.write_pressure(self.psi, "memory", 0.0, 0.0))
        # The full line fired too (30 > 10), and resolved with the same recovery.
        self.assertTrue(self.receiver.find("psi_memory_full", "resolved", 0))

    def test_5_psi_real_proc_pressure(self):
        if not os.path.exists("/proc/pressure/cpu"):
            self.skipTest("this kernel has no /proc/pressure (PSI disabled)")
        # A second watchdog reading the real /proc/pressure. CPU pressure is made real by
        # more busy loops than CPUs; the threshold 0.01 % is then surely exceeded. Recovery:
        # the threshold is raised to 100 % (never exceeded) and the config reloaded (SIGHUP),
        # since avg10 takes tens of seconds to decay on its own.
        run_dir = os.path.join(self.tmp, "real-psi-run")
        os.makedirs(run_dir, exist_ok=True)
        receiver = wdhelp.Receiver()
        psi = {"psi_dir": "/proc/pressure", "psi_memory_some_max": 100.0,
               "psi_memory_full_max": 100.0, "psi_io_some_max": 100.0, "psi_io_full_max": 100.0}
        cfg = os.path.join(self.tmp, "wd-real.toml")

        def write(cpu_max):
            wdhelp.write_config(self.stack.config, cfg, {
                "paths": {"run_dir": run_dir},
                "watchdog": dict(self.overrides["watchdog"], webhook_url=receiver.url,
                                 psi_cpu_some_max=cpu_max, **psi)})
        write(0.01)
        wd = wdhelp.WatchdogProcess(self.stack.bin, cfg, os.path.join(self.tmp, "wd-real.log"),
                                    os.path.join(run_dir, "watchdog.status.json"))
        spinners = [subprocess.Popen(["sh", "-c", "while :; do :; done"])
                    for _ in range((os.cpu_count() or 1) + 2)]
        try:
            t0 = time.time()
            delay = receiver.wait("psi_cpu_some", "firing", t0, timeout=FIRE_WITHIN_S + 30)
            self.assertLessEqual(delay, FIRE_WITHIN_S)
            st = wd.status()["checks"]["psi_cpu_some"]
            self.assertIn("/proc/pressure/cpu", st["detail"])
            self.assertGreater(float(st["value"]), 0.0)
            # The memory and io checks read the real files too, and are not "unknown".
            for name in ("psi_memory_some", "psi_io_some", "psi_io_full"):
                self.assertNotEqual(wd.status()["checks"][name]["observation"], "unknown", name)
        finally:
            for p in spinners:
                p.kill()
                p.wait()
        t1 = time.time()
        write(100.0)
        wd.reload()
        try:
            receiver.wait("psi_cpu_some", "resolved", t1, timeout=60)
        finally:
            wd.stop()
            receiver.close()

    def test_6_webhook_down_does_not_delay_checks(self):
        self.receiver.down = True
        t0 = time.time()
        try:
            wdhelp.write_pressure(self.psi, "io", 95.0, 0.0)  # psi_io_some fires after 2 s
            ojtest.wait_for(lambda: self.receiver.attempts_while_down >= 1, timeout=FIRE_WITHIN_S,
                            what="a delivery attempt while the receiver is down")
            s0 = self.wd.status()
            # Over a stretch with two more attempts hanging (and at least 4 cycles), the
            # cycles kept their pace: a cycle that waited for a delivery would take at least
            # its 2 s timeout. The watchdog's own times, not this process's scheduling.
            ojtest.wait_for(lambda: self.receiver.attempts_while_down >= 3 and
                            (self.wd.status() or {}).get("cycle", 0) >= s0["cycle"] + 4, timeout=60,
                            what="two more delivery attempts and 4 cycles while the receiver is down")
            s1 = self.wd.status()
            cycles, span = s1["cycle"] - s0["cycle"], s1["at"] - s0["at"]
            self.assertLess(span / cycles, 2.0, f"{cycles} cycles in {span:.1f} s while the webhook hung")
            self.assertEqual(self.wd.status()["checks"]["psi_io_some"]["state"], "firing")
            self.assertFalse(self.receiver.find("psi_io_some", "firing", t0))
        finally:
            self.receiver.down = False
        back = time.time()
        self.receiver.wait("psi_io_some", "firing", t0, timeout=45)
        print(f"delivered {self.receiver.find('psi_io_some', 'firing', t0)[0][0] - back:.1f} s "
              "after the receiver came back")
        t1 = time.time()
        wdhelp.write_pressure(self.psi, "io", 0.0, 0.0)
        self.receiver.wait("psi_io_some", "resolved", t1, timeout=30)

    def test_7_fcgi_workers_sigstopped(self):
        master = self.stack.pid("fcgi")
        workers = procs.children_of(master)
        self.assertTrue(workers, "the pool has workers")

        def signal_all(sig):
            for p in procs.children_of(master):
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
        t0 = time.time()
        try:
            signal_all(signal.SIGSTOP)
            d1 = self.receiver.wait("health_probe", "firing", t0, timeout=FIRE_WITHIN_S + 30)
            d2 = self.receiver.wait("fcgi_processes", "firing", t0, timeout=FIRE_WITHIN_S + 30)
            self.assertLessEqual(max(d1, d2), FIRE_WITHIN_S)
        finally:
            signal_all(signal.SIGCONT)
        t1 = time.time()
        self.receiver.wait("fcgi_processes", "resolved", t1, timeout=60)
        self.receiver.wait("health_probe", "resolved", t1, timeout=90)

    def test_8_mariadb_stopped(self):
        def start_again():
            self.stack.up()  # starts only what is not running: MariaDB, runner, watchdog
            self.stack.stop_component("watchdog")
            self.stack.stop_component("runner-1")
        msg = None
        t0 = time.time()
        try:
            self.stack.stop_component("mysqld", timeout=60)
            self.receiver.wait("health_probe", "firing", t0, timeout=FIRE_WITHIN_S + 30)
            msg = self.receiver.find("health_probe", "firing", t0)[0][1]["message"]
        finally:
            t1 = time.time()
            start_again()
        self.assertLessEqual(self.receiver.find("health_probe", "firing", t0)[0][0] - t0,
                             FIRE_WITHIN_S)
        self.assertIn("503", msg)
        self.receiver.wait("health_probe", "resolved", t1, timeout=60)


if __name__ == "__main__":
    ojtest.main()
