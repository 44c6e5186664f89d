/** Every operator the gradient builder knows, one family per file. */
import type { OperatorRule } from '../operator-rule.ts';
import { concatSliceRules } from './concat-slice.ts';
import { elementwiseBinaryRules } from './elementwise-binary.ts';
import { elementwiseUnaryRules } from './elementwise-unary.ts';
import { gatherRules } from './gather.ts';
import { layoutRules } from './layout.ts';
import { matrixProductRules } from './matrix-product.ts';
import { nonDifferentiableRules } from './non-differentiable.ts';
import { reductionRules } from './reduction.ts';
import { softmaxRules } from './softmax.ts';
import { whereRules } from './where.ts';

export const operatorRules: ReadonlyMap<string, OperatorRule> = new Map(
  Object.entries({
    ...elementwiseBinaryRules,
    ...elementwiseUnaryRules,
    ...matrixProductRules,
    ...reductionRules,
    ...softmaxRules,
    ...layoutRules,
    ...concatSliceRules,
    ...gatherRules,
    ...whereRules,
    ...nonDifferentiableRules,
  }),
);

/** Operators with a gradient rule (the others only have shape rules). */
export function differentiableOperators(): string[] {
  return [...operatorRules].filter(([, rule]) => rule.backward).map(([opType]) => opType);
}
