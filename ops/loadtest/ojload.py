"""Shared pieces of the load and fault harness (docs/benchmarks.md): the stack handle, the loss check,
the resource sampler, the alert receiver, the request log and the Markdown report.

Loopback only: every URL this module touches is checked to be 127.0.0.1 (or localhost).
Used by ops/loadtest/seed-replay (as `python3 ojload.py losscheck ...`), storm and chaos.
"""
import argparse
import collections
import hashlib
import http.server
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
MiB = 1 << 20
TERMINAL = ("done", "superseded", "cancelled", "judge_error")


def die(msg):
    print(f"loadtest: {msg}", file=sys.stderr)
    sys.exit(1)


def require_loopback(url):
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        die(f"refusing to load {url}: the harness runs against loopback only")


def mariadb_crash_lines(stack, n=3):
    """The last 'got signal' lines of the stack's MariaDB error log (a crash), or []."""
    try:
        with open(os.path.join(stack.var, "log", "mariadb.log"), errors="replace") as f:
            return [line.strip() for line in f if "got signal" in line][-n:]
    except OSError:
        return []


class Stack:
    """A running stack, read from <var>/demo.env."""

    def __init__(self, var):
        self.var = os.path.abspath(var)
        env = {}
        path = os.path.join(self.var, "demo.env")
        if not os.path.exists(path):
            die(f"no {path}: start a stack with ops/oj up")
        with open(path) as f:
            for line in f:
                line = line.strip()
                if "=" in line:
                    k, v = line.split("=", 1)
                    env[k] = v
        self.env = env
        self.url = env["OJ_URL"]
        require_loopback(self.url)
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port = u.hostname, u.port
        self.config = env["OJ_CONFIG"]
        self.bin = os.environ.get("OJ_BIN") or env["OJ_BIN"]
        self.run = os.path.join(self.var, "run")
        self.storage = os.path.join(self.var, "storage")
        try:
            import tomllib
            with open(self.config, "rb") as f:
                cfg = tomllib.load(f)
            self.storage = cfg.get("paths", {}).get("storage_dir", self.storage)
        except (OSError, ValueError):
            pass

    def ojctl(self, *args):
        r = subprocess.run([os.path.join(self.bin, "ops/ojctl/ojctl"), "--config", self.config, *args],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            die(f"ojctl {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def sql(self, query, check=True):
        r = subprocess.run(["mariadb", "--no-defaults", "--socket", os.path.join(self.run, "mysqld.sock"),
                            "-uroot", "-N", "-B", "oj", "-e", query], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            if check:
                die(f"sql failed: {r.stderr.strip()}")
            return None
        return [line.split("\t") for line in r.stdout.splitlines()]

    def make_course(self, prefix, modules, students):
        """modules: [(code, judge_dir, supersede)]; returns (course, [tokens])."""
        course = prefix + secrets.token_hex(3).upper()
        self.ojctl("course", "add", course, "--title", "load test " + course)
        for code, judge_dir, supersede in modules:
            args = ["module", "add", course, code, "--opens", "now-1d", "--deadline", "now+1d",
                    "--supersede", "1" if supersede else "0"]
            if judge_dir:
                args += ["--judge-dir", judge_dir]
            self.ojctl(*args)
        tokens = []
        for i in range(students):
            tokens.append(self.ojctl("student", "add", course, f"L{i:05d}").strip())
        return course, tokens

    def pid(self, name):
        try:
            with open(os.path.join(self.run, name + ".pid")) as f:
                p = int(f.read().strip())
            os.kill(p, 0)
            return p
        except (OSError, ValueError):
            return None

    def runner_pids(self):
        out = []
        for n in sorted(os.listdir(self.run)):
            if n.startswith("runner-") and n.endswith(".pid") and not n.endswith(".sup.pid"):
                p = self.pid(n[:-4])
                if p:
                    out.append(p)
        return out


# ---------------------------------------------------------------- loss check

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def judged_log_counts(stack):
    """Counts, per submission ID, the runner log lines that say a verdict was written."""
    counts = collections.Counter()
    logdir = os.path.join(stack.var, "log")
    pat = re.compile(r"submission ([A-Za-z0-9]{16}) \S+ verdict=(?!judge_error)")
    for n in os.listdir(logdir):
        if not n.startswith("runner-"):
            continue
        with open(os.path.join(logdir, n), errors="replace") as f:
            for line in f:
                m = pat.search(line)
                if m and "NOT WRITTEN" not in line:
                    counts[m.group(1)] += 1
    return counts


def loss_check(stack, acked, wait_s=0, require_terminal=True, allow_judge_error=False):
    """acked: {id: (sha256, size)} for every upload answered [SUCC ✓].

    Returns (ok, summary dict, [problem lines]). Waits up to wait_s for every row to reach a
    terminal status (the queue drains) when require_terminal."""
    problems = []
    ids = sorted(acked)
    rows = {}
    deadline = time.time() + wait_s
    while True:
        rows = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            if not chunk:
                break
            q = ("SELECT id, sha256, size_bytes, storage_key, status, attempts, IFNULL(verdict,'') "
                 "FROM submissions WHERE id IN (" + ",".join(f"'{x}'" for x in chunk) + ")")
            got = stack.sql(q, check=False)
            if got is None:  # the database is down: no verdict on anything, and that is a failure
                summary = {"judging_checked": require_terminal, "acknowledged": len(ids), "lost": "?",
                           "bad_sha256": "?", "unfinished": "?", "judge_error": "?", "double_judged": "?",
                           "status": {}, "verdicts": {}, "attempts": {}}
                return False, summary, ["the database does not answer: the loss check could not run "
                                        "(is mariadbd running? see log/mariadb.log)"]
            for r in got:
                rows[r[0]] = r
        pending = [i for i in ids if i in rows and rows[i][4] not in TERMINAL]
        if not require_terminal or not pending or time.time() >= deadline:
            break
        time.sleep(1)
    lost = 0
    bad_file = 0
    status = collections.Counter()
    verdicts = collections.Counter()
    attempts = collections.Counter()
    for i in ids:
        sha, size = acked[i]
        r = rows.get(i)
        if r is None:
            lost += 1
            problems.append(f"{i}: acknowledged but no row")
            continue
        _, rsha, rsize, key, st, att, verdict = r
        status[st] += 1
        attempts[int(att)] += 1
        if verdict:
            verdicts[verdict] += 1
        if rsha != sha or int(rsize) != size:
            bad_file += 1
            problems.append(f"{i}: row has sha256 {rsha[:12]}../{rsize} B, sent {sha[:12]}../{size} B")
            continue
        path = os.path.join(stack.storage, key)
        try:
            fsha = sha256_file(path)
        except OSError as e:
            lost += 1
            problems.append(f"{i}: stored file {path}: {e.strerror}")
            continue
        if fsha != sha:
            bad_file += 1
            problems.append(f"{i}: stored file sha256 {fsha[:12]}.. differs from the one sent")
    unfinished = [i for i in ids if i in rows and rows[i][4] not in TERMINAL]
    judge_errors = [i for i in ids if i in rows and rows[i][4] == "judge_error"]
    if require_terminal:
        for i in unfinished[:10]:
            problems.append(f"{i}: still {rows[i][4]} after {wait_s} s")
        if not allow_judge_error:
            for i in judge_errors[:10]:
                problems.append(f"{i}: ended judge_error")
    counts = judged_log_counts(stack)
    double = [i for i in ids if counts.get(i, 0) > 1]
    for i in double[:10]:
        problems.append(f"{i}: judged {counts[i]} times (runner log)")
    # done rows must have been judged by a runner whose log we can see (or by another host)
    summary = {
        "judging_checked": require_terminal,
        "acknowledged": len(ids), "lost": lost, "bad_sha256": bad_file,
        "unfinished": len(unfinished) if require_terminal else 0,
        "judge_error": len(judge_errors), "double_judged": len(double),
        "status": dict(status), "verdicts": dict(verdicts),
        "attempts": dict(sorted(attempts.items())),
    }
    ok = (lost == 0 and bad_file == 0 and not double and
          (not require_terminal or (not unfinished and (allow_judge_error or not judge_errors))))
    return ok, summary, problems


def print_loss(summary, problems, out=sys.stdout):
    s = summary
    print("| loss check | value |", file=out)
    print("|---|---|", file=out)
    for k in ("acknowledged", "lost", "bad_sha256", "unfinished", "judge_error", "double_judged"):
        print(f"| {k} | {s[k]} |", file=out)
    print(f"| judging checked | {'yes' if s['judging_checked'] else 'no (no runner heartbeat)'} |", file=out)
    print(f"| final status | {fmt_counter(s['status'])} |", file=out)
    print(f"| verdicts | {fmt_counter(s['verdicts'])} |", file=out)
    print(f"| attempts (lease expiries) | {fmt_counter(s['attempts'])} |", file=out)
    for p in problems[:30]:
        print(f"  problem: {p}", file=out)
    print(f"lost: {s['lost']} (acknowledged {s['acknowledged']}, bad sha256 {s['bad_sha256']}, "
          f"double judged {s['double_judged']}, unfinished {s['unfinished']})", file=out)


def fmt_counter(c):
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))) or "-"


