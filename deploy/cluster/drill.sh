#!/usr/bin/env bash
# Bring up the cluster of docs/SCALING.md on this machine and run its failover drill
# (bench/cluster_drill.py): private PostgreSQL primary and replica, Redis, two gunicorn
# nodes and haproxy on free loopback ports, all stopped and removed afterwards.
# Installs haproxy (and Redis, PostgreSQL) with apt-get when absent, as CI does.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=""
command -v haproxy >/dev/null 2>&1 || missing="$missing haproxy"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v pgbouncer >/dev/null 2>&1 || missing="$missing pgbouncer"
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The packages' own services are not wanted (the drill starts private instances):
  # Debian's policy-rc.d hook keeps the install from starting them.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq $missing >/dev/null
fi
timeout 540 .venv/bin/python bench/cluster_drill.py "$@"
