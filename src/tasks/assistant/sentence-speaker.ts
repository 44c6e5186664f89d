/**
 * Speaks sentences one after another, in order, as they are handed over, while the caller goes on
 * producing the next ones: the overlap that makes the assistant's first audio arrive long before the
 * answer is finished. The first failure stops the rest and is reported once, through `onFailure`
 * (so the caller can stop generating) and again from `finish()`.
 */
import type { SpeechModel } from '../../models/spec/index.ts';
import type { AudioPiece } from './join-audio.ts';

export interface SpokenSentence extends AudioPiece {
  /** 0 for the first sentence spoken. */
  index: number;
  /** What was said. */
  text: string;
}

export interface SentenceSpeakerOptions {
  model: SpeechModel;
  voice?: string;
  speed?: number;
  /** A language hint for the voice (`zh`, `en`). */
  language?: string;
  signal: AbortSignal;
  /** Called with each sentence's audio as soon as it is ready, in order. */
  onSentence: (sentence: SpokenSentence) => void;
  onFailure: (error: unknown) => void;
}

export class SentenceSpeaker {
  private queue: Promise<void> = Promise.resolve();
  private readonly spoken: SpokenSentence[] = [];
  private queued = 0;
  private failure: { error: unknown } | undefined;

  constructor(private readonly options: SentenceSpeakerOptions) {}

  /** Queues `text` to be spoken after everything queued before it. */
  speak(text: string): void {
    const index = this.queued++;
    this.queue = this.queue
      .then(() => this.synthesize(text, index))
      .catch((error: unknown) => {
        if (this.failure !== undefined) return;
        this.failure = { error };
        this.options.onFailure(error);
      });
  }

  /** All sentences' audio, in order, once the last is spoken; rejects with the first failure. */
  async finish(): Promise<SpokenSentence[]> {
    await this.queue;
    if (this.failure !== undefined) throw this.failure.error;
    return this.spoken;
  }

  /** Waits for work in flight to stop, ignoring failures (after the caller has failed itself). */
  async settle(): Promise<void> {
    await this.queue;
  }

  private async synthesize(text: string, index: number): Promise<void> {
    const { model, voice, speed, language, signal } = this.options;
    if (this.failure !== undefined) return;
    signal.throwIfAborted();
    const result = await model.synthesize({
      text,
      signal,
      ...(voice === undefined ? {} : { voice }),
      ...(speed === undefined ? {} : { speed }),
      ...(language === undefined ? {} : { language }),
    });
    signal.throwIfAborted();
    const sentence: SpokenSentence = { index, text, samples: result.samples, sampleRate: result.sampleRate };
    this.spoken.push(sentence);
    this.options.onSentence(sentence);
  }
}