def runners_alive(stack):
    r = stack.sql("SELECT COUNT(*) FROM runners WHERE heartbeat_at > UTC_TIMESTAMP(6) - INTERVAL 60 SECOND "
                  "AND state <> 'disabled'", check=False)
    try:
        return int(r[0][0])
    except (TypeError, IndexError, ValueError):
        return 0


# ---------------------------------------------------------------- clean-up

def purge_course(stack, course):
    """Removes a load-test course the harness made: its rows (test results, submissions,
    students, modules, the course) in one transaction, then its stored files. Refuses while
    any of its submissions is queued or running (a runner would be judging a deleted row).
    Returns (submissions removed, bytes freed)."""
    if not re.fullmatch(r"[A-Z]{2}[0-9A-F]{6}", course):
        die(f"purge: {course!r} is not a load-test course name (two letters and 6 hex digits)")
    q = (f"SELECT s.storage_key, s.size_bytes, s.status FROM submissions s JOIN modules m "
         f"ON m.id = s.module_id JOIN courses c ON c.id = m.course_id WHERE c.code = '{course}'")
    rows = stack.sql(q)
    busy = [r for r in rows if r[2] in ("queued", "running")]
    if busy:
        die(f"purge: {len(busy)} submissions of {course} are still queued or running; try later")
    sub = (f"SELECT s.id FROM submissions s JOIN modules m ON m.id = s.module_id "
           f"JOIN courses c ON c.id = m.course_id WHERE c.code = '{course}'")
    stack.sql("START TRANSACTION; "
              f"DELETE FROM test_results WHERE submission_id IN (SELECT id FROM ({sub}) x); "
              f"DELETE FROM submissions WHERE id IN (SELECT id FROM ({sub}) x); "
              f"DELETE FROM students WHERE course_id = (SELECT id FROM courses WHERE code = '{course}'); "
              f"DELETE FROM modules WHERE course_id = (SELECT id FROM courses WHERE code = '{course}'); "
              f"DELETE FROM courses WHERE code = '{course}'; COMMIT;")
    freed = 0
    for key, size, _ in rows:
        if not re.fullmatch(r"[A-Za-z0-9/_.-]+", key) or ".." in key:
            continue
        try:
            os.unlink(os.path.join(stack.storage, key))
            freed += int(size)
        except OSError:
            pass
    return len(rows), freed


