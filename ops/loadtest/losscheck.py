"""The loss check of the load and fault harness: every acknowledged upload has its row, its
stored file with the SHA-256 that was sent, and (when judging is checked) ends judged exactly
once. Also the clean-up of a load-test course and the small reads the reports share."""
import collections
import hashlib
import os
import re
import sys
import time

from ojharness.db import DatabaseError
from ojharness.stack import HarnessError

TERMINAL = ("done", "superseded", "cancelled", "judge_error")


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


def _rows(stack, ids):
    """{id: row} of the acknowledged ids, or None when the database does not answer."""
    rows = {}
    for i in range(0, len(ids), 500):
        try:
            got = stack.sql("SELECT id, sha256, size_bytes, storage_key, status, attempts, IFNULL(verdict,'') "
                            "FROM submissions WHERE id IN %s", (ids[i:i + 500],))
        except DatabaseError:
            return None
        for r in got:
            rows[r[0]] = r
    return rows


def loss_check(stack, acked, wait_s=0, require_terminal=True, allow_judge_error=False):
    """acked: {id: (sha256, size)} for every upload answered [SUCC ✓].

    Returns (ok, summary dict, [problem lines]). Waits up to wait_s for every row to reach a
    terminal status (the queue drains) when require_terminal."""
    problems = []
    ids = sorted(acked)
    deadline = time.time() + wait_s
    while True:
        rows = _rows(stack, ids)
        if rows is None:  # the database is down: no verdict on anything, and that is a failure
            summary = {"judging_checked": require_terminal, "acknowledged": len(ids), "lost": "?",
                       "bad_sha256": "?", "unfinished": "?", "judge_error": "?", "double_judged": "?",
                       "status": {}, "verdicts": {}, "attempts": {}}
            return False, summary, ["the database does not answer: the loss check could not run "
                                    "(is mariadbd running? see log/mariadb.log)"]
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


def fmt_counter(c):
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))) or "-"


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


def runners_alive(stack):
    """How many runners sent a heartbeat in the last minute and are not disabled (0 when the
    database does not answer)."""
    try:
        return int(stack.sql("SELECT COUNT(*) FROM runners WHERE heartbeat_at > UTC_TIMESTAMP(6) - "
                             "INTERVAL 60 SECOND AND state <> 'disabled'")[0][0])
    except (DatabaseError, IndexError, ValueError):
        return 0


def jobs_per_runner(stack, ids):
    """[(runner id or '-', submissions)] of the given submissions."""
    return stack.sql("SELECT IFNULL(runner_id, '-'), COUNT(*) FROM submissions WHERE id IN %s "
                     "GROUP BY runner_id", (list(ids),)) if ids else []


def mariadb_crash_lines(stack, n=3):
    """The last 'got signal' lines of the stack's MariaDB error log (a crash), or []."""
    try:
        with open(os.path.join(stack.var, "log", "mariadb.log"), errors="replace") as f:
            return [line.strip() for line in f if "got signal" in line][-n:]
    except OSError:
        return []


COURSE_SUBMISSIONS = ("SELECT s.id FROM submissions s JOIN modules m ON m.id = s.module_id "
                      "JOIN courses c ON c.id = m.course_id WHERE c.code = %(course)s")


def purge_course(stack, course):
    """Removes a load-test course the harness made: its rows (test results, submissions,
    students, modules, the course) in one transaction, then its stored files. Refuses while
    any of its submissions is queued or running (a runner would be judging a deleted row).
    Returns (submissions removed, bytes freed)."""
    if not re.fullmatch(r"[A-Z]{2}[0-9A-F]{6}", course):
        raise HarnessError(f"purge: {course!r} is not a load-test course name (two letters and 6 hex digits)")
    rows = stack.sql("SELECT s.storage_key, s.size_bytes, s.status FROM submissions s JOIN modules m "
                     "ON m.id = s.module_id JOIN courses c ON c.id = m.course_id WHERE c.code = %s", (course,))
    busy = [r for r in rows if r[2] in ("queued", "running")]
    if busy:
        raise HarnessError(f"purge: {len(busy)} submissions of {course} are still queued or running; try later")
    sub = COURSE_SUBMISSIONS
    stack.sql("START TRANSACTION; "
              f"DELETE FROM test_results WHERE submission_id IN (SELECT id FROM ({sub}) x); "
              f"DELETE FROM submissions WHERE id IN (SELECT id FROM ({sub}) x); "
              "DELETE FROM students WHERE course_id = (SELECT id FROM courses WHERE code = %(course)s); "
              "DELETE FROM modules WHERE course_id = (SELECT id FROM courses WHERE code = %(course)s); "
              "DELETE FROM courses WHERE code = %(course)s; COMMIT;", {"course": course})
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
