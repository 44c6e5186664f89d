import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { GraphBuilder } from '../../onnx/graph-builder.ts';
import { decodeModel } from '../../onnx/model-reader.ts';
import { tensor } from '../../onnx/tensor.ts';
import { type ApplyAdapterOptions, applyAdapter } from './apply-adapter.ts';
import type { LoraModule, PeftAdapter } from './peft-adapter.ts';
import {
  adaptedWeights,
  blockOf,
  buildToyDecoder,
  largestDifference,
  PROJECTIONS,
  pseudoRandom,
  quantize4,
  referenceForward,
  runToyDecoder,
  shapeOf,
  type ToySpec,
  type ToyWeights,
  toyWeights,
} from './test-support/toy-decoder.ts';

const SPEC: ToySpec = { hidden: 16, intermediate: 32, layers: 2 };
const ROWS = 3;
const INPUT = pseudoRandom(ROWS * SPEC.hidden, 99, 1);

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), 'mmkit-apply-'));
  folders.push(folder);
  return folder;
}

/** An adapter on every projection of layer 0 and on q/v of layer 1, plus a vision-tower module. */
function toyAdapter(
  alpha = 16,
  rank = 4,
): { adapter: PeftAdapter; entries: { key: string; module: LoraModule; scale: number }[] } {
  const entries: { key: string; module: LoraModule; scale: number }[] = [];
  let seed = 500;
  for (let layer = 0; layer < SPEC.layers; layer++) {
    for (const projection of PROJECTIONS) {
      if (layer === 1 && projection !== 'q' && projection !== 'v') continue;
      const [inFeatures, outFeatures] = shapeOf(SPEC, projection);
      const key = `layers.${layer}.${blockOf(projection)}.${projection}_proj`;
      const module: LoraModule = {
        name: `model.${key}`,
        rank,
        alpha,
        inFeatures,
        outFeatures,
        loraA: pseudoRandom(rank * inFeatures, seed++, 0.2),
        loraB: pseudoRandom(outFeatures * rank, seed++, 0.05),
      };
      entries.push({ key, module, scale: alpha / rank });
    }
  }
  const vision: LoraModule = {
    name: 'model.vision_tower.vision_model.encoder.layers.0.self_attn.q_proj',
    rank,
    alpha,
    inFeatures: 8,
    outFeatures: 8,
    loraA: new Float32Array(rank * 8),
    loraB: new Float32Array(8 * rank),
  };
  const adapter: PeftAdapter = {
    config: {
      rank,
      alpha,
      dropout: 0,
      targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      baseModel: null,
      taskType: 'CAUSAL_LM',
      useRslora: false,
      rankPattern: {},
      alphaPattern: {},
      extra: {},
    },
    modules: [...entries.map((entry) => entry.module), vision],
  };
  return { adapter, entries };
}

function writeModel(bytes: Uint8Array): string {
  const path = join(scratch(), 'model.onnx');
  writeFileSync(path, bytes);
  return path;
}

function patch(source: string, adapter: PeftAdapter, options: ApplyAdapterOptions = {}) {
  const output = join(scratch(), 'model.onnx');
  const warnings: string[] = [];
  const application = applyAdapter(source, adapter, output, {
    ...options,
    onWarning: (message) => warnings.push(message),
  });
  return { output, application, warnings };
}

