/** Loading the committed PIL + torchvision goldens and measuring our output against them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIPImageProcessor } from '@huggingface/transformers';
import sharp from 'sharp';
import { CLIP_IMAGE_MEAN, CLIP_IMAGE_STD, type ImageProcessorConfig } from '../config.ts';
import type { ImageTensor } from '../transform.ts';

export const fixturesDirectory = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface GoldenCase {
  input: string;
  golden: string;
  kind: 'clip' | 'siglip' | 'filter';
  resample?: number;
  size?: number;
}

export function goldenCases(): GoldenCase[] {
  return JSON.parse(readFileSync(`${fixturesDirectory}manifest.json`, 'utf8')).cases;
}

/** The golden crop as interleaved uint8 RGB (it is a plain RGB PNG). */
export async function readGolden(name: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(`${fixturesDirectory}${name}`, { ignoreIcc: true })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export interface ParityFigures {
  /** Mean and 99th percentile of |ours − reference|, in normalised units. */
  mean: number;
  p99: number;
  max: number;
  /** Share of values that are identical after rounding back to bytes. */
  exact: number;
}

/**
 * Compare our CHW tensor with a golden uint8 crop normalised the plain way, (v / 255 − mean) / std,
 * in double precision, independently of our lookup tables.
 */
export function parity(ours: ImageTensor, golden: { data: Uint8Array }, config: ImageProcessorConfig): ParityFigures {
  const [, height, width] = ours.shape;
  const plane = height * width;
  const differences = new Float64Array(3 * plane);
  let sum = 0;
  let exact = 0;
  for (let channel = 0; channel < 3; channel++) {
    const mean = config.normalize?.mean[channel] ?? 0;
    const std = config.normalize?.std[channel] ?? 1;
    const factor = config.rescaleFactor ?? 1;
    for (let i = 0; i < plane; i++) {
      const reference = (golden.data[i * 3 + channel] * factor - mean) / std;
      const value = ours.data[channel * plane + i];
      const difference = Math.abs(value - reference);
      differences[channel * plane + i] = difference;
      sum += difference;
      if (Math.round((value * std + mean) / factor) === golden.data[i * 3 + channel]) exact++;
    }
  }
  differences.sort();
  return {
    mean: sum / differences.length,
    p99: differences[Math.floor(0.99 * (differences.length - 1))],
    max: differences[differences.length - 1],
    exact: exact / differences.length,
  };
}

/** Transformers.js's CLIP image processor with Hugging Face's settings for openai/clip-vit-base-patch32. */
export function transformersClipProcessor(): CLIPImageProcessor {
  return new CLIPImageProcessor({
    do_resize: true,
    size: { shortest_edge: 224 },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: 224, width: 224 },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [...CLIP_IMAGE_MEAN],
    image_std: [...CLIP_IMAGE_STD],
    do_convert_rgb: true,
  } as ConstructorParameters<typeof CLIPImageProcessor>[0]);
}
