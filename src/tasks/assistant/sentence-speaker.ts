/**
 * Speaks sentences in order as they are handed over, while the caller goes on producing the next
 * ones: the overlap that makes the assistant's first audio arrive long before the answer is done.
 * Sentences that pile up while the voice is busy are spoken together in its next call (up to
 * `maxBatchCharacters`): every call has a fixed cost (the espeak voice starts a WASM instance per
 * call), so the first sentence goes alone, for speed, and the rest in as few calls as keep up.
 * The first failure stops the rest and is reported through `onFailure` (so the caller can stop
 * generating) and again from `finish()`.
 */
import type { SpeechModel } from '../../models/spec/index.ts';
import type { AudioPiece } from './join-audio.ts';

export interface SpokenChunk extends AudioPiece {
  /** 0 for the first piece of audio. */
  index: number;
  /** What was said: one sentence, or several spoken in one call. */
  text: string;
}

export interface SentenceSpeakerOptions {
  model: SpeechModel;
  voice?: string;
  speed?: number;
  /** A language hint for the voice (`zh`, `en`). */
  language?: string;
  signal: AbortSignal;
  /** Longest text given to the voice in one call when sentences are waiting (default 200). */
  maxBatchCharacters?: number;
  /** Called with each piece of audio as soon as it is ready, in order. */
  onChunk: (chunk: SpokenChunk) => void;
  onFailure: (error: unknown) => void;
}

export class SentenceSpeaker {
  private readonly pending: string[] = [];
  private readonly spoken: SpokenChunk[] = [];
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly options: SentenceSpeakerOptions) {}

  /** Queues `text` to be spoken after everything queued before it. */
  speak(text: string): void {
    if (this.failure !== undefined) return;
    this.pending.push(text);
    this.running ??= this.drain();
  }

  /** All audio, in order, once the last sentence is spoken; rejects with the first failure. */
  async finish(): Promise<SpokenChunk[]> {
    await this.settle();
    if (this.failure !== undefined) throw this.failure.error;
    return this.spoken;
  }

  /** Waits until nothing is being spoken, ignoring failures (for a caller that has failed itself). */
  async settle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) await this.synthesize(this.takeBatch());
    } catch (error) {
      this.pending.length = 0;
      this.failure = { error };
      this.options.onFailure(error);
    } finally {
      // Cleared in the same step as the loop's last check, so a sentence queued later starts a new drain.
      this.running = undefined;
    }
  }

  /** The first waiting sentence, and those after it that fit in one call. */
  private takeBatch(): string {
    const limit = this.options.maxBatchCharacters ?? 200;
    let text = this.pending.shift() as string;
    while (this.pending.length > 0 && [...text].length + 1 + [...this.pending[0]].length <= limit) {
      text += ` ${this.pending.shift()}`;
    }
    return text;
  }

  private async synthesize(text: string): Promise<void> {
    const { model, voice, speed, language, signal } = this.options;
    signal.throwIfAborted();
    const result = await model.synthesize({
      text,
      signal,
      ...(voice === undefined ? {} : { voice }),
      ...(speed === undefined ? {} : { speed }),
      ...(language === undefined ? {} : { language }),
    });
    signal.throwIfAborted();
    const chunk: SpokenChunk = {
      index: this.spoken.length,
      text,
      samples: result.samples,
      sampleRate: result.sampleRate,
    };
    this.spoken.push(chunk);
    this.options.onChunk(chunk);
  }
}
