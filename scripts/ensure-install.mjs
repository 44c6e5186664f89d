#!/usr/bin/env node
// `npm start` and `npm test` work on a fresh clone: install the npm packages (and build) when
// node_modules is missing or older than package-lock.json. With `--web` (npm start) the web UI is
// built too (web/dist, which `mmkit serve` serves at /). Plain Node, no dependencies.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
if (stale) {
  process.stderr.write('mmkit: installing npm packages (npm ci)...\n');
  // `prepare` compiles src/ into dist/ as part of the install.
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
} else {
  // Keep dist/ in step with src/ for the CLI (bin/mmkit.js runs the compiled code).
  execSync('npm run --silent build:lib', { cwd: root, stdio: 'inherit' });
}
if (process.argv.includes('--web')) {
  process.stderr.write('mmkit: building the web UI (web/dist)...\n');
  execSync('npm run --silent build:web', { cwd: root, stdio: 'inherit' });
}
