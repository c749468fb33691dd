#!/bin/bash
# Installs every Debian package the build, the stack and the tests need.
# Idempotent: asks apt only for what is missing. Nothing comes from anywhere else.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libfcgi-dev libmysqlcppconn-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libtomlplusplus-dev libcli11-dev libssl-dev libarchive-dev libgtest-dev googletest
  libcurl4-openssl-dev libseccomp-dev
  # the stack
  nginx mariadb-server mariadb-client libjs-bootstrap5 bubblewrap
  # tests, load and benchmarks
  python3 python3-pymysql curl parallel wrk chromium bzip2 tar iproute2 procps psmisc util-linux
  prometheus  # promtool: /metrics and ops/prometheus rules are checked with it
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=()
((EUID == 0)) || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged services; the project runs its own private instances.
# Stop them: they are not used, and their memory is better left to ours.
for svc in nginx mariadb prometheus; do
  "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
done
