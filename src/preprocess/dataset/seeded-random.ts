/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence on every platform and
 * Node version, which is what makes `dataset split` reproducible.
 */
export function seededRandom(seed: number): () => number {
  // Mix the seed once so nearby seeds (42, 43) start far apart.
  let state = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Selection sampling (Knuth's Algorithm S): called once per item in order, says whether the item is
 * one of `wanted` chosen uniformly from `total`, without holding the items in memory.
 */
export function selectionSampler(total: number, wanted: number, random: () => number): () => boolean {
  let seen = 0;
  let selected = 0;
  return () => {
    const take = (wanted - selected) / (total - seen) > random();
    seen++;
    if (take) selected++;
    return take;
  };
}
