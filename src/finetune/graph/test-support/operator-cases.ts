/** Gradient-check cases, one small float64 graph per rule and broadcasting situation, by family. */
import { attribute } from '../../../onnx/graph-builder.ts';
import { boolTensor, int64Tensor, tensor } from '../../../onnx/tensor.ts';
import { uniformValues } from '../../random.ts';
import { maskedCrossEntropy } from '../masked-cross-entropy.ts';
import type { GradientCase } from './gradient-check.ts';

/** Values in [low, high): keeps Sqrt, Log, Div and Pow away from their singular points. */
function positive(name: string, count: number, low = 0.5, high = 1.5): Float64Array {
  return uniformValues(11, name, count).map((value) => low + ((value + 1) / 2) * (high - low));
}

const ints = (values: number[]) => int64Tensor(values);

const binary = (op: string, left: number[], right: number[], positiveRight = false): GradientCase => ({
  name: `${op} ${JSON.stringify(left)} ${JSON.stringify(right)}`,
  inputs: [
    { name: 'a', dims: left },
    {
      name: 'b',
      dims: right,
      values: positiveRight
        ? positive(
            `${op}/b`,
            right.reduce((p, d) => p * d, 1),
          )
        : undefined,
    },
  ],
  build: (graph, { a, b }) => graph.op(op, [a, b]),
});

const unary = (op: string, positiveInput = false): GradientCase => ({
  name: op,
  inputs: [{ name: 'x', dims: [2, 3], values: positiveInput ? positive(op, 6) : undefined }],
  build: (graph, { x }) => graph.op(op, [x]),
});

