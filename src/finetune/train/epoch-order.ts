/**
 * The order rows are visited in an epoch: a Fisher–Yates shuffle driven by the counter-based
 * generator with stream `epoch <n> order`, so the order depends only on (seed, epoch) and a resumed
 * run visits the rows exactly as an uninterrupted one would.
 */
import { uniformValues } from '../random.ts';

export function epochOrder(seed: number, epoch: number, count: number): number[] {
  const order = Array.from({ length: count }, (_, index) => index);
  const draws = uniformValues(seed, `epoch ${epoch} order`, count);
  for (let index = count - 1; index > 0; index--) {
    const other = Math.min(index, Math.floor(((draws[index] + 1) / 2) * (index + 1)));
    [order[index], order[other]] = [order[other], order[index]];
  }
  return order;
}
