import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { attribute, GraphBuilder } from './graph-builder.ts';
import { boolTensor, floatTensor, int64Tensor } from './tensor.ts';

async function run(builder: GraphBuilder, feeds: Record<string, Tensor>): Promise<InferenceSession.OnnxValueMapType> {
  const session = await InferenceSession.create(builder.toBytes());
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function values(tensor: Tensor | undefined): number[] {
  return Array.from(tensor!.data as Float32Array | BigInt64Array, Number);
}

describe('GraphBuilder', () => {
  it('runs MatMul + Add with a symbolic batch dimension', async () => {
    const graph = new GraphBuilder('linear');
    const x = graph.input('x', 'float32', ['batch_size', 2]);
    const weight = graph.initializer('weight', floatTensor([1, 2, 3, 4, 5, 6], [2, 3]));
    const bias = graph.initializer('bias', floatTensor([0.5, -1, 10]));
    graph.node('Add', [graph.op('MatMul', [x, weight]), bias], ['y']);
    graph.output('y', 'float32', ['batch_size', 3]);

    const result = await run(graph, { x: new Tensor('float32', Float32Array.from([1, 0, 2, -1]), [2, 2]) });
    expect(result.y.dims).toEqual([2, 3]);
    // [1,0]·W = [1,2,3]; [2,-1]·W = [2-4, 4-5, 6-6] = [-2,-1,0]; plus bias.
    expect(values(result.y)).toEqual([1.5, 1, 13, -1.5, -2, 10]);
  });

  it('gathers int64 ids from an embedding table and applies Softmax', async () => {
    const graph = new GraphBuilder('embed');
    const ids = graph.input('ids', 'int64', ['batch_size', 'sequence_length']);
    const table = graph.initializer('table', floatTensor([0, 0, Math.log(3), 0, 0, Math.log(3)], [3, 2]));
    const embedded = graph.op('Gather', [table, ids], { axis: 0 });
    graph.node('Softmax', [embedded], ['probabilities'], { axis: -1 });
    graph.output('probabilities', 'float32', ['batch_size', 'sequence_length', 2]);

    const result = await run(graph, { ids: new Tensor('int64', BigInt64Array.from([2n, 0n, 1n]), [1, 3]) });
    expect(result.probabilities.dims).toEqual([1, 3, 2]);
    const probabilities = values(result.probabilities);
    [0.25, 0.75, 0.5, 0.5, 0.75, 0.25].forEach((expected, index) => {
      expect(probabilities[index]).toBeCloseTo(expected, 6);
    });
  });

  it('chains Reshape and Transpose with int64 shape initializers and negative attributes', async () => {
    const graph = new GraphBuilder('layout');
    const x = graph.input('x', 'float32', [2, 6]);
    const reshaped = graph.op('Reshape', [x, graph.constant(int64Tensor([2, 3, -1]))]);
    const transposed = graph.op('Transpose', [reshaped], { perm: [2, 0, 1] });
    graph.node('Flatten', [transposed], ['y'], { axis: -1 });
    graph.output('y', 'float32');

    const input = Float32Array.from({ length: 12 }, (_, index) => index);
    const result = await run(graph, { x: new Tensor('float32', input, [2, 6]) });
    // x as [2,3,2] -> [2,2,3] (last axis first) -> flattened to [4, 3].
    expect(result.y.dims).toEqual([4, 3]);
    expect(values(result.y)).toEqual([0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]);
  });

  it('selects with Where on a bool initializer and branches with If subgraphs', async () => {
    const graph = new GraphBuilder('control');
    const x = graph.input('x', 'float32', [4]);
    const condition = graph.input('condition', 'bool', []);
    const mask = graph.initializer('mask', boolTensor([true, false, true, false]));
    const masked = graph.op('Where', [mask, x, graph.constant(floatTensor([-1], []))]);

    const thenBranch = graph.subgraph('then');
    thenBranch.node('Mul', [masked, thenBranch.constant(floatTensor([2], []))], ['doubled']);
    thenBranch.output('doubled', 'float32', [4]);
    const elseBranch = graph.subgraph('else');
    elseBranch.node('Neg', [masked], ['negated']);
    elseBranch.output('negated', 'float32', [4]);
    graph.node('If', [condition], ['y'], { then_branch: thenBranch, else_branch: elseBranch });
    graph.output('y', 'float32', [4]);

    const session = await InferenceSession.create(graph.toBytes());
    const x4 = new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]);
    const whenTrue = await session.run({ x: x4, condition: new Tensor('bool', [true], []) });
    const whenFalse = await session.run({ x: x4, condition: new Tensor('bool', [false], []) });
    await session.release();
    expect(values(whenTrue.y)).toEqual([2, -2, 6, -2]);
    expect(values(whenFalse.y)).toEqual([-1, 1, -3, 1]);
  });

  it('writes whole-number float attributes when asked, and scalar initializers', async () => {
    const graph = new GraphBuilder('attributes');
    const x = graph.input('x', 'float32', [3]);
    graph.node('LeakyRelu', [x], ['y'], { alpha: attribute.float(2) });
    graph.node('Add', ['y', graph.constant(floatTensor([0.25], []))], ['z']);
    graph.output('z', 'float32', [3]);
    const result = await run(graph, { x: new Tensor('float32', Float32Array.from([-1, 0, 3]), [3]) });
    expect(values(result.z)).toEqual([-1.75, 0.25, 3.25]);
  });

  it('rejects undefined inputs, duplicate names and output-less models', () => {
    const graph = new GraphBuilder('broken');
    graph.input('x', 'float32', [1]);
    expect(() => graph.op('Relu', ['missing'])).toThrow(/"missing", which is not defined/);
    expect(() => graph.input('x', 'float32', [1])).toThrow(/defined twice/);
    expect(() => graph.toBytes()).toThrow(/no outputs/);
  });

  it('serializes deterministically and declares ir_version 8 with opset 17', async () => {
    const build = () => {
      const graph = new GraphBuilder('same');
      graph.node('Identity', [graph.input('x', 'int64', ['n'])], ['y']);
      graph.output('y', 'int64', ['n']);
      return graph.toBytes();
    };
    const bytes = build();
    expect(Buffer.from(build()).equals(Buffer.from(bytes))).toBe(true);
    // ModelProto field 1 (ir_version) is the first varint: tag 0x08, value 8.
    expect([bytes[0], bytes[1]]).toEqual([0x08, 8]);
    const session = await InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    await session.release();
  });
});
