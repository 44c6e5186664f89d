import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../onnx/graph-builder.ts';
import { floatTensor, int64Tensor } from '../../onnx/tensor.ts';
import { appendGradients } from './gradient-builder.ts';

function linearGraph(): GraphBuilder {
  const graph = new GraphBuilder('linear');
  graph.input('x', 'float32', ['batch', 3]);
  graph.input('a', 'float32', [3, 2]);
  graph.input('bias', 'float32', [2]);
  return graph;
}

describe('appendGradients', () => {
  it('differentiates through a symbolic batch axis, summing the broadcast bias gradient over it', async () => {
    const graph = linearGraph();
    const y = graph.op('Add', [graph.op('MatMul', ['x', 'a']), 'bias']);
    // loss = mean(y²) / 2 → dy = y / count.
    const loss = graph.op('ReduceMean', [graph.op('Mul', [y, y])], { keepdims: 0 });
    graph.node('Mul', [loss, graph.constant(floatTensor([0.5], []))], ['loss']);
    const { gradients } = appendGradients(graph, { loss: 'loss', trainable: ['a', 'bias'] });
    graph.output('loss', 'float32');
    for (const gradient of gradients.values()) graph.output(gradient, 'float32');
    const session = await InferenceSession.create(graph.toBytes());

    const a = [0.5, -1, 2, 0.25, -0.5, 1];
    const bias = [0.1, -0.2];
    for (const batch of [1, 4]) {
      const x = Array.from({ length: batch * 3 }, (_, index) => ((index * 7) % 5) - 2);
      const result = await session.run({
        x: new Tensor('float32', Float32Array.from(x), [batch, 3]),
        a: new Tensor('float32', Float32Array.from(a), [3, 2]),
        bias: new Tensor('float32', Float32Array.from(bias), [2]),
      });
      const count = batch * 2;
      const expectedA = new Array(6).fill(0);
      const expectedBias = [0, 0];
      for (let row = 0; row < batch; row++) {
        for (let column = 0; column < 2; column++) {
          let value = bias[column];
          for (let k = 0; k < 3; k++) value += x[row * 3 + k] * a[k * 2 + column];
          const dy = value / count;
          expectedBias[column] += dy;
          for (let k = 0; k < 3; k++) expectedA[k * 2 + column] += x[row * 3 + k] * dy;
        }
      }
      expect(result.bias_grad.dims).toEqual([2]);
      Array.from(result.a_grad.data as Float32Array).forEach((value, index) => {
        expect(value).toBeCloseTo(expectedA[index], 5);
      });
      Array.from(result.bias_grad.data as Float32Array).forEach((value, index) => {
        expect(value).toBeCloseTo(expectedBias[index], 5);
      });
    }
    await session.release();
  });

  it('emits nothing for frozen weights: no backward node reads them', () => {
    const graph = new GraphBuilder('frozen');
    const x = graph.input('x', 'float32', [2, 3]);
    const frozen = graph.initializer('frozen', floatTensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]));
    const hidden = graph.op('MatMul', [x, frozen]);
    const adapter = graph.input('adapter', 'float32', [3, 1]);
    graph.node('ReduceSum', [graph.op('MatMul', [hidden, adapter]), graph.constant(int64Tensor([]))], ['loss'], {
      keepdims: 0,
    });
    const forwardCount = graph.nodes.length;
    appendGradients(graph, { loss: 'loss', trainable: ['adapter'] });
    const backward = graph.nodes.slice(forwardCount);
    expect(backward.length).toBeGreaterThan(0);
    expect(backward.some((node) => node.inputs.includes('frozen'))).toBe(false);
    expect(backward.some((node) => node.inputs.includes(hidden))).toBe(true);
  });

  it('names the operator when a node on the gradient path has no rule', () => {
    const graph = linearGraph();
    const y = graph.op('Erf', [graph.op('MatMul', ['x', 'a'])]);
    graph.node('ReduceSum', [y], ['loss'], { keepdims: 0 });
    expect(() => appendGradients(graph, { loss: 'loss', trainable: ['a'] })).toThrow(/no gradient rule for Erf/);
  });

  it('refuses a non-differentiable operator between a trainable value and the loss', () => {
    const graph = linearGraph();
    const y = graph.op('Max', [graph.op('MatMul', ['x', 'a']), 'bias']);
    graph.node('ReduceSum', [y], ['loss'], { keepdims: 0 });
    expect(() => appendGradients(graph, { loss: 'loss', trainable: ['a'] })).toThrow(/no gradient rule for Max/);
  });

  it('refuses a trainable value that does not reach the loss, and a loss that is not a scalar', () => {
    const graph = linearGraph();
    graph.node('MatMul', ['x', 'a'], ['y']);
    graph.node('ReduceSum', ['y'], ['loss'], { keepdims: 0 });
    expect(() => appendGradients(graph, { loss: 'loss', trainable: ['bias'] })).toThrow(/does not influence/);
    expect(() => appendGradients(graph, { loss: 'y', trainable: ['a'] })).toThrow(/one-element/);
  });
});
