"""Test hosts as network namespaces (docs/scaling.md): one intake host and N judge hosts.

Topology (all addresses in 198.18.0.0/15, the benchmarking range; nothing else is reached):

    intake netns  <- veth ->  judge netns n   intake 198.18.n.1/24, judge 198.18.n.2/24
    intake netns  <- veth ->  outsider netns  intake 198.19.0.1/24, outsider 198.19.0.2/24

The intake namespace runs a private MariaDB (TCP 3306, inside that namespace only), the
FastCGI pool and nginx rendered by `ojctl nginx render` (listening on 0.0.0.0:8080 inside
the namespace; its /archive/ location allows 198.18.0.0/16 only, so the outsider, also in
the test range, is outside the judge network). Each judge namespace runs oj-runner with its
own configuration: the database over TCP as the least-privilege `oj_runner` account and the
archive fetched through signed links. Processes enter namespaces with `nsenter --net` (not
`ip netns exec`, which remounts /sys and would hide the cgroup hierarchy the sandbox needs);
runners get their own UTS namespace and hostname, so each host has its own runner id.

Everything created is recorded and removed by close(), also after a failed setup.
"""
import base64
import hashlib
import io
import os
import secrets
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time

from ojharness import ROOT
from ojharness import upload as http_client
from ojharness.db import Database
RUNNER_PASSWORD_BYTES = 12

# What oj-runner reads and writes, and nothing else (docs/scaling.md explains each line).
# (%(user)s@%(host)s: the account, bound as parameters.)
RUNNER_GRANTS = """
GRANT SELECT ON oj.courses TO %(user)s@%(host)s;
GRANT SELECT ON oj.modules TO %(user)s@%(host)s;
GRANT SELECT, UPDATE (status, runner_id, lease_until, attempts, started_at, finished_at,
  verdict, score, max_score, log, log_truncated, cpu_ms, wall_ms, peak_memory_kb)
  ON oj.submissions TO %(user)s@%(host)s;
GRANT SELECT, INSERT, DELETE ON oj.test_results TO %(user)s@%(host)s;
GRANT SELECT, INSERT, UPDATE ON oj.runners TO %(user)s@%(host)s;
"""
APP_ACCOUNT = """CREATE DATABASE oj CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'oj'@'localhost' IDENTIFIED BY %s;
GRANT ALL ON oj.* TO 'oj'@'localhost';"""

WAIT_JUDGE_SH = """#!/bin/sh
# A judge dominated by waiting: records when the test started, sleeps, echoes the nonce.
start=$(date +%s.%N)
sleep "$1"
nonce=$(cat /submission/nonce.txt 2>/dev/null || echo missing)
printf '{"score": 1, "max_score": 1, "tests": [{"name": "wait", "passed": true, "message": "start=%s nonce=%s"}]}' \
  "$start" "$nonce" >"$OJ_RESULT"
"""


