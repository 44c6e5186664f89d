/**
 * Frame path → times: each label's run of frames becomes a character span, each word the span of
 * its characters. Scores are mean per-frame probabilities (0–1) of what the path emits, as in
 * torchaudio's forced-alignment tutorial; a word's score weighs its characters by their frames.
 */
import type { EmissionMatrix, ViterbiPath } from './ctc-viterbi.ts';
import type { PreparedTranscript } from './transcript.ts';

export interface AlignedCharacter {
  /** The user's character. */
  text: string;
  /** The vocabulary entry aligned for it (e.g. "H" for "h", "E" for "é"). */
  token: string;
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  score: number;
}

export interface AlignedWord {
  /** The user's word, with its casing and punctuation. */
  word: string;
  start: number;
  end: number;
  score: number;
}

export interface AlignedSpans {
  characters: AlignedCharacter[];
  words: AlignedWord[];
  /** Mean probability of the path over all frames, blanks included. */
  score: number;
}

export function alignedSpans(
  path: ViterbiPath,
  emissions: EmissionMatrix,
  transcript: PreparedTranscript,
  vocabulary: readonly string[],
  secondsPerFrame: number,
): AlignedSpans {
  const labelCount = transcript.labels.length;
  const first = new Int32Array(labelCount).fill(-1);
  const last = new Int32Array(labelCount);
  const probability = new Float64Array(labelCount);
  let total = 0;
  for (let frame = 0; frame < emissions.frames; frame++) {
    const value = Math.exp(emissions.logProbabilities[frame * emissions.classes + path.classes[frame]]);
    total += value;
    const state = path.states[frame];
    if ((state & 1) === 0) continue;
    const label = (state - 1) >> 1;
    if (first[label] < 0) first[label] = frame;
    last[label] = frame;
    probability[label] += value;
  }
  const seconds = (frame: number) => Math.round(frame * secondsPerFrame * 1e6) / 1e6;

  const characters: AlignedCharacter[] = [];
  const wordFirst = new Int32Array(transcript.words.length).fill(-1);
  const wordEnd = new Int32Array(transcript.words.length);
  const wordProbability = new Float64Array(transcript.words.length);
  const wordFrames = new Int32Array(transcript.words.length);
  for (let label = 0; label < labelCount; label++) {
    const index = transcript.labelCharacter[label];
    if (index < 0) continue;
    const character = transcript.characters[index];
    const frames = last[label] - first[label] + 1;
    characters.push({
      text: character.text,
      token: vocabulary[character.id],
      start: seconds(first[label]),
      end: seconds(last[label] + 1),
      score: probability[label] / frames,
    });
    const word = character.word;
    if (wordFirst[word] < 0) wordFirst[word] = first[label];
    wordEnd[word] = last[label] + 1;
    wordProbability[word] += probability[label];
    wordFrames[word] += frames;
  }

  // Words with nothing to align sit, with zero length, where the previous aligned word ends.
  let boundary = wordFirst.find((frame) => frame >= 0) ?? 0;
  const words = transcript.words.map((word, index) => {
    if (wordFirst[index] < 0) return { word, start: seconds(boundary), end: seconds(boundary), score: 0 };
    boundary = wordEnd[index];
    return {
      word,
      start: seconds(wordFirst[index]),
      end: seconds(wordEnd[index]),
      score: wordProbability[index] / wordFrames[index],
    };
  });
  return { characters, words, score: total / emissions.frames };
}
