import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byteSymbols, clipTokenizerFiles, writeClipTokenizer } from './clip-tokenizer.ts';

describe('testkit CLIP tokenizer', () => {
  it('has the 49,408-entry vocabulary of openai/clip-vit-base-patch32', async () => {
    const { vocabulary } = await clipTokenizerFiles();
    expect(Object.keys(vocabulary)).toHaveLength(49408);
    // Ids as published in the Hub repo's vocab.json.
    expect(vocabulary['!']).toBe(0);
    expect(vocabulary[String.fromCharCode(256)]).toBe(188);
    expect(vocabulary['!</w>']).toBe(256);
    expect(vocabulary.in).toBe(512);
    expect(vocabulary['a</w>']).toBe(320);
    expect(vocabulary['cat</w>']).toBe(2368);
    expect(vocabulary['<|startoftext|>']).toBe(49406);
    expect(vocabulary['<|endoftext|>']).toBe(49407);
  });

  it('maps all 256 bytes to distinct symbols', () => {
    const symbols = byteSymbols();
    expect(new Set(symbols).size).toBe(256);
    expect(symbols[0]).toBe('!');
    expect(symbols[255]).toBe(String.fromCharCode(323));
  });

  it('writes merges.txt with a version header and the 48,894 merges CLIP uses', async () => {
    const { mergesText, tokenizerJson } = await clipTokenizerFiles();
    const lines = mergesText.trimEnd().split('\n');
    expect(lines[0]).toBe('#version: 0.2');
    expect(lines).toHaveLength(48895);
    expect(lines[1]).toBe('i n');
    expect(lines.at(-1)).toBe('jeky ll</w>');
    const model = tokenizerJson.model as { end_of_word_suffix: string; merges: string[] };
    expect(model.end_of_word_suffix).toBe('</w>');
    expect(model.merges).toHaveLength(48894);
  });

  it('writes either layout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmkit-clip-tokenizer-'));
    await writeClipTokenizer(join(dir, 'a'));
    await writeClipTokenizer(join(dir, 'b'), 'vocab-merges');
    expect((await readdir(join(dir, 'a'))).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
    expect((await readdir(join(dir, 'b'))).sort()).toEqual(['merges.txt', 'tokenizer_config.json', 'vocab.json']);
    const config = JSON.parse(await readFile(join(dir, 'a', 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({
      tokenizer_class: 'CLIPTokenizer',
      model_max_length: 77,
      pad_token: '<|endoftext|>',
    });
  });
});
