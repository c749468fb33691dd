"""What the load and fault harness watches while it runs: the resource sampler (peak RSS per
component, PSI), the watchdog's status between its messages, and the tables they print."""
import collections
import json
import os
import sys
import threading
import time

from ojharness.procs import children_of, rss_kb


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
        cur["nginx (master+workers)"] = (rss_kb(ng) + sum(rss_kb(c) for c in children_of(ng))) if ng else 0
        m = s.pid("fcgi")
        workers = children_of(m) if m else []
        cur["fcgi master"] = rss_kb(m) if m else 0
        wr = [rss_kb(w) for w in workers]
        cur["fcgi workers (sum)"] = sum(wr)
        cur["fcgi worker (max one)"] = max(wr) if wr else 0
        db = s.pid("mysqld")
        cur["MariaDB"] = rss_kb(db) if db else 0
        cur["runner(s)"] = sum(rss_kb(p) for p in s.runner_pids())
        w = s.pid("watchdog")
        cur["watchdog"] = rss_kb(w) if w else 0
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
