import { resolve } from 'node:path';
import {
  AutoTokenizer,
  LogitsProcessor,
  type PreTrainedTokenizer,
  Tensor,
  WhisperForConditionalGeneration,
} from '@huggingface/transformers';
import type { InferenceSession } from 'onnxruntime-node';
import { describeError, MmkitError } from '../../../errors.ts';
import { whisperLogMel } from '../../../preprocess/audio/whisper-features.ts';
import type {
  ModelDescription,
  TranscriptionModel,
  TranscriptionRequest,
  TranscriptionResult,
} from '../../spec/index.ts';
import { requireModelType } from './model-type.ts';
import { withSessionOptions } from './session-options.ts';
import { pickLanguage, type WhisperTokenLayout, whisperSegments } from './whisper-output.ts';

export const WHISPER_SAMPLE_RATE = 16000;
export const WHISPER_WINDOW_SECONDS = 30;

export interface OnnxTranscriptionOptions {
  /** The id the model is reported under (default `onnx:<folder>`). */
  id?: string;
  /** Transformers.js dtype (`fp32`, `fp16`, `q8`, …, or one per session). */
  dtype?: string | Record<string, string>;
  device?: 'cpu' | 'cuda';
  /** ONNX Runtime session options for every session the model opens (threads, graph optimisation). */
  sessionOptions?: InferenceSession.SessionOptions;
  /** Most tokens generated per 30 s window (default: the model's limit, 448 for Whisper). */
  maxNewTokens?: number;
}

interface WhisperGenerationSettings {
  decoder_start_token_id: number;
  eos_token_id: number | number[];
  no_timestamps_token_id: number;
  lang_to_id?: Record<string, number>;
  task_to_id?: Record<string, number>;
  is_multilingual?: boolean;
  prev_sot_token_id?: number;
}

/** Keeps the last scores it is shown, so language detection can read them. */
class ScoreRecorder extends LogitsProcessor {
  scores: Float32Array | undefined;
  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    this.scores = (logits.data as Float32Array).slice();
    return logits;
  }
}

/**
 * Ends generation within a token or two once the signal fires, by leaving `<|endoftext|>` the only
 * choice. A logits processor rather than a stopping criterion, because Transformers.js's
 * timestamped (seek) generation drops stopping criteria but runs every logits processor.
 */
class AbortProcessor extends LogitsProcessor {
  constructor(
    private readonly signal: AbortSignal,
    private readonly endOfText: number,
  ) {
    super();
  }
  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    if (!this.signal.aborted) return logits;
    const scores = logits.data as Float32Array;
    const vocabulary = logits.dims.at(-1)!;
    scores.fill(Number.NEGATIVE_INFINITY);
    for (let row = 0; row < scores.length / vocabulary; row++) scores[row * vocabulary + this.endOfText] = 0;
    return logits;
  }
}

export class OnnxTranscriptionModel implements TranscriptionModel {
  readonly description: ModelDescription;
  /** Language codes the model knows (`en`, `zh`, …); empty for English-only models. */
  readonly languages: readonly string[];
  private readonly layout: WhisperTokenLayout;

  private constructor(
    private readonly model: WhisperForConditionalGeneration,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly options: OnnxTranscriptionOptions,
    description: ModelDescription,
  ) {
    this.description = description;
    const settings = this.settings();
    this.languages = Object.keys(settings.lang_to_id ?? {}).map((token) => token.slice(2, -2));
    this.layout = {
      timestampBegin: settings.no_timestamps_token_id + 1,
      // Whisper puts every text token below <|endoftext|>, the first special token.
      firstSpecial: [settings.eos_token_id].flat()[0],
      timePrecision: 0.02,
    };
  }

