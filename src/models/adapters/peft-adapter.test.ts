import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { loraScale, type PeftAdapter, readPeftAdapter, writePeftAdapter } from './peft-adapter.ts';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), 'mmkit-peft-'));
  folders.push(folder);
  return folder;
}

/** adapter_config.json exactly as PEFT 0.13's `save_pretrained` writes it (sorted keys, its extras). */
const PEFT_CONFIG = {
  alpha_pattern: { v_proj: 4 },
  auto_mapping: null,
  base_model_name_or_path: 'HuggingFaceTB/SmolLM2-135M-Instruct',
  bias: 'none',
  fan_in_fan_out: false,
  inference_mode: true,
  init_lora_weights: true,
  layer_replication: null,
  layers_pattern: null,
  layers_to_transform: null,
  loftq_config: {},
  lora_alpha: 32,
  lora_dropout: 0.05,
  megatron_config: null,
  megatron_core: 'megatron.core',
  modules_to_save: null,
  peft_type: 'LORA',
  r: 2,
  rank_pattern: { 'model.layers.1.self_attn.v_proj': 1 },
  revision: null,
  target_modules: ['v_proj', 'q_proj'],
  task_type: 'CAUSAL_LM',
  use_dora: false,
  use_rslora: false,
};

/**
 * safetensors bytes laid out by hand from the format's documentation: u64 header size, JSON header
 * (dtype, shape, data_offsets), raw little-endian data. One tensor in F32, two in BF16, one in F16.
 */
function handLaidSafetensors(): Buffer {
  const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
  // BF16 is the upper half of the float32 bits: 0.5 = 0x3f00, -1.25 = 0xbfa0, 2 = 0x4000, 0.25 = 0x3e80.
  const bf16 = (bits: number[]) => Buffer.from(new Uint16Array(bits).buffer);
  // F16: 1 = 0x3c00, -0.5 = 0xb800, 3 = 0x4200.
  const f16 = (bits: number[]) => Buffer.from(new Uint16Array(bits).buffer);
  const parts: [string, string, number[], Buffer][] = [
    ['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', 'F32', [2, 3], f32([1, 2, 3, 4, 5, 6])],
    [
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
      'BF16',
      [4, 2],
      bf16([0x3f00, 0xbfa0, 0x4000, 0x3e80, 0, 0x3f00, 0x4000, 0]),
    ],
    ['base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight', 'F16', [1, 3], f16([0x3c00, 0xb800, 0x4200])],
    ['base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight', 'F32', [2, 1], f32([7, -8])],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, dtype, shape, data] of parts) {
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.length] };
    offset += data.length;
  }
  const headerBytes = Buffer.from(JSON.stringify(header));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([size, headerBytes, ...parts.map((part) => part[3])]);
}

function peftFolder(config: object = PEFT_CONFIG, weights: Buffer | null = handLaidSafetensors()): string {
  const folder = join(scratch(), 'adapter');
  mkdirSync(folder);
  writeFileSync(join(folder, 'adapter_config.json'), JSON.stringify(config, null, 2));
  if (weights) writeFileSync(join(folder, 'adapter_model.safetensors'), weights);
  return folder;
}

function failure(run: () => unknown): MmkitError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MmkitError);
    return error as MmkitError;
  }
  throw new Error('expected an MmkitError');
}