describe('applyAdapter on an fp32 export', () => {
  const weights = toyWeights(SPEC);
  const source = () => writeModel(buildToyDecoder(SPEC, weights));

  it('merges LoRA into the MatMul weights: outputs equal base + adapter computed independently', async () => {
    const { adapter, entries } = toyAdapter();
    const model = source();
    const base = await runToyDecoder(model, INPUT, ROWS, SPEC.hidden);
    expect(largestDifference(base, referenceForward(SPEC, weights, INPUT, ROWS))).toBeLessThan(1e-5);

    const { output, application, warnings } = patch(model, adapter);
    expect(application.merged).toHaveLength(9);
    expect(application.merged).toContain('/model/layers.1/self_attn/v_proj');
    expect(application.sidePaths).toEqual([]);
    expect(application.skippedModules).toEqual(['model.vision_tower.vision_model.encoder.layers.0.self_attn.q_proj']);
    expect(warnings.join('\n')).toMatch(
      /skipped: model\.vision_tower\.vision_model\.encoder\.layers\.0\.self_attn\.q_proj/,
    );
    expect(application.mergedDataFile).toBe(`${output}_lora_data`);

    const adapted = await runToyDecoder(output, INPUT, ROWS, SPEC.hidden);
    const expected = referenceForward(SPEC, adaptedWeights(weights, entries), INPUT, ROWS);
    expect(largestDifference(adapted, expected)).toBeLessThan(1e-5);
    // The adapter really changes the answer: far beyond the tolerance.
    expect(largestDifference(adapted, base)).toBeGreaterThan(0.05);
    // Same graph, same node count: merging adds nothing per token.
    expect(decodeModel(readFileSync(output)).graph.nodes.length).toBe(
      decodeModel(readFileSync(model)).graph.nodes.length,
    );
  });

  it('gives the same outputs through side paths (to 1e-5), with three nodes per adapted projection', async () => {
    const { adapter } = toyAdapter();
    const model = source();
    const merged = await runToyDecoder(patch(model, adapter).output, INPUT, ROWS, SPEC.hidden);
    const { output, application } = patch(model, adapter, { mode: 'side-path' });
    expect(application.sidePaths).toHaveLength(9);
    expect(application.mergedDataFile).toBeUndefined();
    expect(largestDifference(await runToyDecoder(output, INPUT, ROWS, SPEC.hidden), merged)).toBeLessThan(1e-5);
    const nodes = decodeModel(readFileSync(output)).graph.nodes;
    expect(nodes.length).toBe(decodeModel(readFileSync(model)).graph.nodes.length + 27);
    const names = nodes.map((node) => node.name);
    // Inserted right after the projection, so the graph stays in topological order.
    const at = names.indexOf('/model/layers.0/self_attn/q_proj/MatMul');
    expect(names.slice(at, at + 4)).toEqual([
      '/model/layers.0/self_attn/q_proj/MatMul',
      '/model/layers.0/self_attn/q_proj/lora_A/MatMul',
      '/model/layers.0/self_attn/q_proj/lora_B/MatMul',
      '/model/layers.0/self_attn/q_proj/lora/Add',
    ]);
  });

  it('uses alpha/√r with rsLoRA', async () => {
    const { adapter, entries } = toyAdapter(8, 4);
    adapter.config.useRslora = true;
    const { output } = patch(source(), adapter);
    const rescaled = entries.map((entry) => ({ ...entry, scale: 8 / 2 }));
    const expected = referenceForward(SPEC, adaptedWeights(weights, rescaled), INPUT, ROWS);
    expect(largestDifference(await runToyDecoder(output, INPUT, ROWS, SPEC.hidden), expected)).toBeLessThan(1e-5);
  });

  it('refuses an adapter trained for another shape, and one that matches nothing', () => {
    const { adapter } = toyAdapter();
    const wrong = adapter.modules[0];
    adapter.modules[0] = { ...wrong, inFeatures: 8, loraA: new Float32Array(wrong.rank * 8) };
    const error = (() => {
      try {
        patch(source(), adapter);
      } catch (caught) {
        return caught as MmkitError;
      }
    })();
    expect(error).toBeInstanceOf(MmkitError);
    expect(error?.message).toMatch(/model\.layers\.0\.self_attn\.q_proj is 16×8 but .* is \[16, 16\]/);
    const { adapter: unrelated } = toyAdapter();
    unrelated.modules = unrelated.modules.map((module) => ({
      ...module,
      name: module.name.replace('layers.', 'blocks.'),
    }));
    expect(() => patch(source(), unrelated)).toThrow(/none of the adapter's 10 modules/);
  });
});

describe('applyAdapter on a 4-bit (MatMulNBits) export', () => {
  const weights = toyWeights(SPEC, 3);
  /** What the quantized kernels compute with. */
  const dequantized: ToyWeights = new Map(
    [...weights].map(([key, value]) => {
      const projection = key.split('.')[3].replace('_proj', '') as (typeof PROJECTIONS)[number];
      const [rows, columns] = shapeOf(SPEC, projection);
      return [key, quantize4(value, rows, columns).dequantized];
    }),
  );

  it('adds LoRA side paths that match base + adapter computed independently', async () => {
    const model = writeModel(buildToyDecoder(SPEC, weights, { quantized: true }));
    const base = await runToyDecoder(model, INPUT, ROWS, SPEC.hidden);
    expect(largestDifference(base, referenceForward(SPEC, dequantized, INPUT, ROWS))).toBeLessThan(1e-4);
    const { adapter, entries } = toyAdapter();
    const { output, application } = patch(model, adapter);
    expect(application.merged).toEqual([]);
    expect(application.sidePaths).toHaveLength(9);
    const expected = referenceForward(SPEC, adaptedWeights(dequantized, entries), INPUT, ROWS);
    const adapted = await runToyDecoder(output, INPUT, ROWS, SPEC.hidden);
    expect(largestDifference(adapted, expected)).toBeLessThan(1e-4);
    expect(largestDifference(adapted, base)).toBeGreaterThan(0.05);
    expect(() => patch(model, adapter, { mode: 'merge' })).toThrow(
      /\/model\/layers\.0\/self_attn\/v_proj is not a MatMul over a float weight/,
    );
  });
});

describe('applyAdapter inside If branches (Optimum merged decoders keep their layers in subgraphs)', () => {
  const weight = pseudoRandom(16 * 16, 77, 0.3);
  function branchedModel(): string {
    const graph = new GraphBuilder('merged_decoder');
    const x = graph.input('x', 'float32', [1, 16]);
    const usePast = graph.input('use_cache_branch', 'bool', [1]);
    const shared = graph.initializer('onnx::MatMul_7', tensor('float32', weight, [16, 16]));
    const branch = (name: string, negate: boolean) => {
      const body = graph.subgraph(name);
      const projected = body.node(
        'MatMul',
        [x, shared],
        [`${name}/q`],
        {},
        { name: '/model/layers.0/self_attn/q_proj/MatMul' },
      )[0];
      const out = negate
        ? body.node('Neg', [projected], [`${name}/out`])[0]
        : body.node('Identity', [projected], [`${name}/out`])[0];
      body.output(out, 'float32', [1, 16]);
      return body;
    };
    graph.node('If', [usePast], ['y'], {
      then_branch: branch('with_past', false),
      else_branch: branch('without_past', true),
    });
    graph.output('y', 'float32', [1, 16]);
    return writeModel(graph.toBytes());
  }
  const module: LoraModule = {
    name: 'model.layers.0.self_attn.q_proj',
    rank: 2,
    alpha: 4,
    inFeatures: 16,
    outFeatures: 16,
    loraA: pseudoRandom(32, 78, 0.3),
    loraB: pseudoRandom(32, 79, 0.3),
  };
  const adapter: PeftAdapter = { ...toyAdapter().adapter, modules: [module] };
  const input = pseudoRandom(16, 80, 1);

  async function both(path: string): Promise<number[]> {
    const session = await InferenceSession.create(path);
    try {
      const out: number[] = [];
      for (const flag of [1, 0]) {
        const result = await session.run({
          x: new Tensor('float32', input, [1, 16]),
          use_cache_branch: new Tensor('bool', Uint8Array.from([flag]), [1]),
        });
        out.push(...(result.y.data as Float32Array));
      }
      return out;
    } finally {
      await session.release();
    }
  }

  it('merges the shared weight once and gives both branches side paths, with equal results', async () => {
    const model = branchedModel();
    const merged = patch(model, adapter);
    expect(merged.application.merged).toEqual(['/model/layers.0/self_attn/q_proj', '/model/layers.0/self_attn/q_proj']);
    const sided = patch(model, adapter, { mode: 'side-path' });
    expect(sided.application.sidePaths).toHaveLength(2);
    const adapted = adaptedWeights(new Map([['q', weight]]), [{ key: 'q', module, scale: 2 }]).get('q') as Float32Array;
    const expected = Array.from({ length: 16 }, (_, column) => {
      let sum = 0;
      for (let row = 0; row < 16; row++) sum += input[row] * adapted[row * 16 + column];
      return sum;
    });
    const reference = [...expected, ...expected.map((value) => -value)];
    expect(largestDifference(await both(merged.output), reference)).toBeLessThan(1e-5);
    expect(largestDifference(await both(sided.output), reference)).toBeLessThan(1e-5);
  });
});
