import { describe, expect, it } from 'vitest';
import { byteSizeOption, durationOption } from './quantity-options.ts';

describe('durationOption', () => {
  const parse = durationOption('--keep-alive');

  it('reads milliseconds, seconds, minutes and hours; a bare number is seconds; negative is never', () => {
    expect(parse('300ms')).toBe(300);
    expect(parse('30s')).toBe(30_000);
    expect(parse('5m')).toBe(300_000);
    expect(parse('1.5h')).toBe(5_400_000);
    expect(parse('45')).toBe(45_000);
    expect(parse('0')).toBe(0);
    expect(parse('-1')).toBe(-1);
  });

  it('refuses anything else in one line', () => {
    expect(() => parse('soon')).toThrow(
      "--keep-alive must be a duration such as 30s, 5m, 1h, 0 or -1 (never), got 'soon'",
    );
    expect(() => parse('5 days')).toThrow(/--keep-alive must be a duration/);
  });
});

describe('byteSizeOption', () => {
  const parse = byteSizeOption('--memory-budget');

  it('reads sizes in powers of 1024, with or without a B', () => {
    expect(parse('8G')).toBe(8 * 1024 ** 3);
    expect(parse('512mb')).toBe(512 * 1024 ** 2);
    expect(parse('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parse('4096')).toBe(4096);
  });

  it('refuses zero, negatives and words', () => {
    for (const bad of ['0', '-1G', 'lots', '8X']) {
      expect(() => parse(bad)).toThrow(`--memory-budget must be a size such as 512M or 8G, got '${bad}'`);
    }
  });
});
