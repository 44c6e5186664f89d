/**
 * `mmkit models ps`: the models a running mmkit server has loaded. Runners belong to the server
 * process, so this asks the server (`GET /api/ps`, docs/http-api.md's snake_case fields, read into `RunnerStatus`) at
 * `--url`, `MMKIT_SERVER`, or the address `mmkit serve` listens on by default.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { describeError, MmkitError } from '../../errors.ts';
import type { RunnerStatus } from '../../models/runner/runner-spec.ts';
import { printJson } from '../output.ts';
import { humanBytes } from './models.ts';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8000';
const REQUEST_TIMEOUT_MS = 5000;

/** The wire shape of docs/http-api.md (snake_case), read into `RunnerStatus`. */
const statusSchema = z
  .object({
    key: z.string(),
    capability: z.string(),
    pid: z.number().nullable(),
    rss_bytes: z.number(),
    state: z.enum(['loading', 'idle', 'busy']),
    running: z.number().optional(),
    queue: z.number(),
    idle_ms: z.number(),
    expires_in_ms: z.number().nullable(),
    loaded_at: z.string().nullable().optional(),
  })
  .transform(
    (wire): RunnerStatus => ({
      key: wire.key,
      capability: wire.capability,
      pid: wire.pid,
      rssBytes: wire.rss_bytes,
      state: wire.state,
      running: wire.running ?? (wire.state === 'busy' ? 1 : 0),
      queueLength: wire.queue,
      idleMs: wire.idle_ms,
      expiresInMs: wire.expires_in_ms,
      loadedAt: wire.loaded_at ?? null,
    }),
  );
const psResponseSchema = z.object({ models: z.array(statusSchema) });

export function registerModelsPsCommand(models: Command): void {
  models
    .command('ps')
    .description('Show the models a running mmkit server has loaded: memory, state, idle time, keep-alive.')
    .option('--url <url>', `the mmkit server (default: MMKIT_SERVER or ${DEFAULT_SERVER_URL})`)
    .option('--json', 'print the list as JSON')
    .action(async (options: { url?: string; json?: boolean }) => {
      const url = serverUrl(options.url);
      const loaded = await fetchLoadedModels(url);
      if (options.json) return printJson(loaded);
      if (loaded.length === 0) {
        process.stdout.write(`no models loaded on the mmkit server at ${url}\n`);
        return;
      }
      printTable([
        ['KEY', 'CAPABILITY', 'PID', 'MEMORY', 'STATE', 'QUEUE', 'IDLE', 'EXPIRES'],
        ...loaded.map((model) => [
          model.key,
          model.capability,
          model.pid === null ? '-' : String(model.pid),
          humanBytes(model.rssBytes),
          model.state,
          String(model.queueLength),
          model.state === 'idle' ? humanDuration(model.idleMs) : '-',
          model.expiresInMs === null
            ? model.state === 'idle'
              ? 'never'
              : '-'
            : `in ${humanDuration(model.expiresInMs)}`,
        ]),
      ]);
    });
}

function serverUrl(option: string | undefined): string {
  const chosen = option ?? (process.env.MMKIT_SERVER || DEFAULT_SERVER_URL);
  try {
    const url = new URL(chosen);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new MmkitError(`--url must be an http:// or https:// address, got '${chosen}'`, {
      code: 'invalid_url',
      param: '--url',
    });
  }
  return chosen.replace(/\/+$/, '');
}

export async function fetchLoadedModels(url: string): Promise<RunnerStatus[]> {
  let response: Response;
  try {
    response = await fetch(`${url}/api/ps`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch {
    throw new MmkitError(
      `no mmkit server running at ${url}: start one with mmkit serve, or point --url or MMKIT_SERVER at it`,
      { code: 'server_unreachable', param: '--url' },
    );
  }
  if (!response.ok) {
    throw new MmkitError(`the mmkit server at ${url} answered HTTP ${response.status} to GET /api/ps`, {
      code: 'server_error',
      type: 'runtime_error',
    });
  }
  try {
    return psResponseSchema.parse(await response.json()).models;
  } catch (error) {
    throw new MmkitError(`the server at ${url} sent an unexpected /api/ps answer: ${describeError(error)}`, {
      code: 'server_error',
      type: 'runtime_error',
    });
  }
}

/** `950ms`, `42s`, `3m 5s`, `2h 10m`. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) {
    const line = row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
    process.stdout.write(`${line.trimEnd()}\n`);
  }
}
