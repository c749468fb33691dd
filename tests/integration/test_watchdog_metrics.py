"""/metrics is valid Prometheus text with the queue, judge and runner families,
is refused (403) from a non-loopback address, and the Prometheus rules are valid.

The 403 check runs a second nginx, rendered from a copy of the shared stack's config
(same FastCGI socket) and bound to 198.18.0.1 on a dummy interface inside a network
namespace made here; a client there connects from 198.18.0.1, which metrics_allow
(127.0.0.1) does not hold. Only loopback and 198.18.0.0/15 are ever contacted.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import ojtest
import wdhelp


def run(*args, check=True, timeout=60):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {r.stdout}{r.stderr}")
    return r


class MetricsTest(unittest.TestCase):
    def metrics(self):
        status, body, headers = ojtest.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        return body.decode()

    def test_families_cover_queue_judge_and_runners(self):
        rid = ojtest.unique("wd-metrics-")
        ojtest.sql("INSERT INTO runners (id, host, slot, state, reason, heartbeat_at) VALUES "
                   "(%s, 'testhost', 98, 'held', 'psi memory 50 > 40', "
                   "UTC_TIMESTAMP(6) - INTERVAL 42 SECOND)", (rid,))
        try:
            text = self.metrics()
        finally:
            ojtest.sql("DELETE FROM runners WHERE id = %s", (rid,))
        families = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
        self.assertGreaterEqual(len(families), 10, families)
        names = dict(families)
        for name, kind in [("oj_http_requests_total", "counter"),
                           ("oj_http_request_duration_seconds", "histogram"),
                           ("oj_upload_bytes_total", "counter"),
                           ("oj_worker_restarts_total", "counter"),
                           ("oj_queue_submissions", "gauge"),
                           ("oj_queue_oldest_queued_age_seconds", "gauge"),
                           ("oj_judge_verdicts_total", "counter"),
                           ("oj_judge_duration_seconds", "histogram"),
                           ("oj_runner_state", "gauge"),
                           ("oj_runner_heartbeat_age_seconds", "gauge"),
                           ("oj_runners_held", "gauge"),
                           ("oj_database_up", "gauge")]:
            self.assertEqual(names.get(name), kind, name)
        self.assertIn(f'oj_runner_state{{runner="{rid}",state="held"}} 1', text)
        age = re.search(rf'^oj_runner_heartbeat_age_seconds{{runner="{rid}"}} (\S+)$', text, re.M)
        self.assertTrue(age)
        self.assertGreaterEqual(float(age.group(1)), 42)
        self.assertRegex(text, r"(?m)^oj_runners_held [1-9]")
        self.assertRegex(text, r'(?m)^oj_queue_submissions\{status="queued"\} \d+$')
        self.assertIn("oj_database_up 1", text)

    def test_promtool_check_metrics(self):
        if not shutil.which("promtool"):
            self.skipTest("promtool not installed (Debian package 'prometheus'; ops/install-deps.sh)")
        r = subprocess.run(["promtool", "check", "metrics"], input=self.metrics(),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_promtool_check_rules(self):
        if not shutil.which("promtool"):
            self.skipTest("promtool not installed (Debian package 'prometheus'; ops/install-deps.sh)")
        rules = os.path.join(ojtest.ROOT, "ops/prometheus/oj-rules.yml")
        r = run("promtool", "check", "rules", rules, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"SUCCESS: \d+ rules found")

    def test_refused_from_a_non_loopback_address(self):
        if os.geteuid() != 0 or not shutil.which("ip"):
            self.skipTest("needs root and iproute2 to make a network namespace")
        ns = ojtest.unique("ojwd")
        if run("ip", "netns", "add", ns, check=False).returncode != 0:
            self.skipTest("cannot create a network namespace here")
        tmp = tempfile.mkdtemp(prefix="oj-wd-metrics-")
        nginx_pid = os.path.join(tmp, "run", "nginx.pid")
        try:
            inns = ["ip", "netns", "exec", ns]
            run(*inns, "ip", "link", "set", "lo", "up")
            # A dummy interface where the kernel has the module; else the address on the
            # namespace's lo (still a non-loopback source address for nginx).
            if run(*inns, "ip", "link", "add", "oj0", "type", "dummy", check=False).returncode == 0:
                run(*inns, "ip", "addr", "add", "198.18.0.1/24", "dev", "oj0")
                run(*inns, "ip", "link", "set", "oj0", "up")
            else:
                run(*inns, "ip", "addr", "add", "198.18.0.1/32", "dev", "lo")
            for d in ("run", "log", "nginx/body", "nginx/fastcgi", "nginx/cache", "nginx/proxy",
                      "nginx/uwsgi", "nginx/scgi"):
                os.makedirs(os.path.join(tmp, d), exist_ok=True)
            cfg = wdhelp.write_config(ojtest.CONFIG, os.path.join(tmp, "oj.toml"), {
                "server": {"listen": "198.18.0.1", "port": 8080, "metrics_allow": ["127.0.0.1"]},
                "paths": {"var_dir": tmp, "run_dir": os.path.join(tmp, "run"),
                          "log_dir": os.path.join(tmp, "log")}})
            conf = os.path.join(tmp, "nginx.conf")
            run(os.path.join(ojtest.BIN, "ops/ojctl/ojctl"), "--config", cfg, "nginx", "render",
                "--out", conf)
            run(*inns, "nginx", "-e", os.path.join(tmp, "log/nginx-error.log"), "-p",
                os.path.join(tmp, "nginx"), "-c", conf)
            ojtest.wait_for(lambda: os.path.exists(nginx_pid), timeout=60, what="test nginx")

            def code(path):
                return run(*inns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                           "--max-time", "30", f"http://198.18.0.1:8080{path}").stdout
            self.assertEqual(code("/healthz"), "200")  # the same app answers through it
            self.assertEqual(code("/metrics"), "403")
            # And from loopback on the shared stack, /metrics is served.
            self.assertEqual(ojtest.get("/metrics")[0], 200)
        finally:
            try:
                with open(nginx_pid) as f:
                    pid = int(f.read())
                os.kill(pid, signal.SIGQUIT)
                for _ in range(100):
                    if not os.path.exists(f"/proc/{pid}"):
                        break
                    time.sleep(0.1)
            except (OSError, ValueError):
                pass
            run("ip", "netns", "del", ns, check=False)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ojtest.main()
