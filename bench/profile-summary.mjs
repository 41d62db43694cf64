// Summarises a V8 .cpuprofile (node --cpu-prof): top functions by self time and by inclusive
// time, and self time by package (node_modules/<pkg>, our dist/src files, node internals).
// Samples before --skip-ms (start-up) are dropped, or all but the last --last-ms. Prints markdown.
// The last table lists our own functions (dist/src) by inclusive time: where the project's code
// spends, callees included.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [--top 25] [--skip-ms 0 | --last-ms N]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const TOP = opt('top', 25);
const SKIP_MS = opt('skip-ms', 0);
const LAST_MS = opt('last-ms', 0);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top 25] [--skip-ms 0]');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Time per sample = the delta that follows it (V8's timeDeltas are before each sample).
const selfUs = new Map();
const from = LAST_MS ? profile.endTime - LAST_MS * 1000 : profile.startTime + SKIP_MS * 1000;
let t = profile.startTime;
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i];
  const dt = profile.timeDeltas[i + 1] ?? 0;
  if (t < from) continue;
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  total += dt;
}

function where(cf) {
  const url = cf.url ?? '';
  const mod = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (mod) return mod[1];
  if (url.includes('/dist/src/')) return `ours:${url.split('/dist/src/')[1]}`;
  if (url.startsWith('node:')) return 'node core';
  if (!url) return cf.functionName.startsWith('(') ? cf.functionName : 'native';
  return url;
}
const label = (cf) => `${cf.functionName || '(anonymous)'} ${where(cf)}${cf.lineNumber >= 0 ? `:${cf.lineNumber + 1}` : ''}`;

const bySelf = new Map();
const byPackage = new Map();
const inclusive = new Map();
for (const [id, us] of selfUs) {
  const cf = nodes.get(id).callFrame;
  const key = label(cf);
  bySelf.set(key, (bySelf.get(key) ?? 0) + us);
  const pkg = where(cf).replace(/^ours:.*/, 'ours (dist/src)');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  // Inclusive: credit every distinct frame on the stack once.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = label(nodes.get(cur).callFrame);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}

const pct = (us) => `${((100 * us) / total).toFixed(1)} %`;
const ms = (us) => (us / 1000).toFixed(0);
const table = (title, map, n) => {
  console.log(`\n### ${title}\n\n| ms | share | frame |\n|---|---|---|`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`| ${ms(us)} | ${pct(us)} | \`${k}\` |`);
};
console.log(`profile ${file}: ${(total / 1000).toFixed(0)} ms sampled (${LAST_MS ? `last ${LAST_MS} ms` : `after skipping ${SKIP_MS} ms`})`);
table('Self time by package', byPackage, TOP);
table('Self time by function', bySelf, TOP);
table('Inclusive time by function (excluding (root)/(program))', new Map([...inclusive].filter(([k]) => !k.startsWith('(root)'))), TOP);
table('Inclusive time of our own functions (dist/src)', new Map([...inclusive].filter(([k]) => k.includes(' ours:'))), TOP);
