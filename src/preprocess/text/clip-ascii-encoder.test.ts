import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipTokenizerFiles, writeClipTokenizer } from '../../../testkit/clip-tokenizer.ts';
import { ClipAsciiEncoder } from './clip-ascii-encoder.ts';
import { loadTextTokenizer, type TextTokenizer } from './tokenize.ts';

let root: string;
let encoder: ClipAsciiEncoder;
let fullPipeline: TextTokenizer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mmkit-clip-ascii-'));
  await writeClipTokenizer(join(root, 'clip'));
  fullPipeline = await loadTextTokenizer(join(root, 'clip'));
  const { tokenizerJson } = await clipTokenizerFiles();
  const built = ClipAsciiEncoder.fromTokenizerJson(tokenizerJson);
  if (!built) throw new Error('the CLIP tokenizer.json should get the ASCII encoder');
  encoder = built;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure names a text that fails again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['a', 'photo', 'of', 'The', 'CAT', "it's", "we'll", "don't", 'x-ray', 'e.g.', '3.14', '1999', 'Hello!!'];
const CHARACTERS = 'abcxyzABCXYZ0123456789 \'"!?.,;:-_()[]{}/\\@#$%^&*+=~`|<>\t\n\r\v\f';

/** Texts mixing real words, random printable characters and whitespace of every ASCII kind. */
function asciiTexts(count: number): string[] {
  const next = random(20261125);
  const texts: string[] = [];
  for (let index = 0; index < count; index++) {
    let text = '';
    const pieces = 1 + Math.floor(next() * 12);
    for (let piece = 0; piece < pieces; piece++) {
      if (next() < 0.5) text += `${WORDS[Math.floor(next() * WORDS.length)]} `;
      else {
        const length = 1 + Math.floor(next() * 8);
        for (let character = 0; character < length; character++) {
          text += CHARACTERS[Math.floor(next() * CHARACTERS.length)];
        }
      }
    }
    texts.push(text);
  }
  return texts;
}

describe('ClipAsciiEncoder', () => {
  it('gives the ids of the full Transformers.js pipeline for 3000 mixed ASCII texts', () => {
    const texts = [
      'a red car',
      '  A   Photo of\ta DOG\n',
      "it's the cat's toy, isn't it?",
      'Photo of 1234 items: 50% off!!! (today only)',
      'an astronaut riding a horse on mars, highly detailed, 8k',
      '',
      '   ',
      ...asciiTexts(3000),
    ];
    let compared = 0;
    for (const text of texts) {
      const fast = encoder.encode(text);
      if (fast === undefined) continue;
      expect({ text, ids: fast }).toEqual({ text, ids: fullPipeline.backend.encode(text) });
      compared++;
    }
    // Only texts holding `<|` leave this path; the comparison covered nearly all of them.
    expect(compared).toBeGreaterThan(texts.length * 0.95);
  });

  it('leaves to the full pipeline what it does not cover: other characters, control bytes, added tokens, long words', () => {
    for (const text of ['café au lait', '一只小狗', 'bell\x07', 'a <|endoftext|> b', 'x'.repeat(65)]) {
      expect(encoder.encode(text)).toBeUndefined();
    }
    expect(encoder.encode('x'.repeat(64))).toEqual(fullPipeline.backend.encode('x'.repeat(64)));
  });

  it('is built only for a tokenizer.json with exactly CLIP’s pipeline', async () => {
    const { tokenizerJson } = await clipTokenizerFiles();
    const model = tokenizerJson.model as Record<string, unknown>;
    for (const changed of [
      { ...tokenizerJson, model: { ...model, end_of_word_suffix: null } },
      { ...tokenizerJson, model: { ...model, dropout: 0.1 } },
      { ...tokenizerJson, model: { ...model, ignore_merges: true } },
      { ...tokenizerJson, normalizer: { type: 'NFC' } },
      { ...tokenizerJson, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true } },
      { ...tokenizerJson, post_processor: { type: 'TemplateProcessing' } },
      // An added token the `<|` check would not see in a text.
      {
        ...tokenizerJson,
        added_tokens: [...(tokenizerJson.added_tokens as object[]), { id: 49408, content: '[img]', special: true }],
      },
    ]) {
      expect(ClipAsciiEncoder.fromTokenizerJson(changed)).toBeUndefined();
    }
  });

  it('takes the variants real CLIP files have, with their own pipeline’s ids', async () => {
    const { tokenizerJson, tokenizerConfig } = await clipTokenizerFiles();
    const preTokenizer = tokenizerJson.pre_tokenizer as {
      pretokenizers: [Record<string, unknown>, Record<string, unknown>];
    };
    const [split, byteLevel] = preTokenizer.pretokenizers;
    const withSteps = (splitStep: object, byteLevelStep: object) => ({
      ...tokenizerJson,
      pre_tokenizer: { ...preTokenizer, pretokenizers: [splitStep, byteLevelStep] },
    });
    const { use_regex: _dropped, ...byteLevelWithoutRegexFlag } = byteLevel;
    const pattern = (split.pattern as { Regex: string }).Regex.replace('<\\|startoftext\\|>|<\\|endoftext\\|>|', '');
    const variants = [
      withSteps(split, { ...byteLevel, use_regex: true }),
      withSteps(split, byteLevelWithoutRegexFlag),
      withSteps({ ...split, pattern: { Regex: pattern } }, { ...byteLevel, use_regex: true }),
    ];
    const texts = asciiTexts(500);
    for (const variant of variants) {
      const fast = ClipAsciiEncoder.fromTokenizerJson(variant);
      expect(fast).toBeDefined();
      const full = new PreTrainedTokenizer(variant, tokenizerConfig);
      for (const text of texts) {
        const ids = fast!.encode(text);
        if (ids !== undefined) expect({ text, ids }).toEqual({ text, ids: full.encode(text) });
      }
    }
  });

  it('reads merges written as pairs (the newer tokenizer.json format) the same way', async () => {
    const { tokenizerJson } = await clipTokenizerFiles();
    const model = tokenizerJson.model as Record<string, unknown>;
    const pairs = (model.merges as string[]).map((merge) => merge.split(' '));
    const fromPairs = ClipAsciiEncoder.fromTokenizerJson({ ...tokenizerJson, model: { ...model, merges: pairs } });
    for (const text of ['a red car', 'supercalifragilistic', "it's 42"]) {
      expect(fromPairs?.encode(text)).toEqual(encoder.encode(text));
    }
  });
});
