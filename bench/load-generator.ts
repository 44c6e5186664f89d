/**
 * The load generator for `server.bench.ts`: wrk where it is installed (`apt-get install wrk`),
 * autocannon otherwise. Both are what the issue names; wrk is preferred because it is written in C
 * and needs a fraction of the CPU autocannon does (~27 µs per request here, a whole core of this
 * 2-core machine at full speed), so the server under test, not the load generator, sets the pace.
 * The anchor is measured with the same tool in the same run either way.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const run = promisify(execFile);

export interface LoadRequest {
  url: string;
  body: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  total: number;
  p99Ms: number;
  /** Answers other than 2xx, and requests that got no answer (socket errors, timeouts). */
  failed: number;
}

export interface LoadGenerator {
  name: 'wrk' | 'autocannon';
  load(request: LoadRequest): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function loadGenerator(): Promise<LoadGenerator> {
  const wrkInstalled = await run('wrk', ['--version']).then(
    () => true,
    (error: { stdout?: string }) => /wrk/.test(error.stdout ?? ''), // `wrk --version` exits with 1
  );
  return wrkInstalled ? wrkGenerator() : autocannonGenerator();
}

function autocannonGenerator(): LoadGenerator {
  return {
    name: 'autocannon',
    async load({ url, body, connections, seconds }) {
      const result = await autocannon({
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections,
        duration: seconds,
      });
      return {
        requestsPerSecond: result.requests.average,
        total: result.requests.total,
        p99Ms: result.latency.p99,
        failed: result.non2xx + result.errors + result.timeouts,
      };
    },
    close: async () => {},
  };
}

async function wrkGenerator(): Promise<LoadGenerator> {
  const folder = await mkdtemp(join(tmpdir(), 'mmkit-bench-wrk-'));
  const script = join(folder, 'post.lua');
  return {
    name: 'wrk',
    async load({ url, body, connections, seconds }) {
      // wrk takes a POST body only from a Lua script.
      const lua = `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`;
      await writeFile(script, lua);
      const { stdout } = await run('wrk', [
        '--threads',
        '1',
        '--connections',
        String(connections),
        '--duration',
        `${seconds}s`,
        '--latency',
        '--script',
        script,
        url,
      ]);
      return parseWrk(stdout);
    },
    close: () => rm(folder, { recursive: true, force: true }),
  };
}

const TO_MILLISECONDS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** wrk's report: `Requests/sec:`, `N requests in`, the `--latency` table's 99% line, failures. */
export function parseWrk(report: string): LoadResult {
  const requestsPerSecond = /Requests\/sec:\s+([\d.]+)/.exec(report);
  const total = /(\d+) requests in/.exec(report);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(report);
  if (!requestsPerSecond || !total || !p99) throw new Error(`cannot read wrk's report:\n${report}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(report);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report);
  const socketErrors = socket ? socket.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0;
  return {
    requestsPerSecond: Number(requestsPerSecond[1]),
    total: Number(total[1]),
    p99Ms: Number(p99[1]) * TO_MILLISECONDS[p99[2]!]!,
    failed: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
  };
}
