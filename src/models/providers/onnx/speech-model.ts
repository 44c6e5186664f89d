import { resolve } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer, type Tensor, VitsModel } from '@huggingface/transformers';
import type { InferenceSession } from 'onnxruntime-node';
import { describeError, MmkitError } from '../../../errors.ts';
import { timeStretch } from '../../../preprocess/audio/time-stretch.ts';
import { splitSentences } from '../../../preprocess/text/sentences.ts';
import type { ModelDescription, SpeechModel, SpeechRequest, SpeechResult } from '../../spec/index.ts';
import { requireModelType } from './model-type.ts';
import { withSessionOptions } from './session-options.ts';

export interface OnnxSpeechOptions {
  id?: string;
  dtype?: string | Record<string, string>;
  device?: 'cpu' | 'cuda';
  /** ONNX Runtime session options for every session the model opens (threads, graph optimisation). */
  sessionOptions?: InferenceSession.SessionOptions;
  /** Silence between sentences (default 0.2 s). */
  pauseSeconds?: number;
  /** Longest sentence given to the model at once (default 300 characters). */
  maxSentenceCharacters?: number;
}

export const DEFAULT_VOICE = 'default';

export class OnnxSpeechModel implements SpeechModel {
  readonly description: ModelDescription;
  /** VITS/MMS checkpoints speak with one voice. */
  readonly voices: readonly string[] = [DEFAULT_VOICE];
  readonly sampleRate: number;
  private readonly emptyTextIds: Set<bigint>;

  private constructor(
    private readonly model: VitsModel,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly options: OnnxSpeechOptions,
    description: ModelDescription,
  ) {
    this.description = description;
    this.sampleRate = Number((model.config as { sampling_rate?: number }).sampling_rate ?? 16000);
    const empty = (tokenizer('') as { input_ids: Tensor }).input_ids.data as BigInt64Array;
    const fillers = [tokenizer.pad_token_id, tokenizer.unk_token_id].filter((id) => id !== undefined && id !== null);
    this.emptyTextIds = new Set([...empty, ...fillers.map((id) => BigInt(id as number))]);
  }

  static async load(folderPath: string, options: OnnxSpeechOptions = {}): Promise<OnnxSpeechModel> {
    const folder = resolve(folderPath);
    const { model, tokenizer } = await loadVitsParts(folder, options);
    return new OnnxSpeechModel(model, tokenizer, options, { id: options.id ?? `onnx:${folder}`, provider: 'onnx' });
  }

  async synthesize(request: SpeechRequest): Promise<SpeechResult> {
    const started = performance.now();
    const { signal } = request;
    const speed = request.speed ?? 1;
    if (!(speed >= 0.25 && speed <= 4)) {
      throw new MmkitError(`speed must be between 0.25 and 4, got ${speed}`, { code: 'invalid_speed', param: 'speed' });
    }
    if (request.voice !== undefined && !this.voices.includes(request.voice)) {
      throw new MmkitError(
        `voice "${request.voice}" is not one ${this.description.id} has; it has: ${this.voices.join(', ')}`,
        { code: 'voice_unknown', param: 'voice' },
      );
    }
    const sentences = splitSentences(request.text, { maxCharacters: this.options.maxSentenceCharacters });
    const pause = new Float32Array(Math.round((this.options.pauseSeconds ?? 0.2) * this.sampleRate));
    const parts: Float32Array[] = [];
    let firstOutputMs: number | undefined;
    for (const sentence of sentences) {
      signal?.throwIfAborted();
      const spoken = await this.speak(sentence);
      if (spoken.length === 0) continue;
      firstOutputMs ??= performance.now() - started;
      if (parts.length > 0) parts.push(pause);
      parts.push(spoken);
    }
    signal?.throwIfAborted();
    if (parts.length === 0) {
      throw new MmkitError(
        `${this.description.id} cannot speak any of this text (its vocabulary has none of its characters)`,
        { code: 'text_unspeakable', param: 'text' },
      );
    }
    const joined = concatenate(parts);
    const samples = speed === 1 ? joined : timeStretch(joined, this.sampleRate, speed);
    return {
      samples,
      sampleRate: this.sampleRate,
      timings: { totalMs: performance.now() - started, ...(firstOutputMs === undefined ? {} : { firstOutputMs }) },
    };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** One sentence; empty when the tokenizer keeps none of its characters. */
  private async speak(sentence: string): Promise<Float32Array> {
    const inputs = this.tokenizer(sentence) as { input_ids: Tensor; attention_mask: Tensor };
    const ids = inputs.input_ids.data as BigInt64Array;
    // MMS tokenizers drop characters they do not know and put a blank (the pad token) between the
    // others: a sentence of nothing but blanks and unknowns says nothing.
    if (!ids.some((id) => !this.emptyTextIds.has(id))) return new Float32Array(0);
    const { waveform } = (await this.model(inputs)) as { waveform: Tensor };
    return Float32Array.from(waveform.data as Float32Array);
  }
}

function concatenate(parts: readonly Float32Array[]): Float32Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

async function loadVitsParts(folder: string, options: OnnxSpeechOptions) {
  await requireModelType(folder, 'vits', 'a VITS text-to-speech model');
  const modelOptions = withSessionOptions(
    { local_files_only: true, device: options.device ?? 'cpu', ...(options.dtype ? { dtype: options.dtype } : {}) },
    options.sessionOptions,
  );
  try {
    const [model, tokenizer] = await Promise.all([
      VitsModel.from_pretrained(folder, modelOptions as never),
      AutoTokenizer.from_pretrained(folder, { local_files_only: true }),
    ]);
    return { model: model as VitsModel, tokenizer };
  } catch (error) {
    throw new MmkitError(`cannot load the VITS model in ${folder}: ${describeError(error)}`, {
      code: 'model_load_failed',
      param: 'model',
    });
  }
}
