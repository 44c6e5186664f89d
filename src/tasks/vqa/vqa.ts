/**
 * Visual question answering (the seed's scenario one): an image and a question in, the answer out,
 * whole (`vqa`) or as it is generated (`vqaStream`). Over the `ChatModel` interface only, so any
 * vision-language model the registry loads answers: an onnx VLM through its own processor and chat
 * template, or an OpenAI-compatible engine. Optionally grounded in the image's OCR text.
 */
import { MmkitError } from '../../errors.ts';
import type { ChatModel, ChatRequest, FinishReason, TokenUsage } from '../../models/spec/index.ts';
import { AnswerText } from './answer-text.ts';
import { isVqaImage, loadVqaImage, type VqaImage, type VqaImageInput, type VqaImageLimits } from './image-input.ts';
import { groundWithOcr, type OcrMode, type OcrSource, type VqaOcrReport } from './ocr-grounding.ts';
import { buildVqaMessages, type VqaTurn } from './prompt.ts';
import { checkQuestion, questionTooLong, resolveSampling, type VqaSamplingOptions } from './settings.ts';

export interface VqaImageOptions extends Partial<VqaImageLimits> {
  /** A path, an http(s) URL, encoded bytes, or an image `loadVqaImage` already checked. */
  image: VqaImageInput | VqaImage;
  /** Reads the image's text for OCR grounding: a model, or a function that loads one when needed. */
  ocr?: OcrSource;
  /** Default: `auto` when `ocr` is given, else `off`. */
  ocrMode?: OcrMode;
  signal?: AbortSignal;
}

export interface VqaOptions extends VqaImageOptions, VqaSamplingOptions {
  question: string;
  model: ChatModel;
  /** Earlier turns about the same image, oldest first. */
  history?: readonly VqaTurn[];
}

export interface VqaTimings {
  /** From the call to the final answer, in milliseconds. */
  totalMs: number;
  /** Reading and checking the image. */
  imageMs: number;
  /** Text-density test and OCR. */
  ocrMs: number;
  /** From the call to the first answer text. */
  firstTokenMs?: number;
  /** The model's part: prompt processing and generation. */
  generationMs: number;
}

export interface VqaResult {
  question: string;
  answer: string;
  /** What a reasoning model thought before answering (not part of the answer), when it did. */
  reasoning?: string;
  /** The model's id, as the registry resolved it. */
  model: string;
  ocr?: VqaOcrReport;
  usage: { prompt_tokens: number; completion_tokens: number };
  finishReason: Exclude<FinishReason, 'abort'>;
  timings: VqaTimings;
}

export type VqaStreamPart =
  | { type: 'ocr'; ocr: VqaOcrReport }
  | { type: 'text-delta'; text: string }
  /** A piece of a reasoning model's thinking, before the answer. */
  | { type: 'reasoning-delta'; text: string }
  | { type: 'finish'; result: VqaResult };

/** What stays the same across the turns about one image: the checked image and its OCR. */
export interface VqaImageContext {
  image: VqaImage;
  ocr: VqaOcrReport | undefined;
  imageMs: number;
  ocrMs: number;
}

/** The answer, whole. */
export async function vqa(options: VqaOptions): Promise<VqaResult> {
  let result: VqaResult | undefined;
  for await (const part of runVqa(options, 'whole')) {
    if (part.type === 'finish') result = part.result;
  }
  return result!;
}

/**
 * The answer as it is generated: an `ocr` part when OCR ran, `text-delta` parts that add up to the
 * answer, then `finish` with the whole result. Cancelling `signal` stops generation at the next
 * token and the iteration rejects with an `AbortError`; leaving the loop early stops it too.
 */
export function vqaStream(options: VqaOptions): AsyncGenerator<VqaStreamPart> {
  return runVqa(options, 'stream');
}

async function* runVqa(options: VqaOptions, delivery: 'whole' | 'stream'): AsyncGenerator<VqaStreamPart> {
  const startedAt = performance.now();
  const sampling = resolveSampling(options);
  const question = checkQuestion(options.question, options.model);
  requireVisionModel(options.model);
  const context = await prepareImageContext(options);
  if (context.ocr) yield { type: 'ocr', ocr: context.ocr };
  yield* answerAboutImage({
    context,
    question,
    history: options.history ?? [],
    model: options.model,
    request: { ...sampling, ...(options.signal ? { signal: options.signal } : {}) },
    startedAt,
    delivery,
  });
}

