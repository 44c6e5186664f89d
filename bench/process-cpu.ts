/**
 * CPU time (user + system) a process and its descendants have used so far, from Linux's /proc, in
 * microseconds; undefined elsewhere. Per request, it says what each server costs regardless of how
 * busy the machine is, which requests/s on a shared machine cannot. The kernel counts in clock ticks
 * (usually 10 ms), so it is only meaningful over many requests.
 */
import { readdirSync, readFileSync } from 'node:fs';

const MICROSECONDS_PER_TICK = 10_000;

function descendants(pid: number): number[] {
  const found = [pid];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    } catch {
      continue;
    }
    for (const child of children === '' ? [] : children.split(' ')) found.push(...descendants(Number(child)));
  }
  return found;
}

function ticksOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export function processTreeCpuMicroseconds(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  return descendants(pid).reduce((sum, each) => sum + ticksOf(each), 0) * MICROSECONDS_PER_TICK;
}
