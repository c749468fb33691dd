"""Stack control: a running stack read from <var>/demo.env, ojctl and ops/oj against it,
private stacks of a caller's own, and the stack's daemons held or restarted through the
supervisors ops/oj runs them under (run/NAME.pid, run/NAME.sup.pid, run/NAME.stop)."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import tomllib
import urllib.parse

from ojharness import ROOT, HarnessError, procs
from ojharness.db import Database


def read_env(var):
    """<var>/demo.env (KEY=VALUE lines, written by ops/oj up) as a dict."""
    env = {}
    with open(os.path.join(var, "demo.env")) as f:
        for line in f:
            line = line.strip()
            if line and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


def require_loopback(url):
    """Refuses a URL that is not loopback: the load tools never leave this host."""
    if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise HarnessError(f"refusing to load {url}: the harness runs against loopback only")


def wait_for(predicate, timeout=60, what="condition", interval=0.1):
    """Polls predicate (a state check, not a sleep-for-time) until it returns something
    true, which is returned, or raises HarnessError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise HarnessError(f"timed out after {timeout}s waiting for {what}")


def run_tool(argv, what=None, timeout=120, check=True, **kw):
    """Runs a command; returns its CompletedProcess (text). check: HarnessError on failure."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise HarnessError(f"{what or ' '.join(argv)} failed: {r.stdout[-2000:]}\n{r.stderr[-2000:]}".rstrip())
    return r


class Stack:
    """A running stack, read from <var>/demo.env: its URL, configuration, binaries, run
    directory, storage and database (db: the stack's root over its private socket)."""

    def __init__(self, var, bin_dir=None):
        self.var = os.path.abspath(var)
        self.env = read_env(self.var)
        self.url = self.env["OJ_URL"]
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port = u.hostname, u.port
        self.config = self.env.get("OJ_CONFIG") or os.path.join(self.var, "oj.toml")
        self.bin = bin_dir or os.environ.get("OJ_BIN") or self.env.get("OJ_BIN")
        self.run = os.path.join(self.var, "run")
        self.storage = os.path.join(self.var, "storage")
        try:
            with open(self.config, "rb") as f:
                self.storage = tomllib.load(f).get("paths", {}).get("storage_dir", self.storage)
        except (OSError, ValueError):
            pass
        self.db = Database(os.path.join(self.run, "mysqld.sock"))

    def sql(self, query, params=None):
        return self.db.query(query, params)

    def ojctl(self, *args, check=True, timeout=120):
        """Runs ojctl against the stack; returns stdout."""
        return run_tool([os.path.join(self.bin, "ops/ojctl/ojctl"), "--config", self.config, *args],
                        what=f"ojctl {' '.join(args)}", timeout=timeout, check=check).stdout

    def oj(self, *args, timeout=600, check=True):
        """ops/oj ARGS --var VAR; returns stdout."""
        return run_tool([os.path.join(ROOT, "ops/oj"), *args, "--var", self.var],
                        what=f"ops/oj {' '.join(args)}", timeout=timeout, check=check).stdout

    def add_course(self, code, title, modules, students):
        """A course with modules {code: [extra `ojctl module add` arguments]} and students
        [names]; returns the students' tokens."""
        self.ojctl("course", "add", code, "--title", title)
        for m, extra in modules.items():
            self.ojctl("module", "add", code, m, *extra)
        return [self.ojctl("student", "add", code, name).strip() for name in students]

    def pidfile(self, name):
        return os.path.join(self.run, name + ".pid")

    def pid(self, name):
        """The pid of a daemon of the stack while it runs, else None."""
        p = procs.read_pid(self.pidfile(name))
        return p if p and procs.alive(p) else None

    def runner_names(self):
        return sorted(n[:-4] for n in os.listdir(self.run)
                      if n.startswith("runner-") and n.endswith(".pid") and not n.endswith(".sup.pid"))

    def runner_pids(self):
        return [p for p in (self.pid(n) for n in self.runner_names()) if p]

    def healthy(self):
        """GET /healthz answers 200."""
        try:
            c = http.client.HTTPConnection(self.host, self.port, timeout=5)
            c.request("GET", "/healthz")
            ok = c.getresponse().status == 200
            c.close()
            return ok
        except OSError:
            return False

    def stop_component(self, name, timeout=30):
        """Stops one daemon of the stack and its supervisor (so it stays stopped), as
        ops/oj down does, and waits for both to exit."""
        sup = os.path.join(self.run, name + ".sup.pid")
        stop = os.path.join(self.run, name + ".stop")
        if os.path.exists(sup):
            open(stop, "w").close()
            _stop_pidfile(sup, timeout)
        _stop_pidfile(self.pidfile(name), timeout)
        try:
            os.unlink(stop)
        except OSError:
            pass

    def restart_daemon(self, name, bound_s=30):
        """SIGTERMs run/<name>.pid; its supervisor starts it again. Returns the new pid."""
        pid = procs.read_pid(self.pidfile(name))
        os.kill(pid, signal.SIGTERM)
        return wait_for(lambda: (new := procs.read_pid(self.pidfile(name))) != pid and new
                        and procs.alive(new) and new, bound_s,
                        f"{name} to be restarted by its supervisor")

    def paused_runners(self):
        return _Held(self, lambda f: f.startswith("runner-") and f.endswith(".sup.pid"), "runners")

    def paused_watchdog(self):
        return _Held(self, lambda f: f == "watchdog.sup.pid", "the stack's watchdog")


def _stop_pidfile(path, timeout):
    pid = procs.read_pid(path)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    if not procs.wait_gone(pid, timeout):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.unlink(path)
    except OSError:
        pass


class _Held:
    """Holds daemons of a stack for a block: each supervisor is stopped (SIGSTOP) and what it
    runs is asked to exit (SIGTERM: a runner returns its job and leaves no transaction; a
    SIGSTOP of the runner itself could freeze it inside its claim, holding row locks the
    upload path then waits on). On exit the supervisors continue and start them again."""

    def __init__(self, stack, match, what):
        self.stack, self.match, self.what = stack, match, what
        self.sups = []

    def __enter__(self):
        for f in sorted(os.listdir(self.stack.run)):
            if not self.match(f):
                continue
            sup = procs.read_pid(os.path.join(self.stack.run, f))
            if sup is None:
                continue
            try:
                os.kill(sup, signal.SIGSTOP)
            except ProcessLookupError:
                continue
            self.sups.append(sup)
            stop_children(sup, f"{f[: -len('.sup.pid')]} to exit")
        return self

    def __exit__(self, *exc):
        for sup in self.sups:
            try:
                os.kill(sup, signal.SIGCONT)
            except ProcessLookupError:
                pass
        return False


def stop_children(sup, what, timeout=120):
    """SIGTERMs what a (stopped) supervisor runs and waits for it to exit: its children, not
    the pid in run/NAME.pid, which a supervisor that has just restarted its daemon may not
    have written yet (and during its restart back-off names a daemon already gone)."""
    for pid in procs.children_of(sup):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        wait_for(lambda: not procs.alive(pid), timeout=timeout, what=what)


class stopped_runner:
    """Stops one runner of the stack for good (its supervisor told by run/NAME.stop) and,
    after the block, starts it again under a new supervisor (ops/oj _supervise), as ops/oj
    up would: for tests that run a runner of their own in its place."""

    def __init__(self, stack, name="runner-1", slot=1):
        self.stack, self.name, self.slot = stack, name, slot
        self.pidfile = stack.pidfile(name)
        self.supfile = os.path.join(stack.run, name + ".sup.pid")
        self.stopfile = os.path.join(stack.run, name + ".stop")

    def __enter__(self):
        runner, sup = procs.read_pid(self.pidfile), procs.read_pid(self.supfile)
        if sup and procs.alive(sup):
            open(self.stopfile, "w").close()
            os.kill(sup, signal.SIGTERM)
            wait_for(lambda: not procs.alive(sup), timeout=40, what=f"{self.name}'s supervisor to stop")
        if runner and procs.alive(runner):
            os.kill(runner, signal.SIGTERM)
        if runner:
            wait_for(lambda: not procs.alive(runner), timeout=40, what=f"{self.name} to stop")
        return self

    def __exit__(self, *exc):
        # Through a shell that exits at once: neither process is our child (no zombie).
        if os.path.exists(self.stopfile):
            os.unlink(self.stopfile)
        cmd = [os.path.join(ROOT, "ops/oj"), "_supervise", self.stack.var, self.name, self.pidfile,
               os.path.join(self.stack.bin, "judge_runner/oj-runner"), "--config", self.stack.config,
               "--slot", str(self.slot)]
        r = subprocess.run(["sh", "-c", 'setsid "$@" </dev/null >/dev/null 2>&1 & echo $!', "sh", *cmd],
                           capture_output=True, text=True, check=True)
        with open(self.supfile, "w") as f:
            f.write(r.stdout.strip())
        wait_for(lambda: (p := procs.read_pid(self.pidfile)) and procs.alive(p), timeout=60,
                 what=f"{self.name} to restart")
        return False


class PrivateStack:
    """A whole stack of a caller's own (ops/oj up --var DIR --free-ports), for faults that
    would break a shared one; optionally with its storage on a small loop-mounted ext4
    image (to fill it; needs root). down() undoes it all."""

    def __init__(self, bin_dir, var=None, storage_mb=0, tolerant=False, prefix="oj-private-"):
        if var:
            var = os.path.abspath(var)
            if os.path.exists(var) and os.listdir(var):
                raise HarnessError(f"{var} is not empty: a private stack needs a new directory")
            os.makedirs(var, exist_ok=True)
        self.prefix = prefix  # of the var directory made here (PREFIX-stack-*) and kept logs
        self.var = var or tempfile.mkdtemp(prefix=prefix + "stack-")
        # The judge sandbox's uid must reach VAR/judge; mkdtemp's directories are 0700.
        os.chmod(self.var, 0o755)
        parent = os.path.dirname(self.var)
        if os.stat(parent).st_mode & 0o055 != 0o055:  # a test's mkdtemp holding var/
            os.chmod(parent, 0o755)
        self.bin = bin_dir
        self.storage_mb = storage_mb
        self.tolerant = tolerant
        self.mounted = None
        self.stack = None

    @property
    def config(self):
        return os.path.join(self.var, "oj.toml")

    def __getattr__(self, name):
        # Once up, the rest is the running stack's (sql, pid, stop_component, ...).
        if name != "stack" and self.stack is not None:
            return getattr(self.stack, name)
        raise AttributeError(name)

    def oj(self, *args, timeout=600, check=True):
        return run_tool([os.path.join(ROOT, "ops/oj"), *args, "--var", self.var],
                        what=f"ops/oj {' '.join(args)}", timeout=timeout, check=check).stdout

    def up(self, stop=()):
        """ops/oj up; returns the Stack. stop: daemons (and their supervisors) stopped right
        after, e.g. ("watchdog", "runner-1") for a test that runs its own. tolerant: a
        component other than MariaDB, the pool and nginx failing to start is let pass when
        /healthz answers (for tests that stop the runner and the watchdog anyway)."""
        storage = os.path.join(self.var, "storage")
        if self.storage_mb and not self.mounted:
            os.makedirs(storage, exist_ok=True)
            img = self.var + ".storage.img"
            run_tool(["truncate", "-s", f"{self.storage_mb}M", img])
            run_tool(["mkfs.ext4", "-q", "-F", "-m", "0", img])
            run_tool(["mount", "-o", "loop", img, storage])
            self.mounted = (storage, img)
        try:
            self.oj("up", "--free-ports", "--bin", self.bin)
        except HarnessError as e:
            if not (self.tolerant and os.path.exists(os.path.join(self.var, "demo.env"))
                    and Stack(self.var, self.bin).healthy()):
                raise
            print(f"note: {str(e).strip().splitlines()[-1]}; the serving stack is healthy")
        self.stack = Stack(self.var, self.bin)
        for name in stop:
            self.stack.stop_component(name)
        return self.stack

    def reconfigure(self, overrides, bound_s=30):
        """Writes overrides {section: {key: value}} into the stack's oj.toml and restarts
        the runners (waiting for each new one's first heartbeat) and then the watchdog
        (last: its first cycle is the baseline, so the runners' restarts are no alert)."""
        write_config(self.config, self.config, overrides)
        pids = {str(self.stack.restart_daemon(n)) for n in self.stack.runner_names()}
        try:
            wait_for(lambda: pids <= {r[0] for r in _rows_or_empty(self.stack, "SELECT pid FROM runners")},
                     bound_s, "each restarted runner's first heartbeat")
        except HarnessError:
            pass  # a runner slow to beat is no reason to stop: the watchdog will say so
        self.stack.restart_daemon("watchdog")

    def down(self, keep_logs=False):
        """Stops and removes the stack; keep_logs copies its log directory out first."""
        if keep_logs and os.path.isdir(os.path.join(self.var, "log")):
            dest = tempfile.mkdtemp(prefix=self.prefix + "logs-")
            shutil.copytree(os.path.join(self.var, "log"), os.path.join(dest, "log"), dirs_exist_ok=True)
            print(f"the stack's logs are kept in {dest}/log")
        run_tool([os.path.join(ROOT, "ops/oj"), "down", "--var", self.var], timeout=300, check=False)
        if self.mounted:
            subprocess.run(["umount", self.mounted[0]], check=False)
            os.unlink(self.mounted[1])
            self.mounted = None
        shutil.rmtree(self.var, ignore_errors=True)


def _rows_or_empty(stack, query):
    try:
        return stack.sql(query)
    except HarnessError:
        return []


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a TOML basic string


def write_config(base_path, out_path, overrides):
    """Copies a stack's TOML configuration (flat sections, as ops/oj writes it) to out_path
    (which may be base_path) with overrides {section: {key: value}}; mode 0600."""
    with open(base_path, "rb") as f:
        cfg = tomllib.load(f)
    for section, kv in overrides.items():
        cfg.setdefault(section, {}).update(kv)
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        for section, kv in cfg.items():
            f.write(f"[{section}]\n")
            for k, v in kv.items():
                f.write(f"{k} = {toml_value(v)}\n")
            f.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, out_path)
    return out_path
