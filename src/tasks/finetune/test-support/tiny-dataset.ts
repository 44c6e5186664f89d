/**
 * A tiny fine-tuning data set for tests: solid-colour PNGs, a `{image_path, question, answer}`
 * JSONL whose answers name the colour in a made-up way ("scarlet", "emerald"), plus rows that
 * must be dropped (missing image, empty answer, unreadable image) — and the testkit `llava-llama` model (a seeded Llama
 * decoder behind the colour-share vision encoder, trainable from its `model.safetensors`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { llavaLlamaFiles } from '../../../../testkit/llava-llama.ts';
import { writeModelFiles } from '../../../../testkit/model-files.ts';

export const TINY_COLOURS = {
  red: [230, 20, 25],
  green: [20, 200, 40],
  blue: [15, 30, 235],
} as const;

/** The answers the tuned model should learn: not what the base model says. */
export const TINY_ANSWERS: Record<keyof typeof TINY_COLOURS, string> = {
  red: 'scarlet',
  green: 'emerald',
  blue: 'navy',
};

export interface TinyDataset {
  data: string;
  images: string;
  model: string;
  /** Kept rows: two questions per colour. */
  kept: number;
}

export async function writeTinyDataset(root: string): Promise<TinyDataset> {
  const images = join(root, 'images');
  const model = join(root, 'llava-llama');
  await mkdir(images, { recursive: true });
  await writeModelFiles(model, llavaLlamaFiles());
  const rows: Record<string, string>[] = [];
  for (const [name, rgb] of Object.entries(TINY_COLOURS)) {
    const pixels = Buffer.alloc(40 * 30 * 3);
    for (let pixel = 0; pixel < 40 * 30; pixel++) pixels.set(rgb, pixel * 3);
    await sharp(pixels, { raw: { width: 40, height: 30, channels: 3 } })
      .png()
      .toFile(join(images, `${name}.png`));
    const answer = TINY_ANSWERS[name as keyof typeof TINY_COLOURS];
    rows.push({ image_path: `${name}.png`, question: 'What colour is this?', answer });
    rows.push({ image_path: `${name}.png`, question: 'Name the colour.', answer });
  }
  await writeFile(join(images, 'broken.png'), Buffer.from('not a png at all'));
  rows.push({ image_path: 'absent.png', question: 'What colour is this?', answer: 'none' });
  rows.push({ image_path: 'red.png', question: 'What colour is this?', answer: '  ' });
  rows.push({ image_path: 'broken.png', question: 'What colour is this?', answer: 'unknown' });
  const data = join(root, 'data.jsonl');
  await writeFile(data, `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  return { data, images, model, kept: 6 };
}
