/**
 * A toy decoder for adapter tests: every projection a Llama block has, named exactly as Optimum's
 * exports name them (`/model/layers.{i}/self_attn/q_proj/MatMul`, weights `onnx::MatMul_N` stored
 * [in, out]), wired with enough nonlinearity that a wrong weight shows:
 *
 *   h += o(v(h) + q(h)·k(h));   h += down(up(h)·sigmoid(gate(h)))
 *
 * The quantized variant uses MatMulNBits (4-bit, block 16), as `*_q4.onnx` exports do. A plain
 * TypeScript forward pass gives the expected outputs independently of ONNX Runtime.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { GraphBuilder } from '../../../onnx/graph-builder.ts';
import { decodeModel } from '../../../onnx/model-reader.ts';
import { joinEdit, messageEdit, messageField } from '../../../onnx/model-splice.ts';
import { ProtoWriter } from '../../../onnx/protobuf.ts';
import { tensor } from '../../../onnx/tensor.ts';
import type { LoraModule } from '../peft-adapter.ts';

export const PROJECTIONS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export interface ToySpec {
  hidden: number;
  intermediate: number;
  layers: number;
}

/** Weights by `layers.{i}.{block}.{x}_proj`, [in, out] row-major. */
export type ToyWeights = Map<string, Float32Array>;

export function blockOf(projection: Projection): 'self_attn' | 'mlp' {
  return ['gate', 'up', 'down'].includes(projection) ? 'mlp' : 'self_attn';
}

export function shapeOf(spec: ToySpec, projection: Projection): [number, number] {
  if (projection === 'gate' || projection === 'up') return [spec.hidden, spec.intermediate];
  if (projection === 'down') return [spec.intermediate, spec.hidden];
  return [spec.hidden, spec.hidden];
}

/** Deterministic values in [-amplitude, amplitude). */
export function pseudoRandom(count: number, seed: number, amplitude: number): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * amplitude;
  });
}

export function toyWeights(spec: ToySpec, seed = 1): ToyWeights {
  const weights: ToyWeights = new Map();
  let salt = seed;
  for (let layer = 0; layer < spec.layers; layer++) {
    for (const projection of PROJECTIONS) {
      const [rows, columns] = shapeOf(spec, projection);
      weights.set(
        `layers.${layer}.${blockOf(projection)}.${projection}_proj`,
        pseudoRandom(rows * columns, salt++ * 7919, 0.3),
      );
    }
  }
  return weights;
}

export interface QuantizedWeight {
  packed: Uint8Array;
  scales: Float32Array;
  /** What the kernel computes with: the dequantized weight, [in, out]. */
  dequantized: Float32Array;
}

const BLOCK = 16;

/** 4-bit block quantization in MatMulNBits's layout: [N, K/16, 8] bytes, low nibble first, zero point 8. */
export function quantize4(weight: Float32Array, rows: number, columns: number): QuantizedWeight {
  const blocks = rows / BLOCK;
  const packed = new Uint8Array(columns * blocks * (BLOCK / 2));
  const scales = new Float32Array(columns * blocks);
  const dequantized = new Float32Array(rows * columns);
  for (let n = 0; n < columns; n++) {
    for (let block = 0; block < blocks; block++) {
      let largest = 0;
      for (let j = 0; j < BLOCK; j++) largest = Math.max(largest, Math.abs(weight[(block * BLOCK + j) * columns + n]));
      const scale = largest / 7 || 1;
      scales[n * blocks + block] = scale;
      for (let j = 0; j < BLOCK; j++) {
        const k = block * BLOCK + j;
        const level = Math.min(15, Math.max(0, Math.round(weight[k * columns + n] / Math.fround(scale)) + 8));
        packed[(n * blocks + block) * (BLOCK / 2) + (j >> 1)] |= j % 2 === 0 ? level : level << 4;
        dequantized[k * columns + n] = (level - 8) * Math.fround(scale);
      }
    }
  }
  return { packed, scales, dequantized };
}

export function buildToyDecoder(spec: ToySpec, weights: ToyWeights, options: { quantized?: boolean } = {}): Uint8Array {
  const graph = new GraphBuilder('main_graph');
  let hidden = graph.input('inputs_embeds', 'float32', ['batch_size', 'sequence_length', spec.hidden]);
  let counter = 100;
  const project = (layer: number, projection: Projection, input: string): string => {
    const key = `layers.${layer}.${blockOf(projection)}.${projection}_proj`;
    const path = `/model/layers.${layer}/${blockOf(projection)}/${projection}_proj`;
    const [rows, columns] = shapeOf(spec, projection);
    const weight = weights.get(key) as Float32Array;
    if (!options.quantized) {
      const initializer = graph.initializer(`onnx::MatMul_${counter++}`, tensor('float32', weight, [rows, columns]));
      return graph.node('MatMul', [input, initializer], [`${path}/MatMul_output_0`], {}, { name: `${path}/MatMul` })[0];
    }
    const quantized = quantize4(weight, rows, columns);
    const packed = graph.initializer(
      `${path}.weight_Q4`,
      tensor('uint8', quantized.packed, [columns, rows / BLOCK, BLOCK / 2]),
    );
    const scales = graph.initializer(
      `${path}.weight_scales`,
      tensor('float32', quantized.scales, [columns * (rows / BLOCK)]),
    );
    return graph.node(
      'MatMulNBits',
      [input, packed, scales],
      [`${path}/MatMul_output_0`],
      { K: rows, N: columns, bits: 4, block_size: BLOCK },
      { name: `${path}/MatMul_Q4`, domain: 'com.microsoft' },
    )[0];
  };
  for (let layer = 0; layer < spec.layers; layer++) {
    const mixed = graph.op('Add', [
      project(layer, 'v', hidden),
      graph.op('Mul', [project(layer, 'q', hidden), project(layer, 'k', hidden)]),
    ]);
    hidden = graph.op('Add', [hidden, project(layer, 'o', mixed)]);
    const gate = graph.op('Sigmoid', [project(layer, 'gate', hidden)]);
    const inner = graph.op('Mul', [project(layer, 'up', hidden), gate]);
    hidden = graph.op('Add', [hidden, project(layer, 'down', inner)]);
  }
  graph.node('Identity', [hidden], ['last_hidden_state'], {}, { name: '/model/norm/Identity' });
  graph.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', spec.hidden]);
  return graph.toBytes(options.quantized ? { extraOpsets: [{ domain: 'com.microsoft', version: 1 }] } : {});
}

