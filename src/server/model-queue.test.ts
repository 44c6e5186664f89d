import { describe, expect, it } from 'vitest';
import { ModelQueue } from './model-queue.ts';

describe('ModelQueue', () => {
  it('runs up to its concurrency, queues up to its length in order, refuses the rest with queue_full', async () => {
    const queue = new ModelQueue('tiny', 1, 2);
    const first = await queue.acquire();
    const order: string[] = [];
    const second = queue.acquire().then((slot) => {
      order.push('second');
      return slot;
    });
    const third = queue.acquire().then((slot) => {
      order.push('third');
      return slot;
    });
    expect(queue.status()).toEqual({ running: 1, waiting: 2 });
    await expect(queue.acquire()).rejects.toMatchObject({ code: 'queue_full', status: 429 });
    first.release();
    (await second).release();
    (await third).release();
    expect(order).toEqual(['second', 'third']);
    expect(queue.status()).toEqual({ running: 0, waiting: 0 });
  });

  it('drops a waiter whose signal aborts, and a double release frees one slot only', async () => {
    const queue = new ModelQueue('tiny', 1, 4);
    const held = await queue.acquire();
    const controller = new AbortController();
    const waiting = queue.acquire(controller.signal);
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(queue.status()).toEqual({ running: 1, waiting: 0 });
    held.release();
    held.release();
    expect(queue.status()).toEqual({ running: 0, waiting: 0 });
    const again = await queue.acquire();
    expect(queue.status()).toEqual({ running: 1, waiting: 0 });
    again.release();
  });

  it('refuses everyone waiting on shutdown', async () => {
    const queue = new ModelQueue('tiny', 1, 4);
    await queue.acquire();
    const waiting = queue.acquire();
    queue.rejectWaiting(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
  });
});
