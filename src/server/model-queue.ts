/**
 * A queue in front of one model: at most `concurrency` requests run, at most `maxWaiting` wait, and
 * the rest are refused at once with `queue_full` (a 429 with `Retry-After`), rather than piling up
 * on one accelerator. A waiting request whose client goes away leaves the queue.
 */
import { queueFull } from './http-errors.ts';

export interface QueueSlot {
  /** Gives the slot to the next waiting request; calling it twice is harmless. */
  release(): void;
}

interface Waiter {
  grant: (slot: QueueSlot) => void;
  reject: (error: unknown) => void;
}

export interface ModelQueueStatus {
  running: number;
  waiting: number;
}

export class ModelQueue {
  private running = 0;
  private readonly waiters: Waiter[] = [];
  /** Smoothed seconds a slot is held, for the `Retry-After` hint. */
  private averageHoldSeconds = 1;

  constructor(
    private readonly name: string,
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  status(): ModelQueueStatus {
    return { running: this.running, waiting: this.waiters.length };
  }

  /** A slot now if one is free (no waiting, no Promise), else undefined. */
  tryAcquire(): QueueSlot | undefined {
    if (this.running >= this.concurrency) return undefined;
    this.running += 1;
    return this.slot();
  }

  acquire(signal?: AbortSignal): Promise<QueueSlot> {
    signal?.throwIfAborted();
    const free = this.tryAcquire();
    if (free) return Promise.resolve(free);
    if (this.waiters.length >= this.maxWaiting) {
      const waitSeconds = (this.averageHoldSeconds * (this.waiters.length + 1)) / this.concurrency;
      return Promise.reject(queueFull(this.name, waitSeconds));
    }
    return new Promise<QueueSlot>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Refuses every waiting request (shutdown); running ones keep their slots. */
  rejectWaiting(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private slot(): QueueSlot {
    return new HeldSlot(this);
  }

  /** A slot was held for `heldSeconds`: it passes straight to the next waiter, or frees up. */
  handBack(heldSeconds: number): void {
    this.averageHoldSeconds = 0.8 * this.averageHoldSeconds + 0.2 * heldSeconds;
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next.grant(this.slot());
    else this.running -= 1;
  }
}

/** One turn on the model (a class, not a closure per turn: this runs for every model call). */
class HeldSlot implements QueueSlot {
  private readonly started = performance.now();
  private released = false;

  constructor(private readonly queue: ModelQueue) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.queue.handBack((performance.now() - this.started) / 1000);
  }
}
