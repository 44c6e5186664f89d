/**
 * The causal-LM training loss: mean over the positions whose label is not the ignore index (−100,
 * as in PyTorch and Hugging Face) of −log softmax(logits)[label] = logsumexp(logits) − logits[label].
 * Labels must already be aligned with the logits (label t is the token that position t predicts;
 * the data pipeline shifts them).
 *
 * The forward nodes all have gradient rules, and the loss also gives its logits gradient in closed
 * form, w ⊙ (softmax(logits) − onehot(label)) with w = [counted] / count, for the gradient builder
 * to start from (`GradientOptions.shortcuts`), per slice of the vocabulary where the logits are a
 * concatenation (a chunked LM head): each slice's gradient is exp(slice − logsumexp) ⊙ w minus w at
 * the labels that fall in it. The rules alone would keep a vocabulary-sized exponential alive from
 * the forward pass and scatter into a vocabulary-sized zero tensor; slices never make anything
 * vocabulary-sized in the backward pass.
 */
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { int64Tensor, tensor } from '../../onnx/tensor.ts';

export const IGNORE_INDEX = -100;

export interface CrossEntropyOptions {
  /** Float element type of the logits. */
  type: 'float32' | 'float64';
  ignoreIndex?: number;
}

/** Logits columns offset…offset+width, made by one value. */
export interface LogitsSlice {
  value: string;
  offset: number;
  width: number;
}

export interface CrossEntropy {
  /** The scalar loss. */
  loss: string;
  /** Emits d loss / d slice times `seed` (a scalar): the loss's own gradient for those logits. */
  sliceGradient(seed: string, slice: LogitsSlice): string;
}

/** logits [..., vocabulary], labels [...] (int64) → the scalar loss and its logits gradient. */
export function maskedCrossEntropy(
  graph: GraphBuilder,
  logits: string,
  labels: string,
  options: CrossEntropyOptions,
): CrossEntropy {
  const scalar = (value: number) =>
    graph.constant(
      options.type === 'float64'
        ? tensor('float64', Float64Array.of(value), [])
        : tensor('float32', Float32Array.of(value), []),
      'loss_scalar',
    );
  const ignored = graph.op('Equal', [labels, graph.constant(int64Tensor([options.ignoreIndex ?? IGNORE_INDEX], []))]);
  const counted = graph.op('Not', [ignored]);
  // Ignored positions read class 0 (any valid index) and are masked out afterwards.
  const safeLabels = graph.op('Where', [counted, labels, graph.constant(int64Tensor([0], []), 'loss_zero_label')]);
  const lastAxis = graph.constant(int64Tensor([-1]), 'loss_last_axis');
  const labelColumn = graph.op('Unsqueeze', [safeLabels, lastAxis]);
  const picked = graph.op('GatherElements', [logits, labelColumn], { axis: -1 });
  const logSumExp = graph.op('ReduceLogSumExp', [logits], { axes: [-1], keepdims: 1 });
  const negativeLogLikelihood = graph.op('Squeeze', [graph.op('Sub', [logSumExp, picked]), lastAxis]);
  const masked = graph.op('Where', [counted, negativeLogLikelihood, scalar(0)]);
  const allAxes = graph.constant(int64Tensor([]), 'loss_all_axes');
  const total = graph.op('ReduceSum', [masked, allAxes], { keepdims: 0 });
  const typeCode = options.type === 'float64' ? 11 : 1;
  const countedAsFloat = graph.op('Cast', [counted], { to: typeCode });
  // No counted position at all: loss 0 rather than 0/0.
  const count = graph.op('Max', [graph.op('ReduceSum', [countedAsFloat, allAxes], { keepdims: 0 }), scalar(1)]);
  let weight: { seed: string; value: string } | undefined;
  return {
    loss: graph.op('Div', [total, count]),
    sliceGradient: (seed, slice) => {
      if (weight?.seed !== seed) {
        const perPosition = graph.op('Mul', [countedAsFloat, graph.op('Div', [seed, count])]);
        weight = { seed, value: graph.op('Unsqueeze', [perPosition, lastAxis]) };
      }
      const probabilities = graph.op('Exp', [graph.op('Sub', [slice.value, logSumExp])]);
      const scaled = graph.op('Mul', [probabilities, weight.value]);
      // The labels' columns within the slice; labels outside it subtract 0 at column 0.
      const column = graph.op('Sub', [labelColumn, graph.constant(int64Tensor([slice.offset], []))]);
      const inside = graph.op('And', [
        graph.op('GreaterOrEqual', [column, graph.constant(int64Tensor([0], []))]),
        graph.op('Less', [column, graph.constant(int64Tensor([slice.width], []))]),
      ]);
      const zero = graph.constant(int64Tensor([0], []));
      return graph.op(
        'ScatterElements',
        [
          scaled,
          graph.op('Where', [inside, column, zero]),
          graph.op('Where', [inside, graph.op('Neg', [weight.value]), scalar(0)]),
        ],
        { axis: -1, reduction: 'add' },
      );
    },
  };
}
