"""The deadline storm: N simulated students upload 2-5 times each over a few minutes
and poll their results JSON the way the page does (2 s doubling to 30 s, ETag, reset on a
change), the runner judges real demo jobs (PA1 examples, memory hogs), and a flush of 500
result-page requests lands within two seconds. Used by ops/loadtest/storm and chaos.

Bounded: threads = students + flush threads; every request has a timeout; the upload bodies
are streamed from one shared 12 MB random pool (a per-upload nonce makes the bytes distinct).
"""
import hashlib
import http.client
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import losscheck
import monitor
import requestlog
from ojharness import ROOT
from ojharness import upload as http_client

MiB = 1 << 20
HOG_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* A memory hog: allocates and touches %s, then answers. */
int main(void) {
  size_t total = 0;
  for (;;) {
    char *p = malloc(1 << 20);
    if (!p) break;
    memset(p, 1, 1 << 20);
    total += 1 << 20;
    if (%s) break;
  }
  char line[256];
  while (fgets(line, sizeof line, stdin)) printf("0\n");
  return (int)(total & 1);
}
"""


class Workload:
    """Real archives (PA1 examples, hogs) packed once; random blobs made per upload."""

    def __init__(self, real_share, tmpdir):
        self.real_share = real_share
        self.pool = os.urandom(12 * 1000 * 1000)
        self.archives = {}
        examples = os.path.join(ROOT, "client/examples")
        for name in sorted(os.listdir(examples)):
            self.archives[name] = os.path.join(examples, name)
        for name, cond in (("hog-at-cap", "total >= (512u << 20)"), ("hog-unbounded", "0")):
            d = os.path.join(tmpdir, name)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "expr.c"), "w") as f:
                f.write(HOG_C % ("512 MB (twice the PA1 cap of 256 MB)" if cond != "0" else "without bound", cond))
            self.archives[name] = d
        self.tmpdir = tmpdir

    def pack(self, name):
        """A tar.bz2 of the example plus a nonce file: distinct bytes every time."""
        src = self.archives[name]
        d = tempfile.mkdtemp(dir=self.tmpdir)
        try:
            shutil.copytree(src, os.path.join(d, "s"))
            with open(os.path.join(d, "s", "NONCE"), "w") as f:
                f.write(os.urandom(16).hex())
            out = os.path.join(d, "a.tar.bz2")
            subprocess.run(["tar", "-C", os.path.join(d, "s"), "-cjf", out, "."], check=True)
            with open(out, "rb") as f:
                return f.read()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def choose(self, rng, hog_share=0.25):
        """Returns (label, [chunks]) for one upload."""
        if rng.random() < self.real_share:
            if rng.random() < hog_share:
                name = "hog-at-cap"
            else:
                name = rng.choice([n for n in self.archives if n.startswith("pa1-")])
            return name, [self.pack(name)]
        size = rng.randint(1_000_000, 12_000_000)
        nonce = os.urandom(32)
        return "random", [nonce, memoryview(self.pool)[:size - 32]]


class Storm:
    def __init__(self, stack, n_students, duration_s, real_share=0.15, flush_n=500,
                 stall_s=60.0, timeout_s=120.0, seed=None, log=print, poll_grace_s=60.0):
        self.stack = stack
        self.n = n_students
        self.duration = duration_s
        self.flush_n = flush_n
        self.stall_s = stall_s
        self.poll_grace_s = poll_grace_s
        self.timeout_s = timeout_s
        self.rng = random.Random(seed)
        self.log = log
        self.reqs = requestlog.RequestLog()
        self.acked = {}
        self.acked_lock = threading.Lock()
        self.gave_up = 0
        self.tmp = tempfile.mkdtemp(prefix="oj-storm-")
        self.work = Workload(real_share, self.tmp)
        self.stop_polling = threading.Event()
        self.flush_report = {}

    # -- HTTP -------------------------------------------------------------------------
    def upload(self, token, chunks):
        """One upload (ojharness.upload), recorded in the request log; (status, body, headers)."""
        t0 = time.monotonic()
        status, body, headers = http_client.upload(self.stack.url, token, self.course, self.module,
                                                   chunks=chunks, timeout=self.timeout_s, max_body=4096)
        self.reqs.add("upload", status, time.monotonic() - t0)
        return status, body, headers

    def get(self, kind, path, etag=None):
        t0 = time.monotonic()
        status, body, headers = 0, b"", {}
        try:
            status, body, headers = http_client.get(self.stack.url, path,
                                                    headers={"If-None-Match": etag} if etag else {},
                                                    timeout=self.timeout_s, max_body=1 << 20)
        except (OSError, http.client.HTTPException):
            pass
        self.reqs.add(kind, status, time.monotonic() - t0)
        return status, body, headers

    # -- one student -----------------------------------------------------------------
    def student(self, idx, token, t_start):
        rng = random.Random(self.rng.random())
        times = sorted(rng.uniform(0, self.duration) for _ in range(rng.randint(2, 5)))
        mine = {}  # id -> last known status
        page = f"/oj/{self.course}/{self.module}/{token}.json"
        etag, delay, next_poll = None, 2.0, None
        pending_uploads = list(times)
        while True:
            now = time.monotonic() - t_start
            if pending_uploads and now >= pending_uploads[0]:
                pending_uploads.pop(0)
                label, chunks = self.work.choose(rng)
                sha = hashlib.sha256()
                for ch in chunks:
                    sha.update(ch)
                size = sum(len(ch) for ch in chunks)
                for attempt in range(8):
                    st, body, hdr = self.upload(token, chunks)
                    if st == 200 and body.startswith("[SUCC ✓] Received "):
                        sid = body.split()[3]
                        with self.acked_lock:
                            self.acked[sid] = (sha.hexdigest(), size)
                        mine[sid] = "queued"
                        break
                    if st in (429, 503) or st == 0:
                        try:
                            wait = float(hdr.get("retry-after", "5"))
                        except ValueError:
                            wait = 5.0
                        time.sleep(min(wait, 30) + rng.uniform(0, 2))
                        continue
                    break  # a wrong answer: counted as "other" and not retried
                else:
                    with self.acked_lock:
                        self.gave_up += 1
                etag, delay = None, 2.0
                next_poll = time.monotonic() + delay
            open_ids = [i for i, s in mine.items() if s not in losscheck.TERMINAL]
            if not pending_uploads and (not open_ids or self.stop_polling.is_set()):
                return
            if next_poll and open_ids and time.monotonic() >= next_poll and not self.stop_polling.is_set():
                st, body, hdr = self.get("page json", page, etag)
                changed = False
                if st == 200:
                    try:
                        for s in json.loads(body)["submissions"]:
                            if s["id"] in mine and mine[s["id"]] != s["status"]:
                                mine[s["id"]] = s["status"]
                                changed = True
                    except (ValueError, KeyError, TypeError):
                        pass
                    etag = hdr.get("etag")
                delay = 2.0 if changed else min(delay * 2, 30.0)
                next_poll = time.monotonic() + delay * rng.uniform(0.8, 1.2)
            time.sleep(0.2)

    # -- the flush: 500 result-page requests within two seconds ----------------------------
    def flush(self, tokens, threads=100):
        per = max(1, self.flush_n // threads)
        t0 = time.monotonic()

        def worker(k):
            for j in range(per):
                tok = tokens[(k * per + j) % len(tokens)]
                self.get("flush page", f"/oj/{self.course}/{self.module}/{tok}")
        ts = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.flush_report = {"requests": per * threads, "seconds": time.monotonic() - t0}

    # -- the whole run ---------------------------------------------------------------
    def setup(self):
        self.course, tokens = make_course(self.stack, "ST", [("PA1", "ICS2024/PA1", True)], self.n)
        self.module = "PA1"
        self.tokens = tokens
        return tokens

    def run(self, during=None):
        """Runs the storm; during(t_start) runs in its own thread (faults)."""
        tokens = self.tokens
        t_start = time.monotonic()
        threads = [threading.Thread(target=self.student, args=(i, tok, t_start), daemon=True)
                   for i, tok in enumerate(tokens)]
        for t in threads:
            t.start()
        extra = None
        if during:
            extra = threading.Thread(target=during, args=(t_start,), daemon=True)
            extra.start()
        time.sleep(self.duration / 2)
        self.log(f"storm: flush of {self.flush_n} result-page requests")
        self.flush(tokens)
        self.log(f"storm: flush took {self.flush_report['seconds']:.2f} s")
        # students poll until their submissions are judged, but at most poll_grace_s past the end
        for t in threads:
            t.join(max(0.1, self.duration + self.poll_grace_s - (time.monotonic() - t_start)))
        self.stop_polling.set()
        for t in threads:
            t.join(self.timeout_s * 8 + 60)
        if extra:
            extra.join()
        return time.monotonic() - t_start

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def make_course(stack, prefix, modules, students):
    """A load-test course (prefix + 6 hex digits: what losscheck.purge_course accepts) with
    modules [(code, judge_dir, supersede)] and `students` students; returns (course, [tokens])."""
    course = prefix + secrets.token_hex(3).upper()
    tokens = stack.add_course(
        course, "load test " + course,
        {code: ["--opens", "now-1d", "--deadline", "now+1d", "--supersede", "1" if supersede else "0",
                *(["--judge-dir", judge_dir] if judge_dir else [])]
         for code, judge_dir, supersede in modules},
        [f"L{i:05d}" for i in range(students)])
    return course, tokens


def wait_resolved(receiver, bound, checks=None):
    """Waits (at most bound seconds) until every check that fired (of `checks`, default all)
    has resolved since."""
    t0 = time.time()
    while receiver and time.time() - t0 < bound:
        last = {}
        for _, st, c in receiver.events():
            if checks is None or c in checks:
                last[c] = st
        if all(st == "resolved" for st in last.values()):
            return
        time.sleep(1)


def report(name, storm, sampler, receiver, loss, wall, extra_rows=(), out=sys.stdout):
    """Prints the scenario's tables; returns the list of failed checks."""
    ok_loss, summary, problems = loss
    failures = []
    print(f"\n### {name}\n", file=out)
    print(f"{storm.n} students, {len(storm.acked)} acknowledged uploads, storm wall {wall:.0f} s, "
          f"flush {storm.flush_report.get('requests', 0)} page requests in "
          f"{storm.flush_report.get('seconds', 0):.2f} s\n", file=out)
    requestlog.print_requests(storm.reqs, ("upload", "page json", "flush page"), out=out)
    print(file=out)
    monitor.print_resources(sampler.peak, out=out)
    print(file=out)
    monitor.print_alerts(receiver, out=out)
    print(file=out)
    for row in extra_rows:
        print(row, file=out)
    if extra_rows:
        print(file=out)
    losscheck.print_loss(summary, problems, out=out)
    others = storm.reqs.others()
    if others:
        failures.append("unexpected answers: " + ", ".join(f"{k} {s}: {n}" for (k, s), n in others.items()))
    slow = [s for _, _, s in storm.reqs.items if s > storm.stall_s]
    if slow:
        failures.append(f"{len(slow)} requests slower than the stall bound {storm.stall_s:.0f} s")
    if storm.gave_up:
        failures.append(f"{storm.gave_up} uploads gave up after 8 tries (429/503)")
    if not ok_loss:
        failures.append("loss check failed")
    return failures


def start_private_stack(priv, receiver, settings=None):
    """Starts a private stack (ojharness.stack.PrivateStack) with its watchdog pointed at the
    alert receiver, checking every 2 s (settings: more {section: {key: value}}); returns the
    running Stack."""
    stack = priv.up()
    overrides = {"watchdog": {"webhook_url": receiver.url, "interval_s": 2, "for_s": 4}}
    for section, kv in (settings or {}).items():
        overrides.setdefault(section, {}).update(kv)
    priv.reconfigure(overrides)
    return stack
