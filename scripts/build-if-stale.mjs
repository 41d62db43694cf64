// `npm start` runs this first: it builds only when dist/ is missing or older than what it is
// built from, so a start after no change costs nothing extra.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
