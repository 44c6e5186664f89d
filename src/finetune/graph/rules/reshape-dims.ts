/**
 * The output dims of Reshape for a constant target shape, keeping symbolic names where the
 * arithmetic allows: `0` copies the input dim, and `-1` is solved by cancelling the known factors
 * (numbers divide, equal names cancel), so [batch, seq, 4·8] → [0, 0, 4, -1] gives [batch, seq, 4, 8]
 * and [batch, 2, 3, seq, 8] → [0, 6, -1, 8] gives [batch, 6, seq, 8].
 */
import type { Dim } from '../value-shape.ts';

export function reshapeDims(
  input: readonly Dim[],
  target: readonly number[],
  allowZero: boolean,
  fresh: () => Dim,
): Dim[] {
  const output: (Dim | undefined)[] = target.map((value, axis) => {
    if (value === 0 && !allowZero) {
      if (axis >= input.length) throw new RangeError(`Reshape copies dim ${axis} of a rank-${input.length} input`);
      return input[axis];
    }
    if (value === -1) return undefined;
    if (value < 0) throw new RangeError(`Reshape target ${value} is not allowed`);
    return value;
  });
  const inferred = output.indexOf(undefined);
  if (inferred < 0) return output as Dim[];
  if (output.indexOf(undefined, inferred + 1) >= 0) throw new RangeError('Reshape target has more than one -1');

  let numerator = 1;
  const symbols: string[] = [];
  for (const dim of input) {
    if (typeof dim === 'number') numerator *= dim;
    else symbols.push(dim);
  }
  let denominator = 1;
  let solvable = true;
  for (const dim of output) {
    if (dim === undefined) continue;
    if (typeof dim === 'number') {
      denominator *= dim;
      continue;
    }
    const match = symbols.indexOf(dim);
    if (match >= 0) symbols.splice(match, 1);
    else solvable = false;
  }
  let solved: Dim = fresh();
  if (solvable && symbols.length === 0 && denominator > 0 && numerator % denominator === 0) {
    solved = numerator / denominator;
  } else if (solvable && symbols.length === 1 && numerator === denominator) {
    solved = symbols[0];
  }
  output[inferred] = solved;
  return output as Dim[];
}
