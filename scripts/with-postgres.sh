#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 cluster, then stops it and
# deletes it. The cluster listens on a Unix socket in its own folder only (no
# TCP port to pick or to collide on), trusts local connections, and runs as
# the `postgres` user, because PostgreSQL refuses to run as root.
#
#   scripts/with-postgres.sh [--durable] [--core N] [--redis] [--statements] COMMAND ARGS...
#
# The command gets PORTAL_TEST_POSTGRES (a URL of the cluster's `postgres`
# database, for creating databases) and PORTAL_TEST_PGDATA (the data folder).
# With --redis a throwaway redis-server (on a Unix socket in the same folder,
# nothing saved) runs too, and the command gets PORTAL_TEST_REDIS_URL.
# Without --durable the cluster skips fsync: it is thrown away after the
# tests anyway. Benchmarks pass --durable, to measure what a real
# deployment does, and --core 0 to put the database on the server's core;
# --statements loads pg_stat_statements, so a profile can ask the cluster
# what each statement cost (`CREATE EXTENSION pg_stat_statements` first).
set -euo pipefail

durable=false
redis=false
statements=false
pin=()
while [ $# -gt 0 ]; do
  case "$1" in
    --durable) durable=true; shift ;;
    --core) pin=(taskset -c "$2"); shift 2 ;;
    --redis) redis=true; shift ;;
    --statements) statements=true; shift ;;
    *) break ;;
  esac
done

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
  echo "with-postgres: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/portal-pg.XXXXXX)
chmod 755 "$dir"
mkdir "$dir/data"
chown -R postgres:postgres "$dir" 2>/dev/null || true
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop() {
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

as_postgres "$bin/initdb" -D "$dir/data" -A trust -U portal --locale=C.UTF-8 -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
settings="-c listen_addresses= -k $dir -p 5432 -c max_connections=400 -c shared_buffers=256MB"
if [ "$statements" = true ]; then
  settings="$settings -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
fi
if [ "$durable" = false ]; then
  settings="$settings -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
as_postgres ${pin[@]+"${pin[@]}"} "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$settings" -w start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }

if [ "$redis" = true ]; then
  if ! command -v redis-server >/dev/null; then
    echo "with-postgres: redis-server is not installed (scripts/setup.sh installs it)" >&2
    exit 1
  fi
  ${pin[@]+"${pin[@]}"} redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
    --save '' --appendonly no --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do [ -S "$dir/redis.sock" ] && break; sleep 0.1; done
  [ -S "$dir/redis.sock" ] || { cat "$dir/redis.log" >&2; exit 1; }
  export PORTAL_TEST_REDIS_URL="redis+unix://$dir/redis.sock"
fi

export PORTAL_TEST_POSTGRES="postgres://portal@localhost/postgres?host=$dir&port=5432"
export PORTAL_TEST_PGDATA="$dir/data"
"$@"
