#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL server for the test suite.
#
#   pg-harness.sh start INFO_FILE   initdb in a new /tmp directory, start the server on a
#                                   unix socket there and on 127.0.0.1:<free port>, and
#                                   write "host=<socket dir> port=<port>" to INFO_FILE
#   pg-harness.sh stop INFO_FILE    stop that server and remove its directory
#
# Uses Debian's postgresql package (newest version installed). The server runs as the
# invoking user, or as "postgres" when invoked as root (PostgreSQL refuses to run as root).
# Authentication is "trust" on loopback only; the superuser is "postgres".
set -euo pipefail

cmd=${1:?usage: pg-harness.sh start|stop INFO_FILE}
info=${2:?usage: pg-harness.sh start|stop INFO_FILE}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ]; then
  echo "pg-harness: PostgreSQL server binaries not found; run scripts/setup.sh" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_server() {
  local dir=$1
  if [ -d "$dir/data" ]; then
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "$cmd" in
  start)
    if [ -f "$info" ]; then
      old=$(sed -n 's/^host=\([^ ]*\).*/\1/p' "$info")
      [ -n "$old" ] && stop_server "$old"
      rm -f "$info"
    fi
    dir=$(mktemp -d /tmp/roadside-pg.XXXXXX)
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    as_owner "$pgbin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=$dir port=$port" >"$info"
    echo "pg-harness: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on $dir (unix socket) and 127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$info" ]; then
      dir=$(sed -n 's/^host=\([^ ]*\).*/\1/p' "$info")
      [ -n "$dir" ] && stop_server "$dir"
      rm -f "$info"
    fi
    echo "pg-harness: stopped"
    ;;
  *)
    echo "usage: pg-harness.sh start|stop INFO_FILE" >&2
    exit 2
    ;;
esac
