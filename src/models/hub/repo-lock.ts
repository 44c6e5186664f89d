/**
 * One writer per cached repo. Concurrent pulls of the same repo (two terminals, a server and a
 * CLI) would otherwise append to the same partial file; the second one waits here, then finds the
 * files already in place. A lock left by a process that died is taken over.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheWriteFailure } from './disk-errors.ts';

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

export interface LockOptions {
  signal?: AbortSignal | undefined;
  /** Called once when another process holds the lock and we start waiting. */
  onWait?: ((ownerPid: number) => void) | undefined;
  pollMs?: number;
}

export async function withRepoLock<T>(lockPath: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
  const token = await acquire(lockPath, options);
  try {
    return await work();
  } finally {
    await release(lockPath, token);
  }
}

async function acquire(lockPath: string, options: LockOptions): Promise<string> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  let waited = false;
  try {
    await mkdir(dirname(lockPath), { recursive: true });
  } catch (error) {
    throw cacheWriteFailure(error, dirname(lockPath));
  }
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return owner.token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cacheWriteFailure(error, lockPath);
    }
    const holder = await readOwner(lockPath);
    if (holder === 'stale') {
      await rm(lockPath, { force: true });
      continue;
    }
    // A lock caught half-written has no owner to report yet; report the wait once one can be read.
    if (!waited && holder) {
      options.onWait?.(holder.pid);
      waited = true;
    }
    await sleep(options.pollMs ?? 100, undefined, { signal: options.signal }).catch(() =>
      options.signal?.throwIfAborted(),
    );
  }
}

/** The lock's owner, `'stale'` when it is gone, or undefined while it is being written. */
async function readOwner(lockPath: string): Promise<LockOwner | 'stale' | undefined> {
  try {
    const text = await readFile(lockPath, 'utf8');
    const holder = JSON.parse(text) as LockOwner;
    if (holder.host === hostname() && !isAlive(holder.pid)) return 'stale';
    return holder;
  } catch {
    // Empty or half-written: a crash between create and write leaves it so; give a writer 10 s.
    const info = await stat(lockPath).catch(() => undefined);
    return info && Date.now() - info.mtimeMs > 10_000 ? 'stale' : undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const text = await readFile(lockPath, 'utf8').catch(() => '');
  if (text.includes(token)) await rm(lockPath, { force: true });
}
