import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { decoderConfigFromJson, readDecoderConfig } from './hub-config.ts';

/** The decoder fields of HuggingFaceTB/SmolLM2-135M-Instruct's config.json. */
const SMOLLM2 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 576,
  intermediate_size: 1536,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  vocab_size: 49152,
};

/** Qwen/Qwen2.5-0.5B-Instruct: no head_dim, a sliding window that is switched off. */
const QWEN25 = {
  architectures: ['Qwen2ForCausalLM'],
  hidden_act: 'silu',
  hidden_size: 896,
  intermediate_size: 4864,
  max_window_layers: 21,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const expectError = (json: unknown, pattern: RegExp) => {
  let thrown: unknown;
  try {
    decoderConfigFromJson(json, 'model/config.json');
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(MmkitError);
  expect((thrown as Error).message).toMatch(pattern);
};

describe('decoderConfigFromJson', () => {
  it('reads a Llama config (SmolLM2): explicit head_dim, GQA, tied embeddings, rope_theta', () => {
    expect(decoderConfigFromJson(SMOLLM2)).toEqual({
      architecture: 'llama',
      vocabularySize: 49152,
      hiddenSize: 576,
      intermediateSize: 1536,
      numHiddenLayers: 30,
      numAttentionHeads: 9,
      numKeyValueHeads: 3,
      headDim: 64,
      rmsNormEps: 1e-5,
      ropeTheta: 100000,
      attentionBias: false,
      tieWordEmbeddings: true,
      ropeScaling: undefined,
    });
  });

  it('reads a Qwen2 config: head_dim = hidden / heads, q/k/v biases, sliding window off', () => {
    expect(decoderConfigFromJson(QWEN25)).toMatchObject({
      architecture: 'qwen2',
      headDim: 64,
      numKeyValueHeads: 2,
      attentionBias: true,
      ropeTheta: 1e6,
      tieWordEmbeddings: true,
    });
  });

  it('defaults: kv heads = heads, rope_theta 10000, untied; class defaults fill an LLaVA-1.5 text_config', () => {
    const { num_key_value_heads, rope_theta, tie_word_embeddings, head_dim, ...plain } = SMOLLM2;
    expect(decoderConfigFromJson(plain)).toMatchObject({
      numKeyValueHeads: 9,
      headDim: 64,
      ropeTheta: 10000,
      tieWordEmbeddings: false,
    });
    // llava-hf/llava-1.5-7b-hf keeps only what differs from LlamaConfig's defaults.
    const llava = {
      architectures: ['LlavaForConditionalGeneration'],
      model_type: 'llava',
      image_token_index: 32000,
      text_config: { model_type: 'llama', rms_norm_eps: 1e-5, vocab_size: 32064, max_position_embeddings: 4096 },
      vision_config: { model_type: 'clip_vision_model', hidden_size: 1024 },
      tie_word_embeddings: false,
    };
    expect(decoderConfigFromJson(llava)).toMatchObject({
      architecture: 'llama',
      vocabularySize: 32064,
      hiddenSize: 4096,
      intermediateSize: 11008,
      numHiddenLayers: 32,
      numAttentionHeads: 32,
      numKeyValueHeads: 32,
      headDim: 128,
      rmsNormEps: 1e-5,
      tieWordEmbeddings: false,
    });
  });

  it('unwraps Idefics3 (SmolVLM) and Qwen2-based VLMs; falls back to the outer vocab_size and tie flag', () => {
    const { vocab_size, tie_word_embeddings, ...text } = SMOLLM2;
    const smolvlm = { model_type: 'idefics3', vocab_size: 49280, tie_word_embeddings: true, text_config: text };
    expect(decoderConfigFromJson(smolvlm)).toMatchObject({
      vocabularySize: 49280,
      hiddenSize: 576,
      tieWordEmbeddings: true,
    });
    const onevision = { model_type: 'llava_onevision', text_config: QWEN25, vision_config: {} };
    expect(decoderConfigFromJson(onevision)).toMatchObject({ architecture: 'qwen2', attentionBias: true });
    // A text_config without model_type is LLaVA's default text model, Llama.
    const { model_type, ...untyped } = SMOLLM2;
    expect(decoderConfigFromJson({ model_type: 'llava', text_config: untyped }).architecture).toBe('llama');
  });

  it('accepts mistral only without a sliding window (then it is Llama maths)', () => {
    const mistral = { ...SMOLLM2, model_type: 'mistral', sliding_window: null };
    expect(decoderConfigFromJson(mistral).architecture).toBe('llama');
    expectError({ ...mistral, sliding_window: 4096 }, /mistral with sliding-window attention \(sliding_window 4096\)/);
    // MistralConfig's default window applies when the field is absent.
    const { sliding_window, ...defaulted } = mistral;
    expectError(defaulted, /sliding-window/);
  });

  it('implements linear and llama3 rope scaling (also as transformers 5 rope_parameters), refuses the rest', () => {
    const llama3 = {
      rope_type: 'llama3',
      factor: 32,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 8192,
    };
    expect(decoderConfigFromJson({ ...SMOLLM2, rope_scaling: llama3 }).ropeScaling).toEqual({
      type: 'llama3',
      factor: 32,
      lowFrequencyFactor: 1,
      highFrequencyFactor: 4,
      originalMaxPositions: 8192,
    });
    expect(decoderConfigFromJson({ ...SMOLLM2, rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toEqual({
      type: 'linear',
      factor: 2,
    });
    const { rope_theta, rope_scaling, ...modern } = SMOLLM2;
    const parameters = decoderConfigFromJson({ ...modern, rope_parameters: { rope_type: 'default', rope_theta: 5e5 } });
    expect(parameters).toMatchObject({ ropeTheta: 5e5, ropeScaling: undefined });
    expectError(
      { ...SMOLLM2, rope_scaling: { rope_type: 'yarn', factor: 4 } },
      /rope_scaling type "yarn" is not supported for fine-tuning; supported: none, default, linear, llama3/,
    );
    expectError({ ...SMOLLM2, rope_scaling: { type: 'dynamic', factor: 2 } }, /"dynamic"/);
    expectError({ ...SMOLLM2, rope_scaling: { type: 'linear' } }, /"factor" is missing/);
  });

  it('refuses other families and maths it does not implement, naming what is supported', () => {
    expectError(
      { model_type: 'gemma', hidden_size: 8 },
      /^model\/config\.json: model type "gemma" is not supported for fine-tuning; supported: llama, qwen2, mistral/,
    );
    expectError({ model_type: 'paligemma', text_config: { model_type: 'gemma' } }, /model type "gemma"/);
    expectError({ model_type: 'qwen2_vl', hidden_size: 8 }, /model type "qwen2_vl"/);
    expectError({ ...SMOLLM2, attention_bias: true }, /llama with attention_bias/);
    expectError({ ...SMOLLM2, mlp_bias: true }, /mlp_bias/);
    expectError({ ...SMOLLM2, rope_interleaved: true }, /rope_interleaved/);
    expectError({ ...SMOLLM2, hidden_act: 'gelu' }, /hidden_act "gelu"/);
    expectError({ ...QWEN25, use_sliding_window: true }, /use_sliding_window/);
  });

  it('refuses malformed configs with the field named', () => {
    expectError([], /is not a JSON object/);
    expectError({ hidden_size: 8 }, /"model_type" is missing/);
    expectError({ ...SMOLLM2, hidden_size: -1 }, /"hidden_size" must be a positive integer, got -1/);
    expectError(
      { ...SMOLLM2, num_key_value_heads: 4 },
      /num_key_value_heads.*\(4\) must divide num_attention_heads \(9\)/,
    );
    expectError({ ...SMOLLM2, head_dim: 7 }, /head_dim.*must be even/);
  });

  it('reads DIR/config.json, with one-line errors for a missing or broken file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'mmkit-hub-config-'));
    try {
      expect(() => readDecoderConfig(directory)).toThrow(/config\.json: cannot read/);
      await writeFile(join(directory, 'config.json'), '{"model_type": ');
      expect(() => readDecoderConfig(directory)).toThrow(/config\.json: not valid JSON/);
      await writeFile(join(directory, 'config.json'), JSON.stringify(QWEN25));
      expect(readDecoderConfig(directory).hiddenSize).toBe(896);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
