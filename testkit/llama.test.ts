import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/test-support/run-cli.ts';
import { SafetensorsFile } from '../src/media/safetensors.ts';
import { byteTokenIds } from './byte-tokenizer.ts';
import { llamaFiles, TINY_LLAMA_CONFIG, tinyLlamaWeights } from './llama.ts';
import { LLM_SPECIAL_TOKENS } from './llm.ts';
import { writeModelFiles } from './model-files.ts';
import { referenceGreedy } from './reference-decode.ts';

const { user, assistant, end } = LLM_SPECIAL_TOKENS;
const NEWLINE = 10;

describe('testkit llama (seeded Llama chat model)', () => {
  let root: string;
  let directory: string;
  let tokenizer: PreTrainedTokenizer;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-llama-'));
    directory = join(root, 'llama');
    await writeModelFiles(directory, llamaFiles());
    env.allowRemoteModels = false;
    tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a LlamaForCausalLM folder: config.json, float32 safetensors under Hugging Face names, onnx/model.onnx', async () => {
    const config = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      tie_word_embeddings: false,
    });
    const file = SafetensorsFile.open(join(directory, 'model.safetensors'));
    try {
      expect(file.entries.size).toBe(1 + 2 * 9 + 2);
      expect(file.entries.get('model.layers.1.self_attn.k_proj.weight')).toMatchObject({
        dtype: 'F32',
        shape: [16, 32],
      });
      expect(file.entries.get('lm_head.weight')?.shape).toEqual([261, 32]);
      const norm = file.float32('model.norm.weight');
      expect(Array.from(norm)).toEqual(Array.from(tinyLlamaWeights()('model.norm.weight', [32])));
    } finally {
      file.close();
    }
  });

  it('mmkit chat generates, through the ONNX export, exactly the greedy tokens the training graph predicts', async () => {
    const prompt = [user.id, NEWLINE, ...byteTokenIds('hi'), end.id, NEWLINE, assistant.id, NEWLINE];
    const expected = await referenceGreedy(TINY_LLAMA_CONFIG, tinyLlamaWeights(), prompt, 10, end.id);
    expect(expected.length).toBeGreaterThan(3);
    const env = { MMKIT_HOME: join(root, 'home'), MMKIT_OFFLINE: '1' };
    const result = await runCli(
      ['chat', 'hi', '--model', directory, '--system', '', '--temperature', '0', '--max-new-tokens', '10', '--json'],
      { env },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.usage).toEqual({ promptTokens: prompt.length, completionTokens: expected.length });
    const text = tokenizer.decode(
      expected.filter((token) => token !== end.id),
      { skip_special_tokens: true },
    );
    expect(report.text).toBe(text);
    expect(report.text.length).toBeGreaterThan(0);
  });
});
