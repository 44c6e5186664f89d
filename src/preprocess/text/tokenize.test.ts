import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { writeClipTokenizer } from '../../../testkit/clip-tokenizer.ts';
import { loadTextTokenizer, type TextTokenizer } from './tokenize.ts';

interface GoldenCase {
  text: string;
  input_ids: number[];
  attention_mask: number[];
}

const golden = JSON.parse(await readFile(new URL('./clip-tokenize.golden.json', import.meta.url), 'utf8')) as {
  cases: GoldenCase[];
};

let root: string;
let fromTokenizerJson: TextTokenizer;
let fromVocabMerges: TextTokenizer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mmkit-tokenize-'));
  await writeClipTokenizer(join(root, 'clip'));
  // A Stable Diffusion layout: the model folder's tokenizer/ holds only vocab.json + merges.txt.
  await writeClipTokenizer(join(root, 'sd', 'tokenizer'), 'vocab-merges');
  fromTokenizerJson = await loadTextTokenizer(join(root, 'clip'));
  fromVocabMerges = await loadTextTokenizer(join(root, 'sd'));
});

function rows(values: BigInt64Array, width: number): number[][] {
  const result: number[][] = [];
  for (let offset = 0; offset < values.length; offset += width) {
    result.push(Array.from(values.subarray(offset, offset + width), Number));
  }
  return result;
}

describe('CLIP tokenization against the independent reference (tools/reference/clip_tokenize.py)', () => {
  it('pins at least 15 varied strings', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(15);
    expect(golden.cases.map((c) => c.text)).toContain('一只在草地上奔跑的小狗');
  });

  for (const layout of ['tokenizer.json', 'vocab.json + merges.txt'] as const) {
    it(`matches every pinned id and mask, full 77 length (${layout})`, () => {
      const tokenizer = layout === 'tokenizer.json' ? fromTokenizerJson : fromVocabMerges;
      const result = tokenizer.tokenize(golden.cases.map((c) => c.text));
      expect(result.shape).toEqual([golden.cases.length, 77]);
      const ids = rows(result.inputIds, 77);
      const masks = rows(result.attentionMask, 77);
      golden.cases.forEach((c, index) => {
        expect({ text: c.text, ids: ids[index], mask: masks[index] }).toEqual({
          text: c.text,
          ids: c.input_ids,
          mask: c.attention_mask,
        });
      });
    });
  }

  it('finds the files in a tokenizer/ subfolder', () => {
    expect(fromVocabMerges.origin).toBe(join(root, 'sd', 'tokenizer'));
  });
});