# ---------------------------------------------------------------- sampler

def _rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _psi_avg10(kind):
    out = {}
    try:
        with open(f"/proc/pressure/{kind}") as f:
            for line in f:
                parts = line.split()
                out[parts[0]] = float(parts[1].split("=")[1])
    except (OSError, IndexError, ValueError):
        pass
    return out


class Sampler(threading.Thread):
    """Samples RSS per component and PSI avg10 every interval; keeps the peaks."""

    def __init__(self, stack, interval=0.5):
        super().__init__(daemon=True)
        self.stack, self.interval = stack, interval
        self.peak = collections.defaultdict(int)
        self.stop_ev = threading.Event()

    def sample(self):
        s = self.stack
        cur = {}
        ng = s.pid("nginx")
        cur["nginx (master+workers)"] = (_rss_kb(ng) + sum(_rss_kb(c) for c in _children(ng))) if ng else 0
        m = s.pid("fcgi")
        workers = _children(m) if m else []
        cur["fcgi master"] = _rss_kb(m) if m else 0
        wr = [_rss_kb(w) for w in workers]
        cur["fcgi workers (sum)"] = sum(wr)
        cur["fcgi worker (max one)"] = max(wr) if wr else 0
        db = s.pid("mysqld")
        cur["MariaDB"] = _rss_kb(db) if db else 0
        cur["runner(s)"] = sum(_rss_kb(p) for p in s.runner_pids())
        w = s.pid("watchdog")
        cur["watchdog"] = _rss_kb(w) if w else 0
        cur["serving stack (nginx+fcgi+MariaDB)"] = (cur["nginx (master+workers)"] + cur["fcgi master"] +
                                                     cur["fcgi workers (sum)"] + cur["MariaDB"])
        for k, v in cur.items():
            self.peak["rss:" + k] = max(self.peak["rss:" + k], v)
        for kind in ("memory", "io"):
            for line, v in _psi_avg10(kind).items():
                key = f"psi:{kind} {line} avg10"
                self.peak[key] = max(self.peak[key], v)

    def run(self):
        while not self.stop_ev.is_set():
            self.sample()
            self.stop_ev.wait(self.interval)

    def stop(self):
        self.stop_ev.set()
        self.join(5)


