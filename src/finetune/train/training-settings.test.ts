import { describe, expect, it } from 'vitest';
import { parseTargets, resolveTrainingSettings, TRAINING_DEFAULTS } from './training-settings.ts';

describe('resolveTrainingSettings', () => {
  it("defaults to the seed's settings", () => {
    expect(resolveTrainingSettings()).toEqual({
      rank: 8,
      alpha: 32,
      dropout: 0.05,
      targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
      batchSize: 4,
      accumulation: 4,
      learningRate: 2e-4,
      epochs: 5,
      warmupRatio: 0.05,
      maxLength: 512,
      maxGradientNorm: 1,
      weightDecay: 0,
      seed: 42,
    });
    expect(resolveTrainingSettings({ rank: undefined, epochs: 2 })).toEqual({ ...TRAINING_DEFAULTS, epochs: 2 });
  });

  it('refuses bad values with the flag in the message', () => {
    expect(() => resolveTrainingSettings({ rank: 0 })).toThrow('--rank must be an integer ≥ 1, got 0');
    expect(() => resolveTrainingSettings({ dropout: 1 })).toThrow('--dropout must be in [0, 1)');
    expect(() => parseTargets('q_proj,qkv')).toThrow(/--targets must be among q_proj, .*got 'qkv'/);
    expect(parseTargets('q_proj v_proj,q_proj')).toEqual(['q_proj', 'v_proj']);
  });
});
