#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `postgres.sh start DIR PORT` makes a cluster in DIR (trust authentication,
# only 127.0.0.1:PORT, no Unix socket outside DIR) and starts it; `postgres.sh stop DIR` stops it and removes DIR.
# As root (CI), the server runs as the postgres user Debian's package created. Prints the URL for
# SAMENSPRAAK_POSTGRES_URL. max_connections is high because every test school holds its own three connections
# (SAMENSPRAAK_TEST_DATABASE=postgres) and a suite's tests all run at once.
set -euo pipefail
command=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $command in
  start)
    port=$3
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_postgres "$bin/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null
    as_postgres "$bin/pg_ctl" -D "$dir" -w -l "$dir/server.log" \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=1000" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_postgres "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
esac
