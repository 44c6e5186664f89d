/**
 * The process's peak resident memory (`VmHWM` in /proc/self/status), which is what a QLoRA run
 * saves against fp32; null where there is no /proc (macOS, Windows).
 */
import { readFileSync } from 'node:fs';

export function peakResidentBytes(statusFile = '/proc/self/status'): number | null {
  let status: string;
  try {
    status = readFileSync(statusFile, 'utf8');
  } catch {
    return null;
  }
  const match = /^VmHWM:\s*(\d+)\s*kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}
