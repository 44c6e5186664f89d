/**
 * Speech recognition overhead: the whole `transcribe()` path (windowing, Transformers.js feature
 * extraction and generation, timestamp parsing, window merging) with the testkit's tiny Whisper,
 * against the bare onnxruntime calls the same transcript needs (per window: the encoder once, then
 * one merged-decoder step per generated token with the KV cache fed back), on features computed
 * beforehand. Both as a real-time factor (milliseconds of work per second of audio), in one run.
 * The tiny model's ONNX work is small, so the ratio is an upper bound on our overhead: with Whisper
 * small the same fixed costs sit beside seconds of encoder time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoProcessor, type Tensor as TransformersTensor } from '@huggingface/transformers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { OnnxTranscriptionModel } from '../src/models/providers/onnx/transcription-model.ts';
import { transcribe } from '../src/tasks/transcribe/transcribe.ts';
import { planWindows } from '../src/tasks/transcribe/windows.ts';
import { writeModelFiles } from '../testkit/model-files.ts';
import { whisperFiles } from '../testkit/whisper.ts';
import { WHISPER_TOKENS } from '../testkit/whisper-vocabulary.ts';
import { synthesizeWhisperWordGroups } from '../testkit/whisper-word-groups.ts';
import type { BenchmarkRow } from './report.ts';

const RATE = 16000;
const RUNS = 7;

interface BareWhisper {
  encoder: InferenceSession;
  decoder: InferenceSession;
}

/** Greedy decoding of one window on the bare sessions; returns the number of tokens generated. */
async function bareWindow(sessions: BareWhisper, features: Tensor, prompt: readonly number[]): Promise<number> {
  const { last_hidden_state } = await sessions.encoder.run({ input_features: features });
  const cacheNames = sessions.decoder.inputNames.filter((name) => name.startsWith('past_key_values.'));
  const metadata = sessions.decoder.inputMetadata as unknown as { name: string; shape: (number | string)[] }[];
  let cache: Record<string, Tensor> = {};
  for (const name of cacheNames) {
    const shape = metadata.find((entry) => entry.name === name)!.shape;
    const dims = shape.map((size, axis) => (axis === 2 ? 0 : typeof size === 'number' ? size : 1));
    cache[name] = new Tensor('float32', new Float32Array(0), dims);
  }
  let stepIds = [...prompt];
  for (let step = 0; step < 448; step++) {
    const outputs = await sessions.decoder.run({
      ...cache,
      input_ids: new Tensor('int64', BigInt64Array.from(stepIds, BigInt), [1, stepIds.length]),
      encoder_hidden_states: last_hidden_state,
      use_cache_branch: new Tensor('bool', Uint8Array.from([step > 0 ? 1 : 0]), [1]),
    });
    const vocabulary = outputs.logits.dims[2];
    const last = (outputs.logits.data as Float32Array).subarray((stepIds.length - 1) * vocabulary);
    let next = 0;
    for (let id = 1; id < last.length; id++) if (last[id] > last[next]) next = id;
    if (next === WHISPER_TOKENS.endOfText) return step + 1;
    cache = Object.fromEntries(cacheNames.map((name) => [name, outputs[name.replace('past_key_values', 'present')]]));
    stepIds = [next];
  }
  return 448;
}

/**
 * Median wall time of each function, run in alternating rounds after a warm-up, so that a busy
 * machine slows both sides alike.
 */
async function interleavedMedians(functions: (() => Promise<unknown>)[], rounds = RUNS): Promise<number[]> {
  for (const fn of functions) await fn();
  const times = functions.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, fn] of functions.entries()) {
      const started = performance.now();
      await fn();
      times[index].push(performance.now() - started);
    }
  }
  return times.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
}

export async function run(): Promise<BenchmarkRow[]> {
  const directory = mkdtempSync(join(tmpdir(), 'mmkit-bench-speech-'));
  try {
    await writeModelFiles(directory, whisperFiles());
    const model = await OnnxTranscriptionModel.load(directory);
    const processor = await AutoProcessor.from_pretrained(directory, { local_files_only: true });
    const sessions: BareWhisper = {
      encoder: await InferenceSession.create(join(directory, 'onnx', 'encoder_model.onnx')),
      decoder: await InferenceSession.create(join(directory, 'onnx', 'decoder_model_merged.onnx')),
    };
    const prompt = [WHISPER_TOKENS.startOfTranscript, WHISPER_TOKENS.languages['<|en|>'], WHISPER_TOKENS.transcribe];
    const rows: BenchmarkRow[] = [];
    try {
      for (const seconds of [30, 70]) {
        const { samples } = synthesizeWhisperWordGroups(seconds);
        const windows = planWindows(samples.length, RATE);
        const features: Tensor[] = [];
        for (const window of windows) {
          const { input_features } = (await processor(samples.subarray(window.startSample, window.endSample))) as {
            input_features: TransformersTensor;
          };
          features.push(new Tensor('float32', input_features.data as Float32Array, input_features.dims));
        }
        let tokens = 0;
        const [bareMs, oursMs] = await interleavedMedians([
          async () => {
            tokens = 0;
            for (const windowFeatures of features) tokens += await bareWindow(sessions, windowFeatures, prompt);
          },
          () => transcribe({ audio: samples, model, language: 'en' }),
        ]);
        rows.push({
          name: `ASR real-time factor, ${seconds} s (${windows.length} window${windows.length > 1 ? 's' : ''}, ${tokens} tokens), tiny whisper`,
          ours: oursMs / seconds,
          anchor: bareMs / seconds,
          unit: 'ms per audio second',
          anchorName: 'bare onnxruntime encoder + decoder loop (features precomputed)',
          better: 'lower',
        });
      }
    } finally {
      await model.dispose();
      await sessions.encoder.release();
      await sessions.decoder.release();
    }
    return rows;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
