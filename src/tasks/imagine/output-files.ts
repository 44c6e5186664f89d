/**
 * Output names `gen_<timestamp>_<i>.png` (the seed's, local time `YYYYMMDDHHMMSS`, i from 1) that
 * never overwrite: each file is written under a temporary name, then hard-linked to its final name,
 * which fails if the name exists (then `_2`, `_3`… is tried). No half-written file ever carries a
 * final name, and two processes writing in the same second cannot clobber each other.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';

export function timestampName(date: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`;
}

/** Writes `bytes` as `gen_<timestamp>_<index>.png` (or a suffixed name) in `directory`; returns the path. */
export async function writeNewPng(
  directory: string,
  timestamp: string,
  index: number,
  bytes: Uint8Array,
): Promise<string> {
  const temporary = join(directory, `.gen-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(directory, { recursive: true });
    await writeFile(temporary, bytes, { flag: 'wx' });
    for (let attempt = 1; ; attempt++) {
      const path = join(directory, `gen_${timestamp}_${index}${attempt > 1 ? `_${attempt}` : ''}.png`);
      try {
        await link(temporary, path).catch(async (error: NodeJS.ErrnoException) => {
          // File systems without hard links: an exclusive create is still collision-free.
          if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV'].includes(error.code ?? '')) throw error;
          await writeFile(path, bytes, { flag: 'wx' });
        });
        return path;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 1000) throw error;
      }
    }
  } catch (error) {
    throw new MmkitError(`cannot write images into ${directory}: ${describeError(error)}`, {
      code: 'output_unwritable',
      param: 'out',
      cause: error,
    });
  } finally {
    await rm(temporary, { force: true });
  }
}