function matmul(x: Float64Array, rows: number, weight: Float32Array, inner: number, columns: number): Float64Array {
  const out = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < inner; k++) {
      const value = x[r * inner + k];
      for (let c = 0; c < columns; c++) out[r * columns + c] += value * weight[k * columns + c];
    }
  }
  return out;
}

/** The toy decoder's forward pass in double precision; `rows` = batch × sequence. */
export function referenceForward(spec: ToySpec, weights: ToyWeights, input: Float32Array, rows: number): Float64Array {
  let hidden = Float64Array.from(input);
  const project = (layer: number, projection: Projection, x: Float64Array) => {
    const [inner, columns] = shapeOf(spec, projection);
    return matmul(
      x,
      rows,
      weights.get(`layers.${layer}.${blockOf(projection)}.${projection}_proj`) as Float32Array,
      inner,
      columns,
    );
  };
  for (let layer = 0; layer < spec.layers; layer++) {
    const v = project(layer, 'v', hidden);
    const q = project(layer, 'q', hidden);
    const k = project(layer, 'k', hidden);
    const attention = project(
      layer,
      'o',
      v.map((value, index) => value + q[index] * k[index]),
    );
    hidden = hidden.map((value, index) => value + attention[index]);
    const gate = project(layer, 'gate', hidden);
    const up = project(layer, 'up', hidden);
    const down = project(
      layer,
      'down',
      up.map((value, index) => value / (1 + Math.exp(-gate[index]))),
    );
    hidden = hidden.map((value, index) => value + down[index]);
  }
  return hidden;
}

/** W + scale·(B·A)ᵀ for every adapted projection, computed the plain way (B·A first, then transposed). */
export function adaptedWeights(
  weights: ToyWeights,
  modules: readonly { key: string; module: LoraModule; scale: number }[],
): ToyWeights {
  const adapted: ToyWeights = new Map([...weights].map(([key, value]) => [key, Float32Array.from(value)]));
  for (const { key, module, scale } of modules) {
    const weight = adapted.get(key) as Float32Array;
    const { rank, inFeatures, outFeatures, loraA, loraB } = module;
    for (let output = 0; output < outFeatures; output++) {
      for (let input = 0; input < inFeatures; input++) {
        let product = 0;
        for (let k = 0; k < rank; k++) product += loraB[output * rank + k] * loraA[k * inFeatures + input];
        weight[input * outFeatures + output] += scale * product;
      }
    }
  }
  return adapted;
}

/**
 * The model with every initializer of 1 KiB or more moved to an external data file, as large
 * exports are laid out (`model.onnx` + `model.onnx_data`); built by hand, not by the code under test.
 */
export function withExternalData(bytes: Uint8Array, dataName: string): { model: Uint8Array; data: Uint8Array } {
  const model = decodeModel(bytes);
  const root = messageEdit(bytes, model.fields);
  const graph = messageEdit(bytes, model.graph.fields);
  root.replace.set(model.graphField, graph);
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const { tensor: weight, field } of model.graph.initializers) {
    const raw = weight.fields.find((each) => each.field === 9);
    if (!raw || raw.valueEnd - raw.valueStart < 1024) continue;
    const edit = messageEdit(bytes, weight.fields);
    edit.replace.set(raw, []);
    const length = raw.valueEnd - raw.valueStart;
    const entry = (key: string, value: string) => messageField(13, new ProtoWriter().string(1, key).string(2, value));
    edit.append.push(entry('location', dataName), entry('offset', String(offset)), entry('length', String(length)));
    edit.append.push(new ProtoWriter().int(14, 1).finish());
    graph.replace.set(field, edit);
    data.push(bytes.slice(raw.valueStart, raw.valueEnd));
    offset += length;
  }
  return { model: joinEdit(root), data: Buffer.concat(data) };
}

/** The toy decoder's output for `input` ([1, rows, hidden]) from the model file at `path`. */
export async function runToyDecoder(
  path: string,
  input: Float32Array,
  rows: number,
  hidden: number,
): Promise<Float32Array> {
  const session = await InferenceSession.create(path);
  try {
    const result = await session.run({ inputs_embeds: new Tensor('float32', input, [1, rows, hidden]) });
    return result.last_hidden_state.data as Float32Array;
  } finally {
    await session.release();
  }
}

export function largestDifference(first: ArrayLike<number>, second: ArrayLike<number>): number {
  let largest = 0;
  for (let index = 0; index < first.length; index++)
    largest = Math.max(largest, Math.abs(first[index] - second[index]));
  return largest;
}
