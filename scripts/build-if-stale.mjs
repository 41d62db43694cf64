// `npm start` runs this first: it builds only when dist/ is missing or older than what it is
// built from, so a start after no change costs nothing extra.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// An older Node fails later in obscure ways (a native module built for another Node can even
// crash at load): say what is needed instead, before building or starting.
const required = JSON.parse(readFileSync('package.json', 'utf8')).engines.node.match(/(\d+)\.(\d+)/).slice(1).map(Number);
const running = process.versions.node.split('.').map(Number);
if (running[0] < required[0] || (running[0] === required[0] && running[1] < required[1])) {
  process.stderr.write(`Node ${required.join('.')} or newer is needed (this is ${process.version}); see README "Run it" to install Node 24.\n`);
  process.exit(1);
}

const inputs = ['src', 'migrations', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', '.swcrc'];
const output = 'dist/src/main.js';

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

const built = existsSync(output) ? statSync(output).mtimeMs : 0;
if (built < Math.max(...inputs.map(newest))) {
  process.stdout.write(built ? 'Sources changed since the last build: building…\n' : 'No build yet: building…\n');
  execSync('npm run build', { stdio: 'inherit' });
}
