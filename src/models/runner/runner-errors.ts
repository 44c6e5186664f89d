/** The runner's own failures, as one-line `MmkitError`s the server maps to HTTP statuses. */
import { describeError, MmkitError } from '../../errors.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of what the runner printed, for its last words. */
  output: string;
}

/** Why a process ended, in words: out-of-memory deaths get named as such. */
export function describeExit(exit: ExitInfo): string {
  const outOfMemory = /heap out of memory|Allocation failed|std::bad_alloc|out of memory/i.test(exit.output);
  if (outOfMemory) return 'it ran out of memory';
  if (exit.signal === 'SIGKILL') return 'it was killed by SIGKILL (often the system running out of memory)';
  if (exit.signal) return `it was killed by ${exit.signal}`;
  const lastLine = lastMeaningfulLine(exit.output);
  return `it exited with code ${exit.code ?? 'unknown'}${lastLine ? ` (${lastLine})` : ''}`;
}

function lastMeaningfulLine(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('at ') && !line.startsWith('Node.js v'));
  const errorLine = [...lines].reverse().find((line) => /error/i.test(line));
  const chosen = errorLine ?? lines.at(-1);
  return chosen === undefined ? undefined : chosen.slice(0, 200);
}

export function runnerCrashed(key: string, during: string, exit: ExitInfo): MmkitError {
  return new MmkitError(
    `the runner for ${key} stopped unexpectedly during ${during}: ${describeExit(exit)}; the next request starts it again`,
    { code: 'runner_crashed', type: 'runtime_error', status: 500 },
  );
}

export function unsendable(key: string, method: string, error: unknown): MmkitError {
  return new MmkitError(
    `the arguments of ${method}() cannot be sent to the runner for ${key}: ${describeError(error)}`,
    {
      code: 'runner_unserializable',
      type: 'invalid_request_error',
    },
  );
}

export function runnerStopped(key: string, reason: string): MmkitError {
  return new MmkitError(`the runner for ${key} was stopped (${reason}) before the request finished`, {
    code: 'runner_stopped',
    type: 'runtime_error',
    status: 503,
  });
}

export function queueFull(key: string, limit: number): MmkitError {
  return new MmkitError(`${key} is busy: ${limit} requests are already waiting; try again shortly`, {
    code: 'queue_full',
    type: 'runtime_error',
    status: 503,
  });
}

export function poolShutDown(): MmkitError {
  return new MmkitError('the model runner pool is shut down', {
    code: 'runner_shutdown',
    type: 'runtime_error',
    status: 503,
  });
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('the request was aborted', 'AbortError');
}
