import { describe, expect, it } from 'vitest';
import { hasYoungGenerationSetting, SERVER_NODE_FLAGS } from './server-heap.ts';

describe('hasYoungGenerationSetting', () => {
  it('sees a semi-space size on the command line or in NODE_OPTIONS, in either spelling', () => {
    expect(hasYoungGenerationSetting([...SERVER_NODE_FLAGS], '')).toBe(true);
    expect(hasYoungGenerationSetting(['--import', 'tsx', '--max_semi_space_size=32'], '')).toBe(true);
    expect(hasYoungGenerationSetting([], '--enable-source-maps --max-semi-space-size=16')).toBe(true);
  });

  it('is false without one (other heap flags do not count)', () => {
    expect(hasYoungGenerationSetting([], '')).toBe(false);
    expect(hasYoungGenerationSetting(['--max-old-space-size=4096'], '--min-semi-space-size=1')).toBe(false);
  });
});
