#!/usr/bin/env bash
# Starts `roadside serve` on the embedded SQLite database in .demo/ and prints where it
# listens. Runs until Ctrl-C.
set -euo pipefail

bin=${1:-build/dev/src/cli/roadside}
demo_dir=${ROADSIDE_DEMO_DIR:-.demo}
port=${ROADSIDE_DEMO_HEALTH_PORT:-5588}
mkdir -p "$demo_dir"
log="$demo_dir/serve.log"

start() {
  : >"$log"
  "$bin" serve --data-dir "$demo_dir/data" --health-port "$1" >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    grep -q '"msg":"started"' "$log" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

if ! start "$port"; then
  if grep -q "cannot listen" "$log"; then
    echo "Port $port is busy; letting the system pick a free one."
    start 0 || { cat "$log"; exit 1; }
  else
    cat "$log"
    exit 1
  fi
fi
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; echo; echo "Roadside stopped."' EXIT
trap 'exit 0' INT TERM

port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$log" | head -n 1)
base="http://127.0.0.1:$port"
version=$("$bin" version)

cat <<BANNER

  $version is running (pid $pid) on the embedded SQLite database
  $demo_dir/data/roadside.db

  liveness    $base/livez     -> $(curl -s "$base/livez")
  readiness   $base/readyz    -> $(curl -s -o /dev/null -w '%{http_code}' "$base/readyz") $(curl -s "$base/readyz")
  metrics     $base/metrics   ($(curl -s "$base/metrics" | grep -vc '^#') series)

  Effective configuration:  $bin config show --data-dir $demo_dir/data
  Logs (JSON lines):        tail -f $log

  Not ready yet, and it says why: the message exchange arrives with the next issues.
  Press Ctrl-C to stop.

BANNER
wait "$pid"
