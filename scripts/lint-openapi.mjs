// `npm run openapi:lint` (and CI): Redocly's recommended ruleset (redocly.yaml) over openapi.json.
// `redocly lint` exits 0 on warnings; this fails on any error or warning. It needs no network:
// telemetry and the update check are off.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const spec = process.argv[2] ?? 'openapi.json';
const cli = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin/cli.js');
const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
const lint = (format) => spawnSync(process.execPath, [cli, 'lint', spec, `--format=${format}`], { env, encoding: 'utf8' });

const report = lint('json');
let totals;
try {
  totals = JSON.parse(report.stdout).totals;
} catch {
  process.stderr.write(`redocly lint failed to run:\n${report.stderr}${report.stdout}`);
  process.exit(1);
}
if (totals.errors > 0 || totals.warnings > 0) {
  const readable = lint('stylish');
  process.stdout.write(readable.stdout + readable.stderr);
  process.stderr.write(`${spec}: ${totals.errors} errors, ${totals.warnings} warnings (none allowed)\n`);
  process.exit(1);
}
process.stdout.write(`${spec}: 0 errors, 0 warnings (${totals.ignored} ignored in .redocly.lint-ignore.yaml)\n`);
