// Preload for the server under test (`node --require ./bench/query-trace.cjs dist/src/main.js`):
// counts the SQL statements each HTTP request sends before its response's first byte.
// Every pg round trip (TypeORM, the LangGraph checkpointer, BEGIN/COMMIT) goes through
// pg.Client#query; a request's async context (AsyncLocalStorage) carries it into them, so
// background work of other requests does not count. Writes one JSON line per request to
// QUERY_TRACE_FILE when its first byte goes out: {method, url, queries: [sql, ...]}, and one
// 1 s after its response ended: {method, url, total, after: [sql, ...]} (everything the request
// started, a streamed reply's agent run and final writes included).
// Bench-only instrumentation; not loaded by the server itself.
'use strict';
const { AsyncLocalStorage } = require('node:async_hooks');
const fs = require('node:fs');
const http = require('node:http');
const pg = require('pg');

const file = process.env.QUERY_TRACE_FILE;
if (!file) throw new Error('query-trace: set QUERY_TRACE_FILE');
const als = new AsyncLocalStorage();

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function tracedQuery(config, ...rest) {
  const trace = als.getStore();
  if (trace) {
    const text = String(typeof config === 'string' ? config : config?.text).replace(/\s+/g, ' ').slice(0, 160);
    (trace.sent ? trace.after : trace.queries).push(text);
  }
  return query.call(this, config, ...rest);
};

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function tracedEmit(event, req, res, ...rest) {
  if (event !== 'request') return emit.call(this, event, req, res, ...rest);
  const trace = { method: req.method, url: req.url, queries: [], after: [], sent: false };
  res.__trace = trace;
  res.once('finish', () => {
    setTimeout(() => {
      const total = trace.queries.length + trace.after.length;
      fs.appendFileSync(file, `${JSON.stringify({ method: trace.method, url: trace.url, total, after: trace.after })}\n`);
    }, 1000).unref();
  });
  return als.run(trace, () => emit.call(this, event, req, res, ...rest));
};

// The first bytes of a response leave through _writeRaw (headers flushed or first body write).
const writeRaw = http.OutgoingMessage.prototype._writeRaw;
http.OutgoingMessage.prototype._writeRaw = function tracedWriteRaw(...args) {
  const trace = this.__trace;
  if (trace && !trace.sent) {
    trace.sent = true;
    fs.appendFileSync(file, `${JSON.stringify({ method: trace.method, url: trace.url, queries: trace.queries })}\n`);
  }
  return writeRaw.apply(this, args);
};