export const operatorCases: Record<string, GradientCase[]> = {
  'elementwise-binary': [
    binary('Add', [2, 3], [2, 3]),
    binary('Add', [2, 3, 4], [3, 1]),
    binary('Sub', [2, 1, 4], [3, 4]),
    binary('Mul', [2, 3, 4], [4]),
    binary('Mul', [3, 1], [1, 4]),
    binary('Div', [2, 3, 4], [3, 1], true),
    {
      name: 'Pow constant exponents',
      inputs: [{ name: 'x', dims: [2, 3], values: positive('Pow/x', 6) }],
      build: (graph, { x }) => {
        const square = graph.op('Pow', [x, graph.constant(tensor('float64', Float64Array.of(2), []))]);
        const root = graph.op('Pow', [x, graph.constant(tensor('float64', Float64Array.of(0.5, -1.5, 3), [3]))]);
        return graph.op('Add', [square, root]);
      },
    },
    {
      name: 'Pow tensor exponent',
      inputs: [
        { name: 'x', dims: [2, 3], values: positive('Pow2/x', 6) },
        { name: 'p', dims: [3] },
      ],
      build: (graph, { x, p }) => graph.op('Pow', [x, p]),
    },
    {
      name: 'value used twice (Mul x x)',
      inputs: [{ name: 'x', dims: [4] }],
      build: (graph, { x }) => graph.op('Mul', [x, x]),
    },
  ],
  'elementwise-unary': [
    unary('Identity'),
    unary('Neg'),
    unary('Sqrt', true),
    unary('Reciprocal', true),
    unary('Sigmoid'),
    unary('Tanh'),
    unary('Exp'),
    unary('Log', true),
    {
      name: 'Cast float64 → float64 (no-op cast)',
      inputs: [{ name: 'x', dims: [3] }],
      build: (graph, { x }) => graph.op('Cast', [graph.op('Exp', [x])], { to: 11 }),
    },
  ],
  'matrix-product': [
    binary('MatMul', [3, 4], [4, 5]),
    binary('MatMul', [2, 1, 3, 4], [3, 4, 2]),
    binary('MatMul', [2, 3, 4], [4, 5]),
    binary('MatMul', [4], [2, 4, 5]),
    binary('MatMul', [2, 3, 4], [4]),
    binary('MatMul', [4], [4]),
    ...[0, 1].flatMap((transA) =>
      [0, 1].map(
        (transB): GradientCase => ({
          name: `Gemm transA=${transA} transB=${transB}`,
          inputs: [
            { name: 'a', dims: transA ? [4, 3] : [3, 4] },
            { name: 'b', dims: transB ? [5, 4] : [4, 5] },
            { name: 'c', dims: [5] },
          ],
          build: (graph, { a, b, c }) =>
            graph.op('Gemm', [a, b, c], { transA, transB, alpha: attribute.float(0.7), beta: attribute.float(1.3) }),
        }),
      ),
    ),
  ],
  reduction: [
    {
      name: 'ReduceSum axes [1], keepdims 0',
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      build: (graph, { x }) => graph.op('ReduceSum', [x, graph.constant(ints([1]))], { keepdims: 0 }),
    },
    {
      name: 'ReduceSum all axes, keepdims 1',
      inputs: [{ name: 'x', dims: [2, 3] }],
      build: (graph, { x }) => graph.op('Mul', [graph.op('ReduceSum', [x], { keepdims: 1 }), x]),
    },
    {
      name: 'ReduceMean axes [-1] (attribute), keepdims 1',
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      build: (graph, { x }) => graph.op('ReduceMean', [x], { axes: [-1], keepdims: 1 }),
    },
    {
      name: 'ReduceMean axes [0, 2], keepdims 0',
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      build: (graph, { x }) => graph.op('ReduceMean', [x], { axes: [0, 2], keepdims: 0 }),
    },
    {
      name: 'ReduceLogSumExp axes [-1], keepdims 1',
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      build: (graph, { x }) => graph.op('ReduceLogSumExp', [x], { axes: [-1], keepdims: 1 }),
    },
    {
      name: 'ReduceLogSumExp axes [0, 2], keepdims 0',
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      build: (graph, { x }) => graph.op('ReduceLogSumExp', [x], { axes: [0, 2], keepdims: 0 }),
    },
  ],
  softmax: [
    {
      name: 'Softmax axis -1',
      inputs: [{ name: 'x', dims: [2, 3, 5] }],
      build: (graph, { x }) => graph.op('Softmax', [x], { axis: -1 }),
    },
    {
      name: 'Softmax axis 1',
      inputs: [{ name: 'x', dims: [2, 4, 3] }],
      build: (graph, { x }) => graph.op('Softmax', [x], { axis: 1 }),
    },
    {
      name: 'LogSoftmax axis -1',
      inputs: [{ name: 'x', dims: [3, 6] }],
      build: (graph, { x }) => graph.op('LogSoftmax', [x], { axis: -1 }),
    },
  ],
  layout: [
    {
      name: 'Transpose perm [2, 0, 1] and default',
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      build: (graph, { x }) =>
        graph.op('Add', [
          graph.op('Transpose', [x], { perm: [2, 0, 1] }),
          graph.op('Transpose', [graph.op('Transpose', [x], { perm: [1, 0, 2] })]),
        ]),
    },
    {
      name: 'Reshape [2, 3, 4] → [0, -1] → [6, 2, 2]',
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      build: (graph, { x }) =>
        graph.op('Reshape', [graph.op('Reshape', [x, graph.constant(ints([0, -1]))]), graph.constant(ints([6, 2, 2]))]),
    },
    {
      name: 'Unsqueeze [0, -1] then Squeeze [0] and Squeeze without axes',
      inputs: [{ name: 'x', dims: [3, 1, 2] }],
      build: (graph, { x }) => {
        const lifted = graph.op('Unsqueeze', [x, graph.constant(ints([0, -1]))]);
        const back = graph.op('Squeeze', [lifted, graph.constant(ints([0]))]);
        return graph.op('Mul', [graph.op('Squeeze', [back]), graph.op('Squeeze', [x])]);
      },
    },
    {
      name: 'Expand [3, 1] → [2, 3, 4] and [1, 1, 2, 1] repeat (grouped-query heads)',
      inputs: [
        { name: 'x', dims: [3, 1] },
        { name: 'kv', dims: [2, 1, 3, 2] },
      ],
      build: (graph, { x, kv }) => {
        const wide = graph.op('Expand', [x, graph.constant(ints([2, 3, 4]))]);
        const heads = graph.op('Reshape', [
          graph.op('Expand', [
            graph.op('Unsqueeze', [kv, graph.constant(ints([2]))]),
            graph.constant(ints([1, 1, 2, 1, 1])),
          ]),
          graph.constant(ints([0, 2, -1, 2])),
        ]);
        return graph.op('Add', [
          graph.op('ReduceSum', [heads, graph.constant(ints([1, 3]))], { keepdims: 0 }),
          graph.op('ReduceSum', [wide, graph.constant(ints([2]))], { keepdims: 0 }),
        ]);
      },
    },
  ],
  'concat-slice': [
    {
      name: 'Concat axis 1 of three inputs',
      inputs: [
        { name: 'a', dims: [2, 1, 3] },
        { name: 'b', dims: [2, 2, 3] },
        { name: 'c', dims: [2, 3, 3] },
      ],
      build: (graph, { a, b, c }) => graph.op('Concat', [a, b, c], { axis: 1 }),
    },
    {
      name: 'rotate half: Concat(−x[..., d/2:], x[..., :d/2])',
      inputs: [{ name: 'x', dims: [2, 3, 6] }],
      build: (graph, { x }) => {
        const axis = graph.constant(ints([-1]));
        const first = graph.op('Slice', [x, graph.constant(ints([0])), graph.constant(ints([3])), axis]);
        const second = graph.op('Slice', [x, graph.constant(ints([3])), graph.constant(ints([2 ** 31 - 1])), axis]);
        return graph.op('Concat', [graph.op('Neg', [second]), first], { axis: -1 });
      },
    },
    {
      name: 'Slice two axes, negative bounds, default axes',
      inputs: [{ name: 'x', dims: [4, 5] }],
      build: (graph, { x }) => graph.op('Slice', [x, graph.constant(ints([1, -4])), graph.constant(ints([-1, 4]))]),
    },
    {
      name: 'Split axis -1 into three, one piece unused',
      inputs: [{ name: 'x', dims: [2, 7] }],
      build: (graph, { x }) => {
        const [first, , third] = graph.node('Split', [x, graph.constant(ints([2, 3, 2]))], 3, { axis: -1 });
        return graph.op('Mul', [first, third]);
      },
    },
  ],
  gather: [
    {
      name: 'Gather axis 0 (embedding) with repeated and negative ids',
      inputs: [
        { name: 'table', dims: [5, 3] },
        { name: 'ids', dims: [2, 3], type: 'int64', values: [1, 4, 1, -1, 0, 1] },
      ],
      build: (graph, { table, ids }) => graph.op('Gather', [table, ids], { axis: 0 }),
    },
    {
      name: 'GatherElements axis 1 with repeats',
      inputs: [
        { name: 'x', dims: [2, 4] },
        { name: 'index', dims: [2, 3], type: 'int64', values: [0, 3, 3, 2, -1, 1] },
      ],
      build: (graph, { x, index }) => graph.op('GatherElements', [x, index], { axis: 1 }),
    },
  ],
  where: [
    {
      name: 'Where with a broadcast mask and a broadcast operand',
      inputs: [
        { name: 'x', dims: [2, 3] },
        { name: 'y', dims: [3] },
      ],
      build: (graph, { x, y }) => graph.op('Where', [graph.constant(boolTensor([true, false], [2, 1])), x, y]),
    },
    {
      name: 'causal mask: Where(allowed, scores, −1e9) then Softmax',
      inputs: [{ name: 'scores', dims: [2, 3, 3] }],
      build: (graph, { scores }) => {
        const allowed = graph.constant(boolTensor([1, 0, 0, 1, 1, 0, 1, 1, 1], [3, 3]));
        const masked = graph.op('Where', [
          allowed,
          scores,
          graph.constant(tensor('float64', Float64Array.of(-1e9), [])),
        ]);
        return graph.op('Softmax', [masked], { axis: -1 });
      },
    },
  ],
  loss: [
    {
      name: 'masked cross-entropy with ignored (−100) labels',
      inputs: [
        { name: 'logits', dims: [2, 3, 5] },
        { name: 'labels', dims: [2, 3], type: 'int64', values: [1, -100, 4, 4, 0, -100] },
      ],
      scalarLoss: true,
      build: (graph, { logits, labels }) => maskedCrossEntropy(graph, logits, labels, { type: 'float64' }).loss,
    },
    {
      name: 'masked cross-entropy from its closed-form gradient on concatenated logits, plus a term beside it',
      inputs: [
        { name: 'first', dims: [2, 3, 2] },
        { name: 'second', dims: [2, 3, 3] },
        { name: 'labels', dims: [2, 3], type: 'int64', values: [1, -100, 4, 4, 0, 2] },
        { name: 'other', dims: [3] },
      ],
      scalarLoss: true,
      build: (graph, { first, second, labels, other }) => {
        // second·2 so that the builder still has a rule to run below a shortcut.
        const scaled = graph.op('Mul', [second, graph.constant(tensor('float64', Float64Array.of(2), []))]);
        const logits = graph.op('Concat', [first, scaled], { axis: -1 });
        const crossEntropy = maskedCrossEntropy(graph, logits, labels, { type: 'float64' });
        const square = graph.op('ReduceSum', [graph.op('Mul', [other, other])], { keepdims: 0 });
        const slices = [
          { value: first, offset: 0, width: 2 },
          { value: scaled, offset: 2, width: 3 },
        ];
        return {
          output: graph.op('Add', [crossEntropy.loss, square]),
          shortcuts: slices.map((slice) => ({
            value: slice.value,
            gradient: (seed: string) => crossEntropy.sliceGradient(seed, slice),
          })),
        };
      },
    },
  ],
};
