"""Checks one seed-replay round: every answer's status and exact line (docs/contract.md §3).

  round_check.py NAME DIR N EXPECT T0 T1 FILE
EXPECT: succ (200 + "[SUCC ✓] Received <ID> at <time>", distinct IDs), 413 (413 + the exact
"too large" line), page (200 HTML), json (200 JSON). FILE is the uploaded file, or a pattern
with {n} for the request number; for succ the acks go to DIR/acked as "ID SHA256 SIZE".
Prints one Markdown table row; problems go to stderr; exit 1 when any answer is wrong.
"""
import hashlib
import json
import os
import re
import sys

SUCC = re.compile(r"\[SUCC ✓\] Received ([A-Za-z0-9]{16}) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n")
TOO_LARGE = "[FAIL ✗] File is too large!\n"


def main():
    name, d, n, expect, t0, t1, file_arg = sys.argv[1:8]
    n = int(n)
    good, ids, lat, problems, acked = 0, [], [], [], []
    sha_cache = {}
    for i in range(1, n + 1):
        try:
            with open(os.path.join(d, f"{i}.meta")) as f:
                code, secs, rc = f.read().split()
            with open(os.path.join(d, f"{i}.body"), "rb") as f:
                body = f.read().decode("utf-8", "replace")
        except (OSError, ValueError) as e:
            problems.append(f"request {i}: no answer ({e})")
            continue
        lat.append(float(secs))
        ok = False
        if expect == "succ":
            m = SUCC.fullmatch(body)
            ok = code == "200" and m is not None
            if ok:
                path = file_arg.replace("{n}", str(i))
                if path not in sha_cache:
                    with open(path, "rb") as f:
                        data = f.read()
                    sha_cache[path] = (hashlib.sha256(data).hexdigest(), len(data))
                ids.append(m.group(1))
                acked.append(f"{m.group(1)} {sha_cache[path][0]} {sha_cache[path][1]}\n")
        elif expect == "413":
            ok = code == "413" and body == TOO_LARGE
        elif expect == "page":
            ok = code == "200" and "<html" in body.lower()
        elif expect == "json":
            try:
                ok = code == "200" and isinstance(json.loads(body).get("submissions"), list)
            except ValueError:
                ok = False
        if ok:
            good += 1
        else:
            problems.append(f"request {i}: {code} {body[:100]!r} (curl exit {rc})")
    if expect == "succ" and len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} duplicate IDs among {len(ids)}")
        good = len(set(ids))
    with open(os.path.join(d, "acked"), "w") as f:
        f.writelines(acked)
    lat.sort()
    want = {"succ": "200 [SUCC ✓] distinct IDs", "413": "413 too large", "page": "200 HTML",
            "json": "200 JSON"}[expect]
    p50 = f"{lat[len(lat) // 2] * 1000:.0f} ms" if lat else "-"
    mx = f"{lat[-1] * 1000:.0f} ms" if lat else "-"
    print(f"| {name} | {n} | {want} | {good}/{n} | {float(t1) - float(t0):.2f} s | {p50} | {mx} |")
    for p in problems:
        print(f"{name}: {p}", file=sys.stderr)
    sys.exit(0 if good == n and not problems else 1)


if __name__ == "__main__":
    main()
