import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'testkit/**/*.test.ts',
      'scripts/**/*.test.ts',
      'web/src/**/*.test.ts',
      'web/e2e/**/*.test.ts',
    ],
    // Model and media tests do real work on a 2-core machine: generous per-test time, no timing asserts.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll waits for a page or a server to catch up; its 1 s default fails on a loaded machine.
    expect: { poll: { timeout: 20_000 } },
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
  },
});
