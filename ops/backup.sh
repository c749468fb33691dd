#!/bin/bash
# ops/backup.sh: consistent backup and tested restore of the database and the
# submission files.
#
#   ops/backup.sh create  [--config FILE] [--out DIR]      -> DIR/oj-YYYYmmdd-HHMMSS/
#   ops/backup.sh restore [--config FILE] --from BACKUP [--force]
#   ops/backup.sh verify  [--config FILE]                  every row's file present, sha256 right
#
# Order, and why: the database is dumped FIRST, in one consistent snapshot
# (mariadb-dump --single-transaction: an InnoDB read view, no locks, uploads keep
# arriving). Then the files are copied. The upload path fsyncs a file before it
# commits its row, so every row in the dump already has its complete file on disk
# when the copy starts; copying files first would instead miss the files of rows
# committed between the copy and the dump. Files of rows committed after the
# snapshot may be copied too; they are harmless (no row points at them).
# Each copied file is checked against the sha256 its row records.
#
# A backup directory holds: db.sql (the dump), storage/<storage_key> (the files),
# MANIFEST (storage_key and sha256 of every file copied) and INFO (when, from where).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONFIG=${OJ_CONFIG:-}
[[ -z $CONFIG && -f var/oj.toml ]] && CONFIG=var/oj.toml
[[ -z $CONFIG ]] && CONFIG=/etc/oj/oj.toml
OUT=/var/backups/oj
FROM=""
FORCE=0

die() { echo "backup: $*" >&2; exit 1; }
say() { echo "backup: $*" >&2; }

parse_opts() {
  while (($#)); do
    case "$1" in
      --config) CONFIG=$2; shift 2 ;;
      --out) OUT=$2; shift 2 ;;
      --from) FROM=$2; shift 2 ;;
      --force) FORCE=1; shift ;;
      *) die "unknown option '$1' (see the top of ops/backup.sh)" ;;
    esac
  done
  [[ -r $CONFIG ]] || die "cannot read config $CONFIG (pass --config FILE or set OJ_CONFIG)"
}

# Reads the database settings and storage directory from the TOML config (relative
# paths resolve against the config's directory, as the programs do).
load_config() {
  local vars
  vars=$(python3 - "$CONFIG" <<'PY'
import os, shlex, sys, tomllib
path = sys.argv[1]
with open(path, "rb") as f:
    c = tomllib.load(f)
base = os.path.dirname(os.path.abspath(path))
db = c.get("database", {})
paths = c.get("paths", {})
def p(v):
    return v if os.path.isabs(v) else os.path.join(base, v)
out = {
    "DB_HOST": db.get("host", "127.0.0.1"), "DB_PORT": str(db.get("port", 3306)),
    "DB_SOCKET": p(db["socket"]) if db.get("socket") else "", "DB_USER": db.get("user", "oj"),
    "DB_PASSWORD": db.get("password", ""), "DB_NAME": db.get("name", "oj"),
    "STORAGE": p(paths.get("storage_dir", "var/storage")),
}
for k, v in out.items():
    print(f"{k}={shlex.quote(v)}")
PY
  ) || die "cannot parse $CONFIG"
  eval "$vars"
  # Credentials go in a private defaults file, never on the command line (ps shows it).
  DEFAULTS=$(mktemp /tmp/oj-backup.XXXXXX.cnf)
  trap 'rm -f "$DEFAULTS"' EXIT
  chmod 600 "$DEFAULTS"
  {
    echo "[client]"
    echo "user=$DB_USER"
    echo "password=$DB_PASSWORD"
    if [[ -n $DB_SOCKET ]]; then echo "socket=$DB_SOCKET"; else echo "host=$DB_HOST"; echo "port=$DB_PORT"; fi
    echo "default-character-set=utf8mb4"
  } >"$DEFAULTS"
}

db() { mariadb --defaults-extra-file="$DEFAULTS" -N -B "$DB_NAME" "$@"; }

