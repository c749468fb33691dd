#!/bin/bash
# Intake benchmark (docs/benchmarks.md). Needs a running stack (ops/oj up); loopback only, bounded.
#   ops/bench/intake_bench.sh [VAR_DIR] [ROUNDS]
# 1. Wall time of 32 concurrent 11.8 MB uploads through nginx -> pool -> fsync -> MariaDB,
#    as a ratio to the same 32 uploads to an nginx that discards the bodies (started here,
#    same machine, same run, same client).
# 2. Private memory (Private_Dirty) and peak RSS (VmHWM) of the workers after 1 KB uploads and
#    after 12 MB uploads.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VAR=$(realpath "${1:-$ROOT/var}")
ROUNDS=${2:-3}
set -a; . "$VAR/demo.env"; set +a
tmp=$(mktemp -d); trap 'nginx -p "$tmp" -c "$tmp/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$tmp"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/body" "$tmp/logs"
cat >"$tmp/nginx.conf" <<NGX
$( ((EUID == 0)) && echo "user root root;")
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/body;
  client_max_body_size 12582912;
  server { listen 127.0.0.1:$port; location / { return 200 "ok\n"; } }
}
NGX
nginx -e "$tmp/logs/error.log" -p "$tmp" -c "$tmp/nginx.conf"
head -c 11800000 /dev/urandom >"$tmp/up.bin"
head -c 1000 /dev/urandom >"$tmp/small.bin"

# A course of its own so the per-token limit and superseding do not interfere.
ojctl() { "$OJ_BIN/ops/ojctl/ojctl" --config "$OJ_CONFIG" "$@"; }
course=BENCH$RANDOM
ojctl course add "$course" >/dev/null
ojctl module add "$course" B --deadline now+1d --supersede 0 >/dev/null
tokens=(); for i in $(seq 32); do tokens+=("$(ojctl student add "$course" "b$i")"); done
printf '%s\n' "${tokens[@]}" >"$tmp/tokens"

run32() {  # url
  local t0 t1
  t0=$(date +%s.%N)
  parallel -j 32 "curl -s -o /dev/null -w '%{http_code}\n' -F token={} -F course=$course -F module=B -F file=@$tmp/up.bin $1" <"$tmp/tokens" >"$tmp/codes"
  t1=$(date +%s.%N)
  [[ $(grep -c '^200$' "$tmp/codes") == 32 ]] || { echo "not all 200: $(sort "$tmp/codes" | uniq -c)" >&2; exit 1; }
  python3 -c "print(f'{$t1-$t0:.3f}')"
}
best_app=999; best_discard=999
for r in $(seq "$ROUNDS"); do
  d=$(run32 "http://127.0.0.1:$port/upload")
  a=$(run32 "$OJ_URL/upload")
  echo "round $r: discard ${d}s, durable ${a}s"
  best_app=$(python3 -c "print(min($best_app,$a))"); best_discard=$(python3 -c "print(min($best_discard,$d))")
done
echo "32 x 11.8 MB: durable ${best_app}s vs discard ${best_discard}s = $(python3 -c "print(f'{$best_app/$best_discard:.2f}')")x (best of $ROUNDS)"

workers() { pgrep -P "$(cat "$VAR/run/fcgi.pid")"; }
mem() {  # prints "private_dirty_kb hwm_kb" max over workers
  local p pd hwm maxpd=0 maxhwm=0
  for p in $(workers); do
    pd=$(awk '/^Private_Dirty/ {print $2}' "/proc/$p/smaps_rollup")
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status")
    ((pd > maxpd)) && maxpd=$pd; ((hwm > maxhwm)) && maxhwm=$hwm
  done
  echo "$maxpd $maxhwm"
}
# Fresh workers: recycle the pool gracefully (SIGHUP), then 64 small uploads.
kill -HUP "$(cat "$VAR/run/fcgi.pid")"
for i in $(seq 64); do curl -s -o /dev/null -F token="${tokens[0]}" -F course=$course -F module=B -F file=@"$tmp/small.bin" "$OJ_URL/upload"; done
read -r pd1 hwm1 <<<"$(mem)"
parallel -j 8 "curl -s -o /dev/null -F token={} -F course=$course -F module=B -F file=@$tmp/up.bin $OJ_URL/upload" <"$tmp/tokens"
read -r pd2 hwm2 <<<"$(mem)"
echo "worker memory after 1 KB uploads: private dirty ${pd1} kB, peak RSS ${hwm1} kB"
echo "worker memory after 12 MB uploads: private dirty ${pd2} kB, peak RSS ${hwm2} kB (delta $((pd2 - pd1)) kB private, $((hwm2 - hwm1)) kB peak)"
