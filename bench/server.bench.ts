/**
 * Server throughput: requests/s and p99 latency of `POST /v1/embeddings` (tiny CLIP, one text) with
 * 64 concurrent connections (wrk where installed, else autocannon: `load-generator.ts`), against bare
 * Hono answering a static JSON on the same machine in the same run. Each server runs in its own process (`server-target.ts`). Goal: ≥ 0.8
 * of the bare throughput, with the model in a runner process (the default) and in a runner thread
 * (`--runners threads`), and with it in the server's own thread (`--runners off`: no isolation, no
 * hop between threads). Two more rows split the gap: the same server with an embedding model that
 * costs nothing (the server's own share), and bare Hono that at least reads and parses the body.
 * On Linux, CPU microseconds per request of each server's process tree (runners included) say what
 * each costs whatever else the machine is doing; requests/s on a shared machine cannot. A last row
 * runs the free-model server while tiny CLIP computes in a separate, low-priority process
 * (`model-loop.ts`): what a model working on the other core costs the server's thread by itself.
 * `--workers 2` (two server processes on one port, the model in each one's thread) is measured
 * against bare Hono as the goal states it, and against bare Hono in two processes as well.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type LoadGenerator, loadGenerator } from './load-generator.ts';
import { processTreeCpuMicroseconds } from './process-cpu.ts';
import type { BenchmarkRow } from './report.ts';

const CONNECTIONS = 64;
/** Rounds alternate between the servers so a busy machine hurts them alike; medians are reported. */
const ROUNDS = Number(process.env.MMKIT_BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.MMKIT_BENCH_SECONDS ?? 3);
const BODY = JSON.stringify({ model: 'tiny-clip', input: 'a red car', encoding_format: 'float' });

interface Measured {
  requestsPerSecond: number;
  p99Ms: number;
  failed: number;
  /** CPU microseconds per request of the server's process tree (Linux only). */
  cpuPerRequest?: number | undefined;
}

type Target =
  | 'mmkit'
  | 'mmkit-threads'
  | 'mmkit-in-thread'
  | 'mmkit-in-thread-workers'
  | 'bare-workers'
  | 'mmkit-free-model'
  | 'bare'
  | 'bare-reading-body'
  | 'beside-model';

/** Starts a bench script and waits for the line it prints when ready (`pattern`). */
async function startScript(
  name: string,
  args: string[],
  pattern: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const script = fileURLToPath(new URL(name, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) resolve(match[0]);
    });
    child.once('exit', (code) => reject(new Error(`${name} ${args.join(' ')} exited with ${code}`)));
  });
  return { child, line };
}

/** `beside-model` is the free-model server, measured while `model-loop.ts` runs. */
async function startTarget(kind: Target): Promise<{ child: ChildProcess; url: string }> {
  const serverKind = kind === 'beside-model' ? 'mmkit-free-model' : kind;
  const { child, line } = await startScript('./server-target.ts', [serverKind], /http:\/\/\S+/);
  return { child, url: line };
}

/** The model loop, paused (SIGSTOP) until a `beside-model` measurement lets it run; lowest priority. */
async function startModelLoop(): Promise<ChildProcess> {
  const { child } = await startScript('./model-loop.ts', [], /looping/);
  setPriority(child.pid!, 19);
  child.kill('SIGSTOP');
  return child;
}

