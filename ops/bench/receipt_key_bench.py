#!/usr/bin/env python3
"""Upload wall time with receipts + Idempotency-Key ON vs OFF (target: within 2%).

  ops/bench/receipt_key_bench.py [--var VAR_DIR] [--rounds 10] [--uploads 200] [--concurrency 4]
                                 [--size 65536] [--only receipts|keys|nothing]
                                 [--statements]

Needs a running stack that the benchmark may reconfigure: use a private one
(`ops/oj up --var /tmp/bench-var --free-ports`). It rewrites VAR/oj.toml, re-renders and
reloads nginx, SIGHUPs the FastCGI pool, and restores all three on exit. Loopback only.

ON:  upload.receipts = true (the default), and every upload carries its own Idempotency-Key
     (as submit.sh sends: the key is looked up, then recorded with the answer)
OFF: upload.receipts = false, and no upload carries a key
Same run: rounds interleave the modes (ON OFF, OFF ON, ...); before each round the pool
is reloaded with that mode and warmed up. A round is UPLOADS uploads of distinct random
bytes, each with a fresh key when keyed (so the key lookup finds nothing: the cost of the
normal path), spread over 64 tokens of a course of its own, through nginx, CONCURRENCY at a
time. nginx's per-IP upload limit is raised for the run (it would answer 429 otherwise).
The stack's judge runners are held for the run (their supervisors stopped, the runners
asked to exit, ojharness.stack's paused_runners) so judging the uploads does
not compete with storing them; they are resumed on exit. After each round its uploads are
deleted, rows and files (SQL as the stack's root over its private socket, as the tests
do), so every round starts from the same state: a queue and token histories growing by
200 uploads a round would make later rounds slower whatever the mode.
Reported: per mode the median round wall time and per-upload p50/p99; the ratio ON/OFF of
the median wall times, and the median of the per-round ON/OFF ratios (each round runs both
modes back to back, so that figure is the least sensitive to drift on a shared machine).
"""
import argparse
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ojharness import ROOT, procs, upload  # noqa: E402
from ojharness.stack import Stack, write_config  # noqa: E402

ID_RE = re.compile(r"^\[SUCC ✓\] Received ([A-Za-z0-9]{16}) at ")


class Bench:
    """The stack under the benchmark (ojharness.stack.Stack) and what the benchmark changes
    in it: its configuration (restored on exit), nginx and the pool reloaded, the runners
    held."""

    def __init__(self, var):
        self.stack = Stack(var)
        self.var, self.config = self.stack.var, self.stack.config
        with open(self.config, "rb") as f:
            self.base = tomllib.load(f)
        self.port = self.base["server"]["port"]
        self.original = self.config + ".bench-orig"
        shutil.copy2(self.config, self.original)
        self.held = None

    def ojctl(self, *args):
        return self.stack.ojctl(*args)

    def sql(self, query, params=None):
        return self.stack.sql(query, params)

    def write(self, receipts):
        write_config(self.original, self.config, {
            "rate": {"upload_per_ip_rps": 100000, "upload_burst": 100000},
            "upload": {"receipts": receipts, "token_limit": 100000}})

    def reload_nginx(self):
        conf = os.path.join(self.var, "nginx/nginx.conf")
        self.ojctl("nginx", "render", "--out", conf)
        subprocess.run(["nginx", "-e", os.path.join(self.var, "log/nginx-error.log"), "-p",
                        os.path.join(self.var, "nginx"), "-c", conf, "-s", "reload"], check=True)
        time.sleep(1)  # old nginx workers finish; new ones carry the new limits

    def workers(self):
        master = procs.read_pid(os.path.join(self.var, "run/fcgi.pid"))
        return master, {p for p in procs.children_of(master) if procs.alive(p)}

    def reload_pool(self):
        master, old = self.workers()
        want = self.base.get("fcgi", {}).get("workers", 8)
        os.kill(master, signal.SIGHUP)
        deadline = time.time() + 60
        while time.time() < deadline:
            _, now = self.workers()
            if not (now & old) and len(now) >= want:
                return
            time.sleep(0.05)
        raise SystemExit("the pool did not replace its workers within 60 s")

    def forget_uploads(self, course):
        """Deletes the course's submissions and their stored files, so every round starts
        from the same state: a token's history and the queue would otherwise grow by a
        round's uploads each round, whatever the mode."""
        where = ("module_id IN (SELECT m.id FROM modules m JOIN courses c ON c.id = m.course_id "
                 "WHERE c.code = %s)")
        for (key,) in self.sql(f"SELECT storage_key FROM submissions WHERE {where}", (course,)):
            try:
                os.unlink(os.path.join(self.stack.storage, key))
            except FileNotFoundError:
                pass
        self.sql(f"DELETE FROM upload_keys WHERE {where}", (course,))
        self.sql(f"DELETE FROM submissions WHERE {where}", (course,))

    def pause_runners(self):
        self.held = self.stack.paused_runners().__enter__()

    def restore(self):
        if self.held:
            self.held.__exit__(None, None, None)
        shutil.move(self.original, self.config)
        try:
            self.reload_nginx()
            self.reload_pool()
        except Exception as e:  # noqa: BLE001 - report and leave the stack to the operator
            print(f"warning: restoring the stack: {e}", file=sys.stderr)


