#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the store tests; prints the export line.
# Usage: eval "$(scripts/postgres.sh start)"   ...   scripts/postgres.sh stop
# Installs Debian's postgresql package when no server binaries exist and we are root.
set -euo pipefail
PORT="${TALENT_PG_PORT:-54329}"
STATE="${TALENT_PG_DIR:-/tmp/talent-pg-$PORT}"

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ -z "$(pg_bin)" ]; then
      if [ "$(id -u)" = 0 ]; then
        echo "installing postgresql from Debian's packages..." >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
      else
        echo "PostgreSQL server binaries not found; install Debian's 'postgresql' package" >&2
        exit 1
      fi
    fi
    BIN="$(pg_bin)"
    if [ -f "$STATE/postmaster.pid" ]; then as_owner "$BIN/pg_ctl" -D "$STATE" -m fast stop >&2 || true; fi
    rm -rf "$STATE" && mkdir -p "$STATE"
    [ "$(id -u)" = 0 ] && chown postgres "$STATE"
    as_owner "$BIN/initdb" -D "$STATE" -A trust -U postgres -E UTF8 >/dev/null
    as_owner "$BIN/pg_ctl" -D "$STATE" -l "$STATE/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE -c fsync=off" start >&2
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres talent_test
    echo "export TALENT_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/talent_test"
    ;;
  stop)
    BIN="$(pg_bin)"
    [ -f "$STATE/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$STATE" -m fast stop >&2
    rm -rf "$STATE"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
