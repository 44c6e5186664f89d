import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeClipTokenizer } from '../../../testkit/clip-tokenizer.ts';
import { decodeNpy } from '../../media/npy.ts';
import { runCli } from '../test-support/run-cli.ts';

const golden = JSON.parse(
  await readFile(new URL('../../preprocess/text/clip-tokenize.golden.json', import.meta.url), 'utf8'),
) as { cases: Array<{ text: string; input_ids: number[]; attention_mask: number[] }> };
const chinese = golden.cases.find((c) => c.text === '一只在草地上奔跑的小狗')!;
const english = golden.cases.find((c) => c.text === 'a photo of a cat')!;

let root: string;
let tokenizerDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mmkit-cli-text-'));
  tokenizerDir = join(root, 'clip');
  await writeClipTokenizer(tokenizerDir);
});

describe('mmkit preprocess text', () => {
  it('prints ids, mask and shape as JSON, matching the reference', async () => {
    const result = await runCli([
      'preprocess',
      'text',
      chinese.text,
      english.text,
      '--tokenizer',
      tokenizerDir,
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.shape).toEqual([2, 77]);
    expect(output.input_ids).toEqual([chinese.input_ids, english.input_ids]);
    expect(output.attention_mask).toEqual([chinese.attention_mask, english.attention_mask]);
    expect(output.tokens[1]).toEqual([
      '<|startoftext|>',
      'a</w>',
      'photo</w>',
      'of</w>',
      'a</w>',
      'cat</w>',
      '<|endoftext|>',
    ]);
  });

  it('prints tokens per text without --json and writes int64 input_ids with --out', async () => {
    const out = join(root, 'ids.npy');
    const result = await runCli([
      'preprocess',
      'text',
      'a photo of a cat',
      '--tokenizer',
      tokenizerDir,
      '--max-length',
      '10',
      '--out',
      out,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"a photo of a cat": 7 tokens');
    expect(result.stdout).toContain('photo</w> of</w> a</w> cat</w>');
    expect(result.stdout).toContain('shape [1, 10]');
    const array = decodeNpy(await readFile(out));
    expect(array.dtype).toBe('int64');
    expect(array.shape).toEqual([1, 10]);
    expect(Array.from(array.data as BigInt64Array, Number)).toEqual([
      49406, 320, 1125, 539, 320, 2368, 49407, 49407, 49407, 49407,
    ]);
  });

  it('loads a repo id from HF_ENDPOINT, sending HF_TOKEN', async () => {
    const files = join(root, 'hub', 'acme', 'tiny-clip');
    await writeClipTokenizer(files);
    const seen: Array<{ url: string; authorization: string | undefined }> = [];
    const server: Server = createServer(async (request, response) => {
      seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
      const match = /^\/acme\/tiny-clip\/resolve\/main\/([\w.]+)$/.exec(request.url ?? '');
      const body = match ? await readFile(join(files, match[1])).catch(() => undefined) : undefined;
      response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(body ?? '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await runCli(
        ['preprocess', 'text', 'a photo of a cat', '--tokenizer', 'acme/tiny-clip', '--json'],
        {
          env: { HF_ENDPOINT: `http://127.0.0.1:${port}`, HF_TOKEN: 'hf_test_token', MMKIT_HOME: join(root, 'home') },
        },
      );
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout).input_ids).toEqual([english.input_ids]);
      expect(seen.map((request) => request.url)).toContain('/acme/tiny-clip/resolve/main/tokenizer.json');
      expect(seen.every((request) => request.authorization === 'Bearer hf_test_token')).toBe(true);
    } finally {
      server.close();
    }
  });

  it('reports a repo that cannot be fetched in one line', async () => {
    const result = await runCli(['preprocess', 'text', 'hi', '--tokenizer', 'acme/missing'], {
      env: { HF_ENDPOINT: 'http://127.0.0.1:9', MMKIT_HOME: join(root, 'home') },
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^mmkit: tokenizer 'acme\/missing' is not a local folder and could not be loaded/);
  });
});

describe('mmkit preprocess text errors', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a missing folder', () => ['hi', '--tokenizer', join(root, 'missing')], /tokenizer folder does not exist/],
    ['no text', () => ['--tokenizer', tokenizerDir], /no text given/],
    ['a max length below 2', () => ['hi', '--tokenizer', tokenizerDir, '--max-length', '1'], /--max-length must be/],
  ];
  for (const [name, args, message] of cases) {
    it(`refuses ${name} in one line`, async () => {
      const result = await runCli(['preprocess', 'text', ...args()]);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    });
  }

  it('refuses a folder without tokenizer files and writes nothing', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, 'README.md'), 'no tokenizer here');
    const result = await runCli(['preprocess', 'text', 'hi', '--tokenizer', empty, '--out', join(empty, 'ids.npy')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^mmkit: .*empty: no tokenizer files/);
    expect(await readdir(empty)).toEqual(['README.md']);
  });
});
