/**
 * Server throughput: requests/s and p99 latency of `POST /v1/embeddings` (tiny CLIP, one text) with
 * 64 concurrent connections (wrk where installed, else autocannon: `load-generator.ts`), against bare
 * Hono answering a static JSON on the same machine in the same run. Each server runs in its own
 * process (`server-target.ts`). Goal: ≥ 0.8 of the bare throughput for the server as `mmkit serve`
 * starts it (tiny CLIP, whose calls cost less than the hop to a runner, moves into the server's
 * thread after its first load; a transformer embedder would stay in its runner). What the hop costs
 * is shown beside it: tiny CLIP kept in a runner process and in a runner thread (`--runners
 * threads`), and loaded in the server's thread from the start (`--runners off`). Two more rows split the gap: the same server with an embedding model that
 * costs nothing (the server's own share), and bare Hono that at least reads and parses the body.
 * On Linux, CPU microseconds per request of each server's process tree (runners included) say what
 * each costs whatever else the machine is doing; requests/s on a shared machine cannot. A last row
 * runs the free-model server while tiny CLIP computes in a separate, low-priority process
 * (`model-loop.ts`): what a model working on the other core costs the server's thread by itself.
 * `--workers 2` (two server processes on one port, the model in each one's thread) is measured
 * against bare Hono as the goal states it, and against bare Hono in two processes as well. Our
 * servers run with the Node flags `mmkit serve` gives itself (a larger young generation:
 * `src/cli/server-heap.ts`); one row runs the default server with V8's defaults, to show what they buy.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../src/cli/server-heap.ts';
import { type LoadGenerator, loadGenerator } from './load-generator.ts';
import { processTreeCpuMicroseconds } from './process-cpu.ts';
import type { BenchmarkRow } from './report.ts';

const CONNECTIONS = 64;
/** Rounds alternate between the servers, each run just after one of bare Hono; medians are reported. */
const ROUNDS = Number(process.env.MMKIT_BENCH_ROUNDS ?? 7);
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
  | 'mmkit-v8-default-heap'
  | 'mmkit-runner'
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
  nodeFlags: readonly string[] = [],
): Promise<{ child: ChildProcess; line: string }> {
  const script = fileURLToPath(new URL(name, import.meta.url));
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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

/**
 * `beside-model` is the free-model server, measured while `model-loop.ts` runs. Our servers start
 * with `mmkit serve`'s Node flags, except `mmkit-v8-default-heap`; bare Hono with Node's defaults.
 */
async function startTarget(kind: Target): Promise<{ child: ChildProcess; url: string }> {
  const serverKind = kind === 'beside-model' ? 'mmkit-free-model' : kind === 'mmkit-v8-default-heap' ? 'mmkit' : kind;
  const flags = serverKind.startsWith('mmkit') && kind !== 'mmkit-v8-default-heap' ? SERVER_NODE_FLAGS : [];
  const { child, line } = await startScript('./server-target.ts', [serverKind], /http:\/\/\S+/, flags);
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

/** The median of each field over a target's runs. */
function summarise(runs: Measured[]): Measured {
  return {
    requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
    cpuPerRequest: runs.every((run) => run.cpuPerRequest !== undefined)
      ? median(runs.map((run) => run.cpuPerRequest!))
      : undefined,
  };
}

interface MeasuredPair {
  /** The target's medians. */
  target: Measured;
  /** Bare Hono's medians, each run taken just before one of the target's: the machine as it was then. */
  bare: Measured;
  /** Each round's requests/s over those of the bare run just before it, sorted. */
  pairedRatios: number[];
}

/**
 * Every target is measured right after a run of bare Hono, round after round: this machine's
 * speed drifts by a third within a minute (other tenants), so a ratio is only fair between runs
 * taken seconds apart. Medians over the rounds are reported.
 */
async function measureAll(
  generator: LoadGenerator,
  kinds: Exclude<Target, 'bare'>[],
): Promise<Record<Target, MeasuredPair>> {
  const all: Target[] = ['bare', ...kinds];
  const targets = await Promise.all(all.map((kind) => startTarget(kind)));
  const bareTarget = targets[0]!;
  const modelLoop = kinds.includes('beside-model') ? await startModelLoop() : undefined;
  try {
    // Warm-up: model load (and the default's move into the server), JIT.
    for (const target of targets) await load(generator, target.url, 2);
    const rounds: { target: Measured[]; bare: Measured[] }[] = all.map(() => ({ target: [], bare: [] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, target] of targets.entries()) {
        if (index === 0) continue;
        const bareRun = await load(generator, bareTarget.url, SECONDS, bareTarget.child.pid);
        rounds[index]!.bare.push(bareRun);
        rounds[0]!.target.push(bareRun);
        const beside = all[index] === 'beside-model';
        if (beside) modelLoop?.kill('SIGCONT');
        try {
          rounds[index]!.target.push(await load(generator, target.url, SECONDS, target.child.pid));
        } finally {
          if (beside) modelLoop?.kill('SIGSTOP');
        }
      }
    }
    rounds[0]!.bare = rounds[0]!.target;
    return Object.fromEntries(
      all.map((kind, index) => [
        kind,
        {
          target: summarise(rounds[index]!.target),
          bare: summarise(rounds[index]!.bare),
          pairedRatios: rounds[index]!.target.map(
            (run, round) => run.requestsPerSecond / rounds[index]!.bare[round]!.requestsPerSecond,
          ).sort((a, b) => a - b),
        },
      ]),
    ) as Record<Target, MeasuredPair>;
  } finally {
    for (const target of targets) target.child.kill('SIGTERM');
    // A stopped process acts on SIGTERM only once continued.
    modelLoop?.kill('SIGTERM');
    modelLoop?.kill('SIGCONT');
  }
}

const BARE = 'bare Hono (static JSON)';

export async function run(): Promise<BenchmarkRow[]> {
  const generator = await loadGenerator();
  const measured = await measureAll(generator, [
    'mmkit',
    'mmkit-v8-default-heap',
    'mmkit-runner',
    'mmkit-threads',
    'mmkit-in-thread',
    'bare-workers',
    'mmkit-in-thread-workers',
    'mmkit-free-model',
    'bare-reading-body',
    'beside-model',
  ]).finally(() => generator.close());
  for (const [name, pair] of Object.entries(measured)) {
    const failed = pair.target.failed + pair.bare.failed;
    if (failed > 0) throw new Error(`${name}: ${failed} failed requests during the run`);
  }
  const {
    mmkit: ours,
    'mmkit-v8-default-heap': defaultHeap,
    'mmkit-runner': runner,
    'mmkit-threads': threads,
    'mmkit-in-thread': inThread,
    'mmkit-in-thread-workers': workers,
    'bare-workers': bareWorkers,
    'mmkit-free-model': serverOnly,
    'bare-reading-body': bareReading,
    'beside-model': besideModel,
  } = measured;
  const load = `${CONNECTIONS} connections (${generator.name})`;
  const throughput = (name: string, ours: Measured, anchor: Measured, anchorName = BARE, goal?: number) => ({
    name: `${name}, ${load}`,
    ours: ours.requestsPerSecond,
    anchor: anchor.requestsPerSecond,
    unit: 'requests/s',
    anchorName,
    better: 'higher' as const,
    ...(goal === undefined ? {} : { goal }),
  });
  // A ratio per round, against the bare run seconds before it, is what drift on a shared machine
  // disturbs least: its median (with the range) says more than a ratio of medians taken minutes apart.
  const paired = (name: string, pair: MeasuredPair, goal?: number): BenchmarkRow => {
    const ratios = pair.pairedRatios;
    return {
      name: `  ${name}, each of ${ratios.length} rounds against the bare run just before it (range ${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)})`,
      ours: median(ratios),
      anchor: 1,
      unit: '× bare',
      anchorName: BARE,
      better: 'higher',
      ...(goal === undefined ? {} : { goal }),
    };
  };
  const latency = (name: string, pair: MeasuredPair): BenchmarkRow => ({
    name: `p99 latency, ${name}, ${load}`,
    ours: pair.target.p99Ms,
    anchor: pair.bare.p99Ms,
    unit: 'ms',
    anchorName: BARE,
    better: 'lower',
  });
  const cpuRows: BenchmarkRow[] = [];
  for (const [name, pair] of [
    ['tiny CLIP, the default (moved into the server)', ours],
    ["tiny CLIP, the default with V8's default young generation", defaultHeap],
    ['tiny CLIP kept in a runner process (server and runner)', runner],
    ['tiny CLIP, runner in a thread', threads],
    ["tiny CLIP in the server's thread", inThread],
    ["tiny CLIP in each worker's thread, --workers 2", workers],
    ['a model that costs nothing', serverOnly],
    ['bare Hono reading and parsing the body', bareReading],
    ['a model that costs nothing, tiny CLIP computing in another process', besideModel],
  ] as const) {
    if (pair.target.cpuPerRequest === undefined || pair.bare.cpuPerRequest === undefined) continue;
    cpuRows.push({
      name: `CPU per request, ${name}, ${load}`,
      ours: pair.target.cpuPerRequest,
      anchor: pair.bare.cpuPerRequest,
      unit: 'µs',
      anchorName: BARE,
      better: 'lower',
    });
  }
  return [
    throughput(
      "POST /v1/embeddings, the default (tiny CLIP, cheaper than the hop, moved into the server's thread)",
      ours.target,
      ours.bare,
      BARE,
      0.8,
    ),
    paired('the default, median', ours, 0.8),
    throughput(
      "POST /v1/embeddings, the default with V8's default young generation (16 MB semi-spaces)",
      defaultHeap.target,
      defaultHeap.bare,
      BARE,
    ),
    paired("V8's default young generation, median", defaultHeap),
    throughput('POST /v1/embeddings, tiny CLIP kept in a runner process', runner.target, runner.bare, BARE),
    paired('kept in a runner process, median', runner),
    throughput(
      'POST /v1/embeddings, tiny CLIP kept in a runner thread (--runners threads)',
      threads.target,
      threads.bare,
      BARE,
    ),
    throughput(
      "POST /v1/embeddings, tiny CLIP in the server's own thread (--runners off)",
      inThread.target,
      inThread.bare,
      BARE,
      0.8,
    ),
    paired('--runners off, median', inThread, 0.8),
    throughput(
      "POST /v1/embeddings, --workers 2 (two server processes on one port, tiny CLIP in each one's thread)",
      workers.target,
      workers.bare,
      BARE,
      0.8,
    ),
    throughput(
      '  the same, against bare Hono in two processes too',
      workers.target,
      bareWorkers.target,
      `${BARE}, 2 processes`,
    ),
    throughput(
      "POST /v1/embeddings, a model that costs nothing (the server's own share)",
      serverOnly.target,
      serverOnly.bare,
      BARE,
      0.8,
    ),
    throughput(
      'POST /v1/embeddings, a model that costs nothing',
      serverOnly.target,
      bareReading.target,
      'bare Hono reading and parsing the same body',
    ),
    throughput(
      'POST /v1/embeddings, a model that costs nothing, while tiny CLIP computes in another process (lowest priority)',
      besideModel.target,
      serverOnly.target,
      'the same server, nothing computing beside it',
    ),
    latency('the default', ours),
    latency('tiny CLIP kept in a runner process', runner),
    latency('tiny CLIP kept in a runner thread', threads),
    latency("tiny CLIP in the server's own thread", inThread),
    latency('a model that costs nothing', serverOnly),
    ...cpuRows,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import('./report.ts');
  printRows('server', await run());
}