def run_round(url, uploads, concurrency, keyed):
    """Sends every upload (token, course, module, data) through ojharness.upload; returns
    (wall seconds, [per-upload seconds])."""
    lat = []
    lock = threading.Lock()
    it = iter(uploads)
    errors = []

    def worker():
        while True:
            with lock:
                nxt = next(it, None)
            if nxt is None:
                return
            token, course, module, data = nxt
            t0 = time.perf_counter()
            status, text, _ = upload.upload(url, token, course, module, data=data, filename="a.tar.bz2",
                                            headers={"Idempotency-Key": secrets.token_urlsafe(24)}
                                            if keyed else None, timeout=60)
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                if status != 200 or not ID_RE.match(text):
                    errors.append(f"{status} {text[:80]!r}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{len(errors)} uploads failed, e.g. {errors[0]}")
    return wall, lat


def median_ci95(xs):
    """A distribution-free 95% confidence interval for the median of xs: the order
    statistics x(k) and x(n+1-k) with k the largest rank such that a Binomial(n, 1/2)
    falls below k with probability at most 2.5% (the interval then holds the median with at
    least 95%). Needs no assumption about how rounds scatter, which on a shared machine is
    anything but normal."""
    xs = sorted(xs)
    n = len(xs)
    cdf, k = 0.0, 0
    for i in range(n + 1):
        p = math.comb(n, i) / 2 ** n
        if cdf + p > 0.025:
            break
        cdf += p
        k = i + 1
    if k == 0:  # too few rounds for a 95% interval
        return xs[0], xs[-1]
    return xs[k - 1], xs[n - k]


def read_slow_log(path):
    """Query_time of each statement the app's own account ran, from a MariaDB slow log
    written with long_query_time = 0: {statement shape: [seconds]}."""
    shapes = {}
    try:
        text = open(path, errors="replace").read()
    except FileNotFoundError:
        return shapes
    for entry in re.split(r"\n(?=# Time:|# User@Host)", text):
        user = re.search(r"# User@Host: (\S+)\[", entry)
        took = re.search(r"# Query_time: ([\d.]+)", entry)
        if not user or not took or user.group(1) == "root":
            continue
        stmt = " ".join(l for l in entry.splitlines()
                        if l and not l.startswith(("#", "SET timestamp", "use ")))
        shape = re.sub(r"\b\d+(\.\d+)?\b", "N", re.sub(r"'[^']*'", "?", stmt))[:80]
        shapes.setdefault(shape, []).append(float(took.group(1)))
    return shapes


