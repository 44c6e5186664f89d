/**
 * Rotary position embeddings in Hugging Face's "rotate half" form: the cos/sin tables come from
 * position ids and inverse frequencies θ^(−2i/d) (constants, no gradient), and
 * rope(x) = x·cos + rotate_half(x)·sin with rotate_half(x) = concat(−x₂, x₁).
 */
import type { RopeScaling } from './decoder-config.ts';
import type { DecoderGraphContext } from './graph-context.ts';

export interface RotaryTables {
  /** [batch, 1, sequence, headDim], broadcast over heads. */
  cos: string;
  sin: string;
}

/**
 * θ^(−2i/d) for i < d/2, rescaled as Hugging Face's `rope_scaling` says: `linear` divides every
 * frequency by the factor; `llama3` divides only the low frequencies (wavelengths longer than
 * original/low_freq_factor), keeps the high ones, and blends linearly in between.
 */
export function rotaryInverseFrequencies(headDim: number, theta: number, scaling?: RopeScaling): number[] {
  const base = Array.from({ length: headDim / 2 }, (_, index) => 1 / theta ** ((2 * index) / headDim));
  if (!scaling) return base;
  if (scaling.type === 'linear') return base.map((frequency) => frequency / scaling.factor);
  const { factor, lowFrequencyFactor, highFrequencyFactor, originalMaxPositions } = scaling;
  const lowFrequencyWavelength = originalMaxPositions / lowFrequencyFactor;
  const highFrequencyWavelength = originalMaxPositions / highFrequencyFactor;
  return base.map((frequency) => {
    const wavelength = (2 * Math.PI) / frequency;
    if (wavelength < highFrequencyWavelength) return frequency;
    if (wavelength > lowFrequencyWavelength) return frequency / factor;
    const smooth =
      (originalMaxPositions / wavelength - lowFrequencyFactor) / (highFrequencyFactor - lowFrequencyFactor);
    return (1 - smooth) * (frequency / factor) + smooth * frequency;
  });
}

export function rotaryTables(
  context: DecoderGraphContext,
  positionIds: string,
  headDim: number,
  theta: number,
  scaling?: RopeScaling,
): RotaryTables {
  const { graph } = context;
  const inverseFrequencies = rotaryInverseFrequencies(headDim, theta, scaling);
  const typeCode = context.type === 'float64' ? 11 : 1;
  const positions = graph.op('Unsqueeze', [graph.op('Cast', [positionIds], { to: typeCode }), context.ints([-1])]);
  const angles = graph.op('Mul', [
    positions,
    graph.constant(context.floatTensor(inverseFrequencies, [headDim / 2]), 'inv_freq'),
  ]);
  const doubled = graph.op('Concat', [angles, angles], { axis: -1 });
  const headAxis = context.ints([1]);
  return {
    cos: graph.op('Unsqueeze', [graph.op('Cos', [doubled]), headAxis]),
    sin: graph.op('Unsqueeze', [graph.op('Sin', [doubled]), headAxis]),
  };
}

/** x [batch, heads, sequence, headDim] → the rotated x. */
export function applyRotary(
  context: DecoderGraphContext,
  input: string,
  tables: RotaryTables,
  headDim: number,
): string {
  const { graph } = context;
  const half = headDim / 2;
  const lastAxis = context.ints([-1]);
  const first = graph.op('Slice', [input, context.ints([0]), context.ints([half]), lastAxis]);
  const second = graph.op('Slice', [input, context.ints([half]), context.ints([headDim]), lastAxis]);
  const rotated = graph.op('Concat', [graph.op('Neg', [second]), first], { axis: -1 });
  return graph.op('Add', [graph.op('Mul', [input, tables.cos]), graph.op('Mul', [rotated, tables.sin])]);
}
