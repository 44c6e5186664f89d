/**
 * ONNX Runtime intra-op threads per runner: tokens/s of the tiny `llm` in a runner with ONNX
 * Runtime's default (one thread per core) against one thread, alone and while a second runner
 * generates non-stop beside it (both runners with the same setting). This is what the server's
 * default thread count (`MMKIT_ORT_THREADS` for runners) is chosen from.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MmkitConfig } from '../src/models/config.ts';
import { ModelRunnerPool } from '../src/models/runner/pool.ts';
import { registryRunnerSpec } from '../src/models/runner/registry-factory.ts';
import type { ChatModel } from '../src/models/spec/index.ts';
import { buildTinyModel } from '../testkit/build.ts';
import type { BenchmarkRow } from './report.ts';

const PROMPT = 'The quick brown fox jumps over the lazy dog, again and again and again.';
const RUNS = Number(process.env.MMKIT_BENCH_RUNS ?? 15);

async function tokensPerSecond(model: ChatModel): Promise<number> {
  const rates: number[] = [];
  for (let run = 0; run < RUNS + 2; run++) {
    const started = performance.now();
    const result = await model.generate({
      messages: [{ role: 'user', content: PROMPT }],
      maxNewTokens: 128,
      temperature: 0,
      topP: 1,
    });
    if (run >= 2) rates.push(result.usage.completionTokens / ((performance.now() - started) / 1000));
  }
  return rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
}

/** Generates until `stop` is aborted, to keep a second runner's cores busy. */
async function keepBusy(model: ChatModel, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    await model.generate({ messages: [{ role: 'user', content: PROMPT }], maxNewTokens: 128, temperature: 0, topP: 1 });
  }
}

export async function run(): Promise<BenchmarkRow[]> {
  const folder = await mkdtemp(join(tmpdir(), 'mmkit-bench-threads-'));
  const pool = new ModelRunnerPool({ keepAliveMs: -1 });
  try {
    await buildTinyModel('llm', folder);
    const config: MmkitConfig = {
      models: {
        'default-a': { id: folder },
        'default-b': { id: folder },
        'one-a': { id: folder, intraOpNumThreads: 1 },
        'one-b': { id: folder, intraOpNumThreads: 1 },
      },
    };
    const load = (name: string) => pool.acquire(registryRunnerSpec('chat', { model: name, config }));
    const measured: Record<string, { alone: number; beside: number }> = {};
    for (const setting of ['default', 'one']) {
      const [model, neighbour] = await Promise.all([load(`${setting}-a`), load(`${setting}-b`)]);
      const alone = await tokensPerSecond(model);
      const stop = new AbortController();
      const busy = keepBusy(neighbour, stop.signal);
      const beside = await tokensPerSecond(model);
      stop.abort();
      await busy;
      measured[setting] = { alone, beside };
      await pool.unload(`chat:${setting}-a`);
      await pool.unload(`chat:${setting}-b`);
    }
    const cores = availableParallelism();
    return [
      {
        name: `tiny llm tokens/s in a runner while another runner generates (${cores} cores): 1 intra-op thread each vs ONNX Runtime's default`,
        ours: measured.one!.beside,
        anchor: measured.default!.beside,
        unit: 'tokens/s',
        anchorName: 'default threads',
        better: 'higher',
      },
      {
        name: `tiny llm tokens/s in a runner alone (${cores} cores): 1 intra-op thread vs ONNX Runtime's default`,
        ours: measured.one!.alone,
        anchor: measured.default!.alone,
        unit: 'tokens/s',
        anchorName: 'default threads',
        better: 'higher',
      },
    ];
  } finally {
    await pool.shutdown();
    await rm(folder, { recursive: true, force: true });
  }
}
