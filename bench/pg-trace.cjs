// Preload for profiling only: appends one line per PostgreSQL query the server sends
// (`<epoch ms with µs> <first 160 chars of the SQL, one line>`) to PG_TRACE_FILE, so the
// queries of one request can be counted against its own timestamps (e.g. before the first
// SSE byte). Patches pg's Client#query of the server's own node_modules.
// Usage: PG_TRACE_FILE=/tmp/q.log node --require ./bench/pg-trace.cjs dist/src/main.js
const fs = require('node:fs');
const pg = require(require.resolve('pg', { paths: [process.cwd()] }));
const file = process.env.PG_TRACE_FILE;
if (file) {
  const fd = fs.openSync(file, 'a');
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function query(config, ...rest) {
    const text = typeof config === 'string' ? config : config?.text;
    if (text) fs.writeSync(fd, `${(performance.timeOrigin + performance.now()).toFixed(3)} ${text.replace(/\s+/g, ' ').slice(0, 160)}\n`);
    return original.call(this, config, ...rest);
  };
}
