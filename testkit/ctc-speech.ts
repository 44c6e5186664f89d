/**
 * The "speech" the tiny `wav2vec2-ctc` model understands, and a synthesiser for it.
 *
 * The model reads one frame per 320 samples (20 ms at 16 kHz) with wav2vec2-base's 400-sample
 * receptive field, looking at the last 320 samples of each window. Each character of
 * wav2vec2-base-960h's vocabulary (`|`, A–Z, `'`) is a pure tone at its own multiple of 50 Hz
 * (`ctcToneFrequency`); silence is the CTC blank (`<pad>`). `synthesizeCtcSpeech('hello world')`
 * writes such audio, one tone per character slot, aligned so each model frame sees exactly one slot,
 * and returns the exact per-frame path the model emits: tests (and forced alignment) know the
 * answer frame by frame.
 */
import { MmkitError } from '../src/errors.ts';

/** wav2vec2-base-960h's character vocabulary, in its id order (id 0 `<pad>` is the CTC blank). */
export const CTC_VOCABULARY: readonly string[] = [
  '<pad>',
  '<s>',
  '</s>',
  '<unk>',
  '|',
  ...'ETAONIHSRDLUMWCFGYPBVK'.split(''),
  "'",
  ...'XJQZ'.split(''),
];
export const CTC_BLANK_ID = 0;
export const CTC_WORD_DELIMITER = '|';
/** Ids of the characters a tone can spell (everything but the four special tokens). */
export const CTC_TONE_IDS: readonly number[] = CTC_VOCABULARY.map((_, id) => id).filter((id) => id >= 4);

export const CTC_SAMPLE_RATE = 16000;
/** Samples per model frame (20 ms), as in wav2vec2's convolutional feature encoder. */
export const CTC_FRAME_HOP = 320;
/** wav2vec2's receptive field: frame t covers samples [320t, 320t + 400). */
export const CTC_RECEPTIVE_FIELD = 400;
/** The model ignores the first 80 samples of a window, so audio starts with this much silence. */
export const CTC_LEAD_IN = CTC_RECEPTIVE_FIELD - CTC_FRAME_HOP;

/** The tone (Hz) that spells vocabulary id `id`: 300, 400, … 3000 Hz for ids 4 … 31. */
export function ctcToneFrequency(id: number): number {
  if (!CTC_TONE_IDS.includes(id)) throw new RangeError(`vocabulary id ${id} has no tone`);
  return 300 + 100 * (id - 4);
}

export interface CtcSpeechOptions {
  /** Frames per character (default 2 = 40 ms). */
  framesPerCharacter?: number;
  /** Silent (blank) frames before the first and after the last character (default 3). */
  edgeFrames?: number;
  /** Silent frames between two equal characters, which CTC needs to keep both (default 1, at least 1). */
  repeatGapFrames?: number;
  /** Silent frames between any two characters (default 0). */
  gapFrames?: number;
  /** Peak amplitude of each tone (default 0.5). Tones below about 0.1 read as silence. */
  amplitude?: number;
}

export interface CtcSegment {
  /** The vocabulary entry (`A`–`Z`, `'`, `|`). */
  token: string;
  id: number;
  /** First frame, inclusive. */
  startFrame: number;
  /** Last frame, exclusive. */
  endFrame: number;
}

export interface CtcWord {
  word: string;
  startFrame: number;
  endFrame: number;
  /** Frame times at 20 ms per frame, as CTC aligners report them. */
  startSeconds: number;
  endSeconds: number;
}

export interface CtcSpeech {
  audio: Float32Array;
  sampleRate: number;
  /** The text as the model spells it: upper case, words joined by one space. */
  transcript: string;
  /** The vocabulary id the model emits at each frame (0 = blank). */
  frameLabels: number[];
  /** One segment per spoken character, word delimiters included. */
  segments: CtcSegment[];
  words: CtcWord[];
}

