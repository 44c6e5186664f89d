import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withRepoLock } from './repo-lock.ts';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'mmkit-lock-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

describe('withRepoLock', () => {
  it('runs one holder at a time and removes the lock afterwards', async () => {
    const lock = join(folder, '.lock');
    const order: string[] = [];
    let waits = 0;
    let firstWait = () => {};
    const waited = new Promise<void>((resolve) => {
      firstWait = resolve;
    });
    const hold = (name: string, body: () => Promise<void>) =>
      withRepoLock(
        lock,
        {
          pollMs: 10,
          onWait: () => {
            waits++;
            firstWait();
          },
        },
        async () => {
          order.push(`${name} in`);
          await body();
          order.push(`${name} out`);
        },
      );
    // A holder that gets the lock first keeps it until the other has had to wait for it, however slow
    // the machine; which of the two starts first is up to the file system.
    await Promise.all([hold('a', () => waited), hold('b', () => waited)]);
    const [first, second] = order[0] === 'a in' ? ['a', 'b'] : ['b', 'a'];
    expect(order).toEqual([`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock left by a process that died', async () => {
    const lock = join(folder, '.lock');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), token: 'old' }));
    expect(await withRepoLock(lock, { pollMs: 10 }, async () => 'ran')).toBe('ran');
  });

  it('stops waiting when its signal aborts', async () => {
    const lock = join(folder, '.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'held' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('gave up')), 50);
    await expect(withRepoLock(lock, { pollMs: 10, signal: controller.signal }, async () => 'ran')).rejects.toThrow(
      'gave up',
    );
    expect(existsSync(lock)).toBe(true); // someone else's lock is left alone
  });
});
