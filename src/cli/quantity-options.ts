/**
 * Option parsers for durations (`--keep-alive 5m`) and byte sizes (`--memory-budget 8G`), with the
 * units Ollama's `OLLAMA_KEEP_ALIVE` and `docker --memory` use. Bad values fail in one line.
 */
import { InvalidArgumentError } from 'commander';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Milliseconds from `300ms`, `30s`, `5m`, `1h`, or a bare number of seconds; `0` is zero and a
 * negative value means never (kept as -1).
 */
export function durationOption(flag: string): (value: string) => number {
  return (value: string) => {
    const match = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value);
    if (!match) {
      throw new InvalidArgumentError(`${flag} must be a duration such as 30s, 5m, 1h, 0 or -1 (never), got '${value}'`);
    }
    const amount = Number(match[1]);
    if (amount < 0) return -1;
    return Math.round(amount * DURATION_UNITS[(match[2] ?? 's').toLowerCase()]!);
  };
}

/** Bytes from `512M`, `8G`, `8GB`, `1.5g`, or a bare number of bytes (powers of 1024). */
export function byteSizeOption(flag: string): (value: string) => number {
  return (value: string) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
    const bytes = match ? Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!) : Number.NaN;
    if (!match || bytes <= 0) {
      throw new InvalidArgumentError(`${flag} must be a size such as 512M or 8G, got '${value}'`);
    }
    return bytes;
  };
}
