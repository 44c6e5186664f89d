/**
 * Runner benchmarks, all in one run:
 * - memory: RSS of this process plus its runners after unloading the tiny `llm` (Transformers.js
 *   in a runner) against before loading it (goal ≤ 1.1×), and the RSS an in-process load +
 *   `dispose()` leaves behind, for contrast; the same for a whole server (`server-memory.ts`);
 * - per-call overhead: the same model called in this process and through a runner (IPC), for a
 *   trivial echo model (pure overhead) and for the tiny llm.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelRunnerPool } from '../src/models/runner/pool.ts';
import { createModel as createFakeModel } from '../src/models/runner/test-support/fake-models.ts';
import { chatRequest, fakeSpec } from '../src/models/runner/test-support/fake-spec.ts';
import type { ChatModel } from '../src/models/spec/index.ts';
import { buildTinyModel } from '../testkit/build.ts';
import type { BenchmarkRow } from './report.ts';
import { serverMemoryRow } from './server-memory.ts';

const MB = 1024 * 1024;
const llmFactory = fileURLToPath(
  new URL('../src/models/runner/test-support/transformers-chat-factory.ts', import.meta.url),
);
const PROMPT = 'The quick brown fox.';

async function settledRss(): Promise<number> {
  // Give freed pages and finished children a moment; collect garbage when the flag allows it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage.rss();
}

/** Median times of `first` and `second`, called alternately so drift on a busy machine hits both alike. */
async function alternatingMedians(
  first: () => Promise<unknown>,
  second: () => Promise<unknown>,
  options: { warmup: number; runs: number },
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let run = 0; run < options.warmup + options.runs; run++) {
    for (const [index, call] of [first, second].entries()) {
      const started = performance.now();
      await call();
      if (run >= options.warmup) times[index]!.push(performance.now() - started);
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return [median(times[0]), median(times[1])];
}

export async function run(): Promise<BenchmarkRow[]> {
  const folder = await mkdtemp(join(tmpdir(), 'mmkit-bench-runner-'));
  const pool = new ModelRunnerPool();
  const rows: BenchmarkRow[] = [];
  try {
    // First, while nothing has loaded Transformers.js into this process.
    rows.push(await serverMemoryRow());
    await buildTinyModel('llm', folder);
    await pool.acquire(fakeSpec('warm-up'));
    await pool.unload('warm-up');

    // Memory: load the tiny llm in a runner, use it, unload it.
    const before = await settledRss();
    const llm = await pool.acquire({ key: 'llm', capability: 'chat', factoryModule: llmFactory, options: { folder } });
    await llm.generate(chatRequest(PROMPT));
    const [loaded] = await pool.status();
    const whileLoaded = process.memoryUsage.rss() + (loaded?.rssBytes ?? 0);
    await pool.unload('llm');
    const afterUnload = await settledRss();
    rows.push({
      name: `RSS (this process + runners) after unloading the tiny llm, vs before loading it; ${(whileLoaded / MB).toFixed(0)} MB while loaded`,
      ours: afterUnload / MB,
      anchor: before / MB,
      unit: 'MB',
      anchorName: 'before load',
      better: 'lower',
      goal: 0.91, // after ≤ 1.1 × before
    });

    // Per-call overhead with a trivial model: all of the difference is the runner round trip.
    const fakeInProcess = (await createFakeModel(
      { holdEventLoop: false },
      { key: 'fake', capability: 'chat' },
    )) as ChatModel;
    const fakeRunner = await pool.acquire(fakeSpec('fake'));
    const [echoRunnerMs, echoInProcessMs] = await alternatingMedians(
      () => fakeRunner.generate(chatRequest(PROMPT)),
      () => fakeInProcess.generate(chatRequest(PROMPT)),
      { warmup: 20, runs: 201 },
    );
    rows.push({
      name: 'one chat call to an echo model (pure call overhead)',
      ours: echoRunnerMs,
      anchor: echoInProcessMs,
      unit: 'ms',
      anchorName: 'in-process call',
      better: 'lower',
    });

    // The tiny llm in this process: per-call time, and what load + dispose() leaves in RSS.
    const inProcessBefore = await settledRss();
    const { createModel } = await import('../src/models/runner/test-support/transformers-chat-factory.ts');
    const llmInProcess = await createModel({ folder }, { key: 'llm', capability: 'chat' });
    // The runner loads the llm again on its first call here.
    const [runnerLlmMs, inProcessLlmMs] = await alternatingMedians(
      () => llm.generate(chatRequest(PROMPT)),
      () => llmInProcess.generate(chatRequest(PROMPT)),
      { warmup: 3, runs: 21 },
    );
    await pool.unload('llm');
    await llmInProcess.dispose();
    const inProcessAfter = await settledRss();
    rows.push({
      name: `tiny llm chat call (${PROMPT.length} tokens echoed)`,
      ours: runnerLlmMs,
      anchor: inProcessLlmMs,
      unit: 'ms',
      anchorName: 'in-process call',
      better: 'lower',
    });
    rows.push({
      name: 'RSS left after unloading the tiny llm: runner unload vs in-process dispose()',
      ours: Math.max(0, afterUnload - before) / MB,
      anchor: Math.max(0, inProcessAfter - inProcessBefore) / MB,
      unit: 'MB',
      anchorName: 'in-process dispose()',
      better: 'lower',
    });
    return rows;
  } finally {
    await pool.shutdown();
    await rm(folder, { recursive: true, force: true });
  }
}
