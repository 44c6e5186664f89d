/**
 * The causal-LM training loss as forward nodes built only from differentiable operators with
 * rules: mean over the positions whose label is not the ignore index (−100, as in PyTorch and
 * Hugging Face) of −log softmax(logits)[label]. Labels must already be aligned with the logits
 * (label t is the token that position t predicts; the data pipeline shifts them).
 */
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { int64Tensor, tensor } from '../../onnx/tensor.ts';

export const IGNORE_INDEX = -100;

export interface CrossEntropyOptions {
  /** Float element type of the logits. */
  type: 'float32' | 'float64';
  ignoreIndex?: number;
}

/** logits [..., vocabulary], labels [...] (int64) → a scalar loss value name. */
export function maskedCrossEntropy(
  graph: GraphBuilder,
  logits: string,
  labels: string,
  options: CrossEntropyOptions,
): string {
  const scalar = (value: number) =>
    graph.constant(
      options.type === 'float64'
        ? tensor('float64', Float64Array.of(value), [])
        : tensor('float32', Float32Array.of(value), []),
      'loss_scalar',
    );
  const logProbabilities = graph.op('LogSoftmax', [logits], { axis: -1 });
  const ignored = graph.op('Equal', [labels, graph.constant(int64Tensor([options.ignoreIndex ?? IGNORE_INDEX], []))]);
  const counted = graph.op('Not', [ignored]);
  // Ignored positions read class 0 (any valid index) and are masked out afterwards.
  const safeLabels = graph.op('Where', [counted, labels, graph.constant(int64Tensor([0], []), 'loss_zero_label')]);
  const lastAxis = graph.constant(int64Tensor([-1]), 'loss_last_axis');
  const picked = graph.op('GatherElements', [logProbabilities, graph.op('Unsqueeze', [safeLabels, lastAxis])], {
    axis: -1,
  });
  const negativeLogLikelihood = graph.op('Neg', [graph.op('Squeeze', [picked, lastAxis])]);
  const masked = graph.op('Where', [counted, negativeLogLikelihood, scalar(0)]);
  const allAxes = graph.constant(int64Tensor([]), 'loss_all_axes');
  const total = graph.op('ReduceSum', [masked, allAxes], { keepdims: 0 });
  const typeCode = options.type === 'float64' ? 11 : 1;
  const count = graph.op('ReduceSum', [graph.op('Cast', [counted], { to: typeCode }), allAxes], { keepdims: 0 });
  // No counted position at all: loss 0 rather than 0/0.
  return graph.op('Div', [total, graph.op('Max', [count, scalar(1)])]);
}
