import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors, type Float32Tensor } from '../../media/safetensors.ts';
import { type DecoderConfig, decoderWeightShapes } from './decoder-config.ts';
import { detectModulePrefix, openModelWeights } from './model-weights.ts';
import { buildTrainingGraph } from './training-graph.ts';
import { randomWeights } from './weight-source.ts';

const CONFIG: DecoderConfig = {
  architecture: 'qwen2',
  vocabularySize: 10,
  hiddenSize: 8,
  intermediateSize: 12,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  numKeyValueHeads: 1,
  headDim: 4,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  attentionBias: true,
};
const weights = randomWeights(5);

/** The decoder's tensors under `prefix`, the LM head under `lmHead`, plus `extra` (a vision tower). */
function checkpoint(prefix: string, lmHead: string | undefined, extra: Record<string, Float32Tensor> = {}) {
  const tensors: Record<string, Float32Tensor> = { ...extra };
  for (const [name, dims] of decoderWeightShapes(CONFIG)) {
    const target = name === 'lm_head.weight' ? lmHead : name.replace(/^model\./, prefix);
    if (target) tensors[target] = { shape: dims, data: weights(name, dims) };
  }
  return tensors;
}

const visionTower = (prefix: string): Record<string, Float32Tensor> => ({
  [`${prefix}layers.0.self_attn.q_proj.weight`]: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
  [`${prefix}layers.0.mlp.fc1.weight`]: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
});

/** A safetensors file holding one F16 tensor (the writer only writes F32). */
function float16File(name: string, bits: number[]): Buffer {
  let header = JSON.stringify({ [name]: { dtype: 'F16', shape: [bits.length], data_offsets: [0, 2 * bits.length] } });
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const out = Buffer.alloc(8 + header.length + 2 * bits.length);
  out.writeBigUInt64LE(BigInt(header.length), 0);
  out.write(header, 8, 'utf8');
  bits.forEach((value, index) => {
    out.writeUInt16LE(value, 8 + header.length + 2 * index);
  });
  return out;
}