# Checks that each file listed on stdin ("key<TAB>sha256") exists under $1 with
# that hash. Prints the count checked; fails on the first problem.
check_files() {
  python3 -c '
import hashlib, os, sys
root, n, bad = sys.argv[1], 0, []
for line in sys.stdin:
    key, want = line.rstrip("\n").split("\t")
    path = os.path.join(root, key)
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != want:
            bad.append(f"{key}: sha256 differs from its row")
    except OSError as e:
        bad.append(f"{key}: {e.strerror}")
    n += 1
for b in bad[:20]:
    print("backup: " + b, file=sys.stderr)
if bad:
    sys.exit(f"backup: {len(bad)} of {n} files missing or damaged under {root}")
print(n)
' "$1"
}

cmd_create() {
  parse_opts "$@"
  load_config
  local name dir started
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  name="oj-$(date -u +%Y%m%d-%H%M%S)"
  dir="$OUT/$name"
  mkdir -p "$dir.partial/storage"
  chmod 700 "$dir.partial"
  # 1. The database, one consistent snapshot.
  mariadb-dump --defaults-extra-file="$DEFAULTS" --single-transaction --quick --no-tablespaces \
    --routines --triggers --hex-blob --default-character-set=utf8mb4 "$DB_NAME" \
    >"$dir.partial/db.sql" || die "mariadb-dump failed"
  # 2. The files of every row now committed (a superset of the dump's rows).
  db -e "SELECT storage_key, sha256 FROM submissions ORDER BY storage_key" >"$dir.partial/MANIFEST" ||
    die "cannot list submissions"
  local key
  while IFS=$'\t' read -r key _; do
    mkdir -p "$dir.partial/storage/$(dirname "$key")"
    cp --reflink=auto --preserve=timestamps "$STORAGE/$key" "$dir.partial/storage/$key" ||
      die "cannot copy $STORAGE/$key"
  done <"$dir.partial/MANIFEST"
  local n
  n=$(check_files "$dir.partial/storage" <"$dir.partial/MANIFEST")
  printf 'started=%s\nconfig=%s\ndatabase=%s\nstorage=%s\nfiles=%s\n' "$started" \
    "$(realpath "$CONFIG")" "$DB_NAME" "$STORAGE" "$n" >"$dir.partial/INFO"
  sync -f "$dir.partial/db.sql"
  mv "$dir.partial" "$dir"
  say "backup of $DB_NAME and $n files in $dir"
  echo "$dir"
}

cmd_restore() {
  parse_opts "$@"
  load_config
  [[ -n $FROM ]] || die "restore needs --from BACKUP_DIR"
  [[ -f $FROM/db.sql && -f $FROM/MANIFEST && -d $FROM/storage ]] ||
    die "$FROM is not a complete backup (db.sql, MANIFEST, storage/)"
  local have
  # The watchdog's canary submissions are not work to protect: a fresh stack
  # sends its first ones within seconds of starting.
  have=$(db -e "SELECT COUNT(*) FROM submissions WHERE canary = 0" 2>/dev/null ||
    db -e "SELECT COUNT(*) FROM submissions" 2>/dev/null || echo 0)
  if [[ $have != 0 ]] && ((!FORCE)); then
    die "database $DB_NAME already holds $have submissions; restoring replaces every table. Stop the services and pass --force"
  fi
  # Files first, then rows: a row must never point at a file that is not there yet.
  mkdir -p "$STORAGE"
  cp -a --reflink=auto "$FROM/storage/." "$STORAGE/"
  sync -f "$STORAGE"
  db <"$FROM/db.sql" || die "loading $FROM/db.sql failed"
  cmd_verify_loaded
}

cmd_verify_loaded() {
  local n
  n=$(db -e "SELECT storage_key, sha256 FROM submissions" | check_files "$STORAGE")
  say "verified $n submission files in $STORAGE against their rows"
}

cmd_verify() {
  parse_opts "$@"
  load_config
  cmd_verify_loaded
}

case "${1:-}" in
  create) shift; cmd_create "$@" ;;
  restore) shift; cmd_restore "$@" ;;
  verify) shift; cmd_verify "$@" ;;
  *) echo "usage: ops/backup.sh create|restore|verify [--config FILE] [--out DIR] [--from DIR] [--force]" >&2; exit 2 ;;
esac
