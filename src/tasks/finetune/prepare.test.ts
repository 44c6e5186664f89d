import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLAVA_SPECIAL_TOKENS } from '../../../testkit/llava.ts';
import { LLAVA_COLOUR_NAMES, LLAVA_IMAGE_TOKENS } from '../../../testkit/llava-vision.ts';
import { decodeNpy } from '../../media/npy.ts';
import { prepareFinetuneData } from './prepare.ts';
import { openPreparedDataset, preparedTrainingData } from './prepared-dataset.ts';
import { TINY_ANSWERS, type TinyDataset, writeTinyDataset } from './test-support/tiny-dataset.ts';

let root: string;
let dataset: TinyDataset;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mmkit-prepare-'));
  dataset = await writeTinyDataset(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const resolveModel = async (model: string) => model;

describe('prepareFinetuneData', () => {
  it('drops bad rows with reasons, tokenizes with the chat template and image tokens, and encodes each image once', async () => {
    const out = join(root, 'prepared');
    const warnings: string[] = [];
    const manifest = await prepareFinetuneData({
      dataPath: dataset.data,
      imagesDir: dataset.images,
      model: dataset.model,
      outDir: out,
      validation: 0.34,
      seed: 7,
      resolveModel,
      onWarning: (message) => warnings.push(message),
    });
    expect(manifest.counts).toMatchObject({ rows: 9, kept: 6, dropped: 3, train: 3, validation: 3, images: 3 });
    expect(manifest.droppedRows.map((row) => [row.line, row.reason])).toEqual([
      [7, 'image_missing'],
      [8, 'text_too_short'],
      [9, 'image_unreadable'],
    ]);
    expect(warnings).toEqual([]);
    expect(manifest.imageTokenId).toBe(LLAVA_SPECIAL_TOKENS.image.id);
    expect(manifest.hiddenSize).toBe(32);

    const tokenizer = await AutoTokenizer.from_pretrained(dataset.model, { local_files_only: true });
    for (const row of [...manifest.train, ...manifest.validationRows]) {
      const imageTokens = row.inputIds.filter((token) => token === manifest.imageTokenId).length;
      expect(imageTokens).toBe(LLAVA_IMAGE_TOKENS);
      const prompt = tokenizer.decode(row.inputIds.slice(0, row.labelStart));
      expect(prompt).toBe(`<|user|>\n${'<image>'.repeat(LLAVA_IMAGE_TOKENS)}${row.question}<|end|>\n<|assistant|>\n`);
      expect(tokenizer.decode(row.inputIds.slice(row.labelStart))).toBe(`${row.answer}<|end|>\n`);
      expect(Object.values(TINY_ANSWERS)).toContain(row.answer);
    }

    // One features file per image; a red image votes red in every patch.
    expect(readdirSync(join(out, 'features')).sort()).toEqual(['000000.npy', '000001.npy', '000002.npy']);
    const red = manifest.features.find((entry) => entry.image === 'red.png')!;
    const array = decodeNpy(new Uint8Array(readFileSync(join(out, red.file))));
    expect(array.shape).toEqual([LLAVA_IMAGE_TOKENS, 32]);
    const redSlot = LLAVA_COLOUR_NAMES.indexOf('red');
    expect((array.data as Float32Array)[redSlot]).toBeGreaterThan(0.99);

    // The training view: image features read back per row.
    const opened = openPreparedDataset(out);
    const data = preparedTrainingData(opened);
    expect(data.train).toHaveLength(3);
    expect(data.readFeatures!(data.train[0].image!)).toHaveLength(LLAVA_IMAGE_TOKENS * 32);
    expect(opened.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('cuts rows over the maximum length with a warning naming the row', async () => {
    const warnings: string[] = [];
    const manifest = await prepareFinetuneData({
      dataPath: dataset.data,
      imagesDir: dataset.images,
      model: dataset.model,
      outDir: join(root, 'short'),
      maxLength: 40,
      resolveModel,
      onWarning: (message) => warnings.push(message),
    });
    // Prompts are 16 image tokens + ~30 text tokens: every row loses its answer.
    expect(manifest.counts.truncated).toBe(6);
    expect(warnings[0]).toMatch(/^train row 1 \(\w+\.png\): \d+ tokens, truncated to the maximum sequence length 40/);
    expect(manifest.train.every((row) => row.inputIds.length === 40)).toBe(true);
  });

  it('refuses an output folder with other files, and leaves nothing behind when the model is unusable', async () => {
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    await expect(
      prepareFinetuneData({
        dataPath: dataset.data,
        imagesDir: dataset.images,
        model: dataset.model,
        outDir: busy,
        resolveModel,
      }),
    ).rejects.toThrow(/busy: the output folder holds other files/);

    const out = join(root, 'not-made');
    await expect(
      prepareFinetuneData({
        dataPath: dataset.data,
        imagesDir: dataset.images,
        model: dataset.images,
        outDir: out,
        resolveModel,
      }),
    ).rejects.toThrow(/images\/config\.json: cannot read/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((name) => name.includes('partial'))).toEqual([]);
  });
});
