/**
 * LoRA dropout masks drawn from the counter-based generator (`random.ts`): element i is kept when
 * value i of the stream, mapped to [0, 1), is at least p, and kept elements are scaled by 1/(1 − p)
 * (inverted dropout, as torch.nn.Dropout does). A stream name per (step, micro-batch, module) makes
 * every mask reproducible from the seed alone, so a resumed run draws the same masks.
 */
import { uniformValues } from '../random.ts';

export function dropoutMask(seed: number, stream: string, count: number, probability: number): Float32Array {
  if (!(probability >= 0 && probability < 1)) throw new RangeError(`dropout must be in [0, 1), got ${probability}`);
  const kept = 1 / (1 - probability);
  return Float32Array.from(uniformValues(seed, stream, count), (value) => ((value + 1) / 2 >= probability ? kept : 0));
}
