import { describe, expect, it } from 'vitest';
import { describeExit, queueFull, runnerCrashed } from './runner-errors.ts';

describe('runner errors', () => {
  it('names out-of-memory deaths from the runner’s last words or SIGKILL', () => {
    const heap = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n';
    expect(describeExit({ code: 134, signal: null, output: heap })).toBe('it ran out of memory');
    expect(describeExit({ code: null, signal: 'SIGKILL', output: '' })).toMatch(/SIGKILL.*out of memory/);
    expect(describeExit({ code: null, signal: 'SIGSEGV', output: '' })).toBe('it was killed by SIGSEGV');
  });

  it('quotes the error line of a crash, not the stack', () => {
    const output =
      'file.js:3\n    throw x\nRangeError: fake model blew up\n    at Immediate.<anonymous> (file.js:3:9)\n\nNode.js v20.20.2\n';
    expect(describeExit({ code: 1, signal: null, output })).toBe(
      'it exited with code 1 (RangeError: fake model blew up)',
    );
    const error = runnerCrashed('llm', 'generate()', { code: 3, signal: null, output: '' });
    expect(error.message).toBe(
      'the runner for llm stopped unexpectedly during generate(): it exited with code 3; the next request starts it again',
    );
    expect([error.code, error.status]).toEqual(['runner_crashed', 500]);
  });

  it('refuses a full queue with queue_full and 503', () => {
    expect(queueFull('llm', 4)).toMatchObject({ code: 'queue_full', status: 503, type: 'runtime_error' });
  });
});
