#!/usr/bin/env python3
"""The load and fault harness's command line, for the shell scripts:

  python3 ojload.py losscheck --var VAR --acked FILE [--wait S] [--require-judged auto|yes|no]
  python3 ojload.py purge --var VAR --course CODE
  python3 ojload.py jobs-per-runner --var VAR --acked FILE

The pieces live in modules of their own: losscheck.py (the loss check, a course's clean-up),
monitor.py (resource sampler, watchdog status poller), requestlog.py (the request log),
stormlib.py (the storm); the stack, the database, the upload client and the webhook
receiver are the shared harness's (ops/ojharness). Loopback only.
Used by ops/loadtest/seed-replay; storm and chaos import the modules.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..")]  # this directory, and ops/ for ojharness
import losscheck  # noqa: E402
from ojharness import HarnessError  # noqa: E402
from ojharness.stack import Stack, require_loopback  # noqa: E402

MiB = 1 << 20


def die(msg):
    print(f"loadtest: {msg}", file=sys.stderr)
    sys.exit(1)


def open_stack(var):
    """The running stack in var (loopback only), or exit with why not."""
    if not os.path.exists(os.path.join(var, "demo.env")):
        die(f"no {os.path.join(os.path.abspath(var), 'demo.env')}: start a stack with ops/oj up")
    stack = Stack(var)
    try:
        require_loopback(stack.url)
    except HarnessError as e:
        die(str(e))
    return stack


def read_acked(path):
    """{id: (sha256, size)} from a file of lines ID SHA256 SIZE."""
    acked = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 3:
                acked[p[0]] = (p[1], int(p[2]))
    return acked


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
    jr = sub.add_parser("jobs-per-runner", help="which runner judged the acknowledged uploads")
    jr.add_argument("--var", required=True)
    jr.add_argument("--acked", required=True, help="file of lines: ID SHA256 SIZE")
    a = ap.parse_args()
    stack = open_stack(a.var)
    try:
        if a.cmd == "purge":
            n, freed = losscheck.purge_course(stack, a.course)
            print(f"purged course {a.course}: {n} submissions, {freed / 1e6:.0f} MB of storage freed")
            return
        if a.cmd == "jobs-per-runner":
            print(",".join(f"{r} {n}" for r, n in losscheck.jobs_per_runner(stack, read_acked(a.acked))))
            return
    except HarnessError as e:
        die(str(e))
    require = a.require_judged == "yes"
    if a.require_judged == "auto":
        require = losscheck.runners_alive(stack) > 0
        if not require:
            print("WARNING: no runner has sent a heartbeat in the last 60 s: rows, files and "
                  "SHA-256 are checked, judging is not")
    ok, summary, problems = losscheck.loss_check(stack, read_acked(a.acked), wait_s=a.wait,
                                                 require_terminal=require)
    losscheck.print_loss(summary, problems)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
