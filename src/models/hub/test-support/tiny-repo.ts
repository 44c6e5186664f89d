/** Writes a small Hub-style model repo (a few hundred KB) for the Hub client tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Deterministic pseudo-random bytes, so each file has its own known content. */
export function patternBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** A minimal word-level tokenizer Transformers.js can load, so the snapshot is a real model folder. */
export const tokenizerJson = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    { id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ],
  normalizer: null,
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: { type: 'WordLevel', vocab: { '[UNK]': 0, red: 1, green: 2, blue: 3 }, unk_token: '[UNK]' },
};

export const tinyRepoFiles: Record<string, Buffer | string> = {
  'config.json': JSON.stringify({
    model_type: 'bert',
    'transformers.js_config': { use_external_data_format: { 'model_q4.onnx': 1 } },
  }),
  'tokenizer.json': JSON.stringify(tokenizerJson),
  'tokenizer_config.json': JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', unk_token: '[UNK]' }),
  'generation_config.json': JSON.stringify({ max_length: 20 }),
  'chat_template.jinja': '{% for m in messages %}{{ m.content }}{% endfor %}',
  'README.md': '# tiny\n',
  'model.safetensors': patternBytes(50_000, 7),
  'onnx/model.onnx': patternBytes(300_000, 1),
  'onnx/model_q4.onnx': patternBytes(90_000, 2),
  'onnx/model_q4.onnx_data': patternBytes(210_000, 3),
};

/** Writes the tiny repo (plus `extra` files) into a new temporary folder and returns it. */
export function writeTinyRepo(extra: Record<string, Buffer | string> = {}): string {
  const folder = mkdtempSync(join(tmpdir(), 'mmkit-hub-repo-'));
  for (const [path, content] of Object.entries({ ...tinyRepoFiles, ...extra })) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
  return folder;
}
