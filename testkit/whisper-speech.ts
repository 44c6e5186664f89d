/**
 * "Speech" the tiny Whisper understands: each word is a pure tone (see `WHISPER_WORDS`) with short
 * fades, words separated by silence, at 16 kHz. `whisperSpeechSegments` gives the times at which
 * each word sounds, which is what the model's timestamps should report.
 */
import { type WhisperWord, whisperWordFrequency } from './whisper-vocabulary.ts';

export const WHISPER_SAMPLE_RATE = 16000;

export interface WhisperSpeechOptions {
  /** Silence before the first word (default 0.5 s). */
  leadSeconds?: number;
  /** How long each word sounds (default 0.6 s). */
  wordSeconds?: number;
  /** Silence between words (default 0.4 s). */
  gapSeconds?: number;
  /** Peak amplitude (default 0.3). */
  amplitude?: number;
}

export interface WhisperSpeechSegment {
  word: WhisperWord;
  start: number;
  end: number;
}

const FADE_SECONDS = 0.01;

export function whisperSpeechSegments(
  words: readonly WhisperWord[],
  options: WhisperSpeechOptions = {},
): WhisperSpeechSegment[] {
  const { leadSeconds = 0.5, wordSeconds = 0.6, gapSeconds = 0.4 } = options;
  return words.map((word, index) => {
    const start = leadSeconds + index * (wordSeconds + gapSeconds);
    return { word, start, end: start + wordSeconds };
  });
}

/** 16 kHz mono samples: the words' tones in order, ending with the last word's tone. */
export function synthesizeWhisperSpeech(
  words: readonly WhisperWord[],
  options: WhisperSpeechOptions = {},
): Float32Array {
  const { amplitude = 0.3 } = options;
  const segments = whisperSpeechSegments(words, options);
  const totalSeconds = segments.length > 0 ? segments[segments.length - 1].end : (options.leadSeconds ?? 0.5);
  const samples = new Float32Array(Math.round(totalSeconds * WHISPER_SAMPLE_RATE));
  const fadeSamples = FADE_SECONDS * WHISPER_SAMPLE_RATE;
  for (const { word, start, end } of segments) {
    const frequency = whisperWordFrequency(word);
    const first = Math.round(start * WHISPER_SAMPLE_RATE);
    const last = Math.min(samples.length, Math.round(end * WHISPER_SAMPLE_RATE));
    for (let index = first; index < last; index++) {
      const edge = Math.min(index - first, last - 1 - index);
      const fade = edge < fadeSamples ? 0.5 - 0.5 * Math.cos((Math.PI * edge) / fadeSamples) : 1;
      samples[index] = amplitude * fade * Math.sin((2 * Math.PI * frequency * (index - first)) / WHISPER_SAMPLE_RATE);
    }
  }
  return samples;
}