describe('openModelWeights', () => {
  let root: string;
  const folder = async (name: string, files: Record<string, Buffer | string>) => {
    const directory = join(root, name);
    await rm(directory, { recursive: true, force: true });
    await mkdir(directory, { recursive: true });
    for (const [file, contents] of Object.entries(files)) await writeFile(join(directory, file), contents);
    return directory;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-model-weights-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['LlamaForCausalLM', 'model.', 'lm_head.weight', {}],
    [
      'old LLaVA',
      'language_model.model.',
      'language_model.lm_head.weight',
      visionTower('vision_tower.vision_model.encoder.'),
    ],
    [
      'new transformers LLaVA',
      'model.language_model.',
      'lm_head.weight',
      visionTower('model.vision_tower.vision_model.encoder.'),
    ],
    ['Idefics3 / SmolVLM', 'model.text_model.', 'lm_head.weight', visionTower('model.vision_model.encoder.')],
  ])('reads a %s checkpoint through canonical names (decoder under %s)', async (_label, prefix, lmHead, extra) => {
    const directory = await folder(prefix, {
      'model.safetensors': encodeSafetensors(checkpoint(prefix, lmHead, extra)),
    });
    const model = openModelWeights(directory, CONFIG);
    try {
      expect(model.modulePrefix).toBe(prefix);
      expect(model.moduleName('model.layers.0.self_attn.q_proj')).toBe(`${prefix}layers.0.self_attn.q_proj`);
      for (const [name, dims] of decoderWeightShapes(CONFIG)) {
        expect(Array.from(model.source(name, dims))).toEqual(Array.from(weights(name, dims)));
      }
    } finally {
      model.close();
    }
  });

  it('reads a sharded checkpoint through model.safetensors.index.json; tied embeddings give the LM head', async () => {
    const tied = { ...CONFIG, tieWordEmbeddings: true };
    const tensors = checkpoint('model.text_model.', undefined, visionTower('model.vision_model.encoder.'));
    const names = Object.keys(tensors).sort();
    const half = Math.floor(names.length / 2);
    const shard = (part: string[]) => encodeSafetensors(Object.fromEntries(part.map((name) => [name, tensors[name]])));
    const weightMap = Object.fromEntries(
      names.map((name, index) => [
        name,
        index < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors',
      ]),
    );
    const directory = await folder('sharded', {
      'model-00001-of-00002.safetensors': shard(names.slice(0, half)),
      'model-00002-of-00002.safetensors': shard(names.slice(half)),
      'model.safetensors.index.json': JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
    });
    const model = openModelWeights(directory, tied);
    try {
      expect(model.modulePrefix).toBe('model.text_model.');
      const dims = [CONFIG.vocabularySize, CONFIG.hiddenSize];
      expect(Array.from(model.source('lm_head.weight', dims))).toEqual(
        Array.from(weights('model.embed_tokens.weight', dims)),
      );
      expect(Array.from(model.source('model.norm.weight', [8]))).toEqual(Array.from(weights('model.norm.weight', [8])));
    } finally {
      model.close();
    }
  });

  it('widens float16 tensors to float32', async () => {
    const tensors = checkpoint('model.', 'lm_head.weight');
    delete tensors['model.norm.weight'];
    const directory = await folder('half', {
      'a.safetensors': encodeSafetensors(tensors),
      // 1, −2, 0.5, 65504, 2⁻²⁴, 1.5, −0, 0.25 in IEEE half precision.
      'b.safetensors': float16File(
        'model.norm.weight',
        [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x3e00, 0x8000, 0x3400],
      ),
      'model.safetensors.index.json': JSON.stringify({
        weight_map: {
          ...Object.fromEntries(Object.keys(tensors).map((name) => [name, 'a.safetensors'])),
          'model.norm.weight': 'b.safetensors',
        },
      }),
    });
    const model = openModelWeights(directory, CONFIG);
    try {
      expect(Array.from(model.source('model.norm.weight', [8]))).toEqual([1, -2, 0.5, 65504, 2 ** -24, 1.5, -0, 0.25]);
    } finally {
      model.close();
    }
  });

  it('fails with one line naming the file and tensor: missing, wrong shape, untied LM head absent, no weights', async () => {
    const directory = await folder('broken', {
      'model.safetensors': encodeSafetensors(checkpoint('model.', undefined)),
    });
    const file = join(directory, 'model.safetensors');
    const model = openModelWeights(directory, CONFIG);
    try {
      expect(() => model.source('lm_head.weight', [10, 8])).toThrow(
        `${file}: no tensor named lm_head.weight (config.json says tie_word_embeddings is false)`,
      );
      expect(() => model.source('model.layers.1.mlp.up_proj.weight', [12, 8])).toThrow(
        `${file}: no tensor named "model.layers.1.mlp.up_proj.weight" (needed for model.layers.1.mlp.up_proj.weight)`,
      );
      expect(() => model.source('model.norm.weight', [9])).toThrow(
        `${file}: "model.norm.weight" has shape [8], the config needs [9]`,
      );
    } finally {
      model.close();
    }
    const empty = await folder('empty', {});
    expect(() => openModelWeights(empty, CONFIG)).toThrow(
      /has no model\.safetensors or model\.safetensors\.index\.json/,
    );
    const visionOnly = await folder('vision', { 'model.safetensors': encodeSafetensors(visionTower('vision.')) });
    expect(() => openModelWeights(visionOnly, CONFIG)).toThrow(/no Llama\/Qwen2 decoder found/);
    const badIndex = await folder('bad-index', { 'model.safetensors.index.json': '{"weight_map": {"x": "../x"}}' });
    expect(() => openModelWeights(badIndex, CONFIG)).toThrow(/"x" points at "\.\.\/x"/);
    const missingShard = await folder('missing-shard', {
      'model.safetensors.index.json': JSON.stringify({
        weight_map: Object.fromEntries(
          Object.keys(checkpoint('model.', 'lm_head.weight')).map((name) => [name, 'gone.safetensors']),
        ),
      }),
    });
    const lazy = openModelWeights(missingShard, CONFIG);
    expect(() => lazy.source('model.norm.weight', [8])).toThrow(/gone\.safetensors: cannot open/);
    lazy.close();
  });

  it('detects the decoder prefix past vision towers; refuses two decoders', () => {
    const names = Object.keys({
      ...checkpoint('model.text_model.', 'lm_head.weight'),
      ...visionTower('model.vision_model.encoder.'),
    });
    expect(detectModulePrefix(names, 'x')).toBe('model.text_model.');
    const twice = [...names, ...Object.keys(checkpoint('other.', undefined))];
    expect(() => detectModulePrefix(twice, 'x')).toThrow(/several decoders \(model\.text_model\., other\.\)/);
  });

  it("names the training graph's LoRA inputs after the checkpoint's modules (PEFT names for that model)", () => {
    const lora = { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'] as const };
    const plain = buildTrainingGraph({ config: CONFIG, lora, weights, type: 'float32' });
    expect(plain.trainable[0].name).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    const smolvlm = buildTrainingGraph({
      config: CONFIG,
      lora,
      weights,
      type: 'float32',
      modulePrefix: 'model.text_model.',
    });
    expect(smolvlm.trainable.map((tensor) => tensor.name)).toEqual([
      'base_model.model.model.text_model.layers.0.self_attn.q_proj.lora_A.weight',
      'base_model.model.model.text_model.layers.0.self_attn.q_proj.lora_B.weight',
      'base_model.model.model.text_model.layers.0.self_attn.v_proj.lora_A.weight',
      'base_model.model.model.text_model.layers.0.self_attn.v_proj.lora_B.weight',
    ]);
  });
});
