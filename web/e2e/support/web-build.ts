/**
 * The e2e tests run against web/dist: build it when it is missing or older than its sources.
 * Test files run in parallel, so a lock directory makes one build and the others wait for it.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const webRoot = fileURLToPath(new URL('../..', import.meta.url));
export const distDir = join(webRoot, 'dist');

function newestSourceMs(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestSourceMs(join(path, name))));
}

function isFresh(): boolean {
  const built = join(distDir, 'index.html');
  if (!existsSync(built)) return false;
  const sources = ['src', 'index.html', 'vite.config.ts'].map((name) => newestSourceMs(join(webRoot, name)));
  return statSync(built).mtimeMs >= Math.max(...sources);
}

export async function ensureWebBuilt(): Promise<void> {
  const lock = join(webRoot, '.build-lock');
  for (;;) {
    if (isFresh()) return;
    try {
      mkdirSync(lock);
    } catch {
      // Another test file is building (or a crashed one left the lock): wait, then check again.
      const lockedAt = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - lockedAt > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      if (!isFresh()) await build({ configFile: join(webRoot, 'vite.config.ts'), logLevel: 'warn' });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
