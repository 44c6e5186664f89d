/**
 * Finite-difference checks of gradient rules: builds a small float64 graph around one operator,
 * projects its output onto a fixed random tensor to get a scalar loss (so every output element
 * matters, with different weights), appends the backward graph, and compares each analytic
 * gradient entry with the central difference (L(x + h) − L(x − h)) / 2h run through onnxruntime.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { GraphBuilder } from '../../../onnx/graph-builder.ts';
import { int64Tensor, tensor } from '../../../onnx/tensor.ts';
import { uniformValues } from '../../random.ts';
import { appendGradients, type GradientShortcut } from '../gradient-builder.ts';
import { operatorRules } from '../rules/index.ts';
import { ShapeTable } from '../shape-table.ts';
import { staticDims } from '../value-shape.ts';

export interface CheckInput {
  name: string;
  dims: number[];
  /** Default: uniform in [-1, 1) from the case's seed. */
  values?: ArrayLike<number>;
  /** int64 inputs (indices, labels) are never trainable. */
  type?: 'float64' | 'int64';
  /** Default true for float64 inputs. */
  trainable?: boolean;
}

export interface GradientCase {
  name: string;
  inputs: CheckInput[];
  /**
   * Adds the operator(s) under test; returns the value the loss is built from, or that value with
   * the closed-form gradients the builder should start from.
   */
  build(
    graph: GraphBuilder,
    inputs: Record<string, string>,
  ): string | { output: string; shortcuts: GradientShortcut[] };
  /** The built value is already the scalar loss (no random projection). */
  scalarLoss?: boolean;
}

export interface GradientCheckResult {
  /** max |numeric − analytic| / max |analytic|, per trainable input. */
  relativeErrors: Record<string, number>;
  maxRelativeError: number;
  /** The largest gradient entry, to show the check did not compare zeros. */
  gradientScale: number;
}

const STEP = 1e-6;

export async function checkGradientCase(testCase: GradientCase, seed = 7): Promise<GradientCheckResult> {
  const graph = new GraphBuilder(testCase.name.replace(/\W+/g, '_'));
  const names: Record<string, string> = {};
  const feeds: Record<string, Tensor> = {};
  const trainable: string[] = [];
  for (const input of testCase.inputs) {
    const type = input.type ?? 'float64';
    names[input.name] = graph.input(input.name, type, input.dims);
    const count = input.dims.reduce((product, dim) => product * dim, 1);
    const values = input.values ?? uniformValues(seed, `${testCase.name}/${input.name}`, count);
    feeds[input.name] =
      type === 'int64'
        ? new Tensor('int64', BigInt64Array.from(Array.from(values, (value) => BigInt(value))), input.dims)
        : new Tensor('float64', Float64Array.from(values), input.dims);
    if (type === 'float64' && input.trainable !== false) trainable.push(input.name);
  }

  const built = testCase.build(graph, names);
  const { output, shortcuts } = typeof built === 'string' ? { output: built, shortcuts: [] } : built;
  let loss = output;
  if (!testCase.scalarLoss) {
    const dims = staticDims(new ShapeTable(graph, operatorRules).shape(output).dims);
    if (!dims) throw new Error(`${testCase.name}: output dims must be static`);
    const count = dims.reduce((product, dim) => product * dim, 1);
    const projection = graph.constant(
      tensor('float64', uniformValues(seed, `${testCase.name}/projection`, count), dims),
      'projection',
    );
    loss = graph.op('ReduceSum', [graph.op('Mul', [output, projection]), graph.constant(int64Tensor([]))], {
      keepdims: 0,
    });
  }
  graph.node('Identity', [loss], ['loss']);
  graph.output('loss', 'float64');
  const { gradients } = appendGradients(graph, { loss: 'loss', trainable, shortcuts });
  for (const gradient of gradients.values()) graph.output(gradient, 'float64');

  // Basic optimizations only: the extended level fuses MatMul·scalar into FusedMatMul with a float32
  // alpha, which rounds a float64 graph's forward pass and would blur the comparison.
  const session = await InferenceSession.create(graph.toBytes(), { graphOptimizationLevel: 'basic' });
  try {
    const analytic = await session.run(feeds);
    const lossAt = async (name: string, index: number, delta: number) => {
      const original = feeds[name].data as Float64Array;
      const shifted = Float64Array.from(original);
      shifted[index] += delta;
      const result = await session.run({ ...feeds, [name]: new Tensor('float64', shifted, feeds[name].dims) }, [
        'loss',
      ]);
      return (result.loss.data as Float64Array)[0];
    };
    const relativeErrors: Record<string, number> = {};
    let gradientScale = 0;
    for (const name of trainable) {
      const gradient = analytic[gradients.get(name)!].data as Float64Array;
      let largestError = 0;
      let largestGradient = 0;
      for (let index = 0; index < gradient.length; index++) {
        const numeric = ((await lossAt(name, index, STEP)) - (await lossAt(name, index, -STEP))) / (2 * STEP);
        largestError = Math.max(largestError, Math.abs(numeric - gradient[index]));
        largestGradient = Math.max(largestGradient, Math.abs(gradient[index]));
      }
      relativeErrors[name] = largestError / Math.max(largestGradient, 1e-12);
      gradientScale = Math.max(gradientScale, largestGradient);
    }
    const maxRelativeError = Math.max(0, ...Object.values(relativeErrors));
    return { relativeErrors, maxRelativeError, gradientScale };
  } finally {
    await session.release();
  }
}
