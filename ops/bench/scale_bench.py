#!/usr/bin/env python3
"""Queue drain throughput with 1, 2 and 4 judge hosts (docs/scaling.md).

Each judge host is a network namespace running one oj-runner slot against the intake
namespace's MariaDB over TCP, fetching archives through nginx signed links
(ops/ojharness/netns.py). Jobs are dominated by waiting (the judge sleeps 1 s),
so on a 2-core machine the figure measures the orchestration (claim, lease, fetch,
extract, sandbox, result write), not the CPU.

  ops/bench/scale_bench.py --bin build/release [--jobs 16] [--hosts 1,2,4]

Per host count: N jobs are queued while the runners are stopped, the runners start
together, and the drain time runs from the first claim to the last finish. Claim-to-start
latency is started_at (claim, database clock) to the moment the judge's test command
began (it prints its start time into its message), median and max.
"""
import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ojharness import netns as netns_hosts  # noqa: E402


def ts(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()


def measure(bin_dir, hosts, jobs):
    with netns_hosts.Hosts(bin_dir, judges=hosts, lease_s=10, heartbeat_s=2) as h:
        ids = [h.upload(h.tokens[i % 10], "W1", f"bench{i}")[0] for i in range(jobs)]
        for n in range(1, hosts + 1):
            h.start_judge(n)
        h.wait_for(lambda: h.sql_root("SELECT COUNT(*) FROM submissions WHERE id IN %s AND status = 'done'", (ids,))
                   == [[str(jobs)]], 60 + 5 * jobs, "drain")
        rows = h.sql_root("SELECT s.started_at, s.finished_at, t.message, s.runner_id FROM submissions s "
                          "JOIN test_results t ON t.submission_id = s.id WHERE s.id IN %s", (ids,))
        starts = [ts(r[0]) for r in rows]
        ends = [ts(r[1]) for r in rows]
        lat = [float(r[2].split("start=")[1].split()[0]) - ts(r[0]) for r in rows]
        per_host = {}
        for r in rows:
            per_host[r[3]] = per_host.get(r[3], 0) + 1
        drain = max(ends) - min(starts)
        return {"hosts": hosts, "jobs": jobs, "drain_s": drain, "jobs_per_s": jobs / drain,
                "lat_med_ms": 1000 * statistics.median(lat), "lat_max_ms": 1000 * max(lat),
                "per_host": per_host}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(netns_hosts.ROOT, "build/release"))
    ap.add_argument("--jobs", type=int, default=16)
    ap.add_argument("--hosts", default="1,2,4")
    a = ap.parse_args()
    why = netns_hosts.netns_supported()
    if why:
        sys.exit("scale_bench: " + why)
    results = [measure(a.bin, int(n), a.jobs) for n in a.hosts.split(",")]
    base = results[0]["jobs_per_s"]
    print(f"{'hosts':<8} {'jobs':>4} {'drain s':>8} {'jobs/s':>7} {'vs 1':>6} {'claim->start med/max ms':>24}  per host")
    for r in results:
        label = f"{r['hosts']} host" + ("s" if r["hosts"] > 1 else "")
        print(f"{label:<8} {r['jobs']:>4} {r['drain_s']:>8.2f} {r['jobs_per_s']:>7.2f} {r['jobs_per_s'] / base:>5.2f}x "
              f"{r['lat_med_ms']:>11.0f} / {r['lat_max_ms']:<10.0f}  {sorted(r['per_host'].values())}")


if __name__ == "__main__":
    main()
