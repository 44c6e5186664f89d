import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoTokenizer,
  env,
  type PreTrainedTokenizer,
  pipeline,
  type RawAudio,
  type Tensor,
  type TextToAudioPipeline,
  VitsModel,
} from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFiles } from './model-files.ts';
import { VITS_CHARACTER_SAMPLES, VITS_SAMPLE_RATE, vitsCharacterFrequency, vitsFiles, vitsVocabulary } from './vits.ts';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Strength of `frequency` in `samples` (one DFT bin, normalised to the amplitude of a sine). */
function toneStrength(samples: Float32Array, frequency: number): number {
  let real = 0;
  let imaginary = 0;
  samples.forEach((sample, index) => {
    const angle = (2 * Math.PI * frequency * index) / VITS_SAMPLE_RATE;
    real += sample * Math.cos(angle);
    imaginary -= sample * Math.sin(angle);
  });
  return (2 * Math.hypot(real, imaginary)) / samples.length;
}

/** What each 0.1 s span sounds like: the letter whose tone dominates it, or ' ' for silence. */
function hearLetters(audio: Float32Array): string {
  let heard = '';
  for (let start = 0; start + VITS_CHARACTER_SAMPLES <= audio.length; start += VITS_CHARACTER_SAMPLES) {
    const span = audio.subarray(start, start + VITS_CHARACTER_SAMPLES);
    const strengths = Array.from(LETTERS, (letter) => toneStrength(span, vitsCharacterFrequency(letter)));
    const best = Math.max(...strengths);
    heard += best < 0.05 ? ' ' : LETTERS[strengths.indexOf(best)];
  }
  return heard;
}

describe('testkit vits (letters as tones)', () => {
  let directory: string;
  let tokenizer: PreTrainedTokenizer;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-vits-'));
    await writeModelFiles(directory, vitsFiles());
    env.allowRemoteModels = false;
    tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('tokenizes like MMS-TTS: lower case, unknown characters dropped, blanks between characters', () => {
    expect(tokenizer.constructor.name).toBe('VitsTokenizer');
    const ids = (tokenizer('Hi, yo!').input_ids.tolist() as bigint[][])[0].map(Number);
    const vocabulary = vitsVocabulary();
    expect(ids).toEqual([0, vocabulary.h, 0, vocabulary.i, 0, vocabulary[' '], 0, vocabulary.y, 0, vocabulary.o, 0]);
    expect(tokenizer.decode(ids)).toBe('hi yo');
  });

  it('speaks each letter as its tone for 0.1 s and a space as silence (text-to-speech pipeline)', async () => {
    const synthesizer = (await pipeline('text-to-speech', directory, {
      local_files_only: true,
    })) as TextToAudioPipeline;
    try {
      const output = (await synthesizer('Hello World')) as RawAudio;
      const audio = output.audio as Float32Array;
      expect(output.sampling_rate).toBe(16000);
      expect(audio.length).toBe(11 * VITS_CHARACTER_SAMPLES);
      expect(hearLetters(audio)).toBe('hello world');
      const peak = audio.reduce((maximum, sample) => Math.max(maximum, Math.abs(sample)), 0);
      expect(peak).toBeCloseTo(0.3, 2);
      const space = audio.subarray(5 * VITS_CHARACTER_SAMPLES, 6 * VITS_CHARACTER_SAMPLES);
      expect(space.every((sample) => sample === 0)).toBe(true);
    } finally {
      await synthesizer.dispose();
    }
  });

  it('runs a padded batch through VitsModel: each item as long as its text, silence after', async () => {
    const model = await VitsModel.from_pretrained(directory, { local_files_only: true });
    try {
      const inputs = tokenizer(['zap', 'a b c d'], { padding: true });
      const { waveform } = (await model(inputs)) as { waveform: Tensor };
      expect(waveform.dims).toEqual([2, 7 * VITS_CHARACTER_SAMPLES]);
      const rows = waveform.tolist() as number[][];
      expect(hearLetters(Float32Array.from(rows[0]))).toBe('zap    ');
      expect(hearLetters(Float32Array.from(rows[1]))).toBe('a b c d');
    } finally {
      await model.dispose();
    }
  });
});
