/**
 * Several questions about one image, each answered with the earlier turns in view. The image is
 * read, checked and OCR'd once; every call sends the whole conversation, with the image (and its OCR
 * text) in the first user turn only, as chat templates expect.
 */
import type { ChatModel } from '../../models/spec/index.ts';
import type { VqaTurn } from './prompt.ts';
import { checkQuestion, resolveSampling, type VqaSamplingOptions } from './settings.ts';
import {
  answerAboutImage,
  prepareImageContext,
  requireVisionModel,
  type VqaImageContext,
  type VqaImageOptions,
  type VqaResult,
  type VqaStreamPart,
} from './vqa.ts';

export interface VqaConversationOptions extends Omit<VqaImageOptions, 'signal'>, VqaSamplingOptions {
  model: ChatModel;
}

export interface VqaAskOptions extends VqaSamplingOptions {
  signal?: AbortSignal;
}

export class VqaConversation {
  private readonly history: VqaTurn[] = [];
  private context: Promise<VqaImageContext> | undefined;
  private busy = false;

  constructor(private readonly options: VqaConversationOptions) {
    requireVisionModel(options.model);
    resolveSampling(options);
  }

  /** The answered turns, oldest first. */
  get turns(): readonly VqaTurn[] {
    return this.history;
  }

  async ask(question: string, options: VqaAskOptions = {}): Promise<VqaResult> {
    let result: VqaResult | undefined;
    for await (const part of this.run(question, options, 'whole')) {
      if (part.type === 'finish') result = part.result;
    }
    return result!;
  }

  /** As `vqaStream`; the `ocr` part comes with the first question only. */
  askStream(question: string, options: VqaAskOptions = {}): AsyncGenerator<VqaStreamPart> {
    return this.run(question, options, 'stream');
  }

  private async *run(
    question: string,
    options: VqaAskOptions,
    delivery: 'whole' | 'stream',
  ): AsyncGenerator<VqaStreamPart> {
    if (this.busy) throw new Error('VqaConversation: one question at a time; wait for the previous answer');
    this.busy = true;
    try {
      const startedAt = performance.now();
      const sampling = resolveSampling({ ...this.options, ...definedOnly(options) });
      const checked = checkQuestion(question, this.options.model);
      const first = this.context === undefined;
      const context = await this.imageContext(options.signal);
      if (first && context.ocr) yield { type: 'ocr', ocr: context.ocr };
      for await (const part of answerAboutImage({
        // Later turns did no image or OCR work.
        context: first ? context : { ...context, imageMs: 0, ocrMs: 0 },
        question: checked,
        history: [...this.history],
        model: this.options.model,
        request: { ...sampling, ...(options.signal ? { signal: options.signal } : {}) },
        startedAt,
        delivery,
      })) {
        if (part.type === 'finish') this.history.push({ question: checked, answer: part.result.answer });
        yield part;
      }
    } finally {
      this.busy = false;
    }
  }

  private imageContext(signal: AbortSignal | undefined): Promise<VqaImageContext> {
    if (this.context === undefined) {
      const loading = prepareImageContext({ ...this.options, ...(signal ? { signal } : {}) });
      this.context = loading;
      // A failed or cancelled first load is tried again by the next question.
      loading.catch(() => {
        if (this.context === loading) this.context = undefined;
      });
    }
    return this.context;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
