/**
 * Answer metrics for the before/after comparison. Exact match and token F1 follow SQuAD's
 * evaluation (lower case, punctuation and English articles removed, whitespace tokens), except that
 * every CJK character is a token of its own, since Chinese and Japanese answers have no spaces.
 * chrF follows sacrebleu's definition: character n-grams for n = 1…6 with whitespace removed,
 * precision and recall averaged over the orders both sides have, then the F-score with β = 2
 * (recall weighted more), on a 0–100 scale.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** SQuAD-style normalisation, with CJK characters split apart. */
export function answerTokens(text: string): string[] {
  const lowered = text.toLowerCase();
  const spaced = Array.from(lowered, (character) => (CJK.test(character) ? ` ${character} ` : character)).join('');
  const withoutPunctuation = spaced.replace(/[\p{P}\p{S}]/gu, ' ');
  return withoutPunctuation
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter((token) => token !== '');
}

export function exactMatch(prediction: string, reference: string): number {
  return answerTokens(prediction).join(' ') === answerTokens(reference).join(' ') ? 1 : 0;
}

function counts<T>(items: Iterable<T>): Map<T, number> {
  const map = new Map<T, number>();
  for (const item of items) map.set(item, (map.get(item) ?? 0) + 1);
  return map;
}

function overlap<T>(first: Map<T, number>, second: Map<T, number>): number {
  let common = 0;
  for (const [item, count] of first) common += Math.min(count, second.get(item) ?? 0);
  return common;
}

export function tokenF1(prediction: string, reference: string): number {
  const predicted = answerTokens(prediction);
  const expected = answerTokens(reference);
  // SQuAD: when either side has no tokens, F1 is 1 if both are empty, else 0.
  if (predicted.length === 0 || expected.length === 0) return predicted.length === expected.length ? 1 : 0;
  const common = overlap(counts(predicted), counts(expected));
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

export const CHRF_ORDER = 6;
export const CHRF_BETA = 2;

/** Per order n: [hypothesis n-grams, reference n-grams, matched n-grams]. */
export type ChrfStatistics = [number, number, number][];

function characterNgrams(characters: readonly string[], order: number): Map<string, number> {
  const grams: string[] = [];
  for (let start = 0; start + order <= characters.length; start++)
    grams.push(characters.slice(start, start + order).join(''));
  return counts(grams);
}

export function chrfStatistics(prediction: string, reference: string): ChrfStatistics {
  const hypothesis = Array.from(prediction.replace(/\s+/gu, ''));
  const target = Array.from(reference.replace(/\s+/gu, ''));
  return Array.from({ length: CHRF_ORDER }, (_, index) => {
    const predicted = characterNgrams(hypothesis, index + 1);
    const expected = characterNgrams(target, index + 1);
    const total = (map: Map<string, number>) => [...map.values()].reduce((sum, count) => sum + count, 0);
    return [total(predicted), total(expected), overlap(predicted, expected)];
  });
}

/** chrF from (summed) statistics, 0–100. */
export function chrfScore(statistics: ChrfStatistics, beta = CHRF_BETA): number {
  let precision = 0;
  let recall = 0;
  let orders = 0;
  for (const [hypothesis, reference, matched] of statistics) {
    if (hypothesis === 0 || reference === 0) continue;
    precision += matched / hypothesis;
    recall += matched / reference;
    orders++;
  }
  if (orders === 0) return 0;
  precision /= orders;
  recall /= orders;
  if (precision + recall === 0) return 0;
  const betaSquared = beta * beta;
  return (100 * (1 + betaSquared) * precision * recall) / (betaSquared * precision + recall);
}

export function chrf(prediction: string, reference: string): number {
  return chrfScore(chrfStatistics(prediction, reference));
}

/** Corpus chrF: statistics summed over all pairs first, as sacrebleu's corpus_score does. */
export function corpusChrf(pairs: readonly { prediction: string; reference: string }[]): number {
  const total: ChrfStatistics = Array.from({ length: CHRF_ORDER }, () => [0, 0, 0]);
  for (const { prediction, reference } of pairs) {
    chrfStatistics(prediction, reference).forEach((order, index) => {
      for (let field = 0; field < 3; field++) total[index][field] += order[field];
    });
  }
  return chrfScore(total);
}
