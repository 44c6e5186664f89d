import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../media/safetensors.ts';
import { peftTensorName, writeAdapterFolder } from './adapter-folder.ts';

const folder = mkdtempSync(join(tmpdir(), 'mmkit-adapter-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('writeAdapterFolder', () => {
  it("writes PEFT's adapter_config.json and adapter_model.safetensors with PEFT names and layouts", () => {
    const down = 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight';
    const up = 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight';
    const files = writeAdapterFolder(join(folder, 'adapter'), {
      baseModel: 'org/base',
      rank: 2,
      alpha: 32,
      dropout: 0.05,
      targets: ['q_proj', 'v_proj'],
      tensors: {
        [down]: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        [up]: { shape: [4, 2], data: Float32Array.from([0, 0.5, 0, 0, 0, 0, 0, -1]) },
      },
    });
    expect(readdirSync(join(folder, 'adapter')).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(JSON.parse(readFileSync(files.config, 'utf8'))).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 2,
      lora_alpha: 32,
      lora_dropout: 0.05,
      target_modules: ['q_proj', 'v_proj'],
      bias: 'none',
      base_model_name_or_path: 'org/base',
    });
    const weights = SafetensorsFile.open(files.weights);
    try {
      expect(weights.entries.get(down)).toMatchObject({ dtype: 'F32', shape: [2, 3] });
      expect(weights.entries.get(up)?.shape).toEqual([4, 2]);
      expect([...weights.float32(up)]).toEqual([0, 0.5, 0, 0, 0, 0, 0, -1]);
    } finally {
      weights.close();
    }
  });

  it("puts a wrapped decoder's module prefix into the names", () => {
    const name = 'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight';
    expect(peftTensorName(name)).toBe(name);
    expect(peftTensorName(name, 'language_model.model.')).toBe(
      'base_model.model.language_model.model.layers.1.self_attn.v_proj.lora_B.weight',
    );
  });
});
