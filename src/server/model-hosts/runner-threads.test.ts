import { describe, expect, it } from 'vitest';
import { defaultRunnerThreads, runnerEnvironment } from './runner-threads.ts';

describe('runner threads', () => {
  it('shares the cores among the runners that may be loaded at once, at least one each', () => {
    expect(defaultRunnerThreads(3, 2)).toBe(1);
    expect(defaultRunnerThreads(3, 16)).toBe(5);
    expect(defaultRunnerThreads(1, 8)).toBe(8);
    expect(defaultRunnerThreads(0, 4)).toBe(4);
  });

  it('sets MMKIT_ORT_THREADS for runners unless the user did', () => {
    expect(runnerEnvironment(2, { PATH: '/bin' }, 8)).toEqual({ PATH: '/bin', MMKIT_ORT_THREADS: '4' });
    expect(runnerEnvironment(2, { MMKIT_ORT_THREADS: '3' }, 8)).toEqual({ MMKIT_ORT_THREADS: '3' });
  });
});
