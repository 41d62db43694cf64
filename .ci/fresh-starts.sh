#!/usr/bin/env bash
# Runs fresh-start.sh for the two users the README promises: root, in a checkout under /root
# (mode 700: the postgres user cannot reach it), and a normal user in its home.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/.." && pwd)"
work="$(mktemp -d /tmp/fresh-start.XXXXXX)"
trap 'rm -rf "$work"' EXIT
git -c safe.directory='*' clone -q --bare "$src" "$work/repo.git"
cp "$here/fresh-start.sh" "$here/node.sh" "$work/"
chmod -R a+rX "$work"

if [ "$(id -u)" -eq 0 ]; then
  bash "$work/fresh-start.sh" "$work/repo.git" "$(mktemp -u /root/agent-backend-fresh.XXXXXX)"
  id agentci >/dev/null 2>&1 || useradd --create-home --shell /bin/bash agentci
  # The machine's npm settings (registry, CA file) live in root's ~/.npmrc: give the user the same.
  chown -R agentci "$work/repo.git" # git refuses to read a repository another user owns
  if [ -f /root/.npmrc ]; then install -o agentci -m 600 /root/.npmrc ~agentci/.npmrc; fi
  su - agentci -c "NODE_EXTRA_CA_CERTS='${NODE_EXTRA_CA_CERTS:-}' bash '$work/fresh-start.sh' '$work/repo.git' \"\$HOME/agent-backend\""
else
  bash "$work/fresh-start.sh" "$work/repo.git" "$(mktemp -u "$HOME/agent-backend-fresh.XXXXXX")"
fi
