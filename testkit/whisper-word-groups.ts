/**
 * Long "speech" for the tiny Whisper: groups of 3–6 words separated by pauses of different
 * lengths, filling up to `seconds`. At 70 s a word sounds across each 30 s window edge (20, 30, 40
 * and 50 s), which is what long-audio windowing must get right. Deterministic.
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
    const audio = synthesizeWhisperSpeech(groupWords, { leadSeconds: 0.5 + (group % 3) * 0.4, gapSeconds: 0.35 });
    if (offset + audio.length > samples.length) break;
    samples.set(audio, offset);
    offset += audio.length;
    words.push(...groupWords);
  }
  return { samples, words };
}
