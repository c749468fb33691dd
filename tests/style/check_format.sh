#!/bin/bash
# Every C++ file as clang-format (.clang-format at the top) would write it. Prints the
# files that differ and how to fix them; exits non-zero when any does.
set -euo pipefail
root=$1
cd "$root"
mapfile -t files < <(find core fcgi_app judge_runner ops tests -name node_modules -prune -o \
  \( -name '*.cc' -o -name '*.h' \) -type f -print | sort)
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'not clang-formatted: %s\n' "${bad[@]}"
  echo "fix: clang-format -i ${bad[*]}"
  exit 1
fi
echo "${#files[@]} files clang-formatted"
