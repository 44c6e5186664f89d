import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adaptedModelFolder, removeAdaptedCopies } from './adapted-folder.ts';
import { type LoraModule, writePeftAdapter } from './peft-adapter.ts';
import {
  adaptedWeights,
  buildToyDecoder,
  largestDifference,
  pseudoRandom,
  referenceForward,
  runToyDecoder,
  type ToySpec,
  toyWeights,
  withExternalData,
} from './test-support/toy-decoder.ts';

const SPEC: ToySpec = { hidden: 16, intermediate: 32, layers: 1 };
const INPUT = pseudoRandom(2 * SPEC.hidden, 7, 1);
const weights = toyWeights(SPEC, 5);

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), 'mmkit-adapted-'));
  folders.push(folder);
  return folder;
}

function modelFolder(external: boolean): string {
  const folder = join(scratch(), 'model');
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  writeFileSync(join(folder, 'config.json'), '{"model_type": "llama"}');
  writeFileSync(join(folder, 'tokenizer.json'), '{}');
  const bytes = buildToyDecoder(SPEC, weights);
  if (external) {
    const { model, data } = withExternalData(bytes, 'model.onnx_data');
    writeFileSync(join(folder, 'onnx', 'model.onnx'), model);
    writeFileSync(join(folder, 'onnx', 'model.onnx_data'), data);
  } else {
    writeFileSync(join(folder, 'onnx', 'model.onnx'), bytes);
  }
  writeFileSync(join(folder, 'onnx', 'vision_encoder.onnx'), 'not patched');
  return folder;
}

function adapterModule(seed: number): LoraModule {
  return {
    name: 'model.layers.0.mlp.up_proj',
    rank: 2,
    alpha: 4,
    inFeatures: SPEC.hidden,
    outFeatures: SPEC.intermediate,
    loraA: pseudoRandom(2 * SPEC.hidden, seed, 0.3),
    loraB: pseudoRandom(SPEC.intermediate * 2, seed + 1, 0.3),
  };
}

function adapterFolder(module: LoraModule): string {
  const folder = join(scratch(), 'adapter');
  writePeftAdapter(folder, {
    config: {
      rank: 2,
      alpha: 4,
      dropout: 0,
      targetModules: ['up_proj'],
      baseModel: null,
      taskType: 'CAUSAL_LM',
      useRslora: false,
      rankPattern: {},
      alphaPattern: {},
      extra: {},
    },
    modules: [module],
  });
  return folder;
}

describe('adaptedModelFolder', () => {
  for (const external of [true, false]) {
    it(`mirrors the folder with links, patches the decoder, and reuses the build (${external ? 'external' : 'inline'} weights)`, async () => {
      const cacheRoot = join(scratch(), 'cache');
      const model = modelFolder(external);
      const module = adapterModule(11);
      const adapter = adapterFolder(module);
      const built = adaptedModelFolder(model, adapter, { files: ['onnx/model.onnx'], cacheRoot });
      expect(built.reused).toBe(false);
      expect(built.files['onnx/model.onnx'].merged).toEqual(['/model/layers.0/mlp/up_proj']);
      expect(lstatSync(join(built.path, 'config.json')).isSymbolicLink()).toBe(true);
      expect(lstatSync(join(built.path, 'onnx', 'vision_encoder.onnx')).isSymbolicLink()).toBe(true);
      expect(lstatSync(join(built.path, 'onnx', 'model.onnx')).isSymbolicLink()).toBe(false);
      // The weights are not copied: the patched graph reads them from the original files.
      const patchedSize = statSync(join(built.path, 'onnx', 'model.onnx')).size;
      expect(patchedSize).toBeLessThan(4096);
      const linked = external ? 'model.onnx_data' : 'model.onnx.source';
      // A hard link: ONNX Runtime refuses external data that resolves outside the graph's folder.
      expect(statSync(join(built.path, 'onnx', linked)).nlink).toBe(2);

      const expected = referenceForward(
        SPEC,
        adaptedWeights(weights, [{ key: 'layers.0.mlp.up_proj', module, scale: 2 }]),
        INPUT,
        2,
      );
      expect(
        largestDifference(await runToyDecoder(join(built.path, 'onnx', 'model.onnx'), INPUT, 2, SPEC.hidden), expected),
      ).toBeLessThan(1e-5);

      const again = adaptedModelFolder(model, adapter, { files: ['onnx/model.onnx'], cacheRoot });
      expect(again).toMatchObject({ path: built.path, reused: true });
      // Another adapter is another build; nothing half-built is left behind.
      const other = adaptedModelFolder(model, adapterFolder(adapterModule(12)), {
        files: ['onnx/model.onnx'],
        cacheRoot,
      });
      expect(other.path).not.toBe(built.path);
      expect(readdirSync(cacheRoot).filter((name) => name.startsWith('.'))).toEqual([]);
    });
  }

  it('leaves nothing in the cache when the adapter does not fit the model', () => {
    const cacheRoot = join(scratch(), 'cache');
    const module = {
      ...adapterModule(3),
      name: 'model.layers.0.mlp.up_proj',
      inFeatures: 8,
      loraA: new Float32Array(16),
    };
    expect(() =>
      adaptedModelFolder(modelFolder(false), adapterFolder(module), { files: ['onnx/model.onnx'], cacheRoot }),
    ).toThrow(/the adapter was trained for another model/);
    expect(readdirSync(cacheRoot)).toEqual([]);
  });

  it('forgets the copies of a removed model, and only those', () => {
    const cacheRoot = join(scratch(), 'cache');
    const removed = modelFolder(false);
    const kept = modelFolder(true);
    const adapter = adapterFolder(adapterModule(3));
    const gone = adaptedModelFolder(removed, adapter, { files: ['onnx/model.onnx'], cacheRoot });
    const stays = adaptedModelFolder(kept, adapter, { files: ['onnx/model.onnx'], cacheRoot });
    expect(removeAdaptedCopies(join(removed, '..'), cacheRoot)).toBe(1);
    expect(readdirSync(cacheRoot)).toEqual([stays.path.split('/').at(-1)]);
    expect(gone.path).not.toBe(stays.path);
  });
});
