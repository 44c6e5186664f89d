/**
 * A faithful CLIP tokenizer (the same vocabulary, merges and pipeline as openai/clip-vit-base-patch32)
 * built from OpenAI's BPE merges committed in `testkit/data/`, so tests and tiny models need no Hub.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  buildClipTokenizerConfig,
  buildClipTokenizerJson,
  CLIP_END_TOKEN,
  CLIP_START_TOKEN,
  parseMerges,
  type Vocabulary,
} from '../src/preprocess/text/clip-tokenizer-json.ts';

const MERGES_PATH = new URL('./data/clip-merges.txt.gz', import.meta.url);

export interface ClipTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  vocabulary: Vocabulary;
  /** `merges.txt` as Hugging Face writes it: a `#version` line, then one merge per line. */
  mergesText: string;
}

/** GPT-2/CLIP's reversible byte → printable character table, in CLIP's vocabulary order. */
export function byteSymbols(): string[] {
  const printable: number[] = [];
  for (let code = 0x21; code <= 0x7e; code++) printable.push(code);
  for (let code = 0xa1; code <= 0xac; code++) printable.push(code);
  for (let code = 0xae; code <= 0xff; code++) printable.push(code);
  const symbols = printable.map((code) => String.fromCharCode(code));
  let extra = 0;
  for (let byte = 0; byte < 256; byte++) {
    if (!printable.includes(byte)) symbols.push(String.fromCharCode(256 + extra++));
  }
  return symbols;
}

/** Vocabulary as CLIP builds it: bytes, bytes + `</w>`, one entry per merge, then the two specials. */
export function buildClipVocabulary(merges: string[]): Vocabulary {
  const symbols = byteSymbols();
  const entries = [...symbols, ...symbols.map((symbol) => `${symbol}</w>`)];
  for (const merge of merges) entries.push(merge.replace(' ', ''));
  entries.push(CLIP_START_TOKEN, CLIP_END_TOKEN);
  const vocabulary: Vocabulary = {};
  entries.forEach((entry, index) => {
    vocabulary[entry] = index;
  });
  return vocabulary;
}

/**
 * Byte-pair merges learned from `words` until each word is one symbol: the most frequent adjacent
 * pair first (ties: the first seen), as BPE training does. Encoding a listed word with these merges
 * repeats its training merges in order, so each listed word is one `word</w>` token.
 */
export function wholeWordMerges(words: readonly string[]): string[] {
  let segmentations = words.map((word) => {
    const symbols = Array.from(word);
    symbols[symbols.length - 1] += '</w>';
    return symbols;
  });
  const merges: string[] = [];
  while (true) {
    const counts = new Map<string, number>();
    for (const symbols of segmentations) {
      for (let index = 0; index + 1 < symbols.length; index++) {
        const pair = `${symbols[index]} ${symbols[index + 1]}`;
        counts.set(pair, (counts.get(pair) ?? 0) + 1);
      }
    }
    let best: string | undefined;
    for (const [pair, count] of counts) if (best === undefined || count > counts.get(best)!) best = pair;
    if (best === undefined) return merges;
    merges.push(best);
    const [left, right] = best.split(' ') as [string, string];
    segmentations = segmentations.map((symbols) => {
      const merged: string[] = [];
      for (let index = 0; index < symbols.length; index++) {
        if (symbols[index] === left && symbols[index + 1] === right) {
          merged.push(left + right);
          index++;
        } else merged.push(symbols[index]!);
      }
      return merged;
    });
  }
}

/**
 * A small tokenizer with CLIP's exact pipeline (normalizer, pre-tokenizer, byte-level BPE with
 * `</w>`, start/end tokens) whose merges make each of `words` one token; any other word falls apart
 * into byte tokens. Tiny models get CLIP's real tokenization path without a 49,408-row embedding table.
 */
export function smallClipTokenizer(words: readonly string[]): {
  tokenizerJson: Record<string, unknown>;
  vocabulary: Vocabulary;
} {
  const merges = wholeWordMerges(words);
  const vocabulary = buildClipVocabulary(merges);
  return { tokenizerJson: buildClipTokenizerJson(vocabulary, merges), vocabulary };
}

let cached: Promise<ClipTokenizerFiles> | undefined;

export function clipTokenizerFiles(): Promise<ClipTokenizerFiles> {
  cached ??= (async () => {
    const merges = parseMerges(gunzipSync(await readFile(MERGES_PATH)).toString('utf8'));
    const vocabulary = buildClipVocabulary(merges);
    return {
      tokenizerJson: buildClipTokenizerJson(vocabulary, merges),
      tokenizerConfig: buildClipTokenizerConfig(),
      vocabulary,
      mergesText: `#version: 0.2\n${merges.join('\n')}\n`,
    };
  })();
  return cached;
}

export type ClipTokenizerLayout = 'tokenizer-json' | 'vocab-merges';

/**
 * Writes the tokenizer into `dir`: `tokenizer.json` + `tokenizer_config.json` (a Transformers.js model
 * folder) or `vocab.json` + `merges.txt` + `tokenizer_config.json` (a Stable Diffusion `tokenizer/`).
 */
export async function writeClipTokenizer(dir: string, layout: ClipTokenizerLayout = 'tokenizer-json'): Promise<void> {
  const files = await clipTokenizerFiles();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(files.tokenizerConfig, null, 2));
  if (layout === 'tokenizer-json') {
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(files.tokenizerJson));
  } else {
    await writeFile(join(dir, 'vocab.json'), JSON.stringify(files.vocabulary));
    await writeFile(join(dir, 'merges.txt'), files.mergesText);
  }
}
