import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.ts';

let root: string;
let images: string;
let pairs: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mmkit-cli-dataset-'));
  images = join(root, 'images');
  await mkdir(images);
  const solid = (r: number) =>
    sharp({ create: { width: 24, height: 16, channels: 3, background: { r, g: 90, b: 40 } } });
  await solid(200).png().toFile(join(images, 'a.png'));
  await solid(30).jpeg().toFile(join(images, 'b.jpg'));
  await solid(120).png().toFile(join(images, 'c.png'));
  const jpeg = await sharp(Buffer.from(Array.from({ length: 48 * 32 * 3 }, (_, i) => (i * 31) % 256)), {
    raw: { width: 48, height: 32, channels: 3 },
  })
    .jpeg()
    .toBuffer();
  await writeFile(join(images, 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  pairs = join(root, 'pairs.jsonl');
  await writeFile(
    pairs,
    [
      JSON.stringify({ image_filename: 'a.png', text: '一只在草地上奔跑的小狗' }),
      JSON.stringify({ image_filename: 'b.jpg', text: 'a dark red photo' }),
      '{broken',
      JSON.stringify({ image_filename: 'truncated.jpg', text: 'cut short jpeg' }),
      JSON.stringify({ image_path: 'c.png', question: '这是什么颜色？', answer: '红色' }),
    ].join('\n'),
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('mmkit dataset split', () => {
  it('prints a readable summary with every dropped line', async () => {
    const out = join(root, 'out-text');
    const result = await runCli(['dataset', 'split', pairs, '--images', images, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('5 rows, 3 kept, 2 dropped');
    expect(result.stdout).toContain('line 3: invalid_json');
    expect(result.stdout).toContain('line 4: image_unreadable (truncated.jpg: truncated or corrupt');
    expect(result.stdout).toMatch(/train: 2 rows/);
    expect(result.stdout).toMatch(/test: {2}1 rows/);
    expect((await readdir(out)).sort()).toEqual(['dropped.jsonl', 'test.jsonl', 'train.jsonl']);
    const kept = `${await readFile(join(out, 'train.jsonl'), 'utf8')}${await readFile(join(out, 'test.jsonl'), 'utf8')}`;
    expect(kept).toContain('{"image_path":"c.png","question":"这是什么颜色？","answer":"红色"}');
  });

  it('prints the report as JSON and honours --seed, --test-size and --min-text', async () => {
    const out = join(root, 'out-json');
    const args = ['dataset', 'split', pairs, '--images', images, '--out', out, '--json', '--test-size', '0.5'];
    const result = await runCli([...args, '--seed', '3', '--min-text', '8']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    // The question '这是什么颜色？' has 7 characters: below --min-text 8; the 11-character caption is kept.
    expect(report).toMatchObject({ total: 5, kept: 2, dropped: 3, train: 1, test: 1, seed: 3, test_size: 0.5 });
    expect(report.dropped_by_reason).toEqual({ invalid_json: 1, image_unreadable: 1, text_too_short: 1 });
    expect(report.dropped_rows.map((row: { line: number }) => row.line)).toEqual([3, 4, 5]);
    const kept = `${await readFile(join(out, 'train.jsonl'), 'utf8')}${await readFile(join(out, 'test.jsonl'), 'utf8')}`;
    expect(kept).toContain('"text":"一只在草地上奔跑的小狗"');
  });

  const errors: Array<[string, () => string[], RegExp]> = [
    [
      'a missing JSONL',
      () => [join(root, 'none.jsonl'), '--images', images, '--out', join(root, 'o')],
      /none.jsonl: no such file/,
    ],
    [
      'a missing images folder',
      () => [pairs, '--images', join(root, 'nope'), '--out', join(root, 'o')],
      /images folder does not exist/,
    ],
    [
      'a test size of 1',
      () => [pairs, '--images', images, '--out', join(root, 'o'), '--test-size', '1'],
      /between 0 and 1/,
    ],
    [
      'a test size of 0',
      () => [pairs, '--images', images, '--out', join(root, 'o'), '--test-size', '0'],
      /between 0 and 1/,
    ],
    ['an output folder that is a file', () => [pairs, '--images', images, '--out', pairs], /output must be a folder/],
  ];
  for (const [name, args, message] of errors) {
    it(`refuses ${name} in one line with exit 1`, async () => {
      const result = await runCli(['dataset', 'split', ...args()]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    });
  }

  it('streams a million rows with the heap capped at 48 MB', async () => {
    const big = join(root, 'million.jsonl');
    const stream = createWriteStream(big);
    const names = ['a.png', 'b.jpg', 'c.png', 'truncated.jpg', 'missing.jpg'];
    const expected = { kept: 0, invalid_json: 0, image_unreadable: 0, image_missing: 0 };
    for (let start = 0; start < 1_000_000; start += 10_000) {
      let chunk = '';
      for (let index = start; index < start + 10_000; index++) {
        if (index % 1000 === 999) {
          chunk += '{"image_filename": "a.png", "text": \n';
          expected.invalid_json++;
          continue;
        }
        const image = names[index % names.length];
        chunk += `{"image_filename":"${image}","text":"caption number ${index} 第${index}张"}\n`;
        if (image === 'truncated.jpg') expected.image_unreadable++;
        else if (image === 'missing.jpg') expected.image_missing++;
        else expected.kept++;
      }
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    stream.end();
    await once(stream, 'finish');
    expect((await stat(big)).size).toBeGreaterThan(50_000_000);

    const out = join(root, 'million-out');
    const result = await runCli(['dataset', 'split', big, '--images', images, '--out', out, '--json'], {
      env: { NODE_OPTIONS: '--max-old-space-size=48' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const test = Math.ceil(expected.kept * 0.1);
    expect(report).toMatchObject({ total: 1_000_000, kept: expected.kept, test, train: expected.kept - test });
    expect(report.dropped_by_reason).toEqual({
      image_unreadable: expected.image_unreadable,
      image_missing: expected.image_missing,
      invalid_json: expected.invalid_json,
    });
    expect(report.dropped_rows).toHaveLength(1000);
    expect(report.dropped_rows_omitted).toBe(1_000_000 - expected.kept - 1000);
    const testFile = await readFile(join(out, 'test.jsonl'), 'utf8');
    expect(testFile.split('\n').filter(Boolean)).toHaveLength(test);
    await rm(big);
    await rm(out, { recursive: true });
  });
});
