import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.ts';

describe('mmkit demo', () => {
  it('runs the preprocessing layer on sample data it makes itself', async () => {
    const result = await runCli(['demo', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.text.shape).toEqual([2, 77]);
    expect(summary.text.firstIds[0]).toBe(49406);
    // The Chinese caption takes more byte-level tokens than the English one.
    expect(summary.text.tokens[1]).toBeGreaterThan(summary.text.tokens[0]);
    expect(summary.image.shape).toEqual([1, 3, 224, 224]);
    // Mostly sky blue and field green: the blue channel is well above the red one.
    expect(summary.image.meanPerChannel[2]).toBeGreaterThan(summary.image.meanPerChannel[0]);
    expect(summary.audio.shape).toEqual([1, 80, 3000]);
    expect(summary.audio.seconds).toBeGreaterThan(1);
    expect(summary.audio.frames).toBeGreaterThan(20);
    expect(summary.audio.maxDb).toBe(0);
    expect(summary.audio.minDb).toBe(-80);
  });
});
