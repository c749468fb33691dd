"""The load harness's record of every request it made, and its Markdown table."""
import collections
import sys
import threading


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
