/**
 * `OnnxCtcModel`: a wav2vec2-style CTC model (`Wav2Vec2ForCTC` exported to ONNX, Transformers.js
 * layout) run directly on onnxruntime-node. Audio is normalised as the feature extractor says
 * (`do_normalize`: zero mean, unit variance over the whole clip), fed as `input_values`, and the
 * `logits` turned into log-probabilities. The vocabulary is `vocab.json`; the blank is the pad token.
 *
 * Long audio runs in windows (30 s by default) that overlap by some context each side; only each
 * window's middle frames are kept, and since windows start on whole frames (the convolutional
 * encoder's hop), frame t always means samples [hop·t, hop·t + receptive field).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describeError, MmkitError } from '../../../errors.ts';
import { DTYPE_SUFFIXES, type Dtype } from '../../dtypes.ts';
import type { CallOptions, ModelDescription } from '../../spec/common.ts';
import type { CtcEmissions, CtcModel } from '../../spec/ctc-model.ts';

export interface OnnxCtcModelOptions {
  /** Which weights to load: `onnx/model{suffix}.onnx` (default fp32). */
  dtype?: Dtype;
  /** The id to report (default the folder). */
  id?: string;
  /** ONNX Runtime session options for every session the model opens (threads, graph optimisation). */
  sessionOptions?: InferenceSession.SessionOptions;
  /** Window length for long audio (default 30 s). */
  windowSeconds?: number;
  /** Audio each window sees beyond the frames it keeps, each side (default 1 s). */
  contextSeconds?: number;
}

type Json = Record<string, unknown>;

export class OnnxCtcModel implements CtcModel {
  readonly description: ModelDescription;
  readonly vocabulary: readonly string[];
  readonly blankId: number;
  private readonly session: InferenceSession;
  private readonly sampleRate: number;
  private readonly normalize: boolean;
  /** Samples per frame and samples one frame sees, from the convolutional feature encoder. */
  private readonly hop: number;
  private readonly receptiveField: number;
  private readonly windowFrames: number;
  private readonly contextFrames: number;

  private constructor(fields: {
    description: ModelDescription;
    vocabulary: string[];
    blankId: number;
    session: InferenceSession;
    sampleRate: number;
    normalize: boolean;
    hop: number;
    receptiveField: number;
    windowSeconds: number;
    contextSeconds: number;
  }) {
    this.description = fields.description;
    this.vocabulary = fields.vocabulary;
    this.blankId = fields.blankId;
    this.session = fields.session;
    this.sampleRate = fields.sampleRate;
    this.normalize = fields.normalize;
    this.hop = fields.hop;
    this.receptiveField = fields.receptiveField;
    this.windowFrames = Math.max(1, Math.round((fields.windowSeconds * fields.sampleRate) / fields.hop));
    this.contextFrames = Math.max(0, Math.round((fields.contextSeconds * fields.sampleRate) / fields.hop));
  }

