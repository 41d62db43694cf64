// Preload for the server under test (`node --require ./bench/cpu-profile.cjs dist/src/main.js`):
// SIGUSR2 starts a V8 CPU profile, the next SIGUSR2 writes it to CPU_PROFILE_DIR, so a profile
// covers the measured replies only (no start-up, no warm-up). Bench-only instrumentation.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Session } = require('node:inspector');

const dir = process.env.CPU_PROFILE_DIR;
if (!dir) throw new Error('cpu-profile: set CPU_PROFILE_DIR');
const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) return process.stderr.write(`cpu-profile: ${error.message}\n`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `replies-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
  });
});
