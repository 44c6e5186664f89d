/** Registers one vitest case per gradient-check case of a rule family. */
import { describe, expect, it } from 'vitest';
import { checkGradientCase } from './gradient-check.ts';
import { operatorCases } from './operator-cases.ts';

/** float64 central differences with h = 1e-6 agree with exact gradients to about 1e-9. */
export const FINITE_DIFFERENCE_TOLERANCE = 1e-6;

export function describeGradientChecks(family: string): void {
  const cases = operatorCases[family];
  if (!cases) throw new Error(`no gradient cases for ${family}`);
  describe(`${family} gradients match finite differences`, () => {
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const result = await checkGradientCase(testCase);
        // A gradient of zeros would pass any comparison: make sure there was something to compare.
        expect(result.gradientScale).toBeGreaterThan(1e-2);
        expect(result.maxRelativeError).toBeLessThan(FINITE_DIFFERENCE_TOLERANCE);
      });
    }
  });
}
