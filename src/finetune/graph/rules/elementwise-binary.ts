/**
 * Add, Sub, Mul, Div, Pow with ONNX (numpy) broadcasting. Each operand's gradient is the
 * elementwise gradient summed over the axes it was broadcast along.
 */
import type { NodeData } from '../../../onnx/model-proto.ts';
import { codeOfElementType, tensorNumbers } from '../node-attributes.ts';
import type { BackwardContext, BackwardStep, OperatorRule, ShapeContext } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { broadcastDims, type ValueShape } from '../value-shape.ts';

export function broadcastShape(node: NodeData, context: ShapeContext): ValueShape[] {
  const first = context.shape(node.inputs[0]);
  return [{ type: first.type, dims: broadcastDims(node.inputs.map((input) => context.shape(input).dims)) }];
}

/** Runs `make` for each input that needs a gradient and reduces the result to that input's shape. */
function perOperand(
  step: BackwardStep,
  context: BackwardContext,
  make: (index: number) => string,
): (string | undefined)[] {
  const outputDims = context.shape(step.node.outputs[0]).dims;
  return step.node.inputs.map((input, index) =>
    step.needs[index] ? context.reduceToShape(make(index), outputDims, context.shape(input).dims) : undefined,
  );
}

const add: OperatorRule = {
  inferShapes: broadcastShape,
  backward: (step, context) => perOperand(step, context, () => onlyGradient(step)),
};

const subtract: OperatorRule = {
  inferShapes: broadcastShape,
  backward: (step, context) => {
    const gradient = onlyGradient(step);
    return perOperand(step, context, (index) => (index === 0 ? gradient : context.op('Neg', [gradient])));
  },
};

const multiply: OperatorRule = {
  inferShapes: broadcastShape,
  backward: (step, context) => {
    const gradient = onlyGradient(step);
    const [left, right] = step.node.inputs;
    return perOperand(step, context, (index) => context.op('Mul', [gradient, index === 0 ? right : left]));
  },
};

const divide: OperatorRule = {
  inferShapes: broadcastShape,
  backward: (step, context) => {
    const gradient = onlyGradient(step);
    const [, denominator] = step.node.inputs;
    const quotient = step.node.outputs[0];
    // z = a / b: dz/da = 1 / b, dz/db = -a / b² = -z / b.
    return perOperand(step, context, (index) =>
      index === 0
        ? context.op('Div', [gradient, denominator])
        : context.op('Neg', [context.op('Div', [context.op('Mul', [gradient, quotient]), denominator])]),
    );
  },
};

const power: OperatorRule = {
  inferShapes: (node, context) => [{ ...broadcastShape(node, context)[0], type: context.shape(node.inputs[0]).type }],
  backward: (step, context) => {
    const gradient = onlyGradient(step);
    const [base, exponent] = step.node.inputs;
    const { type } = context.shape(base);
    return perOperand(step, context, (index) => {
      if (index === 0) {
        // z = a^b: dz/da = b · a^(b−1); a constant exponent is folded into new constants.
        const constant = context.constantValue(exponent);
        let factor: string;
        let lowered: string;
        if (constant) {
          const values = tensorNumbers(constant);
          factor = context.floats(values, constant.dims, type);
          lowered = context.floats(
            values.map((value) => value - 1),
            constant.dims,
            type,
          );
        } else {
          factor =
            context.shape(exponent).type === type
              ? exponent
              : context.op('Cast', [exponent], { to: codeOfElementType(type) });
          lowered = context.op('Sub', [factor, context.scalar(1, type)]);
        }
        return context.op('Mul', [gradient, context.op('Mul', [factor, context.op('Pow', [base, lowered])])]);
      }
      // dz/db = z · ln a (defined for a > 0).
      const logBase = context.op('Log', [base]);
      return context.op('Mul', [gradient, context.op('Mul', [step.node.outputs[0], logBase])]);
    });
  },
};

export const elementwiseBinaryRules: Readonly<Record<string, OperatorRule>> = {
  Add: add,
  Sub: subtract,
  Mul: multiply,
  Div: divide,
  Pow: power,
};
