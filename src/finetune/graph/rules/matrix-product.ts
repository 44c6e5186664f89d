/**
 * MatMul (numpy semantics: batched, broadcasting, 1-D operands promoted) and Gemm.
 * For Y = A·B: dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over broadcast batch axes.
 */
import { attribute } from '../../../onnx/graph-builder.ts';
import type { NodeData } from '../../../onnx/model-proto.ts';
import { floatAttribute, intAttribute } from '../node-attributes.ts';
import type { BackwardContext, OperatorRule, ShapeContext } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { broadcastDims, type Dim, dimsText, type ValueShape } from '../value-shape.ts';

function matMulShape(node: NodeData, context: ShapeContext): ValueShape[] {
  const left = context.shape(node.inputs[0]);
  const right = context.shape(node.inputs[1]).dims;
  const a = left.dims.length === 1 ? [1, left.dims[0]] : left.dims;
  const b = right.length === 1 ? [right[0], 1] : right;
  if (a.length < 2 || b.length < 2) throw new RangeError('MatMul operands must have rank ≥ 1');
  const batch = broadcastDims([a.slice(0, -2), b.slice(0, -2)]);
  const dims: Dim[] = [...batch];
  if (left.dims.length > 1) dims.push(a[a.length - 2]);
  if (right.length > 1) dims.push(b[b.length - 1]);
  return [{ type: left.type, dims }];
}

function transposeLastTwo(value: string, rank: number, context: BackwardContext): string {
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return context.op('Transpose', [value], { perm });
}

const matMul: OperatorRule = {
  inferShapes: matMulShape,
  backward: (step, context) => {
    const [left, right] = step.node.inputs;
    const leftDims = context.shape(left).dims;
    const rightDims = context.shape(right).dims;
    // Promote vectors to matrices (as MatMul does) so one matrix formula covers every case.
    const leftVector = leftDims.length === 1;
    const rightVector = rightDims.length === 1;
    const a = leftVector ? context.op('Unsqueeze', [left, context.int64s([0])]) : left;
    const b = rightVector ? context.op('Unsqueeze', [right, context.int64s([-1])]) : right;
    const aDims = leftVector ? [1, leftDims[0]] : leftDims;
    const bDims = rightVector ? [rightDims[0], 1] : rightDims;
    let gradient = onlyGradient(step);
    // Restore the axes MatMul dropped: the column axis first, so a vector·vector scalar becomes [1, 1].
    if (rightVector) gradient = context.op('Unsqueeze', [gradient, context.int64s([-1])]);
    if (leftVector) gradient = context.op('Unsqueeze', [gradient, context.int64s([-2])]);
    const batch = broadcastDims([aDims.slice(0, -2), bDims.slice(0, -2)]);
    const rows = aDims[aDims.length - 2];
    const inner = aDims[aDims.length - 1];
    const columns = bDims[bDims.length - 1];

    let leftGradient: string | undefined;
    if (step.needs[0]) {
      const full = context.op('MatMul', [gradient, transposeLastTwo(b, bDims.length, context)]);
      leftGradient = context.reduceToShape(full, [...batch, rows, inner], aDims);
      if (leftVector) leftGradient = context.op('Squeeze', [leftGradient, context.int64s([0])]);
    }
    let rightGradient: string | undefined;
    if (step.needs[1]) {
      if (bDims.length === 2 && aDims.length > 2) {
        // A shared weight under a batched input: fold the batch into rows so one Gemm gives dB
        // directly, without a [batch, K, N] intermediate to sum.
        const flatA = context.op('Reshape', [a, context.int64s([-1, numberOrMinusOne(inner)])]);
        const flatGradient = context.op('Reshape', [gradient, context.int64s([-1, numberOrMinusOne(columns)])]);
        rightGradient = context.op('Gemm', [flatA, flatGradient], { transA: 1 });
      } else {
        const full = context.op('MatMul', [transposeLastTwo(a, aDims.length, context), gradient]);
        rightGradient = context.reduceToShape(full, [...batch, inner, columns], bDims);
      }
      if (rightVector) rightGradient = context.op('Squeeze', [rightGradient, context.int64s([-1])]);
    }
    return [leftGradient, rightGradient];
  },
};

function numberOrMinusOne(dim: Dim): number {
  if (typeof dim !== 'number') {
    throw new RangeError(`MatMul gradient needs a fixed contraction size, got ${dimsText([dim])}`);
  }
  return dim;
}

/** Y = α·op(A)·op(B) + β·C with op = transpose when transA / transB is set. */
const gemm: OperatorRule = {
  inferShapes: (node, context) => {
    const a = context.shape(node.inputs[0]);
    const b = context.shape(node.inputs[1]).dims;
    const rows = intAttribute(node, 'transA', 0) ? a.dims[1] : a.dims[0];
    const columns = intAttribute(node, 'transB', 0) ? b[0] : b[1];
    return [{ type: a.type, dims: [rows, columns] }];
  },
  backward: (step, context) => {
    const { node } = step;
    const [a, b, c] = node.inputs;
    const gradient = onlyGradient(step);
    const alpha = floatAttribute(node, 'alpha', 1);
    const beta = floatAttribute(node, 'beta', 1);
    const transA = intAttribute(node, 'transA', 0);
    const transB = intAttribute(node, 'transB', 0);
    const scaled = { alpha: attribute.float(alpha) };
    // d op(A) = dY·op(B)ᵀ and d op(B) = op(A)ᵀ·dY, transposed back where op transposed.
    const leftGradient = !step.needs[0]
      ? undefined
      : transA
        ? context.op('Gemm', [b, gradient], { ...scaled, transA: transB, transB: 1 })
        : context.op('Gemm', [gradient, b], { ...scaled, transB: transB ? 0 : 1 });
    const rightGradient = !step.needs[1]
      ? undefined
      : transB
        ? context.op('Gemm', [gradient, a], { ...scaled, transA: 1, transB: transA })
        : context.op('Gemm', [a, gradient], { ...scaled, transA: transA ? 0 : 1 });
    let biasGradient: string | undefined;
    if (step.needs[2]) {
      const outputDims = context.shape(node.outputs[0]).dims;
      const summed = context.reduceToShape(gradient, outputDims, context.shape(c).dims);
      biasGradient = beta === 1 ? summed : context.op('Mul', [summed, context.scalar(beta, context.shape(c).type)]);
    }
    return [leftGradient, rightGradient, biasGradient];
  },
};

export const matrixProductRules: Readonly<Record<string, OperatorRule>> = { MatMul: matMul, Gemm: gemm };
