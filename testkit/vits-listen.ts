/**
 * Hears what the tiny VITS said: each `characterSamples` span of audio is the letter whose tone is
 * strongest in it (see `vitsCharacterFrequency`), or a space when no tone is there. With speed
 * changes, pass the stretched span length.
 */
import { VITS_CHARACTER_SAMPLES, VITS_SAMPLE_RATE, vitsCharacterFrequency } from './vits.ts';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Amplitude of the `frequency` component of `span` (a single-bin DFT, Hann-weighted). */
export function toneAmplitude(span: Float32Array, frequency: number, sampleRate = VITS_SAMPLE_RATE): number {
  let real = 0;
  let imaginary = 0;
  let weights = 0;
  for (let index = 0; index < span.length; index++) {
    const weight = 0.5 - 0.5 * Math.cos((2 * Math.PI * index) / span.length);
    const phase = (2 * Math.PI * frequency * index) / sampleRate;
    real += weight * span[index] * Math.cos(phase);
    imaginary += weight * span[index] * Math.sin(phase);
    weights += weight;
  }
  return (2 * Math.hypot(real, imaginary)) / weights;
}

export function hearVitsLetters(audio: Float32Array, characterSamples = VITS_CHARACTER_SAMPLES): string {
  let heard = '';
  for (let start = 0; start + characterSamples <= audio.length; start += characterSamples) {
    // The middle of each span: stretched audio blurs the edges between letters.
    const span = audio.subarray(start + characterSamples / 4, start + (3 * characterSamples) / 4);
    const strengths = Array.from(LETTERS, (letter) => toneAmplitude(span, vitsCharacterFrequency(letter)));
    const best = Math.max(...strengths);
    heard += best < 0.05 ? ' ' : LETTERS[strengths.indexOf(best)];
  }
  return heard;
}