def print_resources(peak, out=sys.stdout):
    print("| resource | peak |", file=out)
    print("|---|---|", file=out)
    for k in sorted(peak):
        if k.startswith("rss:"):
            print(f"| RSS {k[4:]} | {peak[k] / 1024:.1f} MB |", file=out)
    for k in sorted(peak):
        if k.startswith("psi:"):
            print(f"| PSI {k[4:]} | {peak[k]:.2f} % |", file=out)


# ---------------------------------------------------------------- alerts

class AlertReceiver:
    """A JSON webhook receiver on 127.0.0.1 that keeps every alert text it gets."""

    def __init__(self):
        self.alerts = []
        recv = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = min(int(self.headers.get("Content-Length", "0") or 0), 1 << 16)
                body = self.rfile.read(n).decode("utf-8", "replace")
                try:
                    text = json.loads(body).get("text", body)
                except (ValueError, AttributeError):
                    text = body
                recv.alerts.append((time.time(), text))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()

    def events(self):
        """[(time, state, check)] with state firing, repeat or resolved, in arrival order."""
        out = []
        for t, text in list(self.alerts):
            m = re.search(r"\[oj (FIRING|REPEAT|RESOLVED)\] (\S+)", text, re.I)
            if m:
                out.append((t, m.group(1).lower(), m.group(2)))
        return out

    def summary(self):
        """{check: [fired, resolved]} from texts like '[oj FIRING] fcgi on h: ...'. Other
        messages (REPEAT, the outage ledger's SUGGEST/AUTO grace messages) count as sent under
        'check (state)'."""
        out = collections.defaultdict(lambda: [0, 0])
        for _, t in self.alerts:
            m = re.search(r"\[oj (\w+)\] (\S+)", t)
            if not m:
                out["(unparsed)"][0] += 1
                continue
            state, check = m.group(1).upper(), m.group(2)
            if state == "FIRING":
                out[check][0] += 1
            elif state == "RESOLVED":
                out[check][1] += 1
            else:
                out[f"{check} ({state.lower()})"][0] += 1
        return dict(out)


def print_alerts(recv, out=sys.stdout):
    s = recv.summary() if recv else {}
    print("| alert (watchdog check) | fired | resolved |", file=out)
    print("|---|---|---|", file=out)
    if not s:
        print("| (none received) | 0 | 0 |", file=out)
    for k in sorted(s):
        print(f"| {k} | {s[k][0]} | {s[k][1]} |", file=out)


