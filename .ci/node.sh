# Sourced by CI scripts: makes `node` at least 22.12, installing Node 24 from the npm registry
# into ~/.cache/node24 when the machine's node is older (these machines ship Node 20).
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null; }
if ! node_ok; then
  node24="$HOME/.cache/node24"
  if [ ! -x "$node24/node_modules/.bin/node" ]; then
    npm install --prefix "$node24" --no-audit --no-fund --loglevel=error node@24 >/dev/null
  fi
  export PATH="$node24/node_modules/.bin:$PATH"
  node_ok || { echo "could not provide Node >= 22.12 (have $(node --version))"; exit 1; }
fi
echo "node $(node --version), npm $(npm --version)"