export function requireVisionModel(model: ChatModel): void {
  if (!model.acceptsImages) {
    throw new MmkitError(
      `${model.description.id} reads text only; questions about images need a vision-language model (e.g. HuggingFaceTB/SmolVLM-256M-Instruct)`,
      { code: 'images_not_supported', param: 'model', type: 'unsupported_error' },
    );
  }
}

/** Reads and checks the image, then runs OCR as the mode says. */
export async function prepareImageContext(options: VqaImageOptions): Promise<VqaImageContext> {
  const imageStart = performance.now();
  const image = isVqaImage(options.image)
    ? options.image
    : await loadVqaImage(options.image, {
        ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
        ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
        ...(options.fetchTimeoutMs === undefined ? {} : { fetchTimeoutMs: options.fetchTimeoutMs }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
  throwIfAborted(options.signal);
  const ocrStart = performance.now();
  const ocr = await groundWithOcr({
    image,
    mode: options.ocrMode ?? (options.ocr ? 'auto' : 'off'),
    ocr: options.ocr,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  throwIfAborted(options.signal);
  return { image, ocr, imageMs: ocrStart - imageStart, ocrMs: performance.now() - ocrStart };
}

export interface AnswerRequest {
  context: VqaImageContext;
  /** Already checked with `checkQuestion`. */
  question: string;
  history: readonly VqaTurn[];
  model: ChatModel;
  request: Omit<ChatRequest, 'messages'>;
  startedAt: number;
  delivery: 'whole' | 'stream';
}

/** One model call about a prepared image: text deltas (streaming only), then `finish`. */
export async function* answerAboutImage(call: AnswerRequest): AsyncGenerator<VqaStreamPart> {
  const { context, model } = call;
  const { ocr } = context;
  const messages = buildVqaMessages({
    image: context.image,
    question: call.question,
    history: call.history,
    ...(ocr?.used ? { ocrText: ocr.text } : {}),
  });
  const request: ChatRequest = { ...call.request, messages };
  const generationStart = performance.now();
  const text = new AnswerText();
  let reasoning = '';
  let firstTokenAt: number | undefined;
  let finishReason: FinishReason = 'stop';
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  try {
    if (call.delivery === 'stream') {
      for await (const part of model.stream(request)) {
        // A reasoning model's thinking is not the answer: it goes apart.
        if (part.type === 'reasoning-delta') {
          reasoning += part.text;
          if (part.text !== '') yield part;
          continue;
        }
        if (part.type === 'finish') {
          finishReason = part.finishReason;
          usage = part.usage;
          continue;
        }
        // No tools are offered: only text is left.
        if (part.type !== 'text-delta') continue;
        const shown = text.push(part.text);
        if (shown === '') continue;
        firstTokenAt ??= performance.now();
        yield { type: 'text-delta', text: shown };
      }
    } else {
      const result = await model.generate(request);
      text.push(result.text);
      reasoning = result.reasoning ?? '';
      finishReason = result.finishReason;
      usage = result.usage;
      if (result.timings.firstOutputMs !== undefined) firstTokenAt = generationStart + result.timings.firstOutputMs;
    }
  } catch (error) {
    if (error instanceof MmkitError && error.code === 'context_length_exceeded') {
      throw questionTooLong(model, error.message);
    }
    throw error;
  }
  // Providers either reject with an AbortError or end with finishReason `abort`: always reject.
  if (finishReason === 'abort') throw abortError(call.request.signal);
  throwIfAborted(call.request.signal);
  const endedAt = performance.now();
  const result: VqaResult = {
    question: call.question,
    answer: text.answer,
    ...(reasoning === '' ? {} : { reasoning }),
    model: model.description.id,
    ...(ocr ? { ocr } : {}),
    usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens },
    finishReason,
    timings: {
      totalMs: endedAt - call.startedAt,
      imageMs: context.imageMs,
      ocrMs: context.ocrMs,
      ...(firstTokenAt === undefined ? {} : { firstTokenMs: firstTokenAt - call.startedAt }),
      generationMs: endedAt - generationStart,
    },
  };
  yield { type: 'finish', result };
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The question was cancelled', 'AbortError');
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