async function load(generator: LoadGenerator, url: string, seconds: number, pid?: number): Promise<Measured> {
  const cpuBefore = processTreeCpuMicroseconds(pid);
  const result = await generator.load({ url: `${url}/v1/embeddings`, body: BODY, connections: CONNECTIONS, seconds });
  const cpuAfter = processTreeCpuMicroseconds(pid);
  const cpuPerRequest =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / result.total;
  return { requestsPerSecond: result.requestsPerSecond, p99Ms: result.p99Ms, failed: result.failed, cpuPerRequest };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measureAll(generator: LoadGenerator, kinds: Target[]): Promise<Record<Target, Measured>> {
  const targets = await Promise.all(kinds.map((kind) => startTarget(kind)));
  const modelLoop = kinds.includes('beside-model') ? await startModelLoop() : undefined;
  try {
    for (const target of targets) await load(generator, target.url, 1); // warm-up: model load, JIT
    const rounds: Measured[][] = kinds.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, target] of targets.entries()) {
        const beside = kinds[index] === 'beside-model';
        if (beside) modelLoop?.kill('SIGCONT');
        try {
          rounds[index]!.push(await load(generator, target.url, SECONDS, target.child.pid));
        } finally {
          if (beside) modelLoop?.kill('SIGSTOP');
        }
      }
    }
    return Object.fromEntries(
      kinds.map((kind, index) => {
        const runs = rounds[index]!;
        return [
          kind,
          {
            requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
            p99Ms: median(runs.map((run) => run.p99Ms)),
            failed: runs.reduce((sum, run) => sum + run.failed, 0),
            cpuPerRequest: runs.every((run) => run.cpuPerRequest !== undefined)
              ? median(runs.map((run) => run.cpuPerRequest!))
              : undefined,
          },
        ];
      }),
    ) as Record<Target, Measured>;
  } finally {
    for (const target of targets) target.child.kill('SIGTERM');
    // A stopped process acts on SIGTERM only once continued.
    modelLoop?.kill('SIGTERM');
    modelLoop?.kill('SIGCONT');
  }
}

