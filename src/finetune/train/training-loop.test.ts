import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DecoderConfig } from '../model/decoder-config.ts';
import { randomWeights } from '../model/weight-source.ts';
import { uniformFloat32, uniformIntegers } from '../random.ts';
import { latestCheckpoint } from './checkpoint.ts';
import { relativeDifference } from './test-support/relative-difference.ts';
import type { TrainingExample } from './training-example.ts';
import { type TrainingData, type TrainingLogEntry, type TrainLoraOptions, trainLora } from './training-loop.ts';

const CONFIG: DecoderConfig = {
  architecture: 'llama',
  vocabularySize: 40,
  hiddenSize: 16,
  intermediateSize: 32,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  numKeyValueHeads: 1,
  headDim: 8,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  attentionBias: false,
};
const IMAGE_TOKEN = 39;
const IMAGE_TOKENS = 3;

/** Rows of different lengths: [prompt with 3 image tokens][answer]; answers of 2–5 tokens. */
function examples(count: number, withImages: boolean): TrainingExample[] {
  return Array.from({ length: count }, (_, row) => {
    const prompt = [1, ...(withImages ? Array(IMAGE_TOKENS).fill(IMAGE_TOKEN) : []), 5 + (row % 7)];
    const answer = uniformIntegers(row, 'answer', 2 + (row % 4), 30).map((token) => token + 2);
    return {
      label: `train row ${row + 1}`,
      tokens: [...prompt, ...answer],
      trainFrom: prompt.length,
      image: `i${row % 3}`,
    };
  });
}

function data(withImages: boolean, rows = 6): TrainingData {
  return {
    train: examples(rows, withImages),
    validation: examples(2, withImages).map((example, index) => ({ ...example, label: `validation row ${index + 1}` })),
    padTokenId: 0,
    fingerprint: `tiny ${withImages} ${rows}`,
    ...(withImages
      ? {
          imageTokenId: IMAGE_TOKEN,
          readFeatures: (image: string) => uniformFloat32(5, image, IMAGE_TOKENS * CONFIG.hiddenSize, 1),
        }
      : {}),
  };
}

const folders: string[] = [];
function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'mmkit-train-'));
  folders.push(folder);
  return folder;
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const run = (overrides: Partial<TrainLoraOptions> = {}) =>
  trainLora({
    config: CONFIG,
    weights: randomWeights(3),
    data: data(true),
    settings: { batchSize: 2, accumulation: 2, epochs: 2, learningRate: 1e-2, rank: 4, alpha: 8 },
    ...overrides,
  });