def run(*args, check=True, timeout=60, **kw):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def netns_supported():
    """None when this host can create network namespaces and veths; else the reason."""
    if os.geteuid() != 0:
        return "needs root for ip netns"
    for tool in ("ip", "nsenter", "unshare", "mariadbd", "mariadb-install-db", "nginx", "curl", "openssl"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    name = "ojprobe" + secrets.token_hex(3)
    r = run("ip", "netns", "add", name, check=False)
    if r.returncode != 0:
        return "ip netns add is not permitted here: " + r.stderr.strip()
    r2 = run("ip", "-n", name, "link", "add", "pa", "type", "veth", "peer", "name", "pb", check=False)
    run("ip", "netns", "del", name, check=False)
    if r2.returncode != 0:
        return "veth pairs are not permitted here: " + r2.stderr.strip()
    return None


def sign_link(secret, uri, expires):
    """Independent re-implementation of core/archive_link.cc (nginx secure_link_md5)."""
    digest = hashlib.md5(f"{expires}{uri} {secret}".encode()).digest()
    return f"{uri}?md5={base64.urlsafe_b64encode(digest).decode().rstrip('=')}&expires={expires}"


def make_upload(nonce):
    """A .tar.gz holding nonce.txt: distinct bytes per upload (no dedup across the queue)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        data = (nonce + "\n").encode()
        info = tarfile.TarInfo("nonce.txt")
        info.size = len(data)
        info.mtime = int(time.time())
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Hosts:
    """An intake host and judge hosts in network namespaces. Use as a context manager."""

    def __init__(self, bin_dir, judges=2, lease_s=4, heartbeat_s=1, replica=False, tls=False):
        self.bin = bin_dir
        self.tag = "oj" + secrets.token_hex(2)  # interface names stay under 15 characters
        self.dir = tempfile.mkdtemp(prefix="oj-scale-")
        os.chmod(self.dir, 0o755)
        self.namespaces = []
        self.procs = {}  # name -> Popen
        self.judges = judges
        self.replica = replica  # primary with GTID binlogs + a replica (ops/scale/replica.sh)
        self.tls = tls  # MariaDB with a throwaway CA's certificate; oj_runner REQUIRE SSL
        self.lease_s = lease_s
        self.heartbeat_s = heartbeat_s
        self.intake = f"{self.tag}-in"
        self.outsider = f"{self.tag}-out"
        self.runner_password = secrets.token_hex(RUNNER_PASSWORD_BYTES)
        self.app_password = secrets.token_hex(RUNNER_PASSWORD_BYTES)

    # --- lifecycle -------------------------------------------------------------------
    def __enter__(self):
        try:
            self._network()
            self._intake()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for name in list(self.procs):
            self.stop(name)
        mysqld_pid = os.path.join(self.dir, "run/mysqld.pid")
        nginx_pid = os.path.join(self.dir, "run/nginx.pid")
        for pidf in (nginx_pid, self.path("replica/run/mysqld.pid"), mysqld_pid):
            try:
                with open(pidf) as f:
                    pid = int(f.read().strip())
                os.kill(pid, signal.SIGTERM)
                for _ in range(300):
                    os.kill(pid, 0)
                    time.sleep(0.1)
            except (OSError, ValueError):
                pass
        for ns in reversed(self.namespaces):
            run("ip", "netns", "del", ns, check=False)  # deletes its veth ends, and so the pairs
        self.namespaces = []
        subprocess.run(["umount", "-R", os.path.join(self.dir, "judge-work")], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- network ---------------------------------------------------------------------
    def _add_ns(self, name):
        run("ip", "netns", "add", name)
        self.namespaces.append(name)
        run("ip", "-n", name, "link", "set", "lo", "up")

    def _link(self, other_ns, idx, intake_addr, other_addr):
        a, b = f"{self.tag}i{idx}", f"{self.tag}h{idx}"
        run("ip", "-n", self.intake, "link", "add", a, "type", "veth", "peer", "name", b, "netns", other_ns)
        run("ip", "-n", self.intake, "addr", "add", f"{intake_addr}/24", "dev", a)
        run("ip", "-n", other_ns, "addr", "add", f"{other_addr}/24", "dev", b)
        run("ip", "-n", self.intake, "link", "set", a, "up")
        run("ip", "-n", other_ns, "link", "set", b, "up")

    def judge_ns(self, n):
        return f"{self.tag}-j{n}"

    def judge_ifname(self, n):
        return f"{self.tag}h{n}"

    def intake_addr(self, n):
        return f"198.18.{n}.1"

    def _network(self):
        self._add_ns(self.intake)
        for n in range(1, self.judges + 1):
            self._add_ns(self.judge_ns(n))
            self._link(self.judge_ns(n), n, self.intake_addr(n), f"198.18.{n}.2")
        self._add_ns(self.outsider)
        self._link(self.outsider, 0, "198.19.0.1", "198.19.0.2")

    def set_link(self, n, up):
        run("ip", "-n", self.judge_ns(n), "link", "set", self.judge_ifname(n), "up" if up else "down")

    def ns_cmd(self, ns, *args):
        return ["nsenter", f"--net=/run/netns/{ns}", *args]

    # --- intake host -----------------------------------------------------------------
    def path(self, *p):
        return os.path.join(self.dir, *p)

    def _intake(self):
        for d in ("run", "log", "storage/tmp", "keys", "var/nginx", "judges", "judge-work"):
            os.makedirs(self.path(d), exist_ok=True)
        for sub in ("body", "fastcgi", "cache", "proxy", "uwsgi", "scgi"):
            os.makedirs(self.path("var/nginx", sub), exist_ok=True)
        os.mkfifo(self.path("run/queue.fifo"), 0o660)
        for module, sleep_s in (("W1", "1"), ("LONG", "8")):
            jd = self.path("judges", module)
            os.makedirs(jd)
            with open(os.path.join(jd, "test.sh"), "w") as f:
                f.write(WAIT_JUDGE_SH)
            with open(os.path.join(jd, "judge.toml"), "w") as f:
                f.write(f'max_score = 1\n[test]\ncommand = ["/bin/sh", "/judge/test.sh", "{sleep_s}"]\n'
                        '[test.limits]\nwall_ms = 30000\n')
        with open(self.path("oj.toml"), "w") as f:
            f.write(self._config(intake=True))
        # The pool's copy without the keys an older oj-fcgi does not know (archive_allow,
        # nginx_user, nginx_group), so an oj-fcgi from another build directory (OJ_FCGI_BIN)
        # can serve uploads too.
        with open(self.path("app.toml"), "w") as f:
            f.write("".join(line + "\n" for line in self._config(intake=True).splitlines()
                            if not line.startswith(("archive_allow", "nginx_user", "nginx_group"))
                            or self.replica))
        os.chmod(self.path("oj.toml"), 0o600)
        os.chmod(self.path("app.toml"), 0o600)
        if self.tls:
            self._certificates()
        self._mariadb()
        self.ojctl("db", "migrate", "--sql-dir", os.path.join(ROOT, "sql"))
        require = " REQUIRE SSL" if self.tls else ""
        account = {"user": "oj_runner", "host": "198.18.%", "password": self.runner_password}
        self.sql_root("CREATE USER %(user)s@%(host)s IDENTIFIED BY %(password)s" + require + ";"
                      + RUNNER_GRANTS, account)
        self.ojctl("nginx", "render", "--out", self.path("var/nginx/nginx.conf"))
        with open(self.path("keys/archive-link.key")) as f:
            self.secret = f.read().strip()
        fcgi = os.path.join(self.bin, "fcgi_app/oj-fcgi")
        if os.environ.get("OJ_FCGI_BIN") and not self.replica:
            fcgi = os.environ["OJ_FCGI_BIN"]
        self.spawn("fcgi", self.intake, [fcgi, "--config", self.path("app.toml")])
        run(*self.ns_cmd(self.intake, "nginx", "-e", self.path("log/nginx-error.log"), "-p",
                         self.path("var/nginx"), "-c", self.path("var/nginx/nginx.conf")))
        self.wait_for(lambda: self.curl(self.intake, "http://127.0.0.1:8080/healthz")[0] == 200,
                      60, "intake /healthz")
        self.course = "S" + secrets.token_hex(3)
        self.ojctl("course", "add", self.course, "--title", "Scale test")
        for module in ("W1", "LONG"):
            self.ojctl("module", "add", self.course, module, "--opens", "now-1d", "--deadline", "now+30d",
                       "--judge-dir", self.path("judges", module), "--supersede", "off")
        self.tokens = [self.ojctl("student", "add", self.course, f"s{i:03d}").strip() for i in range(10)]
        if self.replica:
            self.start_replica()

    def _certificates(self):
        """A throwaway CA and a server certificate for the intake's judge-facing addresses
        (tls/ca.pem, tls/server.pem, tls/server.key), plus an unrelated CA (tls/other-ca.pem)."""
        d = self.path("tls")
        os.makedirs(d)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for name in ("ca", "other-ca"):
            run("openssl", "req", "-x509", *ec, "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.pem",
                "-days", "2", "-subj", f"/CN=oj test {name}")
        run("openssl", "req", *ec, "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr",
            "-subj", f"/CN={self.intake_addr(1)}")
        with open(f"{d}/server.ext", "w") as f:
            sans = ",".join(f"IP:{self.intake_addr(n)}" for n in range(1, max(self.judges, 1) + 1))
            f.write(f"subjectAltName={sans},IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key",
            "-CAcreateserial", "-out", f"{d}/server.pem", "-days", "2", "-extfile", f"{d}/server.ext")

    def _ssl_args(self):
        if not self.tls:
            return []
        d = self.path("tls")
        return [f"--ssl-ca={d}/ca.pem", f"--ssl-cert={d}/server.pem", f"--ssl-key={d}/server.key"]

    def start_replica(self):
        run(*self.ns_cmd(self.intake, os.path.join(ROOT, "ops/scale/replica.sh"), "replica", self.path("replica"),
                         "3307", self.path("run/mysqld.sock"), "127.0.0.1", "3306"), timeout=180)
        # Accounts are not part of the copy: the pool's read account, outside the binlog.
        Database(self.path("replica/run/mysqld.sock"), database=None).query(
            "SET sql_log_bin = 0; CREATE USER IF NOT EXISTS 'oj'@'localhost' IDENTIFIED BY %s; "
            "GRANT SELECT ON oj.* TO 'oj'@'localhost'; GRANT SLAVE MONITOR ON *.* TO 'oj'@'localhost';",
            (self.app_password,))

    def sql_replica(self, text, params=None):
        """Statements as root on the replica's socket (ojharness.db); returns the rows."""
        return Database(self.path("replica/run/mysqld.sock")).query(text, params)

    def _config(self, intake, n=0):
        lines = ["[server]"]
        if intake:
            # A fixture, not the hardening under test (test_hardening.py): its private
            # directory (mkdtemp's 0700) is root's alone, so its nginx workers are root too.
            lines += ['listen = "0.0.0.0"', "port = 8080", 'archive_allow = ["198.18.0.0/16"]',
                      "nginx_workers = 1", "nginx_worker_connections = 256",
                      'nginx_user = "root"', 'nginx_group = "root"']
        base = self.dir if intake else self.path(f"host{n}")
        lines += ["[paths]", f'var_dir = "{base}/var"', f'storage_dir = "{base}/storage"',
                  f'run_dir = "{base}/run"', f'log_dir = "{base}/log"', f'keys_dir = "{base}/keys"',
                  f'assets_dir = "{base}/assets"', f'judges_dir = "{self.dir}/judges"']
        lines += ["[database]"]
        if intake:
            lines += [f'socket = "{self.dir}/run/mysqld.sock"', 'user = "oj"',
                      f'password = "{self.app_password}"']
            if self.replica:
                lines += [f'replica_socket = "{self.dir}/replica/run/mysqld.sock"', "replica_max_lag_s = 5"]
        else:
            lines += [f'host = "{self.intake_addr(n)}"', "port = 3306", 'user = "oj_runner"',
                      f'password = "{self.runner_password}"', "connect_timeout_s = 2", "read_timeout_s = 3"]
            if self.tls:  # the CA a judge host is deployed with (a copy, as for the link key)
                lines += ['tls_mode = "verify"', f'tls_ca = "{self.path(f"host{n}")}/keys/db-ca.pem"']
        lines += ["[fcgi]", f'socket = "{self.dir}/run/fcgi.sock"', "workers = 2",
                  "[upload]", "token_limit = 1000", "min_free_bytes = 0",
                  "[rate]", "microcache_s = 0",
                  "[runner]", f"lease_s = {self.lease_s}", f"heartbeat_s = {self.heartbeat_s}",
                  "idle_poll_ms = 50", "max_attempts = 5",
                  f'work_dir = "{self.dir}/judge-work/{"intake" if intake else f"host{n}"}"',
                  "psi_memory_max = 100.0", "psi_io_max = 100.0", "mem_available_min_bytes = 0",
                  "disk_free_min_bytes = 0"]
        if not intake:
            lines += [f'archive_url = "http://{self.intake_addr(n)}:8080"']
        lines += ["[log]", 'level = "info"']
        return "\n".join(lines) + "\n"

    def _mariadb(self):
        if self.replica:
            run(*self.ns_cmd(self.intake, os.path.join(ROOT, "ops/scale/replica.sh"), "primary", self.dir,
                             "3306", "0.0.0.0"), timeout=180)
            self.sql_root(APP_ACCOUNT, (self.app_password,), db="")
            return
        data = self.path("mysql")
        run("mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root",
            "--auth-root-authentication-method=normal", "--skip-test-db", timeout=180)
        self.spawn("mariadb", self.intake, [
            "mariadbd", "--no-defaults", f"--datadir={data}", "--user=root",
            f"--socket={self.path('run/mysqld.sock')}", "--port=3306", "--bind-address=0.0.0.0",
            f"--pid-file={self.path('run/mysqld.pid')}", f"--log-error={self.path('log/mariadb.log')}",
            "--innodb-buffer-pool-size=64M", "--skip-name-resolve", "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_bin", "--performance-schema=OFF", "--max-connections=100",
            *self._ssl_args()])
        self.wait_for(lambda: run("mariadb-admin", "--no-defaults", f"--socket={self.path('run/mysqld.sock')}",
                                  "-uroot", "ping", check=False).returncode == 0, 60, "mariadbd")
        self.sql_root(APP_ACCOUNT, (self.app_password,), db="")

    def sql_root(self, text, params=None, db="oj"):
        """Statements as root on the intake's socket (ojharness.db); returns the rows."""
        return Database(self.path("run/mysqld.sock"), database=db or None).query(text, params)

    def ojctl(self, *args):
        return run(os.path.join(self.bin, "ops/ojctl/ojctl"), "--config", self.path("oj.toml"), *args).stdout

    # --- processes -------------------------------------------------------------------
    def spawn(self, name, ns, argv, uts_host=None):
        log = open(self.path("log", f"{name}.out"), "ab")
        cmd = self.ns_cmd(ns, *argv)
        if uts_host:
            cmd = self.ns_cmd(ns, "unshare", "--uts", "sh", "-c", f'hostname "$0" && exec "$@"', uts_host, *argv)
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        log.close()
        return self.procs[name]

    def stop(self, name, timeout=30):
        p = self.procs.pop(name, None)
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)

    def judge_config(self, n):
        """Writes host n's configuration (and its keys); returns the config path."""
        host = self.path(f"host{n}")
        for d in ("run", "log", "keys", "var", "storage"):
            os.makedirs(os.path.join(host, d), exist_ok=True)
        # Deploying a judge host: its config and a copy of the archive link key.
        shutil.copy(self.path("keys/archive-link.key"), os.path.join(host, "keys/archive-link.key"))
        if self.tls:
            shutil.copy(self.path("tls/ca.pem"), os.path.join(host, "keys/db-ca.pem"))
        os.chmod(os.path.join(host, "keys/archive-link.key"), 0o600)
        cfg = os.path.join(host, "oj.toml")
        with open(cfg, "w") as f:
            f.write(self._config(intake=False, n=n))
        os.chmod(cfg, 0o600)
        return cfg

    def start_judge(self, n):
        cfg = self.judge_config(n)
        self.spawn(f"runner-{n}", self.judge_ns(n),
                   [os.path.join(self.bin, "judge_runner/oj-runner"), "--config", cfg, "--slot", "1"],
                   uts_host=f"judge{n}")

    def runner_log(self, n):
        try:
            with open(self.path("log", f"runner-{n}.out"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # --- client side -----------------------------------------------------------------
    def curl(self, ns, url, *extra, out=None, timeout=20):
        """curl inside namespace ns (ojharness.upload.curl): (status, body text); with out,
        the body goes to that file instead."""
        status, body, _ = http_client.curl(*(("-o", out) if out else ()), *extra, url, timeout=timeout,
                                           prefix=self.ns_cmd(ns))
        return status, body

    def upload(self, token, module, nonce):
        path = self.path("tmp-" + nonce + ".tar.gz")
        data = make_upload(nonce)
        with open(path, "wb") as f:
            f.write(data)
        try:
            code, body = self.curl(self.intake, "http://127.0.0.1:8080/upload", "-F", f"token={token}", "-F",
                                   f"course={self.course}", "-F", f"module={module}", "-F", f"file=@{path}")
        finally:
            os.unlink(path)
        if code != 200:
            raise RuntimeError(f"upload failed: {code} {body}")
        return body.split()[3], hashlib.sha256(data).hexdigest()  # "[SUCC ✓] Received <ID> at ..."

    @staticmethod
    def wait_for(pred, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return
            time.sleep(0.1)
        raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
