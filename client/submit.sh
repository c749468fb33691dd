#!/bin/bash
# submit.sh: pack your work and submit it to the course's online judge.
#
#   ./submit.sh                 submit the current directory
#   ./submit.sh -d DIR          submit DIR instead
#
# Settings come from the environment or from a .ojrc file (KEY=value lines) in the
# work directory or your home directory:
#   OJ_SERVER  e.g. http://oj.example.edu:8080      OJ_TOKEN   your 8-character token
#   OJ_COURSE  e.g. ICS2024                          OJ_MODULE  e.g. PA1
#   OJ_LIMIT   upload limit in bytes (default 12582912)
#   OJ_TRIES   attempts when the server is busy (default 5)
# Needs only bash, tar, bzip2 and curl. Files ignored by git are left out when the
# directory is a git work tree; .git itself is never sent. The same work packs to the
# same bytes (names sorted, times and owners fixed), so its sha256 names the work.
# Each run sends one Idempotency-Key, the same on every retry: a retry after a lost
# answer gets the first answer back and never makes a second submission.
set -uo pipefail

dir=.
while getopts "d:h" opt; do
  case $opt in
    d) dir=$OPTARG ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
  esac
done

for rc in "$HOME/.ojrc" "$dir/.ojrc"; do
  if [[ -f $rc ]]; then
    while IFS='=' read -r k v; do
      [[ $k =~ ^OJ_(SERVER|TOKEN|COURSE|MODULE|LIMIT|TRIES)$ ]] && [[ -z ${!k:-} ]] && export "$k=$v"
    done <"$rc"
  fi
done
: "${OJ_LIMIT:=12582912}" "${OJ_TRIES:=5}"
for v in OJ_SERVER OJ_TOKEN OJ_COURSE OJ_MODULE; do
  [[ -n ${!v:-} ]] || { echo "submit.sh: set $v (environment or .ojrc)" >&2; exit 2; }
done
[[ $OJ_TOKEN =~ ^[A-Za-z0-9]{8}$ ]] || { echo "submit.sh: OJ_TOKEN must be 8 letters or digits" >&2; exit 2; }
[[ -d $dir ]] || { echo "submit.sh: no directory $dir" >&2; exit 2; }

work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
archive="$work/upload.tar.bz2"

# Pack: with git, exactly the files git would keep (tracked + untracked, not ignored).
# Fixed times and owners: the receipts this script writes under .oj, a `touch` or a
# checkout change no byte of the archive.
pack=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)
if git -C "$dir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$dir" && git ls-files -z --cached --others --exclude-standard -- . ':(exclude).oj' |
    tar "${pack[@]}" --null -T - -cjf "$archive") || { echo "submit.sh: packing failed" >&2; exit 1; }
else
  tar "${pack[@]}" -C "$dir" --exclude=.git --exclude=.oj -cjf "$archive" . ||
    { echo "submit.sh: packing failed" >&2; exit 1; }
fi
size=$(wc -c <"$archive")
if ((size > OJ_LIMIT)); then
  echo "submit.sh: the archive is $size bytes, over the limit of $OJ_LIMIT; remove build outputs or data files" >&2
  exit 1
fi
sha=$(sha256sum "$archive" 2>/dev/null | cut -c1-64)
echo "Packed $dir: $size bytes${sha:+, sha256 $sha}"

# 32 URL-safe characters from the kernel's RNG, one per run (docs/contract.md §3.1).
key=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
attempt=1
while :; do
  out=$(curl --progress-bar -w '\n%{http_code}' -D "$work/headers" -H "Idempotency-Key: $key" \
    -F "token=$OJ_TOKEN" -F "course=$OJ_COURSE" -F "module=$OJ_MODULE" \
    -F "file=@$archive" "$OJ_SERVER/upload")
  rc=$?
  code=$(tail -n 1 <<<"$out")
  line=$(sed '$d' <<<"$out")
  if ((rc == 0)) && [[ $code != 429 && $code != 503 && $code != 000 ]]; then
    break
  fi
  ((attempt >= OJ_TRIES)) && break
  wait=$(tr -d '\r' <"$work/headers" 2>/dev/null | sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p')
  wait=${wait:-$((attempt * 5))}
  echo "${line:-connection failed}; retrying in $wait s (attempt $((attempt + 1)) of $OJ_TRIES)" >&2
  sleep "$wait"
  attempt=$((attempt + 1))
done
echo "$line"
if [[ $code == 200 ]]; then
  hdr() { tr -d '\r' <"$work/headers" | sed -n "s/^$1: *//Ip" | tail -n 1; }
  pos=$(hdr X-OJ-Queue-Position); eta=$(hdr X-OJ-ETA-Seconds); url=$(hdr X-OJ-Result-URL)
  receipt=$(hdr X-OJ-Receipt)
  [[ -n $pos ]] && echo "Queue position: $pos${eta:+, estimated wait: $eta s}"
  echo "Results: ${url:-$OJ_SERVER/oj/$OJ_COURSE/$OJ_MODULE/$OJ_TOKEN}"
  if [[ -n $receipt ]]; then
    id=$(sed -n 's/.*Received \([A-Za-z0-9]*\) at.*/\1/p' <<<"$line")
    mkdir -p "$dir/.oj/receipts" && printf '%s\n' "$receipt" >"$dir/.oj/receipts/$id.receipt" &&
      echo "Receipt: $dir/.oj/receipts/$id.receipt (staff can verify it with ojctl receipt verify)"
  fi
  exit 0
fi
exit 1
