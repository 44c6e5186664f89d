import { describe, expect, it } from 'vitest';
import { ModelRunnerPool } from './pool.ts';
import { chatRequest, fakeSpec, isAlive } from './test-support/fake-spec.ts';

const MB = 1024 * 1024;

describe('ModelRunnerPool: memory returns after unloading', () => {
  it('a model holding 200 MB: this process plus its runners end within 1.1× of before the load', async () => {
    const pool = new ModelRunnerPool();
    try {
      // Warm up: the pool's own code and buffers are in place before the first measurement.
      await pool.acquire(fakeSpec('warm-up'));
      await pool.unload('warm-up');

      const before = process.memoryUsage.rss();
      const big = await pool.acquire(fakeSpec('big', { holdBytes: 200 * MB }));
      expect((await big.generate(chatRequest('loaded'))).text).toBe('echo: loaded');
      const [row] = await pool.status();
      expect(row!.rssBytes).toBeGreaterThan(200 * MB);
      const whileLoaded = process.memoryUsage.rss() + row!.rssBytes;
      expect(whileLoaded).toBeGreaterThan(before + 200 * MB);

      await pool.unload('big');
      expect(isAlive(row!.pid!)).toBe(false);
      expect(await pool.status()).toEqual([]);
      const after = process.memoryUsage.rss();
      expect(after / before).toBeLessThanOrEqual(1.1);
    } finally {
      await pool.shutdown();
    }
  });
});
