#!/bin/bash
# Builds the multipart libFuzzer target with clang and runs it for a bounded time
# (ctest test `multipart_fuzz`). Usage: run_fuzz.sh ROOT BUILD_DIR SECONDS
set -euo pipefail
root=$1 out=$2/fuzz secs=$3
mkdir -p "$out/corpus"
cp -n "$root"/tests/fuzz/multipart_corpus/* "$out/corpus/" 2>/dev/null || true
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I"$root" \
  "$root/fcgi_app/multipart_fuzz.cc" "$root/fcgi_app/multipart.cc" "$root/core/status.cc" \
  -o "$out/multipart_fuzz"
"$out/multipart_fuzz" -max_total_time="$secs" -rss_limit_mb=512 -max_len=65536 \
  -print_final_stats=1 "$out/corpus" 2>&1 | tail -n 15
