#!/usr/bin/env bash
# Make sure the local PostgreSQL server the SQL and ledger tests use is up (127.0.0.1:5432, trust
# auth, database "test"). Installs nothing: when the server runs, this is a no-op; when it is
# installed but stopped, it starts the cluster; when it is not installed, it says so and fails
# (the PostgreSQL tests then skip with the reason).
set -euo pipefail

ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! ready; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /etc/postgresql ]; then
    echo "ensure-postgres: PostgreSQL is not installed (no pg_ctlcluster or /etc/postgresql)" >&2
    exit 1
  fi
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do
    ready && break
    sleep 1
  done
  if ! ready; then
    echo "ensure-postgres: PostgreSQL $version did not accept connections on 127.0.0.1:5432" >&2
    exit 1
  fi
fi

# the tests connect as postgres (or root) to the database "test": create it when missing
for user in postgres root; do
  if psql -h 127.0.0.1 -U "$user" -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
    if [ "$(psql -h 127.0.0.1 -U "$user" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != "1" ]; then
      createdb -h 127.0.0.1 -U "$user" test
    fi
    exit 0
  fi
done
echo "ensure-postgres: the server runs but neither postgres nor root can connect" >&2
exit 1