describe('TextTokenizer', () => {
  it('tokenizes a known sentence to CLIP ids and pads with the pad token', () => {
    const result = fromTokenizerJson.tokenize('a photo of a cat');
    const ids = Array.from(result.inputIds, Number);
    expect(ids.slice(0, 8)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 49407]);
    expect(ids).toHaveLength(77);
    expect(Array.from(result.attentionMask, Number).reduce((a, b) => a + b, 0)).toBe(7);
    expect(result.inputIds).toBeInstanceOf(BigInt64Array);
  });

  it('keeps the end-of-text token last when truncating to a custom length', () => {
    const result = fromTokenizerJson.tokenize(['one two three four five six seven', 'hi'], { maxLength: 5 });
    expect(result.shape).toEqual([2, 5]);
    expect(rows(result.inputIds, 5)).toEqual([
      [49406, 637, 1237, 2097, 49407],
      [49406, 1883, 49407, 49407, 49407],
    ]);
    expect(rows(result.attentionMask, 5)).toEqual([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0],
    ]);
  });

  it('pads only to the longest row when asked, with the same ids in the kept columns', () => {
    const texts = ['a photo of a cat', 'hi'];
    const longest = fromTokenizerJson.tokenize(texts, { padding: 'longest' });
    expect(longest.shape).toEqual([2, 7]);
    expect(rows(longest.inputIds, 7)).toEqual(
      rows(fromTokenizerJson.tokenize(texts).inputIds, 77).map((row) => row.slice(0, 7)),
    );
    expect(rows(longest.attentionMask, 7)[1]).toEqual([1, 1, 1, 0, 0, 0, 0]);
    // The cut still applies, end-of-text token last.
    const cut = fromTokenizerJson.tokenize(['one two three four five six seven'], { maxLength: 5, padding: 'longest' });
    expect(rows(cut.inputIds, 5)).toEqual([[49406, 637, 1237, 2097, 49407]]);
  });

  it('shows tokens and decodes Chinese back', () => {
    const ids = fromTokenizerJson.encode('一只 cat!');
    expect(fromTokenizerJson.tokens(ids)).toEqual([
      '<|startoftext|>',
      'ä¸',
      'Ģ',
      'åı',
      'ª</w>',
      'cat</w>',
      '!</w>',
      '<|endoftext|>',
    ]);
    expect(fromTokenizerJson.decode(ids).replace(/\s+/g, '')).toBe('一只cat!');
  });

  it('refuses a max length with no room for the start and end tokens', () => {
    expect(() => fromTokenizerJson.tokenize('hi', { maxLength: 1 })).toThrow(/max length must be an integer ≥ 2/);
  });

  it("honours the config's pad token (Stable Diffusion 2 pads with '!', id 0)", async () => {
    const dir = join(root, 'sd2', 'tokenizer');
    await writeClipTokenizer(dir, 'vocab-merges');
    await writeFile(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({
        tokenizer_class: 'CLIPTokenizer',
        pad_token: '!',
        bos_token: { content: '<|startoftext|>', lstrip: false },
        eos_token: { content: '<|endoftext|>', lstrip: false },
      }),
    );
    const tokenizer = await loadTextTokenizer(join(root, 'sd2'));
    expect(Array.from(tokenizer.tokenize('a cat', { maxLength: 6 }).inputIds, Number)).toEqual([
      49406, 320, 2368, 49407, 0, 0,
    ]);
  });

  it("keeps a BERT tokenizer's [SEP] last when truncating, and pads with [PAD]", async () => {
    await buildTinyModel('bert', join(root, 'bert'));
    const tokenizer = await loadTextTokenizer(join(root, 'bert'));
    const { inputIds } = tokenizer.tokenize(['a car a car a car', 'car'], { maxLength: 5 });
    expect(tokenizer.tokens(Array.from(inputIds, Number))).toEqual([
      ...['[CLS]', 'a', 'car', 'a', '[SEP]'],
      ...['[CLS]', 'car', '[SEP]', '[PAD]', '[PAD]'],
    ]);
  });
});

describe('loadTextTokenizer errors', () => {
  it('names a missing folder', async () => {
    await expect(loadTextTokenizer(join(root, 'nothing-here'))).rejects.toThrow(/tokenizer folder does not exist/);
  });

  it('names a folder without tokenizer files', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty, { recursive: true });
    await expect(loadTextTokenizer(empty)).rejects.toThrow(/no tokenizer files \(tokenizer.json, or vocab.json/);
  });

  it('refuses a file where a folder is expected', async () => {
    await expect(loadTextTokenizer(join(root, 'clip', 'tokenizer.json'))).rejects.toThrow(/must be a folder/);
  });

  it('names a corrupt tokenizer.json', async () => {
    const broken = join(root, 'broken');
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'tokenizer.json'), '{"model": ');
    await expect(loadTextTokenizer(broken)).rejects.toThrow(/tokenizer.json: not valid JSON/);
  });

  it('refuses a vocab.json that is not CLIP', async () => {
    const other = join(root, 'other');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'vocab.json'), JSON.stringify({ a: 0, b: 1 }));
    await writeFile(join(other, 'merges.txt'), '#version: 0.2\na b\n');
    await expect(loadTextTokenizer(other)).rejects.toThrow(/is not a CLIP vocabulary/);
  });
});
