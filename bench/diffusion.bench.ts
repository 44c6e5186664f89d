/**
 * Diffusion loop overhead: total `generate` time against the time spent inside ONNX Runtime
 * (`session.run` of the text encoder, UNet and VAE decoder), same runs, on the tiny sd model at
 * 512×512 (64×64 latents, the SD 1.5 size), 20 PNDM steps with guidance (batch 2) and 4 Euler
 * steps without. The tiny UNet does almost no work, so this is the loop's worst case: with a real
 * UNet (about a second per call on a CPU) the same absolute overhead is a far smaller share.
 * Row: ours = total ms, anchor = ms inside ONNX Runtime; the ratio is the share inside ORT (goal ≥ 0.98).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxImageGenerationModel } from '../src/models/providers/onnx/diffusion/onnx-image-generation-model.ts';
import { buildTinyModel } from '../testkit/build.ts';
import type { BenchmarkRow } from './report.ts';

interface Scenario {
  name: string;
  scheduler: string;
  steps: number;
  guidanceScale: number;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'SD loop, 512×512, PNDM 20 steps, guidance 7.5 (UNet batch 2)',
    scheduler: 'pndm',
    steps: 20,
    guidanceScale: 7.5,
  },
  { name: 'SD loop, 512×512, Euler 4 steps, no guidance (turbo path)', scheduler: 'euler', steps: 4, guidanceScale: 0 },
];

export async function run(): Promise<BenchmarkRow[]> {
  const directory = await mkdtemp(join(tmpdir(), 'mmkit-bench-sd-'));
  const rows: BenchmarkRow[] = [];
  try {
    await buildTinyModel('sd', directory);
    for (const scenario of SCENARIOS) {
      const model = await OnnxImageGenerationModel.load(directory, { scheduler: scenario.scheduler });
      try {
        const runs: { total: number; onnx: number; calls: number }[] = [];
        for (let index = 0; index < 7; index++) {
          const result = await model.generate({
            prompt: 'a red apple',
            negativePrompt: 'low quality, blurry, ugly, deformed, watermark',
            width: 512,
            height: 512,
            steps: scenario.steps,
            guidanceScale: scenario.guidanceScale,
            count: 1,
            seed: index,
          });
          if (index >= 2)
            runs.push({ total: result.timings.totalMs, onnx: result.timings.onnxMs, calls: result.timings.unetCalls });
        }
        // The run with the median total, so both figures come from one run.
        runs.sort((a, b) => a.total - b.total);
        const median = runs[Math.floor(runs.length / 2)];
        rows.push({
          name: `${scenario.name}; overhead ${((median.total - median.onnx) / median.calls).toFixed(2)} ms per UNet call`,
          ours: median.total,
          anchor: median.onnx,
          unit: 'ms',
          anchorName: 'time inside ONNX Runtime',
          better: 'lower',
          goal: 0.98,
        });
      } finally {
        await model.dispose();
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
