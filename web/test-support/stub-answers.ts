/**
 * The stub API's deterministic content: colour names from pixels, solid-colour PNGs, tone WAVs.
 * Kept apart from the HTTP plumbing in stub-api.ts.
 */
import sharp from 'sharp';
import { encodeWav } from '../../src/media/wav.ts';

const PALETTE: [string, [number, number, number]][] = [
  ['red', [220, 30, 30]],
  ['green', [30, 170, 60]],
  ['blue', [30, 70, 220]],
  ['yellow', [235, 215, 40]],
  ['orange', [245, 140, 20]],
  ['purple', [130, 50, 170]],
  ['white', [245, 245, 245]],
  ['black', [15, 15, 15]],
  ['gray', [128, 128, 128]],
];

/** The palette colour nearest to the image's mean pixel; throws when sharp cannot decode it. */
export async function dominantColour(image: Buffer): Promise<string> {
  const { data, info } = await sharp(image).removeAlpha().resize(32, 32, { fit: 'fill' }).raw().toBuffer({
    resolveWithObject: true,
  });
  const sums = [0, 0, 0];
  for (let index = 0; index < data.length; index++) sums[index % info.channels] += data[index];
  const pixels = data.length / info.channels;
  const mean = sums.map((sum) => sum / pixels);
  let best = PALETTE[0];
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const entry of PALETTE) {
    const distance = entry[1].reduce((total, value, channel) => total + (value - mean[channel]) ** 2, 0);
    if (distance < bestDistance) [best, bestDistance] = [entry, distance];
  }
  return best[0];
}

/** The colour named in a prompt, else one picked by the seed. */
export function colourForPrompt(prompt: string, seed: number): [number, number, number] {
  const named = PALETTE.find(([name]) => new RegExp(`\\b${name}\\b`, 'i').test(prompt));
  return (named ?? PALETTE[seed % PALETTE.length])[1];
}

export async function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

/** A short sine tone, a stand-in for one spoken sentence. */
export function toneWav(seconds: number, frequency: number, sampleRate = 16_000): Buffer {
  const samples = new Float32Array(Math.round(seconds * sampleRate));
  for (let index = 0; index < samples.length; index++) {
    samples[index] = 0.3 * Math.sin((2 * Math.PI * frequency * index) / sampleRate);
  }
  return encodeWav(samples, sampleRate);
}

/** Splits an answer into sentences (Latin and CJK end marks), keeping the marks. */
export function sentencesOf(text: string): string[] {
  return (
    text
      .match(/[^.!?。！？]+[.!?。！？]*\s*/g)
      ?.map((sentence) => sentence.trim())
      .filter(Boolean) ?? []
  );
}

export const STUB_STYLES = [
  { name: 'photorealistic', label_zh: '写实', label_en: 'Photorealistic' },
  { name: '油画', label_zh: '油画', label_en: 'Oil painting' },
  { name: '卡通', label_zh: '卡通', label_en: 'Cartoon' },
  { name: '水彩', label_zh: '水彩', label_en: 'Watercolour' },
  { name: '素描', label_zh: '素描', label_en: 'Sketch' },
].map((style) => ({ ...style, template: `${style.label_en.toLowerCase()} style` }));
