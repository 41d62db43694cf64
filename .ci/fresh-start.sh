#!/usr/bin/env bash
# The README's two commands on a fresh clone with no settings: `npm install && npm start`,
# then a second `npm start` that must reuse the data (an account made in the first start logs
# in during the second) and exit cleanly on SIGTERM within 10 s.
# Usage: fresh-start.sh <git repo to clone> <directory to clone into>. Runs as the calling user.
set -euo pipefail
repo="$1" dir="$2"
source "$(dirname "$0")/node.sh"
rm -rf "$dir"
git -c safe.directory='*' clone -q "$repo" "$dir"
cd "$dir"
npm install --no-audit --no-fund --loglevel=error >/dev/null
port=$((20000 + RANDOM % 20000))
log="$dir/start.log"
pid=""
# Whatever fails, leave no server (or its embedded PostgreSQL) running.
trap '[ -n "$pid" ] && kill -TERM -- -"$pid" 2>/dev/null; true' EXIT

start() {
  local label="$1" started=$(date +%s)
  # setsid: SIGTERM goes to the whole group (npm and the node it started), as Ctrl-C would.
  env -u DATABASE_URL API_PORT="$port" API_HOST=127.0.0.1 LOG_LEVEL=info setsid npm start >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$port/api/ready" >/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "$label: server exited early"; tail -50 "$log"; exit 1; }
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/api/ready" >/dev/null || { echo "$label: not ready within 60 s"; tail -50 "$log"; kill -9 -- -"$pid"; exit 1; }
  echo "$label ($(id -un)): ready in $(( $(date +%s) - started )) s"
  datadir=$(grep -o 'data in [^)"]*' "$log" | tail -1 | cut -c9-)
}

stop() {
  local label="$1"
  kill -TERM -- -"$pid"
  # npm may return before the server it started has drained: wait for the whole group, and for
  # the embedded PostgreSQL, which the server stops last.
  for _ in $(seq 1 100); do
    if ! kill -0 -- -"$pid" 2>/dev/null && ! pgrep -f -- "-D $datadir " >/dev/null; then break; fi
    sleep 0.1
  done
  if kill -0 -- -"$pid" 2>/dev/null; then echo "$label: still running 10 s after SIGTERM"; kill -9 -- -"$pid"; exit 1; fi
  wait "$pid" || true
  pid=""
  if pgrep -f -- "-D $datadir " >/dev/null; then echo "$label: embedded PostgreSQL outlived the server by 10 s"; exit 1; fi
}

api() { curl -sf -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/$1" -d "$2" >/dev/null; }
account='{"email":"fresh@example.com","username":"fresh","password":"a-long-enough-password-1"}'

start "first start"
api auth/register "$account" || { echo "register failed"; tail -20 "$log"; exit 1; }
stop "first start"
start "second start"
api auth/login '{"email":"fresh@example.com","password":"a-long-enough-password-1"}' || { echo "second start lost the account"; tail -20 "$log"; exit 1; }
stop "second start"
echo "embedded PostgreSQL data in $datadir"
cd / && rm -rf "$datadir" "$datadir.password" "$dir"