/** Upper-cases and splits into words; rejects characters the vocabulary cannot spell. */
function wordsOf(text: string): string[] {
  const words = text.toUpperCase().trim().split(/\s+/).filter(Boolean);
  for (const word of words) {
    for (const character of word) {
      if (!CTC_VOCABULARY.includes(character) || character === CTC_WORD_DELIMITER) {
        throw new MmkitError(`cannot synthesise "${character}" in "${text}": only letters, "'" and spaces`, {
          code: 'unsupported_character',
          param: 'text',
        });
      }
    }
  }
  if (words.length === 0) {
    throw new MmkitError('cannot synthesise empty text', { code: 'empty_text', param: 'text' });
  }
  return words;
}

function count(value: number | undefined, fallback: number, name: string, minimum = 0): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < minimum) {
    throw new MmkitError(`${name} must be an integer ≥ ${minimum}, got ${result}`, {
      code: 'invalid_option',
      param: name,
    });
  }
  return result;
}

export function synthesizeCtcSpeech(text: string, options: CtcSpeechOptions = {}): CtcSpeech {
  const framesPerCharacter = count(options.framesPerCharacter, 2, 'framesPerCharacter', 1);
  const edgeFrames = count(options.edgeFrames, 3, 'edgeFrames');
  const repeatGapFrames = count(options.repeatGapFrames, 1, 'repeatGapFrames', 1);
  const gapFrames = count(options.gapFrames, 0, 'gapFrames');
  const amplitude = options.amplitude ?? 0.5;
  const words = wordsOf(text);

  // The character sequence the model spells, with "|" between words (as wav2vec2-base-960h emits it).
  const spoken = words.flatMap((word, index) => [...(index > 0 ? [CTC_WORD_DELIMITER] : []), ...word]);
  const frameLabels: number[] = new Array(edgeFrames).fill(CTC_BLANK_ID);
  const segments: CtcSegment[] = [];
  spoken.forEach((token, index) => {
    if (index > 0) {
      const gap = token === spoken[index - 1] ? Math.max(gapFrames, repeatGapFrames) : gapFrames;
      for (let frame = 0; frame < gap; frame++) frameLabels.push(CTC_BLANK_ID);
    }
    const id = CTC_VOCABULARY.indexOf(token);
    segments.push({ token, id, startFrame: frameLabels.length, endFrame: frameLabels.length + framesPerCharacter });
    for (let frame = 0; frame < framesPerCharacter; frame++) frameLabels.push(id);
  });
  for (let frame = 0; frame < edgeFrames; frame++) frameLabels.push(CTC_BLANK_ID);

  const audio = new Float32Array(CTC_LEAD_IN + frameLabels.length * CTC_FRAME_HOP);
  for (const segment of segments) {
    const frequency = ctcToneFrequency(segment.id);
    const start = CTC_LEAD_IN + segment.startFrame * CTC_FRAME_HOP;
    const length = (segment.endFrame - segment.startFrame) * CTC_FRAME_HOP;
    for (let sample = 0; sample < length; sample++) {
      audio[start + sample] = amplitude * Math.sin((2 * Math.PI * frequency * sample) / CTC_SAMPLE_RATE);
    }
  }

  const frameSeconds = CTC_FRAME_HOP / CTC_SAMPLE_RATE;
  const wordSegments = segments.filter((segment) => segment.token !== CTC_WORD_DELIMITER);
  let cursor = 0;
  const wordTimes = words.map((word) => {
    const first = wordSegments[cursor];
    const last = wordSegments[cursor + word.length - 1];
    cursor += word.length;
    return {
      word,
      startFrame: first.startFrame,
      endFrame: last.endFrame,
      startSeconds: first.startFrame * frameSeconds,
      endSeconds: last.endFrame * frameSeconds,
    };
  });
  return {
    audio,
    sampleRate: CTC_SAMPLE_RATE,
    transcript: words.join(' '),
    frameLabels,
    segments,
    words: wordTimes,
  };
}

/** Greedy CTC decoding of a frame path: merge repeats, drop blanks, `|` → space. */
export function collapseCtcPath(frameLabels: readonly number[]): string {
  let text = '';
  let previous = -1;
  for (const id of frameLabels) {
    if (id !== previous && id !== CTC_BLANK_ID) {
      const token = CTC_VOCABULARY[id];
      text += token === CTC_WORD_DELIMITER ? ' ' : token;
    }
    previous = id;
  }
  return text.trim();
}