  static async load(folderPath: string, options: OnnxTranscriptionOptions = {}): Promise<OnnxTranscriptionModel> {
    const folder = resolve(folderPath);
    const { model, tokenizer } = await loadWhisperParts(folder, options);
    const description = { id: options.id ?? `onnx:${folder}`, provider: 'onnx' };
    return new OnnxTranscriptionModel(model, tokenizer, options, description);
  }

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const started = performance.now();
    const { samples, sampleRate, signal } = request;
    signal?.throwIfAborted();
    if (sampleRate !== WHISPER_SAMPLE_RATE) {
      throw new MmkitError(`whisper hears 16000 Hz audio, got ${sampleRate} Hz (resample it first)`, {
        code: 'invalid_audio',
        param: 'sampleRate',
      });
    }
    const durationSeconds = samples.length / sampleRate;
    if (durationSeconds > WHISPER_WINDOW_SECONDS + 1e-6) {
      throw new MmkitError(
        `whisper hears at most ${WHISPER_WINDOW_SECONDS} s per call, got ${durationSeconds.toFixed(1)} s; use transcribe() from mmkit, which windows long audio`,
        { code: 'audio_too_long', param: 'samples' },
      );
    }
    const settings = this.settings();
    const task = request.task ?? 'transcribe';
    const multilingual = settings.is_multilingual !== false && settings.lang_to_id !== undefined;
    if (!multilingual && (task === 'translate' || !['en', 'auto'].includes(request.language))) {
      throw new MmkitError(`${this.description.id} is English-only: it cannot ${task} ${request.language}`, {
        code: 'language_unsupported',
        param: 'language',
      });
    }
    // Our log-mel (same numbers as WhisperFeatureExtractor to ~1e-4, about 20× faster).
    const nMels = this.melBins();
    const input_features = new Tensor('float32', whisperLogMel(samples, { nMels }), [1, nMels, 3000]);
    signal?.throwIfAborted();
    let language = request.language;
    if (multilingual) {
      language = language === 'auto' ? await this.detectLanguage(input_features, signal) : this.checkLanguage(language);
    }
    const prompt = [
      ...this.promptIds(request.prompt, settings),
      settings.decoder_start_token_id,
      ...(multilingual ? [settings.lang_to_id![`<|${language}|>`], this.taskId(task, settings)] : []),
    ];
    const output = (await this.model.generate({
      inputs: input_features,
      decoder_input_ids: prompt,
      return_timestamps: true,
      ...(this.options.maxNewTokens ? { max_new_tokens: this.options.maxNewTokens } : {}),
      ...(signal ? { logits_processor: [new AbortProcessor(signal, this.layout.firstSpecial)] } : {}),
    } as never)) as Tensor;
    signal?.throwIfAborted();
    const generated = (output.tolist() as bigint[][])[0].map(Number).slice(prompt.length);
    const decode = (ids: number[]) => (ids.length ? this.tokenizer.decode(ids, { skip_special_tokens: true }) : '');
    const segments = whisperSegments(generated, this.layout, durationSeconds, decode).map((segment, id) => ({
      id,
      start: segment.start,
      end: segment.end,
      text: segment.text,
    }));
    const text = decode(generated.filter((id) => id < this.layout.firstSpecial)).trim();
    return {
      text,
      language: multilingual ? language : 'en',
      durationSeconds,
      segments,
      timings: { totalMs: performance.now() - started },
    };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  private melBins(): 80 | 128 {
    return (this.model.config as { num_mel_bins?: number }).num_mel_bins === 128 ? 128 : 80;
  }

  private settings(): WhisperGenerationSettings {
    return this.model.generation_config as unknown as WhisperGenerationSettings;
  }

  private checkLanguage(language: string): string {
    const code = language.trim().toLowerCase();
    if (this.languages.includes(code)) return code;
    const known = this.languages.slice(0, 12).join(', ');
    throw new MmkitError(
      `language "${language}" is not one ${this.description.id} knows; use auto or a code such as ${known}${this.languages.length > 12 ? ', …' : ''}`,
      { code: 'language_unsupported', param: 'language' },
    );
  }

  private taskId(task: string, settings: WhisperGenerationSettings): number {
    const id = settings.task_to_id?.[task];
    if (id === undefined) {
      throw new MmkitError(`${this.description.id} cannot ${task}`, { code: 'task_unsupported', param: 'task' });
    }
    return id;
  }

  /** `<|startofprev|>` and the prompt's tokens, when there is a prompt and the model has the token. */
  private promptIds(prompt: string | undefined, settings: WhisperGenerationSettings): number[] {
    const text = prompt?.trim();
    const previous = settings.prev_sot_token_id;
    if (!text || previous === undefined) return [];
    // Whisper keeps the prompt to the last half of its 448-token context.
    const ids = this.tokenizer.encode(` ${text}`, { add_special_tokens: false }).slice(-223);
    return [previous, ...ids];
  }

  private async detectLanguage(features: Tensor, signal: AbortSignal | undefined): Promise<string> {
    const settings = this.settings();
    const recorder = new ScoreRecorder();
    await this.model.generate({
      inputs: features,
      decoder_input_ids: [settings.decoder_start_token_id],
      max_new_tokens: 1,
      logits_processor: [recorder],
    } as never);
    signal?.throwIfAborted();
    if (!recorder.scores) throw new Error('language detection saw no decoder scores');
    return pickLanguage(recorder.scores, settings.lang_to_id ?? {});
  }
}

/** Processor, tokenizer and model of a Whisper folder, with one-line errors. */
async function loadWhisperParts(folder: string, options: OnnxTranscriptionOptions) {
  await requireModelType(folder, 'whisper', 'a speech recognition model (Whisper, or one fine-tuned for CTC)');
  const modelOptions = withSessionOptions(
    { local_files_only: true, device: options.device ?? 'cpu', ...(options.dtype ? { dtype: options.dtype } : {}) },
    options.sessionOptions,
  );
  try {
    const [model, tokenizer] = await Promise.all([
      WhisperForConditionalGeneration.from_pretrained(folder, modelOptions as never),
      AutoTokenizer.from_pretrained(folder, { local_files_only: true }),
    ]);
    return { model: model as WhisperForConditionalGeneration, tokenizer };
  } catch (error) {
    throw new MmkitError(`cannot load the Whisper model in ${folder}: ${describeError(error)}`, {
      code: 'model_load_failed',
      param: 'model',
    });
  }
}