  static async load(folder: string, options: OnnxCtcModelOptions = {}): Promise<OnnxCtcModel> {
    const config = await readJson(folder, 'config.json');
    const preprocessor = await readJson(folder, 'preprocessor_config.json');
    const vocabularyMap = await readJson(folder, 'vocab.json');
    const tokenizerConfig = await readJson(folder, 'tokenizer_config.json', false);
    const vocabulary: string[] = [];
    for (const [token, id] of Object.entries(vocabularyMap)) {
      if (!Number.isInteger(id) || (id as number) < 0)
        throw modelError(folder, `vocab.json gives "${token}" the id ${id}`);
      vocabulary[id as number] = token;
    }
    // Array.from turns holes (missing ids) into undefined, which `some` would otherwise skip.
    if (vocabulary.length === 0 || Array.from(vocabulary).some((token) => token === undefined)) {
      throw modelError(folder, 'vocab.json does not number its tokens 0…n−1');
    }
    const padToken = typeof tokenizerConfig?.pad_token === 'string' ? tokenizerConfig.pad_token : undefined;
    const blankId =
      padToken !== undefined && Object.hasOwn(vocabularyMap, padToken)
        ? (vocabularyMap[padToken] as number)
        : (config.pad_token_id ?? 0);
    if (!Number.isInteger(blankId) || (blankId as number) >= vocabulary.length) {
      throw modelError(folder, `the pad (blank) token id ${blankId} is not in vocab.json`);
    }
    const kernels = numberList(config.conv_kernel) ?? [10, 3, 3, 3, 3, 2, 2];
    const strides = numberList(config.conv_stride) ?? [5, 2, 2, 2, 2, 2, 2];
    if (kernels.length !== strides.length) throw modelError(folder, 'conv_kernel and conv_stride differ in length');
    let hop = 1;
    let receptiveField = 1;
    kernels.forEach((kernel, layer) => {
      receptiveField += (kernel - 1) * hop;
      hop *= strides[layer];
    });
    const dtype = options.dtype ?? 'fp32';
    const file = join(folder, 'onnx', `model${DTYPE_SUFFIXES[dtype]}.onnx`);
    if (!(await stat(file).catch(() => undefined))?.isFile()) {
      throw modelError(folder, `has no ${dtype} weights (onnx/model${DTYPE_SUFFIXES[dtype]}.onnx)`);
    }
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(file, options.sessionOptions ?? {});
    } catch (error) {
      throw modelError(folder, `cannot load ${file}: ${describeError(error)}`);
    }
    if (!session.inputNames.includes('input_values')) {
      await session.release();
      throw modelError(folder, `the graph takes ${session.inputNames.join(', ')}, not input_values`);
    }
    return new OnnxCtcModel({
      description: { id: options.id ?? folder, provider: 'onnx' },
      vocabulary,
      blankId: blankId as number,
      session,
      sampleRate: typeof preprocessor.sampling_rate === 'number' ? preprocessor.sampling_rate : 16000,
      normalize: preprocessor.do_normalize !== false,
      hop,
      receptiveField,
      windowSeconds: options.windowSeconds ?? 30,
      contextSeconds: options.contextSeconds ?? 1,
    });
  }

  async emissions(samples: Float32Array, sampleRate: number, options: CallOptions = {}): Promise<CtcEmissions> {
    if (sampleRate !== this.sampleRate) {
      throw new MmkitError(`${this.description.id} hears ${this.sampleRate} Hz audio, got ${sampleRate} Hz`, {
        code: 'invalid_sample_rate',
        param: 'sampleRate',
      });
    }
    const frames =
      samples.length >= this.receptiveField ? Math.floor((samples.length - this.receptiveField) / this.hop) + 1 : 0;
    const classes = this.vocabulary.length;
    const logProbabilities = new Float32Array(frames * classes);
    const secondsPerFrame = this.hop / this.sampleRate;
    if (frames === 0) return { logProbabilities, frames, classes, secondsPerFrame };
    const input = this.normalize ? normalized(samples) : samples;
    const outputName = this.session.outputNames.includes('logits') ? 'logits' : this.session.outputNames[0];
    for (let keepFrom = 0; keepFrom < frames; keepFrom += this.windowFrames) {
      options.signal?.throwIfAborted();
      const keepTo = Math.min(frames, keepFrom + this.windowFrames);
      const windowFrom = Math.max(0, keepFrom - this.contextFrames);
      const windowTo = Math.min(frames, keepTo + this.contextFrames);
      const window = input.subarray(windowFrom * this.hop, (windowTo - 1) * this.hop + this.receptiveField);
      const result = await this.session.run({ input_values: new Tensor('float32', window, [1, window.length]) });
      const logits = result[outputName];
      const [, windowFrames, windowClasses] = logits.dims;
      if (windowClasses !== classes || windowFrames < keepTo - windowFrom) {
        throw new MmkitError(
          `${this.description.id}: the graph gave logits [${logits.dims.join(', ')}], expected [1, ${windowTo - windowFrom}, ${classes}]`,
          { code: 'model_mismatch', type: 'runtime_error', param: 'model' },
        );
      }
      const data = logits.data as Float32Array;
      for (let frame = keepFrom; frame < keepTo; frame++) {
        const offset = (frame - windowFrom) * classes;
        logSoftmax(
          data.subarray(offset, offset + classes),
          logProbabilities.subarray(frame * classes, (frame + 1) * classes),
        );
      }
    }
    return { logProbabilities, frames, classes, secondsPerFrame };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Wav2Vec2FeatureExtractor's zero-mean unit-variance normalisation: (x − mean) / √(var + 1e−7). */
export function normalized(samples: Float32Array): Float32Array {
  let sum = 0;
  for (let index = 0; index < samples.length; index++) sum += samples[index];
  const mean = sum / samples.length;
  let squares = 0;
  for (let index = 0; index < samples.length; index++) squares += (samples[index] - mean) ** 2;
  const scale = 1 / Math.sqrt(squares / samples.length + 1e-7);
  const out = new Float32Array(samples.length);
  for (let index = 0; index < samples.length; index++) out[index] = (samples[index] - mean) * scale;
  return out;
}

function logSoftmax(logits: Float32Array, out: Float32Array): void {
  let top = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < logits.length; index++) top = Math.max(top, logits[index]);
  let total = 0;
  for (let index = 0; index < logits.length; index++) total += Math.exp(logits[index] - top);
  const shift = top + Math.log(total);
  for (let index = 0; index < logits.length; index++) out[index] = logits[index] - shift;
}

async function readJson(folder: string, name: string, required = true): Promise<Json> {
  const path = join(folder, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required) return {};
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `has no ${name}`
        : `cannot read ${name} (${describeError(error)})`;
    throw modelError(folder, `${reason}: not a wav2vec2 CTC model folder`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Json;
  } catch (error) {
    throw modelError(folder, `${name} is not valid JSON (${describeError(error)})`);
  }
}

function numberList(value: unknown): number[] | undefined {
  return Array.isArray(value) && value.every((item) => Number.isInteger(item) && item > 0)
    ? (value as number[])
    : undefined;
}

function modelError(folder: string, reason: string): MmkitError {
  return new MmkitError(`model ${folder}: ${reason}`, { code: 'model_invalid', param: 'model' });
}
