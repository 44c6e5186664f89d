/**
 * Speech sentence by sentence: the text cut where a reader would pause (the voice assistant's
 * sentence chunker) and each sentence synthesized in turn, so the first can be played, sent or
 * encoded while the next is still being made. What a long text's listener waits for is its first
 * sentence, not the whole. Text with no sentence end is one piece.
 */
import { MmkitError } from '../../errors.ts';
import type { SpeechModel, SpeechRequest } from '../../models/spec/index.ts';
import { SentenceChunker } from '../assistant/sentence-chunker.ts';

export interface SpokenSentence {
  text: string;
  samples: Float32Array;
  sampleRate: number;
}

export interface SpeakSentencesOptions extends Omit<SpeechRequest, 'text'> {
  text: string;
  model: SpeechModel;
}

/** The sentences `text` is spoken in: every one with something to say, or the whole text. */
export function spokenSentences(text: string): string[] {
  const chunker = new SentenceChunker();
  const sentences = [...chunker.push(text), ...chunker.flush()];
  return sentences.length > 0 ? sentences : [text.trim()];
}

export async function* speakSentences(options: SpeakSentencesOptions): AsyncGenerator<SpokenSentence> {
  const { model, text, ...request } = options;
  if (text.trim() === '')
    throw new MmkitError('text is empty: give something to say', { code: 'text_empty', param: 'text' });
  let sampleRate: number | undefined;
  for (const sentence of spokenSentences(text)) {
    request.signal?.throwIfAborted();
    const speech = await model.synthesize({ ...request, text: sentence });
    // One stream has one rate; a model's rate does not change between calls.
    sampleRate ??= speech.sampleRate;
    if (speech.sampleRate !== sampleRate) {
      throw new MmkitError(`${model.description.id} changed its sample rate between sentences`, {
        code: 'speech_rate_changed',
        type: 'runtime_error',
      });
    }
    yield { text: sentence, samples: speech.samples, sampleRate };
  }
}
