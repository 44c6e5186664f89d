/**
 * Diffusion loop overhead: wall time of a whole `imagine` call (prompt → PNG files written) against
 * the time spent inside ONNX Runtime in that same call (`session.run` of the text encoder, UNet and
 * VAE decoder, summed), at 512×512 (64×64 latents, the SD 1.5 size). Two models:
 * - the tiny sd model, whose UNet does almost no work (well under a millisecond a call): the
 *   loop's worst case, where the fixed costs (tokenizing, noise, pixels, PNG encoding) dominate;
 * - the same model with `unetCompute` (a stack of 3×3 convolutions, the picture unchanged), so one
 *   UNet call costs tens of milliseconds, nearer a real SD UNet on a CPU (about 1–3 s a call for
 *   SD 1.5 or SD-Turbo). Its text encoder and VAE stay tiny; a real VAE decoder adds seconds inside
 *   ONNX Runtime, so this ratio is a lower bound for a real model.
 * Row: ours = wall ms of `imagine`, anchor = ms inside ONNX Runtime, from the run with the median
 * wall time; the ratio is the share inside ONNX Runtime (goal ≥ 0.98).
 * One more row runs the realistic PNDM case with ONNX Runtime's spin-waiting off: after a run its
 * idle intra-op threads spin for a while, and on a small, busy machine they take the CPU the loop
 * and the PNG encoder need between runs, which the first rows count as time outside ONNX Runtime.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InferenceSession } from 'onnxruntime-node';
import {
  type DiffusionTimings,
  OnnxImageGenerationModel,
} from '../src/models/providers/onnx/diffusion/onnx-image-generation-model.ts';
import { imagine } from '../src/tasks/imagine/imagine.ts';
import { writeModelFiles } from '../testkit/model-files.ts';
import { sdFiles, type UnetCompute } from '../testkit/sd.ts';
import type { BenchmarkRow } from './report.ts';

interface Scenario {
  name: string;
  scheduler: string;
  steps: number;
  guidance: number;
  /** Also run it with intra-op spin-waiting on, ONNX Runtime's own default (realistic UNet only). */
  withSpinning?: boolean;
}

const SPINNING: InferenceSession.SessionOptions = { extra: { session: { intra_op: { allow_spinning: '1' } } } };

const SCENARIOS: Scenario[] = [
  {
    name: 'PNDM 20 steps, guidance 7.5 (UNet batch 2)',
    scheduler: 'pndm',
    steps: 20,
    guidance: 7.5,
    withSpinning: true,
  },
  { name: 'Euler 4 steps, no guidance (turbo path)', scheduler: 'euler', steps: 4, guidance: 0 },
];

// Still 5–10× cheaper per call than SD 1.5's real UNet on a CPU (1–3 s), so the fixed costs weigh more here than there.
const REALISTIC_UNET: UnetCompute = { channels: 128, layers: 8 };

const MODELS: { label: string; compute: UnetCompute | undefined; warmup: number; runs: number }[] = [
  { label: 'tiny UNet', compute: undefined, warmup: 2, runs: 7 },
  {
    label: `UNet with ${REALISTIC_UNET.layers} convolutions of ${REALISTIC_UNET.channels} channels`,
    compute: REALISTIC_UNET,
    warmup: 1,
    runs: 3,
  },
];

interface Measurement {
  wallMs: number;
  onnxMs: number;
  unetMs: number;
  unetCalls: number;
}

async function measure(
  model: OnnxImageGenerationModel,
  scenario: Scenario,
  outDir: string,
  seed: number,
): Promise<Measurement> {
  const started = performance.now();
  const result = await imagine({
    model,
    prompt: 'a red apple',
    steps: scenario.steps,
    guidance: scenario.guidance,
    seed,
    outDir,
  });
  const wallMs = performance.now() - started;
  const timings = result.timings as DiffusionTimings;
  if (typeof timings.onnxMs !== 'number') throw new Error('the model did not report its time inside ONNX Runtime');
  return { wallMs, onnxMs: timings.onnxMs, unetMs: timings.unetMs, unetCalls: timings.unetCalls };
}

/** The run with the median wall time, so both figures come from one call. */
async function medianRun(
  model: OnnxImageGenerationModel,
  scenario: Scenario,
  outDir: string,
  warmup: number,
  count: number,
): Promise<Measurement> {
  const runs: Measurement[] = [];
  for (let run = 0; run < warmup + count; run++) {
    const measurement = await measure(model, scenario, outDir, run);
    if (run >= warmup) runs.push(measurement);
  }
  runs.sort((a, b) => a.wallMs - b.wallMs);
  return runs[Math.floor(runs.length / 2)];
}

export async function run(): Promise<BenchmarkRow[]> {
  const directory = await mkdtemp(join(tmpdir(), 'mmkit-bench-sd-'));
  const rows: BenchmarkRow[] = [];
  try {
    const outDir = join(directory, 'out');
    for (const [index, entry] of MODELS.entries()) {
      const folder = join(directory, `model-${index}`);
      await writeModelFiles(folder, sdFiles({ unetCompute: entry.compute }));
      for (const scenario of SCENARIOS) {
        const variants = [{ label: '', sessionOptions: {} }];
        if (scenario.withSpinning && entry.compute) {
          variants.push({ label: ", ONNX Runtime's default spin-waiting on", sessionOptions: SPINNING });
        }
        for (const variant of variants) {
          const model = await OnnxImageGenerationModel.load(folder, {
            scheduler: scenario.scheduler,
            sessionOptions: variant.sessionOptions,
          });
          try {
            const median = await medianRun(model, scenario, outDir, entry.warmup, entry.runs);
            const perCall = median.unetMs / median.unetCalls;
            const outside = median.wallMs - median.onnxMs;
            rows.push({
              name: `imagine 512×512, ${entry.label} (${perCall.toFixed(perCall < 1 ? 2 : 0)} ms a call), ${scenario.name}${variant.label}; outside ONNX Runtime ${outside.toFixed(1)} ms over ${median.unetCalls} UNet calls`,
              ours: median.wallMs,
              anchor: median.onnxMs,
              unit: 'ms',
              anchorName: 'time inside ONNX Runtime',
              better: 'lower',
              goal: 0.98,
            });
          } finally {
            await model.dispose();
          }
        }
      }
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import('./report.ts');
  printRows('diffusion', await run());
}
