/**
 * Makes the testkit `llava` folder trainable for tests: its decoder described as a real Llama in
 * `config.json` (`text_config`) and seeded fp32 weights in `model.safetensors` under LLaVA's
 * `language_model.` prefix. (The testkit's own ONNX decoder is hand-wired and is left as it is; the
 * `llava-llama` testkit model replaces this once it lands.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecoderConfig } from '../../../finetune/model/decoder-config.ts';
import { projectionName, projectionShapes } from '../../../finetune/model/decoder-config.ts';
import { randomWeights } from '../../../finetune/model/weight-source.ts';
import { type Float32Tensor, writeSafetensors } from '../../../media/safetensors.ts';

export function makeLlavaTrainable(folder: string, seed = 4): DecoderConfig {
  const path = join(folder, 'config.json');
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const text = json.text_config;
  Object.assign(text, { intermediate_size: 48, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 8 });
  writeFileSync(path, JSON.stringify(json, null, 2));
  const config: DecoderConfig = {
    architecture: 'llama',
    vocabularySize: text.vocab_size,
    hiddenSize: text.hidden_size,
    intermediateSize: 48,
    numHiddenLayers: text.num_hidden_layers,
    numAttentionHeads: 2,
    numKeyValueHeads: 1,
    headDim: 8,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    attentionBias: false,
  };
  const weights = randomWeights(seed);
  const tensors: Record<string, Float32Tensor> = {};
  const add = (name: string, shape: number[]) => {
    tensors[`language_model.${name}`] = { shape, data: weights(name, shape) };
  };
  add('model.embed_tokens.weight', [config.vocabularySize, config.hiddenSize]);
  const shapes = projectionShapes(config);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    add(`model.layers.${layer}.input_layernorm.weight`, [config.hiddenSize]);
    add(`model.layers.${layer}.post_attention_layernorm.weight`, [config.hiddenSize]);
    for (const [target, shape] of Object.entries(shapes)) {
      add(`${projectionName(layer, target as keyof typeof shapes)}.weight`, shape);
    }
  }
  add('model.norm.weight', [config.hiddenSize]);
  add('lm_head.weight', [config.vocabularySize, config.hiddenSize]);
  writeSafetensors(join(folder, 'model.safetensors'), tensors);
  return config;
}
