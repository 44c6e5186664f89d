/**
 * Clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_ does (Hugging Face's Trainer
 * clips at max_grad_norm = 1.0 by default): when the norm over all gradients exceeds the limit,
 * every gradient is scaled by limit / (norm + 1e-6).
 */

/** Scales `gradients` in place; returns the norm before clipping. */
export function clipGradientNorm(gradients: Iterable<Float32Array | Float64Array>, maxNorm: number): number {
  const list = [...gradients];
  let sumOfSquares = 0;
  for (const gradient of list) for (const value of gradient) sumOfSquares += value * value;
  const norm = Math.sqrt(sumOfSquares);
  const coefficient = maxNorm / (norm + 1e-6);
  if (coefficient < 1) {
    for (const gradient of list) for (let index = 0; index < gradient.length; index++) gradient[index] *= coefficient;
  }
  return norm;
}
