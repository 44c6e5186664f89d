/** Option parsers for commander that turn bad values into one-line `MmkitError`s. */
import { InvalidArgumentError } from 'commander';

export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
}

/** A commander argument parser: `--steps abc` fails with "--steps must be an integer ≥ 1". */
export function numberOption(flag: string, rule: NumberRule = {}): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    const kind = rule.integer ? 'an integer' : 'a number';
    const bounds = [rule.min !== undefined ? `≥ ${rule.min}` : '', rule.max !== undefined ? `≤ ${rule.max}` : '']
      .filter(Boolean)
      .join(' and ');
    const expectation = `${flag} must be ${kind}${bounds ? ` ${bounds}` : ''}, got '${value}'`;
    if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(expectation);
    if (rule.integer && !Number.isInteger(parsed)) throw new InvalidArgumentError(expectation);
    if (rule.min !== undefined && parsed < rule.min) throw new InvalidArgumentError(expectation);
    if (rule.max !== undefined && parsed > rule.max) throw new InvalidArgumentError(expectation);
    return parsed;
  };
}
