/** A push/pull queue that turns callbacks (a streamer) into an async iterator. */
export class AsyncQueue<Item> implements AsyncIterable<Item> {
  private readonly items: Item[] = [];
  private waiting: ((result: IteratorResult<Item>) => void) | undefined;
  private failure: { error: unknown } | undefined;
  private closed = false;
  private waitingReject: ((error: unknown) => void) | undefined;

  push(item: Item): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.waitingReject = undefined;
      resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  close(): void {
    this.closed = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.waitingReject = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = { error };
    this.closed = true;
    if (this.waitingReject) {
      const reject = this.waitingReject;
      this.waiting = this.waitingReject = undefined;
      reject(error);
    }
  }

  next(): Promise<IteratorResult<Item>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as Item, done: false });
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.waitingReject = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Item> {
    return { next: () => this.next() };
  }
}
