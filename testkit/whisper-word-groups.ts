/**
 * Long "speech" for the tiny Whisper: groups of 3–6 words separated by pauses of different
 * lengths, filling up to `seconds`, so that words fall on every 30 s window edge (for testing
 * long-audio windowing). Deterministic: the same `seconds` always gives the same audio.
 */
import { synthesizeWhisperSpeech, WHISPER_SAMPLE_RATE } from './whisper-speech.ts';
import { WHISPER_WORDS, type WhisperWord } from './whisper-vocabulary.ts';

export function synthesizeWhisperWordGroups(seconds: number): { samples: Float32Array; words: WhisperWord[] } {
  const names = WHISPER_WORDS.map((word) => word.english);
  const samples = new Float32Array(Math.round(seconds * WHISPER_SAMPLE_RATE));
  const words: WhisperWord[] = [];
  let offset = 0;
  for (let group = 0; ; group++) {
    const groupWords = Array.from({ length: 3 + (group % 4) }, (_, index) => names[(group * 5 + index * 7) % 6]);
    const audio = synthesizeWhisperSpeech(groupWords, { leadSeconds: 0.3 + (group % 3) * 0.45, gapSeconds: 0.35 });
    if (offset + audio.length > samples.length) break;
    samples.set(audio, offset);
    offset += audio.length;
    words.push(...groupWords);
  }
  return { samples, words };
}
