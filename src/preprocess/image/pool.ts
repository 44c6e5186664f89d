/**
 * A small pool of worker threads that each decode and transform whole images. sharp already decodes
 * on libvips threads, but our resize runs in JavaScript on one thread; workers let a batch use every
 * core for it. Each worker keeps two tasks in flight so its decode overlaps its own resize.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MmkitError } from '../../errors.ts';
import type { ImageTensor } from './transform.ts';
import type { ImageTask, ImageTaskResult } from './worker.ts';
import { workerBootstrap } from './worker-bootstrap.ts';

const TASKS_PER_WORKER = 2;

interface Pending {
  resolve(tensor: ImageTensor): void;
  reject(error: Error): void;
}

export class ImageWorkerPool {
  readonly size: number;
  private readonly workers: Worker[];
  private readonly load: number[];
  private readonly pending = new Map<number, Pending>();
  private readonly queue: Array<{ task: Omit<ImageTask, 'id'>; pending: Pending }> = [];
  private nextId = 0;
  private closed = false;

  constructor(size = Math.min(availableParallelism(), 4)) {
    this.size = Math.max(1, size);
    const bootstrap = workerBootstrap('worker', import.meta.url);
    this.workers = Array.from({ length: this.size }, (_, index) => {
      const worker = new Worker(bootstrap, { eval: true });
      worker.on('message', (result: ImageTaskResult) => this.settle(index, result));
      worker.on('error', (error) => this.failAll(error));
      // Idle workers must not keep the process alive.
      worker.unref();
      return worker;
    });
    this.load = new Array(this.size).fill(0);
  }

  run(task: Omit<ImageTask, 'id'>): Promise<ImageTensor> {
    if (this.closed) return Promise.reject(new Error('image worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const index = this.load.indexOf(Math.min(...this.load));
      if (this.load[index] >= TASKS_PER_WORKER) return;
      const { task, pending } = this.queue.shift()!;
      const id = this.nextId++;
      this.pending.set(id, pending);
      this.load[index]++;
      if (this.load[index] === 1) this.workers[index].ref();
      this.workers[index].postMessage({ ...task, id } satisfies ImageTask);
    }
  }

  private settle(index: number, result: ImageTaskResult): void {
    this.load[index]--;
    if (this.load[index] === 0) this.workers[index].unref();
    const pending = this.pending.get(result.id);
    this.pending.delete(result.id);
    if (pending) {
      if ('error' in result) {
        const { message, code, param, mmkit } = result.error;
        pending.reject(mmkit ? new MmkitError(message, { code, param }) : new Error(message));
      } else {
        pending.resolve({ data: result.data, shape: result.shape });
      }
    }
    this.dispatch();
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    for (const { pending } of this.queue.splice(0)) pending.reject(error);
  }
}
