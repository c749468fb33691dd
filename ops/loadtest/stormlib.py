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
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import ojload

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
        examples = os.path.join(ojload.ROOT, "client/examples")
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
        self.reqs = ojload.RequestLog()
        self.acked = {}
        self.acked_lock = threading.Lock()
        self.gave_up = 0
        self.tmp = tempfile.mkdtemp(prefix="oj-storm-")
        self.work = Workload(real_share, self.tmp)
        self.stop_polling = threading.Event()
        self.flush_report = {}

    # -- HTTP -------------------------------------------------------------------------
    def _conn(self):
        return http.client.HTTPConnection(self.stack.host, self.stack.port, timeout=self.timeout_s)

    def upload(self, token, chunks):
        boundary = "----ojload" + os.urandom(8).hex()
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{token}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"course\"\r\n\r\n{self.course}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"module\"\r\n\r\n{self.module}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.tar.bz2\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = sum(len(c) for c in chunks)
        t0 = time.monotonic()
        status, body, headers = 0, "", {}
        c = self._conn()
        try:
            c.putrequest("POST", "/upload")
            c.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            c.putheader("Content-Length", str(len(head) + size + len(tail)))
            c.endheaders()
            c.send(head)
            for ch in chunks:
                for i in range(0, len(ch), 256 * 1024):
                    c.send(ch[i:i + 256 * 1024])
            c.send(tail)
            r = c.getresponse()
            status, body = r.status, r.read(4096).decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in r.getheaders()}
        except (OSError, http.client.HTTPException) as e:
            # nginx may answer (413, 503) and close before the whole body is sent
            try:
                r = c.getresponse()
                status, body = r.status, r.read(4096).decode("utf-8", "replace")
                headers = {k.lower(): v for k, v in r.getheaders()}
            except (OSError, http.client.HTTPException):
                body = f"({type(e).__name__}: {e})"
        finally:
            c.close()
        dt = time.monotonic() - t0
        self.reqs.add("upload", status, dt)
        return status, body, headers

    def get(self, kind, path, etag=None):
        t0 = time.monotonic()
        status, body, headers = 0, b"", {}
        c = self._conn()
        try:
            c.request("GET", path, headers={"If-None-Match": etag} if etag else {})
            r = c.getresponse()
            status, body = r.status, r.read(1 << 20)
            headers = {k.lower(): v for k, v in r.getheaders()}
        except (OSError, http.client.HTTPException):
            pass
        finally:
            c.close()
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
            open_ids = [i for i, s in mine.items() if s not in ojload.TERMINAL]
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
        self.course, tokens = self.stack.make_course(
            "ST", [("PA1", "ICS2024/PA1", True)], self.n)
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
    ojload.print_requests(storm.reqs, ("upload", "page json", "flush page"), out=out)
    print(file=out)
    ojload.print_resources(sampler.peak, out=out)
    print(file=out)
    ojload.print_alerts(receiver, out=out)
    print(file=out)
    for row in extra_rows:
        print(row, file=out)
    if extra_rows:
        print(file=out)
    ojload.print_loss(summary, problems, out=out)
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


