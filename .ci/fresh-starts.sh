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
  bash "$work/fresh-start.sh" "$work/repo.git" /root/agent-backend-fresh-start
  rm -rf /root/agent-backend-fresh-start
  id agentci >/dev/null 2>&1 || useradd --create-home --shell /bin/bash agentci
  su - agentci -c "bash '$work/fresh-start.sh' '$work/repo.git' \"\$HOME/agent-backend\""
else
  bash "$work/fresh-start.sh" "$work/repo.git" "$HOME/agent-backend-fresh-start"
fi
