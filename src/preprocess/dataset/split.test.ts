import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageVerdictCache } from './image-check.ts';
import { splitDataset, testCount } from './split.ts';

let root: string;
let images: string;

/** Pixels that do not compress away, so truncating the file cuts real image data. */
function noise(width: number, height: number): Buffer {
  return Buffer.from(Array.from({ length: width * height * 3 }, (_, index) => (index * 7919 + 13) % 251));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mmkit-split-'));
  images = join(root, 'images');
  await mkdir(join(images, 'sub'), { recursive: true });
  const raw = { raw: { width: 64, height: 48, channels: 3 as const } };
  await sharp(noise(64, 48), raw).png().toFile(join(images, 'good.png'));
  await sharp(noise(64, 48), raw).jpeg().toFile(join(images, 'photo.jpg'));
  const jpeg = await sharp(noise(64, 48), raw).jpeg().toBuffer();
  await writeFile(join(images, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
  await writeFile(join(images, 'empty.jpg'), '');
  await writeFile(join(images, 'notes.jpg'), 'these are notes, not an image\n');
  await writeFile(
    join(root, 'outside.png'),
    await sharp(noise(8, 8), { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toBuffer(),
  );
});

const caption = (image: string, text: unknown) => JSON.stringify({ image_filename: image, text });
const question = (image: string, q: string, a: string) => JSON.stringify({ image_path: image, question: q, answer: a });

async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

describe('splitDataset', () => {
  it('keeps good rows, drops and reports every bad one with its line number and reason', async () => {
    const lines = [
      caption('good.png', '一只在草地上奔跑的小狗'), // 1 kept
      caption('photo.jpg', '  a photo of a red car  '), // 2 kept, trimmed
      '{"image_filename": "good.png", "text": ', // 3 malformed
      caption('missing.jpg', 'a missing image'), // 4
      caption('truncated.jpg', 'a truncated jpeg'), // 5
      caption('empty.jpg', 'a zero-byte file'), // 6
      caption('notes.jpg', 'a text file named .jpg'), // 7
      caption('good.png', '小狗跑'), // 8 three code points
      caption('good.png', '🐶🐶🐶'), // 9 three code points (six UTF-16 units)
      caption('good.png', '🐶🐶🐶🐶🐶'), // 10 kept: five code points
      caption('../outside.png', 'escaping the images folder'), // 11
      caption('/etc/hostname', 'an absolute path'), // 12
      JSON.stringify({ text: 'no image field at all' }), // 13
      '[1, 2, 3]', // 14 not an object
      '', // 15 blank: not a row
      question('photo.jpg', 'What colour is the car?', 'red'), // 16 kept: short answers are fine
      question('photo.jpg', 'What is it?', '   '), // 17 empty answer
      question('photo.jpg', 'Why', 'because it is'), // 18 short question
      caption('sub/../good.png', 'a path that normalises'), // 19 kept as good.png
      caption('good.png', 42), // 20 text not a string
    ];
    const pairs = join(root, 'pairs.jsonl');
    await writeFile(pairs, `${lines.join('\n')}\n`);
    const out = join(root, 'out');
    const report = await splitDataset({ pairsPath: pairs, imagesDir: images, outDir: out, testSize: 0.4 });

    expect(report.droppedRows.map((row) => [row.line, row.reason])).toEqual([
      [3, 'invalid_json'],
      [4, 'image_missing'],
      [5, 'image_unreadable'],
      [6, 'image_unreadable'],
      [7, 'image_unreadable'],
      [8, 'text_too_short'],
      [9, 'text_too_short'],
      [11, 'unsafe_path'],
      [12, 'unsafe_path'],
      [13, 'missing_field'],
      [14, 'invalid_json'],
      [17, 'text_too_short'],
      [18, 'text_too_short'],
      [20, 'missing_field'],
    ]);
    expect(report.droppedRows[2].detail).toMatch(/truncated\.jpg: truncated or corrupt/);
    expect(report).toMatchObject({ total: 19, kept: 5, dropped: 14, train: 3, test: 2, droppedRowsOmitted: 0 });
    expect(report.droppedByReason).toEqual({
      invalid_json: 2,
      image_missing: 1,
      image_unreadable: 3,
      text_too_short: 4,
      unsafe_path: 2,
      missing_field: 2,
    });

    const rows = [...(await readJsonl(join(out, 'train.jsonl'))), ...(await readJsonl(join(out, 'test.jsonl')))];
    expect(rows).toHaveLength(5);
    expect(rows).toEqual(
      expect.arrayContaining([
        { image_filename: 'good.png', text: '一只在草地上奔跑的小狗' },
        { image_filename: 'photo.jpg', text: 'a photo of a red car' },
        { image_filename: 'good.png', text: '🐶🐶🐶🐶🐶' },
        { image_path: 'photo.jpg', question: 'What colour is the car?', answer: 'red' },
        { image_filename: 'good.png', text: 'a path that normalises' },
      ]),
    );
    const droppedFile = await readJsonl(join(out, 'dropped.jsonl'));
    expect(droppedFile.map((row) => row.line)).toEqual(report.droppedRows.map((row) => row.line));
    expect((await readdir(out)).sort()).toEqual(['dropped.jsonl', 'test.jsonl', 'train.jsonl']);
  });

  it('splits reproducibly by seed, with ceil(testSize × kept) test rows', async () => {
    const pairs = join(root, 'many.jsonl');
    const lines = Array.from({ length: 203 }, (_, index) => caption('good.png', `caption number ${index}`));
    await writeFile(pairs, lines.join('\n'));
    const run = async (seed: number, name: string) => {
      const outDir = join(root, name);
      const report = await splitDataset({ pairsPath: pairs, imagesDir: images, outDir, seed, testSize: 0.25 });
      return {
        report,
        test: await readFile(join(outDir, 'test.jsonl'), 'utf8'),
        train: await readJsonl(join(outDir, 'train.jsonl')),
      };
    };
    const first = await run(42, 'seed-a');
    const again = await run(42, 'seed-b');
    const other = await run(7, 'seed-c');
    expect(first.report.test).toBe(51);
    expect(first.report.train).toBe(152);
    expect(again.test).toBe(first.test);
    expect(other.test).not.toBe(first.test);
    const testTexts = first.test
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).text as string);
    const all = new Set([...testTexts, ...first.train.map((row) => row.text as string)]);
    expect(all.size).toBe(203);
    // Uniform choice, not a block: test rows come from all over the file.
    const indices = testTexts.map((text) => Number(text.split(' ').at(-1)));
    expect(Math.min(...indices)).toBeLessThan(40);
    expect(Math.max(...indices)).toBeGreaterThan(160);
  });

  it('rounds the test count up without float noise', () => {
    expect(testCount(30, 0.1)).toBe(3);
    expect(testCount(31, 0.1)).toBe(4);
    expect(testCount(1, 0.1)).toBe(1);
    expect(testCount(0, 0.1)).toBe(0);
  });

  it('caps the dropped rows kept in the report but writes all of them', async () => {
    const pairs = join(root, 'bad.jsonl');
    await writeFile(pairs, Array.from({ length: 30 }, () => 'not json').join('\n'));
    const outDir = join(root, 'bad-out');
    const report = await splitDataset({ pairsPath: pairs, imagesDir: images, outDir, maxReportedDrops: 10 });
    expect(report.droppedRows).toHaveLength(10);
    expect(report.droppedRowsOmitted).toBe(20);
    expect(await readJsonl(join(outDir, 'dropped.jsonl'))).toHaveLength(30);
    expect(report).toMatchObject({ kept: 0, train: 0, test: 0 });
  });

  it('leaves nothing partial when the output cannot be written', async () => {
    const pairs = join(root, 'ok.jsonl');
    await writeFile(pairs, caption('good.png', 'a fine caption here'));
    const outDir = join(root, 'blocked');
    await mkdir(join(outDir, 'train.jsonl'), { recursive: true });
    await expect(splitDataset({ pairsPath: pairs, imagesDir: images, outDir })).rejects.toThrow(
      /dataset split into .* failed/,
    );
    expect(await readdir(outDir)).toEqual(['train.jsonl']);
  });

  it('refuses bad paths and options with one-line reasons', async () => {
    const pairs = join(root, 'ok.jsonl');
    const base = { pairsPath: pairs, imagesDir: images, outDir: join(root, 'x') };
    await expect(splitDataset({ ...base, pairsPath: join(root, 'nope.jsonl') })).rejects.toThrow(
      /nope.jsonl: no such file/,
    );
    await expect(splitDataset({ ...base, imagesDir: join(root, 'no-images') })).rejects.toThrow(
      /images folder does not exist/,
    );
    await expect(splitDataset({ ...base, outDir: pairs })).rejects.toThrow(/output must be a folder/);
    await expect(splitDataset({ ...base, testSize: 1 })).rejects.toThrow(/test size must be between 0 and 1/);
    await expect(splitDataset({ ...base, testSize: 0 })).rejects.toThrow(/test size must be between 0 and 1/);
  });
});

describe('ImageVerdictCache', () => {
  it('checks each path once and forgets the oldest beyond its capacity', async () => {
    const checked: string[] = [];
    const cache = new ImageVerdictCache(2, async (path) => {
      checked.push(path);
      return { ok: true };
    });
    for (const path of ['a', 'a', 'b', 'a', 'c', 'a', 'b']) await cache.verdict(path);
    expect(checked).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(cache.size).toBe(2);
  });
});