describe('trainLora', () => {
  it('gives the same update for 2 micro-batches × 2 accumulated as for one batch of 4 (token-weighted loss)', async () => {
    const settings = { epochs: 1, dropout: 0, learningRate: 1e-2, rank: 4, alpha: 8 };
    const rows = data(false, 4);
    const accumulated = await run({ data: rows, settings: { ...settings, batchSize: 2, accumulation: 2 } });
    const whole = await run({ data: rows, settings: { ...settings, batchSize: 4, accumulation: 1 } });
    const split = await run({ data: rows, settings: { ...settings, batchSize: 2, accumulation: 1 } });
    expect(accumulated.totalSteps).toBe(1);
    expect(relativeDifference(accumulated.parameters, whole.parameters)).toBeLessThan(1e-5);
    // Two optimizer steps of two rows each land elsewhere: the comparison can tell runs apart.
    expect(relativeDifference(split.parameters, whole.parameters)).toBeGreaterThan(1e-3);
    // The loss is the mean over all trained tokens, so evaluation agrees whatever the batching.
    const evaluation = (entries: TrainingLogEntry[]) => entries.find((entry) => entry.type === 'evaluation')!.loss!;
    expect(evaluation(accumulated.history.log)).toBeCloseTo(evaluation(whole.history.log), 5);
  });

  it('resumes from an epoch checkpoint to bit-identical tensors, with dropout and image features', async () => {
    const straight = await run({ checkpointDir: join(temporaryFolder(), 'checkpoints') });

    const checkpoints = join(temporaryFolder(), 'checkpoints');
    const stop = new AbortController();
    await expect(
      run({
        checkpointDir: checkpoints,
        signal: stop.signal,
        // Killed in the middle of epoch 2, after the epoch-1 checkpoint.
        onProgress: (progress) => progress.step === 3 && stop.abort(),
      }),
    ).rejects.toThrow(/abort/i);
    expect(readdirSync(checkpoints)).toEqual(['epoch-1']);
    // A half-written checkpoint from a killed save is not taken for a complete one.
    mkdirSync(join(checkpoints, 'epoch-2.partial-1'));
    expect(latestCheckpoint(checkpoints)).toBe(join(checkpoints, 'epoch-1'));

    const resumed = await run({ checkpointDir: checkpoints, resume: true });
    expect(resumed.resumedFrom).toMatchObject({ epoch: 1, step: 2 });
    for (const [name, values] of Object.entries(straight.parameters)) {
      expect(resumed.parameters[name], name).toEqual(values);
    }
    expect(resumed.history).toEqual({
      ...straight.history,
      log: straight.history.log.map((entry) =>
        entry.type === 'evaluation'
          ? { ...entry, checkpoint: entry.checkpoint!.replace(/.*checkpoints/, checkpoints) }
          : entry,
      ),
    });
    expect(existsSync(join(checkpoints, 'epoch-2', 'optimizer.safetensors'))).toBe(true);
  });

  it('refuses to resume with other settings, naming the setting', async () => {
    const checkpoints = join(temporaryFolder(), 'checkpoints');
    await run({ checkpointDir: checkpoints, settings: { batchSize: 2, accumulation: 2, epochs: 1, rank: 4 } });
    await expect(
      run({
        checkpointDir: checkpoints,
        resume: true,
        settings: { batchSize: 2, accumulation: 2, epochs: 1, rank: 2 },
      }),
    ).rejects.toThrow(/cannot resume from .*epoch-1: it was trained with rank 4, not 2/);
  });

  it('logs every 10 steps, evaluates each epoch, reports progress, and truncates long rows with a warning', async () => {
    const log: TrainingLogEntry[] = [];
    const progress: { step: number; eta: number; tokensPerSecond: number; learningRate: number }[] = [];
    const warnings: string[] = [];
    const base = data(false, 8);
    const train = [...base.train];
    train[2] = { ...train[2], tokens: [...train[2].tokens, 7, 8, 9, 10, 11, 12] };
    const rows = { ...base, train };
    const result = await run({
      data: rows,
      settings: { batchSize: 1, accumulation: 1, epochs: 3, learningRate: 1e-2, maxLength: 10, rank: 4, alpha: 8 },
      onLog: (entry) => log.push(entry),
      onProgress: (update) =>
        progress.push({
          step: update.step,
          eta: update.etaSeconds,
          tokensPerSecond: update.tokensPerSecond,
          learningRate: update.learningRate,
        }),
      onWarning: (message) => warnings.push(message),
    });
    expect(result.totalSteps).toBe(24);
    expect(warnings).toEqual([
      expect.stringMatching(/^train row 3: 12 tokens, truncated to the maximum sequence length 10 \(2 of \d+ answer/),
    ]);
    const trainSteps = log.filter((entry) => entry.type === 'train').map((entry) => entry.step);
    expect(trainSteps).toEqual([10, 20, 24]);
    const evaluations = log.filter((entry) => entry.type === 'evaluation');
    expect(evaluations.map((entry) => entry.epoch)).toEqual([1, 2, 3]);
    expect(evaluations[2].loss!).toBeLessThan(evaluations[0].loss!);
    expect(progress.map((update) => update.step)).toEqual(Array.from({ length: 24 }, (_, index) => index + 1));
    expect(progress.at(-1)!.eta).toBe(0);
    expect(progress.every((update) => update.tokensPerSecond > 0)).toBe(true);
    // Warm-up of ceil(24 × 0.05) = 2 steps from 0, then the cosine from the peak.
    expect(progress.slice(0, 3).map((update) => update.learningRate)).toEqual([0, 5e-3, 1e-2]);
  });
});