class PrivateStack:
    """A stack of the harness's own (ops/oj up --free-ports in a temporary var dir), with the
    watchdog pointed at the alert receiver, and optionally its storage on a small loop-mounted
    ext4 image (to fill it). ops/oj's supervisors restart what dies. down() undoes it all."""

    def __init__(self, bin_dir, receiver, storage_mb=0, var=None, log=print,
                 settings=()):
        if var:
            var = os.path.abspath(var)
            if os.path.exists(var) and os.listdir(var):
                raise RuntimeError(f"{var} is not empty: the private stack needs a new directory")
            os.makedirs(var, exist_ok=True)
        self.var = var or tempfile.mkdtemp(prefix="oj-load-stack-")
        os.chmod(self.var, 0o755)  # mkdtemp's 0700 keeps the sandbox's unprivileged uid out
        self.bin = bin_dir
        self.receiver = receiver
        self.storage_mb = storage_mb
        self.log = log
        self.mounted = None
        self.settings = list(settings)

    def up(self):
        os.makedirs(os.path.join(self.var, "storage"), exist_ok=True)
        if self.storage_mb:
            img = self.var + ".storage.img"
            subprocess.run(["truncate", "-s", f"{self.storage_mb}M", img], check=True)
            subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", img], check=True)
            subprocess.run(["mount", "-o", "loop", img, os.path.join(self.var, "storage")], check=True)
            self.mounted = (os.path.join(self.var, "storage"), img)
        r = subprocess.run([os.path.join(ojload.ROOT, "ops/oj"), "up", "--var", self.var, "--free-ports",
                            "--bin", self.bin], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"ops/oj up failed: {r.stdout[-500:]} {r.stderr[-1000:]}")
        cfg = os.path.join(self.var, "oj.toml")
        settings = [("watchdog", "webhook_url", f'"{self.receiver.url}"'), ("watchdog", "interval_s", "2"),
                    ("watchdog", "for_s", "4")] + self.settings
        set_toml(cfg, settings)
        # the new settings reach the runner and the watchdog by a restart of each (the
        # watchdog last: its first cycle is the baseline, so the runner's restart is no alert)
        stack = ojload.Stack(self.var)
        runners = [n[:-4] for n in os.listdir(os.path.join(self.var, "run"))
                   if n.startswith("runner-") and n.endswith(".pid") and not n.endswith(".sup.pid")]
        pids = {str(restart_daemon(self.var, name)) for name in runners}
        deadline = time.time() + 30
        while time.time() < deadline:  # each new runner has sent its first heartbeat
            rows = stack.sql("SELECT pid FROM runners", check=False) or []
            if pids <= {r[0] for r in rows}:
                break
            time.sleep(0.2)
        restart_daemon(self.var, "watchdog")
        return stack

    def down(self, keep_logs=False):
        """Stops and removes the stack; keep_logs copies its log directory out first (a failed run)."""
        if keep_logs:
            dest = tempfile.mkdtemp(prefix="oj-load-logs-")
            shutil.copytree(os.path.join(self.var, "log"), os.path.join(dest, "log"), dirs_exist_ok=True)
            print(f"the stack's logs are kept in {dest}/log")
        subprocess.run([os.path.join(ojload.ROOT, "ops/oj"), "down", "--var", self.var],
                       capture_output=True, timeout=300)
        if self.mounted:
            subprocess.run(["umount", self.mounted[0]], check=False)
            os.unlink(self.mounted[1])
        shutil.rmtree(self.var, ignore_errors=True)


def set_toml(path, settings):
    """Sets section.key = value lines in a TOML file written by ops/oj (flat sections)."""
    with open(path) as f:
        lines = f.read().splitlines()
    for section, key, value in settings:
        header = f"[{section}]"
        if header not in lines:
            lines += ["", header]
        i = lines.index(header) + 1
        j = i
        while j < len(lines) and not lines[j].startswith("["):
            if lines[j].split("=")[0].strip() == key:
                del lines[j]
                continue
            j += 1
        lines.insert(i, f"{key} = {value}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def restart_daemon(var, name, bound_s=30):
    """Restarts run/<name>.pid: SIGTERM, and its ops/oj supervisor (run/<name>.sup.pid) starts
    it again; returns the new pid."""
    pidf = os.path.join(var, "run", name + ".pid")
    with open(pidf) as f:
        pid = int(f.read())
    os.kill(pid, 15)
    deadline = time.time() + bound_s
    while time.time() < deadline:
        try:
            with open(pidf) as f:
                new = int(f.read())
            if new != pid:
                os.kill(new, 0)
                return new
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} was not restarted by its supervisor within {bound_s} s")
