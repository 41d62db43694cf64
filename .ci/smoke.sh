#!/usr/bin/env bash
# Starts the built server twice with DATABASE_URL unset (embedded PostgreSQL, data reused),
# waits for 200 on /api/ready, then checks SIGTERM exits cleanly within 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir="$(mktemp -d)"
chmod 755 "$data_dir"
port=$((20000 + RANDOM % 20000))
log="$(mktemp)"

run_once() {
  local label="$1" started pid code
  started=$(date +%s%N)
  env -u DATABASE_URL API_PORT="$port" API_HOST=127.0.0.1 EMBEDDED_DB_DIR="$data_dir/pg" LOG_LEVEL=warn \
    node dist/src/main.js >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$port/api/ready" >/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "server exited early"; cat "$log"; exit 1; fi
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/api/ready" >/dev/null || { echo "not ready within 60 s"; cat "$log"; kill -9 "$pid"; exit 1; }
  echo "$label: ready in $(( ($(date +%s%N) - started) / 1000000 )) ms"

  started=$(date +%s%N)
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "$label: still running 10 s after SIGTERM"; kill -9 "$pid"; exit 1; fi
  code=0; wait "$pid" || code=$?
  echo "$label: exited $code in $(( ($(date +%s%N) - started) / 1000000 )) ms after SIGTERM"
  [ "$code" -eq 0 ] || { cat "$log"; exit 1; }
}

run_once "first start"
run_once "second start (data reused)"
rm -rf "$data_dir" "$log"
