import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../media/safetensors.ts';
import { prepareFinetuneData } from './prepare.ts';
import { writeTinyDataset } from './test-support/tiny-dataset.ts';
import { trainAdapter } from './train.ts';

let root: string;
let prepared: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mmkit-train-task-'));
  const dataset = await writeTinyDataset(root);
  prepared = join(root, 'prepared');
  await prepareFinetuneData({
    dataPath: dataset.data,
    imagesDir: dataset.images,
    model: dataset.model,
    outDir: prepared,
    validation: 0.34,
    resolveModel: async (model) => model,
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('trainAdapter', () => {
  it('trains on the prepared rows with image features and writes a PEFT folder under the LLaVA decoder prefix', async () => {
    const out = join(root, 'adapter');
    const result = await trainAdapter({
      prepared,
      out,
      settings: { epochs: 3, batchSize: 1, accumulation: 1, learningRate: 2e-2, rank: 4 },
    });
    expect(result.trainRows).toBe(3);
    expect(result.totalSteps).toBe(9);
    const evaluations = result.log.filter((entry) => entry.type === 'evaluation');
    expect(evaluations).toHaveLength(3);
    expect(evaluations[2].loss!).toBeLessThan(evaluations[0].loss!);

    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 32, lora_dropout: 0.05 });
    expect(config.base_model_name_or_path).toBe(join(root, 'llava-llama'));
    const weights = SafetensorsFile.open(join(out, 'adapter_model.safetensors'));
    try {
      const names = [...weights.entries.keys()].sort();
      expect(names).toHaveLength(16);
      expect(names[0]).toBe('base_model.model.language_model.model.layers.0.self_attn.k_proj.lora_A.weight');
      expect(
        weights.entries.get('base_model.model.language_model.model.layers.0.self_attn.q_proj.lora_B.weight')?.shape,
      ).toEqual([32, 4]);
      // B started at zero and moved.
      expect(
        weights
          .float32('base_model.model.language_model.model.layers.0.self_attn.o_proj.lora_B.weight')
          .some((v) => v !== 0),
      ).toBe(true);
    } finally {
      weights.close();
    }
    expect(existsSync(join(out, 'checkpoints', 'epoch-3', 'trainer_state.json'))).toBe(true);
  });

  it('refuses a folder that was not prepared', async () => {
    const broken = mkdtempSync(join(root, 'broken-'));
    await expect(trainAdapter({ prepared: broken, out: join(broken, 'adapter') })).rejects.toThrow(
      /broken-\w+: not a prepared fine-tuning folder/,
    );
  });
});
