#!/usr/bin/env bash
# Make sure the servers the scaled-out deployment and its tests need are running on this machine:
# PostgreSQL on 127.0.0.1:5432 (user postgres, trust on loopback) and NATS with JetStream on
# 127.0.0.1:4222. Installs them from Debian's packages when absent (needs root), starts them when
# stopped, and does nothing when they already answer.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "services.sh: $* missing and not root; install it" >&2; return 1; fi
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
  listening 5432 && return 0
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  local version; version=$(ls /etc/postgresql | sort -V | tail -n 1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 50); do listening 5432 && return 0; sleep 0.2; done
  echo "services.sh: PostgreSQL did not start" >&2; return 1
}

start_nats() {
  listening 4222 && return 0
  command -v nats-server >/dev/null || apt_install nats-server
  local dir=/var/lib/nats-server; mkdir -p "$dir"
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd "$dir" -l /var/log/nats-server.log
  for _ in $(seq 1 50); do listening 4222 && return 0; sleep 0.2; done
  echo "services.sh: NATS did not start" >&2; return 1
}

start_postgres
start_nats
echo "services: PostgreSQL 127.0.0.1:5432 and NATS JetStream 127.0.0.1:4222 are up"