describe('readPeftAdapter', () => {
  it('reads an adapter folder laid out by hand in PEFT format', () => {
    const adapter = readPeftAdapter(peftFolder());
    expect(adapter.config.rank).toBe(2);
    expect(adapter.config.alpha).toBe(32);
    expect(adapter.config.targetModules).toEqual(['v_proj', 'q_proj']);
    expect(adapter.config.baseModel).toBe('HuggingFaceTB/SmolLM2-135M-Instruct');
    expect(adapter.modules.map((module) => module.name)).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    const [query, value] = adapter.modules;
    expect([query.rank, query.alpha, query.inFeatures, query.outFeatures]).toEqual([2, 32, 3, 4]);
    expect([...query.loraA]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...query.loraB]).toEqual([0.5, -1.25, 2, 0.25, 0, 0.5, 2, 0]);
    // rank_pattern and alpha_pattern override r and lora_alpha for the matching module.
    expect([value.rank, value.alpha, value.inFeatures, value.outFeatures]).toEqual([1, 4, 3, 2]);
    expect([...value.loraA]).toEqual([1, -0.5, 3]);
    expect([...value.loraB]).toEqual([7, -8]);
    expect(loraScale(query, false)).toBe(16);
    expect(loraScale(value, false)).toBe(4);
  });

  it('scales by alpha/√r with rsLoRA', () => {
    const adapter = readPeftAdapter(peftFolder({ ...PEFT_CONFIG, use_rslora: true }));
    expect(adapter.config.useRslora).toBe(true);
    expect(loraScale(adapter.modules[0], true)).toBeCloseTo(32 / Math.SQRT2, 12);
  });

  it('accepts a regular expression as target_modules', () => {
    const adapter = readPeftAdapter(peftFolder({ ...PEFT_CONFIG, target_modules: '.*\\.(q|v)_proj' }));
    expect(adapter.config.targetModules).toBe('.*\\.(q|v)_proj');
  });

  it('refuses what it cannot apply, naming the file and the reason', () => {
    expect(failure(() => readPeftAdapter(join(scratch(), 'nothing'))).code).toBe('adapter_not_found');
    const noConfig = scratch();
    expect(failure(() => readPeftAdapter(noConfig)).message).toMatch(/no adapter_config\.json/);
    const pickle = peftFolder(PEFT_CONFIG, null);
    writeFileSync(join(pickle, 'adapter_model.bin'), 'not really a pickle');
    const pickled = failure(() => readPeftAdapter(pickle));
    expect(pickled.code).toBe('adapter_pickle');
    expect(pickled.message).toMatch(/convert it to safetensors/);
    expect(failure(() => readPeftAdapter(peftFolder(PEFT_CONFIG, null))).message).toMatch(
      /no adapter_model\.safetensors/,
    );
    expect(failure(() => readPeftAdapter(peftFolder({ ...PEFT_CONFIG, peft_type: 'IA3' }))).message).toMatch(
      /peft_type is "IA3"/,
    );
    expect(failure(() => readPeftAdapter(peftFolder({ ...PEFT_CONFIG, use_dora: true }))).message).toMatch(/DoRA/);
    expect(failure(() => readPeftAdapter(peftFolder({ ...PEFT_CONFIG, bias: 'lora_only' }))).message).toMatch(
      /bias is "lora_only"/,
    );
    const rank = failure(() => readPeftAdapter(peftFolder({ ...PEFT_CONFIG, rank_pattern: {} })));
    expect(rank.code).toBe('adapter_shape_mismatch');
    expect(rank.message).toMatch(/v_proj has rank 1 but adapter_config\.json says r = 2/);
  });

  it('refuses lora_A and lora_B whose shapes do not chain', () => {
    const weights = handLaidSafetensors();
    const text = weights.toString('latin1').replace('"shape":[2,1]', '"shape":[1,2]');
    const mismatch = failure(() => readPeftAdapter(peftFolder(PEFT_CONFIG, Buffer.from(text, 'latin1'))));
    expect(mismatch.code).toBe('adapter_shape_mismatch');
    expect(mismatch.message).toMatch(/model\.layers\.1\.self_attn\.v_proj has lora_A \[1, 3\] and lora_B \[1, 2\]/);
  });
});

describe('writePeftAdapter', () => {
  const adapter = (): PeftAdapter => readPeftAdapter(peftFolder());

  it('writes what PEFT reads back: the same config keys and tensor names, and round-trips', () => {
    const out = join(scratch(), 'trained');
    writePeftAdapter(out, adapter());
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 2,
      lora_alpha: 32,
      lora_dropout: 0.05,
      bias: 'none',
      fan_in_fan_out: false,
      use_rslora: false,
      modules_to_save: null,
      rank_pattern: { 'model.layers.1.self_attn.v_proj': 1 },
      megatron_core: 'megatron.core',
    });
    const again = readPeftAdapter(out);
    expect(again.modules).toEqual(adapter().modules);
  });

  it('replaces an existing adapter whole and leaves no temporary folders; a failed write leaves nothing', () => {
    const parent = scratch();
    const out = join(parent, 'trained');
    writePeftAdapter(out, adapter());
    mkdirSync(join(out, 'checkpoints', 'epoch-1'), { recursive: true });
    const changed = adapter();
    changed.modules[0].loraA = new Float32Array([9, 9, 9, 9, 9, 9]);
    writePeftAdapter(out, changed);
    expect([...readPeftAdapter(out).modules[0].loraA]).toEqual([9, 9, 9, 9, 9, 9]);
    expect(readdirSync(parent)).toEqual(['trained']);
    // The training run's checkpoints beside the adapter survive the swap.
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(['epoch-1']);
    const broken = adapter();
    broken.modules[0].loraB = new Float32Array(3);
    expect(failure(() => writePeftAdapter(join(parent, 'other'), broken)).code).toBe('adapter_shape_mismatch');
    expect(readdirSync(parent)).toEqual(['trained']);
  });
});
