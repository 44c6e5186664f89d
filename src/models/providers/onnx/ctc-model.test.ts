import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTC_VOCABULARY, synthesizeCtcSpeech } from '../../../../testkit/ctc-speech.ts';
import { writeModelFiles } from '../../../../testkit/model-files.ts';
import { wav2vec2CtcFiles } from '../../../../testkit/wav2vec2-ctc.ts';
import { isMmkitError } from '../../../errors.ts';
import { normalized, OnnxCtcModel } from './ctc-model.ts';

function argmaxPath(emissions: { logProbabilities: Float32Array; frames: number; classes: number }): number[] {
  const path: number[] = [];
  for (let frame = 0; frame < emissions.frames; frame++) {
    const row = emissions.logProbabilities.subarray(frame * emissions.classes, (frame + 1) * emissions.classes);
    path.push(row.indexOf(Math.max(...row)));
  }
  return path;
}

async function loadFailure(folder: string, options = {}): Promise<{ code: string; message: string }> {
  try {
    await OnnxCtcModel.load(folder, options);
  } catch (error) {
    if (isMmkitError(error)) return error;
    throw error;
  }
  throw new Error('expected an MmkitError');
}

describe('OnnxCtcModel', () => {
  let directory: string;
  let model: OnnxCtcModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-ctc-model-'));
    await writeModelFiles(directory, wav2vec2CtcFiles());
    model = await OnnxCtcModel.load(directory, { id: 'tiny-ctc' });
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('reads the vocabulary from vocab.json and the blank from the pad token', () => {
    expect(model.vocabulary).toEqual(CTC_VOCABULARY);
    expect(model.blankId).toBe(0);
    expect(model.description).toEqual({ id: 'tiny-ctc', provider: 'onnx' });
  });

  it('emits log-probabilities with the exact synthesised path, 20 ms per frame', async () => {
    const speech = synthesizeCtcSpeech('hello world');
    const emissions = await model.emissions(speech.audio, 16000);
    expect(emissions.frames).toBe(speech.frameLabels.length);
    expect(emissions.classes).toBe(32);
    expect(emissions.secondsPerFrame).toBe(0.02);
    expect(argmaxPath(emissions)).toEqual(speech.frameLabels);
    for (let frame = 0; frame < emissions.frames; frame++) {
      const row = emissions.logProbabilities.subarray(frame * 32, (frame + 1) * 32);
      expect(row.reduce((sum, value) => sum + Math.exp(value), 0)).toBeCloseTo(1, 5);
    }
  });

  it('gives the same emissions in short windows as in one pass (long audio)', async () => {
    const speech = synthesizeCtcSpeech('windows keep frames aligned', { gapFrames: 1 });
    const whole = await model.emissions(speech.audio, 16000);
    const windowed = await OnnxCtcModel.load(directory, { windowSeconds: 0.1, contextSeconds: 0.04 });
    try {
      const parts = await windowed.emissions(speech.audio, 16000);
      expect(parts.frames).toBe(whole.frames);
      const difference = parts.logProbabilities.reduce(
        (worst, value, index) => Math.max(worst, Math.abs(value - whole.logProbabilities[index])),
        0,
      );
      expect(difference).toBeLessThan(1e-4);
      expect(argmaxPath(parts)).toEqual(speech.frameLabels);
    } finally {
      await windowed.dispose();
    }
  });

  it('normalises like Wav2Vec2FeatureExtractor and returns no frames for audio under one receptive field', async () => {
    const values = normalized(Float32Array.from([1, 2, 3, 4]));
    // mean 2.5, variance 1.25
    expect([...values].map((value) => Number(value.toFixed(5)))).toEqual(
      [-1.5, -0.5, 0.5, 1.5].map((value) => Number((value / Math.sqrt(1.25 + 1e-7)).toFixed(5))),
    );
    expect((await model.emissions(new Float32Array(399), 16000)).frames).toBe(0);
    expect((await model.emissions(new Float32Array(400).fill(0.1), 16000)).frames).toBe(1);
  });

  it('rejects the wrong sample rate and folders that are not CTC models, naming the folder', async () => {
    await expect(model.emissions(new Float32Array(800), 8000)).rejects.toThrow('hears 16000 Hz audio, got 8000 Hz');
    const missing = await loadFailure(join(directory, 'nope'));
    expect(missing.code).toBe('model_invalid');
    expect(missing.message).toContain('has no config.json: not a wav2vec2 CTC model folder');
    const noWeights = await loadFailure(directory, { dtype: 'q8' });
    expect(noWeights.message).toBe(`model ${directory}: has no q8 weights (onnx/model_quantized.onnx)`);
    const broken = await mkdtemp(join(tmpdir(), 'mmkit-ctc-broken-'));
    try {
      await writeModelFiles(broken, wav2vec2CtcFiles());
      await writeFile(join(broken, 'vocab.json'), '{"a": 0,');
      expect((await loadFailure(broken)).message).toContain('vocab.json is not valid JSON');
      await writeFile(join(broken, 'vocab.json'), '{"a": 0, "b": 2}');
      expect((await loadFailure(broken)).message).toContain('vocab.json does not number its tokens');
      await writeFile(join(broken, 'vocab.json'), JSON.stringify({ '<pad>': 0, A: 1 }));
      await unlink(join(broken, 'onnx', 'model.onnx'));
      expect((await loadFailure(broken)).message).toContain('has no fp32 weights');
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});
