#!/bin/bash
# Results-page throughput (docs/contract.md §10): wrk through nginx against
#   1. a static file of the same size as the page, served by nginx (the baseline),
#   2. the results page with the 1 s microcache (one hot key),
#   3. the results page with the microcache off (FastCGI + one database round trip),
# each baseline measured in the same run right before, so the ratios hold on a noisy
# machine. The per-IP page limit is lifted in this private stack (wrk is one IP).
#
#   ops/bench/results_bench.sh [--bin BUILD_DIR] [--var DIR] [--duration 10s]
#                              [--connections 64] [--keep]
# Prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN="$ROOT/build/release"
VAR=/tmp/oj-results-bench
DUR=10s
CONNS=64
KEEP=0
while (($#)); do
  case "$1" in
    --bin) BIN=$(realpath "$2"); shift 2 ;;
    --var) VAR=$(realpath -m "$2"); shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

"$ROOT/ops/oj" up --var "$VAR" --free-ports --bin "$BIN" >/dev/null
((KEEP)) || trap '"$ROOT/ops/oj" down --var "$VAR" --purge >/dev/null' EXIT
. "$VAR/demo.env"
ojctl() { "$BIN/ops/ojctl/ojctl" --config "$VAR/oj.toml" "$@"; }

set_rate() {  # set_rate MICROCACHE_S: lift the per-IP page limit, set the cache, reload nginx
  python3 - "$VAR/oj.toml" "$1" <<'PY'
import re, sys
p, cache = sys.argv[1], sys.argv[2]
s = re.sub(r"\n\[rate\]\n(?:[^\[\n][^\n]*\n?)*", "\n", open(p).read())
s = s.rstrip("\n") + f"\n\n[rate]\npage_per_ip_rps = 1000000\npage_burst = 1000000\nconn_per_ip = 60000\nmicrocache_s = {cache}\n"
open(p, "w").write(s)
PY
  ojctl nginx render --out "$VAR/nginx/nginx.conf"
  nginx -e "$VAR/log/nginx-error.log" -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -s reload
  sleep 1  # let old nginx workers finish (a reload, not a synchronisation point of the test)
}

# A student with a realistic history: 5 judged submissions with tests and logs.
course=B$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
ojctl course add "$course" --title "Benchmark course" >/dev/null
ojctl module add "$course" PA1 --title "PA1" --opens now-1d --deadline now+7d >/dev/null
token=$(ojctl student add "$course" s0001)
python3 - "$ROOT/ops" "$VAR" "$course" "$token" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from ojharness.stack import Stack  # the database with bind parameters (ops/ojharness/db.py)
stack, course, token = Stack(sys.argv[2]), sys.argv[3], sys.argv[4]
sid = stack.db.value("SELECT id FROM students WHERE token = %s", (token,))
mid = stack.db.value("SELECT m.id FROM modules m JOIN courses c ON c.id = m.course_id WHERE c.code = %s",
                     (course,))
for i in range(1, 6):
    sub = f"BENCH{i:011d}"
    stack.sql("INSERT INTO submissions (id, student_id, module_id, received_at, size_bytes, sha256, "
              "storage_key, status, started_at, finished_at, verdict, score, max_score, log) "
              "VALUES (%s, %s, %s, UTC_TIMESTAMP(6) - INTERVAL %s MINUTE, 4096, REPEAT('ab', 32), 'bench', "
              "'done', UTC_TIMESTAMP(6) - INTERVAL %s MINUTE, UTC_TIMESTAMP(6) - INTERVAL %s MINUTE, "
              "'partial', 7, 10, REPEAT(%s, 30))",
              (sub, sid, mid, 100 - i, 99 - i, 98 - i, "make: compiling expr.c ... ok\n"))
    for t in range(1, 11):
        stack.sql("INSERT INTO test_results (submission_id, seq, name, passed, message) "
                  "VALUES (%s, %s, %s, %s, 'expected 42, got 41')", (sub, t, f"test-{t}", int(t % 3 > 0)))
PY
page="/oj/$course/PA1/$token"
size=$(curl -s "$OJ_URL$page" | wc -c)
head -c "$size" /dev/urandom | base64 -w 100 | head -c "$size" >"$VAR/assets/bench-static.html"
static="/oj/$course/PA1/src/bench-static.html"

run() {  # run PATH -> "rps p99_ms"
  wrk -t2 -c"$CONNS" -d"$DUR" --latency "$OJ_URL$1" >"$VAR/wrk.out"
  local non2xx
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *//p' "$VAR/wrk.out")
  [[ -z $non2xx ]] || echo "warning: $1: $non2xx non-2xx responses" >&2
  awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {print r, p}' "$VAR/wrk.out" |
    awk '{p=$2; ms=p; if (p ~ /us$/) ms=p/1000; else if (p ~ /ms$/) ms=p+0; else if (p ~ /s$/) ms=p*1000; printf "%s %.2f\n", $1, ms}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

curl -s -o /dev/null "$OJ_URL$page"  # warm the key
set_rate 1
read -r s1 sp1 < <(run "$static")
read -r c1 cp1 < <(run "$page")
set_rate 0
read -r s2 sp2 < <(run "$static")
read -r u1 up1 < <(run "$page")
echo "page size $size bytes; wrk -t2 -c$CONNS -d$DUR; $(nproc) cores; $(nginx -v 2>&1 | sed 's/.*: //')"
echo
echo "| figure | req/s | p99 | static file same run: req/s, p99 | ratio | SPEC target |"
echo "|---|---|---|---|---|---|"
echo "| results page, microcached (1 s, one hot key) | $c1 | $cp1 ms | $s1, $sp1 ms | $(ratio "$c1" "$s1")x | >= 0.9x |"
echo "| results page, uncached (FastCGI + database) | $u1 | $up1 ms | $s2, $sp2 ms | $(ratio "$u1" "$s2")x | >= 0.25x |"