export async function run(): Promise<BenchmarkRow[]> {
  const generator = await loadGenerator();
  const measured = await measureAll(generator, [
    'bare',
    'mmkit',
    'mmkit-threads',
    'mmkit-in-thread',
    'mmkit-in-thread-workers',
    'bare-workers',
    'mmkit-free-model',
    'bare-reading-body',
    'beside-model',
  ]).finally(() => generator.close());
  const {
    bare,
    mmkit: ours,
    'mmkit-threads': threads,
    'mmkit-in-thread': inThread,
    'mmkit-in-thread-workers': workers,
    'bare-workers': bareWorkers,
    'mmkit-free-model': serverOnly,
    'bare-reading-body': bareReading,
    'beside-model': besideModel,
  } = measured;
  for (const [name, measured] of Object.entries({
    bare,
    ours,
    threads,
    inThread,
    workers,
    bareWorkers,
    serverOnly,
    bareReading,
    besideModel,
  })) {
    if (measured.failed > 0) throw new Error(`${name}: ${measured.failed} failed requests during the run`);
  }
  const cpuRows: BenchmarkRow[] = [];
  for (const [name, measured] of [
    ['tiny CLIP (server and its runner process)', ours],
    ['tiny CLIP, runner in a thread', threads],
    ["tiny CLIP in the server's thread", inThread],
    ["tiny CLIP in each worker's thread, --workers 2", workers],
    ['a model that costs nothing', serverOnly],
    ['bare Hono reading and parsing the body', bareReading],
    ['a model that costs nothing, tiny CLIP computing in another process', besideModel],
  ] as const) {
    if (measured.cpuPerRequest === undefined || bare.cpuPerRequest === undefined) continue;
    cpuRows.push({
      name: `CPU per request, ${name}, ${CONNECTIONS} connections (${generator.name})`,
      ours: measured.cpuPerRequest,
      anchor: bare.cpuPerRequest,
      unit: 'µs',
      anchorName: 'bare Hono (static JSON)',
      better: 'lower',
    });
  }
  return [
    {
      name: `POST /v1/embeddings, tiny CLIP in a runner process (the default), ${CONNECTIONS} connections (${generator.name})`,
      ours: ours.requestsPerSecond,
      anchor: bare.requestsPerSecond,
      unit: 'requests/s',
      anchorName: 'bare Hono (static JSON)',
      better: 'higher',
      goal: 0.8,
    },
    {
      name: `POST /v1/embeddings, tiny CLIP in a runner thread (--runners threads), ${CONNECTIONS} connections (${generator.name})`,
      ours: threads.requestsPerSecond,
      anchor: bare.requestsPerSecond,
      unit: 'requests/s',
      anchorName: 'bare Hono (static JSON)',
      better: 'higher',
      goal: 0.8,
    },
    {
      name: `POST /v1/embeddings, tiny CLIP in the server's own thread (--runners off), ${CONNECTIONS} connections (${generator.name})`,
      ours: inThread.requestsPerSecond,
      anchor: bare.requestsPerSecond,
      unit: 'requests/s',
      anchorName: 'bare Hono (static JSON)',
      better: 'higher',
      goal: 0.8,
    },
    {
      name: `POST /v1/embeddings, --workers 2 (two server processes on one port, tiny CLIP in each one's thread), ${CONNECTIONS} connections (${generator.name})`,
      ours: workers.requestsPerSecond,
      anchor: bare.requestsPerSecond,
      unit: 'requests/s',
      anchorName: 'bare Hono (static JSON)',
      better: 'higher',
      goal: 0.8,
    },
    {
      name: `  the same, against bare Hono in two processes too, ${CONNECTIONS} connections (${generator.name})`,
      ours: workers.requestsPerSecond,
      anchor: bareWorkers.requestsPerSecond,
      unit: 'requests/s',
      anchorName: 'bare Hono (static JSON), 2 processes',
      better: 'higher',
    },
    {
      name: `POST /v1/embeddings, a model that costs nothing (the server's own share), ${CONNECTIONS} connections (${generator.name})`,
      ours: serverOnly.requestsPerSecond,
      anchor: bare.requestsPerSecond,
      unit: 'requests/s',
      anchorName: 'bare Hono (static JSON)',
      better: 'higher',
      goal: 0.8,
    },
    {
      name: `POST /v1/embeddings, a model that costs nothing, ${CONNECTIONS} connections (${generator.name})`,
      ours: serverOnly.requestsPerSecond,
      anchor: bareReading.requestsPerSecond,
      unit: 'requests/s',
      anchorName: 'bare Hono reading and parsing the same body',
      better: 'higher',
    },
    {
      name: `POST /v1/embeddings, a model that costs nothing, while tiny CLIP computes in another process (lowest priority), ${CONNECTIONS} connections (${generator.name})`,
      ours: besideModel.requestsPerSecond,
      anchor: serverOnly.requestsPerSecond,
      unit: 'requests/s',
      anchorName: 'the same server, nothing computing beside it',
      better: 'higher',
    },
    {
      name: `p99 latency, tiny CLIP in a runner process, ${CONNECTIONS} connections (${generator.name})`,
      ours: ours.p99Ms,
      anchor: bare.p99Ms,
      unit: 'ms',
      anchorName: 'bare Hono (static JSON)',
      better: 'lower',
    },
    {
      name: `p99 latency, tiny CLIP in a runner thread, ${CONNECTIONS} connections (${generator.name})`,
      ours: threads.p99Ms,
      anchor: bare.p99Ms,
      unit: 'ms',
      anchorName: 'bare Hono (static JSON)',
      better: 'lower',
    },
    {
      name: `p99 latency, tiny CLIP in the server's own thread, ${CONNECTIONS} connections (${generator.name})`,
      ours: inThread.p99Ms,
      anchor: bare.p99Ms,
      unit: 'ms',
      anchorName: 'bare Hono (static JSON)',
      better: 'lower',
    },
    {
      name: `p99 latency, a model that costs nothing, ${CONNECTIONS} connections (${generator.name})`,
      ours: serverOnly.p99Ms,
      anchor: bare.p99Ms,
      unit: 'ms',
      anchorName: 'bare Hono (static JSON)',
      better: 'lower',
    },
    ...cpuRows,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import('./report.ts');
  printRows('server', await run());
}
