/**
 * Small stand-ins for the model interfaces, for task tests: a spy around a chat model, a chat model
 * that streams a script piece by piece (waiting on the test between pieces), a transcriber with a
 * fixed transcript, and a voice that answers with a tone at a chosen rate.
 */
import type {
  ChatModel,
  ChatRequest,
  ChatResult,
  ChatStreamPart,
  SpeechModel,
  SpeechRequest,
  SpeechResult,
  TranscriptionModel,
  TranscriptionRequest,
  TranscriptionResult,
} from '../../models/spec/index.ts';

/** Wraps a chat model and records every request it receives. */
export function recordingChatModel(inner: ChatModel): ChatModel & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  return {
    requests,
    description: inner.description,
    acceptsImages: inner.acceptsImages,
    contextLength: inner.contextLength,
    generate(request) {
      requests.push(request);
      return inner.generate(request);
    },
    stream(request) {
      requests.push(request);
      return inner.stream(request);
    },
  };
}

export interface ScriptedChatModelOptions {
  /** The answer, as the pieces the stream yields. */
  pieces: string[];
  /** Awaited before each piece is yielded (a delay, or a wait for something the test watches). */
  beforePiece?: (index: number) => Promise<void>;
}

/** A chat model whose answer is a fixed script, streamed piece by piece at the test's pace. */
export class ScriptedChatModel implements ChatModel {
  readonly description = { id: 'test:scripted', provider: 'test' };
  readonly acceptsImages = false;
  readonly contextLength = 4096;
  readonly requests: ChatRequest[] = [];
  /** Set when the last piece has been yielded. */
  finishedAt: number | undefined;

  constructor(private readonly options: ScriptedChatModelOptions) {}

  async generate(request: ChatRequest): Promise<ChatResult> {
    let text = '';
    let finishReason: ChatResult['finishReason'] = 'stop';
    for await (const part of this.stream(request)) {
      if (part.type === 'text-delta') text += part.text;
      else if (part.type === 'finish') finishReason = part.finishReason;
    }
    return { text, finishReason, usage: { promptTokens: 1, completionTokens: text.length }, timings: { totalMs: 1 } };
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    this.requests.push(request);
    for (const [index, piece] of this.options.pieces.entries()) {
      await this.options.beforePiece?.(index);
      request.signal?.throwIfAborted();
      yield { type: 'text-delta', text: piece };
    }
    this.finishedAt = performance.now();
    const completionTokens = this.options.pieces.join('').length;
    yield {
      type: 'finish',
      finishReason: 'stop',
      usage: { promptTokens: 1, completionTokens },
      timings: { totalMs: 1 },
    };
  }
}

/** Always hears `text`; records what it was given. */
export class FixedTranscriptionModel implements TranscriptionModel {
  readonly description = { id: 'test:fixed-transcript', provider: 'test' };
  readonly requests: TranscriptionRequest[] = [];

  constructor(private readonly text: string) {}

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    this.requests.push(request);
    const durationSeconds = request.samples.length / request.sampleRate;
    return {
      text: this.text,
      language: request.language,
      durationSeconds,
      segments: [{ id: 0, start: 0, end: durationSeconds, text: this.text }],
      timings: { totalMs: 1 },
    };
  }
}

/** Speaks every text as a 440 Hz tone, 10 ms per character, at the rate `rateFor` picks per call. */
export class ToneSpeechModel implements SpeechModel {
  readonly description = { id: 'test:tone', provider: 'test' };
  readonly voices = ['tone'];
  readonly requests: SpeechRequest[] = [];

  constructor(private readonly rateFor: (call: number) => number = () => 16000) {}

  async synthesize(request: SpeechRequest): Promise<SpeechResult> {
    const sampleRate = this.rateFor(this.requests.length);
    this.requests.push(request);
    const samples = new Float32Array(Math.round([...request.text].length * 0.01 * sampleRate));
    for (let index = 0; index < samples.length; index++) {
      samples[index] = 0.5 * Math.sin((2 * Math.PI * 440 * index) / sampleRate);
    }
    return { samples, sampleRate, timings: { totalMs: 1 } };
  }
}
