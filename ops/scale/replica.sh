#!/bin/bash
# ops/scale/replica.sh: a private MariaDB primary with GTID binlogs and a read replica of
# it, for tests and for trying the [database] replica_* settings (docs/scaling.md).
#
#   replica.sh primary DIR PORT [BIND]        start a primary (server_id 1, log_bin, ROW)
#   replica.sh replica DIR PORT PRIMARY_SOCK PRIMARY_HOST PRIMARY_PORT [BIND]
#                                             start a replica (server_id 2, read_only): copy
#                                             the oj database with its GTID position, then
#                                             replicate with MASTER_USE_GTID=slave_pos
#   replica.sh resume DIR PORT [BIND]         start a stopped (or killed) replica again on its
#                                             data: replication continues from its GTID position
#   replica.sh status DIR                     Slave_IO/SQL_Running, Seconds_Behind_Master
#   replica.sh stop DIR                       stop the server started in DIR
#
# ops/oj's own MariaDB runs with --no-defaults and no binlog, so it cannot be a primary;
# production primaries set the same options in their my.cnf (docs/scaling.md).
set -euo pipefail
die() { echo "replica.sh: $*" >&2; exit 1; }
user_opt=(); ((EUID == 0)) && user_opt=(--user=root)

start_server() {  # DIR PORT BIND SERVER_ID extra...
  local dir=$1 port=$2 bind=$3 id=$4; shift 4
  mkdir -p "$dir"/{run,log}
  if [[ ! -d $dir/mysql/mysql ]]; then
    mariadb-install-db --no-defaults --datadir="$dir/mysql" "${user_opt[@]}" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/log/install.log" 2>&1 ||
      die "mariadb-install-db failed; see $dir/log/install.log"
  fi
  setsid mariadbd --no-defaults --datadir="$dir/mysql" "${user_opt[@]}" --socket="$dir/run/mysqld.sock" \
    --port="$port" --bind-address="$bind" --pid-file="$dir/run/mysqld.pid" \
    --log-error="$dir/log/mariadb.log" --innodb-buffer-pool-size=64M --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin --performance-schema=OFF \
    --server-id="$id" --log-bin="$dir/mysql/binlog" --binlog-format=ROW --log-slave-updates \
    --gtid-strict-mode=ON "$@" </dev/null >/dev/null 2>&1 &
  for _ in $(seq 300); do
    mariadb-admin --no-defaults --socket="$dir/run/mysqld.sock" -uroot ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "mariadbd in $dir did not answer within 30 s; see $dir/log/mariadb.log"
}

sqlr() { mariadb --no-defaults --socket="$1/run/mysqld.sock" -uroot "${@:2}"; }

case "${1:-}" in
  primary)
    (($# >= 3)) || die "usage: replica.sh primary DIR PORT [BIND]"
    start_server "$2" "$3" "${4:-127.0.0.1}" 1
    pw_file="$2/repl.password"
    [[ -f $pw_file ]] || (umask 077; head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$pw_file")
    sqlr "$2" <<SQL
CREATE USER IF NOT EXISTS 'oj_repl'@'%' IDENTIFIED BY '$(cat "$pw_file")';
GRANT REPLICATION SLAVE ON *.* TO 'oj_repl'@'%';
SQL
    echo "primary up: socket $2/run/mysqld.sock, port $3; replication password in $pw_file" ;;
  replica)
    (($# >= 6)) || die "usage: replica.sh replica DIR PORT PRIMARY_SOCK PRIMARY_HOST PRIMARY_PORT [BIND]"
    dir=$2 port=$3 psock=$4 phost=$5 pport=$6
    pw=$(cat "$(dirname "$(dirname "$psock")")/repl.password") || die "no repl.password beside the primary"
    start_server "$dir" "$port" "${7:-127.0.0.1}" 2 --read-only=ON
    # A consistent copy with its GTID position (--gtid --master-data sets gtid_slave_pos).
    mariadb-dump --no-defaults --socket="$psock" -uroot --single-transaction --gtid --master-data=1 \
      --databases oj >"$dir/seed.sql" 2>"$dir/log/dump.log" || die "dump failed; see $dir/log/dump.log"
    # Loaded without binlogging, so the replica's own binlog holds no GTIDs of its own.
    { echo "SET sql_log_bin = 0;"; cat "$dir/seed.sql"; } | sqlr "$dir"
    rm -f "$dir/seed.sql"
    sqlr "$dir" <<SQL
CHANGE MASTER TO MASTER_HOST='$phost', MASTER_PORT=$pport, MASTER_USER='oj_repl',
  MASTER_PASSWORD='$pw', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
SQL
    echo "replica up: socket $dir/run/mysqld.sock, port $port, replicating $phost:$pport" ;;
  resume)
    (($# >= 3)) || die "usage: replica.sh resume DIR PORT [BIND]"
    [[ -f $2/master.info || -f $2/mysql/master.info ]] || die "$2 holds no replica (run: replica.sh replica ...)"
    start_server "$2" "$3" "${4:-127.0.0.1}" 2 --read-only=ON
    echo "replica resumed: socket $2/run/mysqld.sock, port $3" ;;
  status)
    sqlr "$2" -e 'SHOW SLAVE STATUS\G' | grep -E 'Slave_(IO|SQL)_Running:|Seconds_Behind_Master:|Last_(IO|SQL)_Error:' ;;
  stop)
    pidf="$2/run/mysqld.pid"
    [[ -f $pidf ]] || exit 0
    pid=$(cat "$pidf"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    die "mariadbd $pid did not stop" ;;
  *) die "usage: replica.sh primary|replica|status|stop ... (see the top of this file)" ;;
esac
