#!/usr/bin/env python3
"""Judge runner benchmark, recorded in docs/benchmarks.md "## Judge runner".

1. Sandbox overhead: /bin/true run 200 times bare (fork/execve/waitpid) and
   200 times through the native sandbox by oj-sandbox-bench (the runner's own code:
   cgroup creation and removal, RLIMITs, bwrap namespaces). Median and p99 of each.
2. Idle pickup latency: commit of a submission (the upload's HTTP response) to its claim
   (submissions.started_at), for N uploads to an idle runner of a running stack.

Usage (as root, from the repository):
  python3 judge_runner/bench/sandbox_bench.py --bin build/runner [--var /tmp/runner-stack] [--pickups 20]

The pickup part needs the stack's runner idle (nothing else queued).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def timings(binary, n, *mode):
    r = subprocess.run([binary, str(n), *mode], capture_output=True, text=True, check=True)
    return [float(x) for x in r.stdout.split()]


def pickups(var, n):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/integration"))
    os.environ["OJ_VAR"] = var
    import ojtest
    import runner_util as ru
    course, tokens = ru.lab1_course(students=1, supersede=False)
    lat = []
    for i in range(n):
        # Distinct bytes each time: the intake answers a repeated upload with its first receipt.
        src = b'#include <stdio.h>\nint main(void){puts("Hello, OJ!");return 0;}\n/* %d */\n' % i
        path = ru.tar_bz2({"main.c": src})
        sid = ru.submit(path, tokens[0], course, "Lab1")
        os.unlink(path)
        ojtest.wait_for(lambda: ru.row(sid)["status"] != "queued", timeout=30, what="claim")
        # Both stamps are the database's: received_at is written in the upload's
        # transaction just before COMMIT, started_at by the claim. An upper bound.
        us = ojtest.sql(f"SELECT TIMESTAMPDIFF(MICROSECOND, received_at, started_at) FROM submissions "
                        f"WHERE id='{sid}'")[0][0]
        lat.append(int(us) / 1000)
        ru.wait_done(sid)
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/runner")
    ap.add_argument("--var", default=None)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--pickups", type=int, default=20)
    a = ap.parse_args()
    tool = os.path.join(a.bin, "judge_runner/oj-sandbox-bench")
    b = timings(tool, a.runs, "--bare")
    s = timings(tool, a.runs)
    print(f"bare fork/exec /bin/true   n={len(b)} median={statistics.median(b):.2f} ms p99={pct(b, 99):.2f} ms")
    print(f"sandboxed /bin/true        n={len(s)} median={statistics.median(s):.2f} ms p99={pct(s, 99):.2f} ms")
    print(f"overhead (median)          {statistics.median(s) - statistics.median(b):.2f} ms")
    if a.var:
        p = pickups(a.var, a.pickups)
        print(f"idle pickup commit->claim  n={len(p)} median={statistics.median(p):.1f} ms "
              f"p99={pct(p, 99):.1f} ms max={max(p):.1f} ms")


if __name__ == "__main__":
    main()
