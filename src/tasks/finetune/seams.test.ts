import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llavaFiles } from '../../../testkit/llava.ts';
import { writeModelFiles } from '../../../testkit/model-files.ts';
import { openTrainingModel } from './seams.ts';
import { makeLlavaTrainable } from './test-support/trainable-llava.ts';

const root = mkdtempSync(join(tmpdir(), 'mmkit-seams-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openTrainingModel (interim)', () => {
  it("reads LLaVA's text_config and language_model.* weights", async () => {
    const folder = join(root, 'llava');
    await writeModelFiles(folder, llavaFiles());
    const expected = makeLlavaTrainable(folder);
    const model = openTrainingModel(folder);
    try {
      expect(model.config).toEqual(expected);
      expect(model.modulePrefix).toBe('language_model.model.');
      expect(model.weights('model.norm.weight', [32])).toHaveLength(32);
      expect(() => model.weights('model.norm.weight', [16])).toThrow(
        /language_model.model.norm.weight is missing or not \[16\]/,
      );
    } finally {
      model.close();
    }
  });

  it('names the supported architectures', () => {
    const folder = mkdtempSync(join(root, 'gpt2-'));
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    expect(() => openTrainingModel(folder)).toThrow(
      /decoder model type "gpt2" cannot be trained; supported: llama, qwen2/,
    );
  });
});
