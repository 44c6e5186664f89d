/**
 * Forced alignment: CTC Viterbi over 60 s of synthetic wav2vec2-like emissions (3000 frames of
 * 20 ms, 32 classes, 900 characters ≈ 15 per second, repeats included) against the plain 2-D
 * implementation (full score and backpointer tables of JavaScript numbers) on the same input.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxCtcModel } from '../src/models/providers/onnx/ctc-model.ts';
import { align } from '../src/tasks/align/align.ts';
import { viterbiAlign } from '../src/tasks/align/ctc-viterbi.ts';
import { referenceViterbi } from '../src/tasks/align/test-support/reference-viterbi.ts';
import { synthesizeCtcSpeech } from '../testkit/ctc-speech.ts';
import { writeModelFiles } from '../testkit/model-files.ts';
import { wav2vec2CtcFiles } from '../testkit/wav2vec2-ctc.ts';
import { type BenchmarkRow, medianMs } from './report.ts';

const CLASSES = 32;
const BLANK = 0;

/** A seeded generator (mulberry32), so every run aligns the same input. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Emissions that favour a random spelling of `labelCount` characters (blanks between), with noise. */
export function syntheticEmissions(seconds: number, labelCount: number, seed = 1) {
  const next = generator(seed);
  const frames = Math.round(seconds / 0.02);
  const labels = Array.from({ length: labelCount }, () => 4 + Math.floor(next() * (CLASSES - 4)));
  const logProbabilities = new Float32Array(frames * CLASSES);
  const framesPerLabel = frames / labelCount;
  for (let frame = 0; frame < frames; frame++) {
    const position = frame / framesPerLabel;
    const label = labels[Math.floor(position)];
    const favoured = position % 1 < 0.5 ? label : BLANK;
    const row = logProbabilities.subarray(frame * CLASSES, (frame + 1) * CLASSES);
    let total = 0;
    for (let index = 0; index < CLASSES; index++) {
      const logit = 2 * next() + (index === favoured ? 6 : 0);
      row[index] = logit;
      total += Math.exp(logit);
    }
    const shift = Math.log(total);
    for (let index = 0; index < CLASSES; index++) row[index] -= shift;
  }
  return { emissions: { logProbabilities, frames, classes: CLASSES }, labels };
}

export async function run(): Promise<BenchmarkRow[]> {
  const rows: BenchmarkRow[] = [];
  for (const seconds of [10, 60]) {
    const { emissions, labels } = syntheticEmissions(seconds, seconds * 15);
    const ours = await medianMs(() => viterbiAlign(emissions, labels, BLANK), { warmup: 2, runs: 7 });
    const reference = await medianMs(() => referenceViterbi(emissions, labels, BLANK), { warmup: 1, runs: 3 });
    const check = viterbiAlign(emissions, labels, BLANK);
    if (check.logProbability !== referenceViterbi(emissions, labels, BLANK).logProbability) {
      throw new Error('viterbiAlign and the reference disagree');
    }
    rows.push({
      name: `CTC Viterbi, ${seconds} s (${emissions.frames} frames × ${labels.length} characters)`,
      ours,
      anchor: reference,
      unit: 'ms',
      anchorName: 'plain 2-D Viterbi',
      better: 'lower',
    });
    if (seconds === 60) {
      rows.push({
        name: 'CTC Viterbi per second of audio (60 s input)',
        ours: ours / seconds,
        anchor: reference / seconds,
        unit: 'ms/s',
        anchorName: 'plain 2-D Viterbi',
        better: 'lower',
      });
    }
  }
  rows.push(await endToEnd());
  return rows;
}

/** `align()` on 60 s of testkit speech (1000 characters) against the model's emissions alone: the task's overhead. */
async function endToEnd(): Promise<BenchmarkRow> {
  const next = generator(5);
  const words = Array.from({ length: 200 }, () =>
    Array.from({ length: 4 }, () => 'ETAONIHSRDLUMWCFGYPBVK'[Math.floor(next() * 22)]).join(''),
  );
  const speech = synthesizeCtcSpeech(words.join(' '), { gapFrames: 1 });
  const directory = await mkdtemp(join(tmpdir(), 'mmkit-align-bench-'));
  try {
    await writeModelFiles(directory, wav2vec2CtcFiles());
    const model = await OnnxCtcModel.load(directory);
    const seconds = speech.audio.length / speech.sampleRate;
    const ours = await medianMs(() => align({ audio: speech.audio, transcript: speech.transcript, model }), {
      runs: 5,
    });
    const anchor = await medianMs(() => model.emissions(speech.audio, speech.sampleRate), { runs: 5 });
    await model.dispose();
    return {
      name: `align() end to end, ${seconds.toFixed(0)} s testkit speech (${speech.segments.length} characters)`,
      ours,
      anchor,
      unit: 'ms',
      anchorName: 'model emissions alone',
      better: 'lower',
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import('./report.ts');
  printRows('align', await run());
}
