import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.ts';

describe('mmkit CLI shell', () => {
  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('answers an unknown command with one line and a non-zero exit', async () => {
    const result = await runCli(['no-such-command']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^mmkit: unknown command/);
  });
});