def report_statements(logs, uploads):
    """Database time per upload per mode and the statements whose time differs."""
    per_mode = {}
    for mode in ("on", "off"):
        merged = {}
        for path in logs[mode]:
            for shape, ts in read_slow_log(path).items():
                merged.setdefault(shape, []).extend(ts)
        per_mode[mode] = merged
    total = {m: sum(sum(ts) for ts in per_mode[m].values()) / (uploads * len(logs[m])) for m in per_mode}
    print(f"database time per upload: ON {total['on'] * 1e3:.3f} ms, OFF {total['off'] * 1e3:.3f} ms, "
          f"difference {(total['on'] - total['off']) * 1e3:+.3f} ms")
    for shape in sorted(set(per_mode["on"]) | set(per_mode["off"])):
        on, off = per_mode["on"].get(shape, []), per_mode["off"].get(shape, [])
        if len(on) != len(off):
            print(f"  ON {len(on):5d} x {statistics.median(on) * 1e3 if on else 0:.3f} ms | "
                  f"OFF {len(off):5d} x {statistics.median(off) * 1e3 if off else 0:.3f} ms | {shape}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--var", default=os.path.join(ROOT, "var"))
    ap.add_argument("--rounds", type=int, default=10, help="rounds per mode")
    ap.add_argument("--uploads", type=int, default=200, help="uploads per round")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--size", type=int, default=65536, help="bytes per upload (+ its index)")
    ap.add_argument("--only", choices=("receipts", "keys", "nothing"),
                    help="attribution: ON turns on only this one (the other stays off); "
                         "'nothing' is the A/A calibration (both modes off): what the harness "
                         "alone makes of two identical modes")
    ap.add_argument("--statements", action="store_true",
                    help="also log every statement (MariaDB slow log, long_query_time = 0) and "
                         "report the database time per upload in each mode, and the statements "
                         "that differ")
    a = ap.parse_args()

    st = Bench(a.var)
    try:
        course = "RB" + secrets.token_hex(3).upper()
        st.ojctl("course", "add", course)
        st.ojctl("module", "add", course, "B", "--deadline", "now+1d", "--supersede", "off")
        tokens = [st.ojctl("student", "add", course, f"b{i}").strip() for i in range(64)]
        st.write(True)
        st.reload_nginx()
        st.pause_runners()

        def bodies(n):
            return [(tokens[i % len(tokens)], course, "B", os.urandom(a.size + i)) for i in range(n)]

        results = {"on": [], "off": []}
        lats = {"on": [], "off": []}
        slow_logs = {"on": [], "off": []}
        # A session takes long_query_time and the slow log switch when it connects, so both
        # are set before the pool reloads; between timed rounds the log goes to a scratch file.
        scratch_log = os.path.join(st.var, "log", "bench-statements-scratch.log")
        if a.statements:
            st.sql("SET GLOBAL slow_query_log_file = %s; SET GLOBAL long_query_time = 0; "
                   "SET GLOBAL slow_query_log = 1", (scratch_log,))
        for r in range(a.rounds):
            order = ("on", "off") if r % 2 == 0 else ("off", "on")
            for mode in order:
                on = mode == "on"
                keyed = on and a.only in (None, "keys")
                st.write(on and a.only in (None, "receipts"))
                st.reload_pool()
                run_round(st.stack.url, bodies(16), a.concurrency, keyed)  # warm-up: fresh workers connect
                if a.statements:
                    log = os.path.join(st.var, "log", f"bench-statements-{mode}-{r}.log")
                    slow_logs[mode].append(log)
                    st.sql("SET GLOBAL slow_query_log_file = %s", (log,))
                wall, lat = run_round(st.stack.url, bodies(a.uploads), a.concurrency, keyed)
                if a.statements:
                    st.sql("SET GLOBAL slow_query_log_file = %s", (scratch_log,))
                st.forget_uploads(course)
                results[mode].append(wall)
                lats[mode].extend(lat)
                print(f"round {r + 1} {mode:3}: {wall:.3f} s for {a.uploads} uploads "
                      f"({a.uploads / wall:.0f}/s)", flush=True)
        summary = {}
        for mode in ("on", "off"):
            ls = sorted(lats[mode])
            summary[mode] = (statistics.median(results[mode]), ls[len(ls) // 2] * 1e3,
                             ls[min(len(ls) - 1, int(len(ls) * 0.99))] * 1e3)
            print(f"{mode:3}: median round {summary[mode][0]:.3f} s, per upload p50 "
                  f"{summary[mode][1]:.1f} ms p99 {summary[mode][2]:.1f} ms")
        ratio = summary["on"][0] / summary["off"][0]
        pairs = [on / off for on, off in zip(results["on"], results["off"])]
        what = {None: "receipts+keys", "receipts": "receipts only", "keys": "keys only",
                "nothing": "A/A (nothing on)"}[a.only]
        lo, hi = median_ci95(pairs)
        print(f"{what} ON vs OFF: {ratio:.3f}x wall (medians of {a.rounds} rounds each); "
              f"median per-round ratio {statistics.median(pairs):.3f} (95% CI {lo:.3f}-{hi:.3f}, "
              f"range {min(pairs):.3f}-{max(pairs):.3f}); {a.uploads} x {a.size // 1024} KiB uploads, "
              f"concurrency {a.concurrency}")
        if a.statements:
            report_statements(slow_logs, a.uploads)
            for path in slow_logs["on"] + slow_logs["off"] + [scratch_log]:
                if not os.environ.get("OJ_BENCH_KEEP_LOGS"):
                    os.unlink(path)
    finally:
        if a.statements:
            st.sql("SET GLOBAL slow_query_log = 0; SET GLOBAL long_query_time = 10")
        st.restore()


if __name__ == "__main__":
    main()