class StatusPoller(threading.Thread):
    """Reads the watchdog's status file (<run>/watchdog.status.json) every interval and keeps
    (time, {check: (state, observation)}) samples: what the watchdog saw between messages."""

    def __init__(self, stack, interval=1.0, keep=3600):
        super().__init__(daemon=True)
        self.path = os.path.join(stack.run, "watchdog.status.json")
        self.interval, self.keep = interval, keep
        self.samples = collections.deque(maxlen=keep)
        self.stop_ev = threading.Event()

    def run(self):
        last_cycle = None
        while not self.stop_ev.is_set():
            try:
                with open(self.path) as f:
                    j = json.load(f)
                key = (j.get("pid"), j.get("cycle"))
                if key != last_cycle:
                    last_cycle = key
                    self.samples.append((time.time(), {k: (v.get("state"), v.get("observation"))
                                                       for k, v in j.get("checks", {}).items()}))
            except (OSError, ValueError, AttributeError):
                pass
            self.stop_ev.wait(self.interval)

    def stop(self):
        self.stop_ev.set()
        self.join(5)

    def state_at(self, check, t):
        """The check's (state, observation) in the last sample at or before t, or None."""
        best = None
        for ts, checks in list(self.samples):
            if ts > t:
                break
            best = checks.get(check)
        return best

    def first_over(self, check, t0, t1):
        """Time of the first sample in [t0, t1] in which the check observed 'over', or None."""
        for ts, checks in list(self.samples):
            if t0 <= ts <= t1 and checks.get(check, (None, None))[1] == "over":
                return ts
        return None


# ---------------------------------------------------------------- request log

class RequestLog:
    """Thread-safe record of (kind, status, seconds) for every request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, kind, status, seconds):
        with self.lock:
            self.items.append((kind, status, seconds))

    def outcomes(self, kind):
        c = collections.Counter()
        for k, st, _ in self.items:
            if k != kind:
                continue
            if 200 <= st < 300 or st == 304:
                c["2xx/304"] += 1
            elif st in (413, 429, 503):
                c[str(st)] += 1
            else:
                c["other" if st else "no answer"] += 1
        return c

    def latency(self, kind):
        v = sorted(s for k, _, s in self.items if k == kind)
        if not v:
            return None

        def p(q):
            return v[min(len(v) - 1, int(q * len(v)))]
        return p(0.50), p(0.95), p(0.99), v[-1]

    def others(self):
        return collections.Counter((k, st) for k, st, _ in self.items
                                   if not (200 <= st < 300 or st in (304, 413, 429, 503)))


def print_requests(log, kinds, out=sys.stdout):
    print("| requests | 2xx/304 | 413 | 429 | 503 | other | no answer | p50 | p95 | p99 | max |", file=out)
    print("|---|---|---|---|---|---|---|---|---|---|---|", file=out)
    for kind in kinds:
        c = log.outcomes(kind)
        lat = log.latency(kind)
        ls = " | ".join(f"{x * 1000:.0f} ms" for x in lat) if lat else "- | - | - | -"
        print(f"| {kind} | {c['2xx/304']} | {c['413']} | {c['429']} | {c['503']} | {c['other']} | "
              f"{c['no answer']} | {ls} |", file=out)


# ---------------------------------------------------------------- CLI for shell scripts

def main():
    ap = argparse.ArgumentParser(description="loss check for ops/loadtest scripts")
    sub = ap.add_subparsers(dest="cmd", required=True)
    lc = sub.add_parser("losscheck", help="check acknowledged uploads: row, stored file, judged once")
    lc.add_argument("--var", required=True)
    lc.add_argument("--acked", required=True, help="file of lines: ID SHA256 SIZE")
    lc.add_argument("--wait", type=int, default=180, help="seconds to wait for judging to finish")
    lc.add_argument("--require-judged", choices=("auto", "yes", "no"), default="auto",
                    help="require every ack to end judged once; auto: when a runner heartbeats")
    pg = sub.add_parser("purge", help="remove a load-test course: its rows and stored files")
    pg.add_argument("--var", required=True)
    pg.add_argument("--course", required=True)
    a = ap.parse_args()
    stack = Stack(a.var)
    if a.cmd == "purge":
        n, freed = purge_course(stack, a.course)
        print(f"purged course {a.course}: {n} submissions, {freed / 1e6:.0f} MB of storage freed")
        return
    require = a.require_judged == "yes"
    if a.require_judged == "auto":
        require = runners_alive(stack) > 0
        if not require:
            print("WARNING: no runner has sent a heartbeat in the last 60 s: rows, files and "
                  "SHA-256 are checked, judging is not")
    acked = {}
    with open(a.acked) as f:
        for line in f:
            p = line.split()
            if len(p) == 3:
                acked[p[0]] = (p[1], int(p[2]))
    ok, summary, problems = loss_check(stack, acked, wait_s=a.wait, require_terminal=require)
    print_loss(summary, problems)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
