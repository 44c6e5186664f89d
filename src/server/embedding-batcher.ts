/**
 * Micro-batching for text embeddings: requests for the same model that arrive while it is busy
 * are merged into one `embedTexts` call when it frees up (up to `maxBatchInputs` texts), then the
 * vectors are handed back to each request. Under concurrent load this turns N small model calls
 * into a few large ones, which is where an embeddings server's throughput comes from. Each batch
 * holds one lease from the `ModelService` (so it queues with every other use of the model), and the
 * texts waiting per model are bounded (beyond it: `queue_full`, a 429). A failed merged call is
 * retried request by request, so one request's bad input fails that request only.
 *
 * Gathering: an idle lane starts its batch one event-loop turn after the first request, so the
 * requests read from the network in the same turn share it. When a batch ends, its clients get
 * their answers and send their next requests a moment later: starting the next batch at once would
 * take only the one or two requests already there (under steady load the batches would alternate
 * tiny and full). So the next batch waits until half as many requests wait as were in flight during
 * the last one. How it waits depends on the model:
 * - a slow model (calls of several milliseconds) sets the pace: the batch waits for at most the time
 *   a call took (capped at `maxGatherMs`) and takes all that waits, up to `maxBatchInputs`;
 * - with a fast model the server's own work per request is what limits, so the server must never
 *   sit idle waiting for the model. A timer would (Node's resolution is a millisecond, longer than
 *   the call): the batch waits only while each event-loop turn still brings new requests. And it
 *   takes at most half the requests in flight, so the clients settle into two groups that take
 *   turns: the model works on one group's batch while the server answers the other and reads its
 *   next requests (one batch of everyone leaves each side idle while the other works).
 * A lone client (one in flight) and a model whose calls cost next to nothing never wait.
 */

import type { EmbeddingModel, EmbeddingResult } from '../models/spec/index.ts';
import { queueFull } from './http-errors.ts';
import type { CancellationCheck } from './middleware/request-context.ts';
import type { ModelLease, ModelService } from './model-service.ts';

export interface BatchedEmbeddings {
  vectors: Float32Array[];
  /** This request's share of the batch's token count (split by text length when batched). */
  tokens: number;
}

interface Submission {
  texts: string[];
  signal: CancellationCheck | undefined;
  resolve: (result: BatchedEmbeddings) => void;
  reject: (error: unknown) => void;
}

interface Lane {
  pending: Submission[];
  pendingInputs: number;
  running: boolean;
  /** Requests in flight during the last batch (its own and those that arrived meanwhile). */
  expected: number;
  /** How long the last model call took, and when it ended (`performance.now()`). */
  lastCallMs: number;
  lastEndedAt: number;
  /** Set while the lane waits for its next batch to fill up: starts it early. */
  gathered: (() => void) | undefined;
}

/** The longest a slow model's batch waits to fill up, by default. */
const MAX_GATHER_MS = 2;
/** How recent the last batch must be, and how long its model call, for the next one to wait at all. */
const GATHER_MEMORY_MS = 1_000;
const MIN_CALL_MS_TO_GATHER = 0.25;
/** Calls at least this long are a slow model's: its batches gather on a timer (coarser than a fast call). */
const SLOW_CALL_MS = 4;
/** The most event-loop turns a fast model's batch waits for. */
const MAX_GATHER_TURNS = 16;
/** Lanes kept between bursts (for their `expected`); beyond it, idle lanes are dropped. */
const MAX_IDLE_LANES = 64;

export interface GatherTiming {
  /** The longest a slow model's batch waits to fill up. */
  maxGatherMs?: number;
  /** From how long a model call the model counts as slow. */
  slowCallMs?: number;
}

export class EmbeddingBatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly maxGatherMs: number;
  private readonly slowCallMs: number;

  constructor(
    private readonly models: ModelService,
    private readonly maxBatchInputs: number,
    private readonly maxWaitingInputs: number,
    timing: GatherTiming = {},
  ) {
    this.maxGatherMs = timing.maxGatherMs ?? MAX_GATHER_MS;
    this.slowCallMs = timing.slowCallMs ?? SLOW_CALL_MS;
  }

  embedTexts(model: string, texts: string[], signal?: CancellationCheck): Promise<BatchedEmbeddings> {
    signal?.throwIfAborted();
    let lane = this.lanes.get(model);
    if (!lane) {
      lane = {
        pending: [],
        pendingInputs: 0,
        running: false,
        expected: 0,
        lastCallMs: 0,
        lastEndedAt: 0,
        gathered: undefined,
      };
      this.lanes.set(model, lane);
    }
    if (lane.pendingInputs + texts.length > this.maxWaitingInputs && lane.pending.length > 0) {
      return Promise.reject(queueFull(model, 1));
    }
    const result = new Promise<BatchedEmbeddings>((resolve, reject) => {
      lane.pending.push({ texts, signal, resolve, reject });
    });
    lane.pendingInputs += texts.length;
    if (!lane.running) void this.drain(model, lane);
    else if (lane.gathered && this.isFull(lane)) lane.gathered();
    return result;
  }

  private async drain(model: string, lane: Lane): Promise<void> {
    lane.running = true;
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (lane.pending.length > 0) {
        await this.gather(lane);
        const batch = this.takeBatch(lane);
        if (batch.length === 0) continue;
        const started = performance.now();
        await this.runBatch(model, batch);
        lane.lastEndedAt = performance.now();
        lane.lastCallMs = lane.lastEndedAt - started;
        lane.expected = batch.length + lane.pending.length;
      }
    } finally {
      lane.running = false;
      // A lane that saw concurrency is kept, so the next burst is gathered too.
      if (lane.pending.length === 0 && (lane.expected <= 1 || this.lanes.size > MAX_IDLE_LANES)) {
        this.lanes.delete(model);
      }
    }
  }

  /** Whether the lane saw concurrency recently, with model calls worth waiting for. */
  private isBusy(lane: Lane): boolean {
    return (
      lane.expected > 1 &&
      lane.lastCallMs >= MIN_CALL_MS_TO_GATHER &&
      performance.now() - lane.lastEndedAt <= GATHER_MEMORY_MS
    );
  }

  /** Enough waits to start the next batch: half the requests in flight, a full batch, or no reason to wait. */
  private isFull(lane: Lane): boolean {
    return lane.pending.length * 2 >= lane.expected || lane.pendingInputs >= this.maxBatchInputs || !this.isBusy(lane);
  }

  /**
   * The most requests the next batch takes. A fast model under concurrency: half of those in flight,
   * so the server, not the model, always has work. A slow model is what sets the pace: all it can.
   */
  private batchRequests(lane: Lane): number {
    return this.isFast(lane) && this.isBusy(lane) ? Math.ceil(lane.expected / 2) : Number.POSITIVE_INFINITY;
  }

  /** Calls shorter than a few timer ticks: the server's own work per request is what limits. */
  private isFast(lane: Lane): boolean {
    return lane.lastCallMs < this.slowCallMs;
  }

  /**
   * Waits until the lane is full: for a slow model until `embedTexts` says so or for as long as the
   * last call took; for a fast one while each event-loop turn brings new requests.
   */
  private async gather(lane: Lane): Promise<void> {
    if (this.isFull(lane)) return;
    if (this.isFast(lane)) {
      for (let turn = 0; turn < MAX_GATHER_TURNS; turn++) {
        const before = lane.pending.length;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.isFull(lane) || lane.pending.length === before) return;
      }
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        lane.gathered = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.min(this.maxGatherMs, lane.lastCallMs));
      lane.gathered = done;
    });
  }

  /** The oldest submissions up to the batch size (always at least one); cancelled ones dropped. */
  private takeBatch(lane: Lane): Submission[] {
    const batch: Submission[] = [];
    const maxRequests = this.batchRequests(lane);
    let inputs = 0;
    while (lane.pending.length > 0 && batch.length < maxRequests) {
      const next = lane.pending[0]!;
      if (batch.length > 0 && inputs + next.texts.length > this.maxBatchInputs) break;
      lane.pending.shift();
      lane.pendingInputs -= next.texts.length;
      if (next.signal?.aborted) {
        next.reject(next.signal.reason);
        continue;
      }
      batch.push(next);
      inputs += next.texts.length;
    }
    return batch;
  }

  private async runBatch(model: string, batch: Submission[]): Promise<void> {
    let lease: ModelLease<'embeddings'>;
    try {
      lease = await this.models.acquire('embeddings', model);
    } catch (error) {
      // No model to run on (unknown, failed to load, shutting down): the same answer for everyone.
      for (const submission of batch) submission.reject(error);
      return;
    }
    try {
      await this.embedBatch(lease.model, batch);
    } finally {
      lease.release();
    }
  }

  /**
   * One model call for the whole batch. If it fails and the batch holds several requests, each is
   * run again alone, so a failure caused by one request's input fails that request only.
   */
  private async embedBatch(model: EmbeddingModel, batch: Submission[]): Promise<void> {
    // Plain loops: this runs once per request when requests come one at a time.
    let texts: string[];
    if (batch.length === 1) texts = batch[0]!.texts;
    else {
      texts = [];
      for (const submission of batch) for (const text of submission.texts) texts.push(text);
    }
    let result: EmbeddingResult;
    try {
      result = await model.embedTexts(texts);
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else for (const submission of batch) await this.embedBatch(model, [submission]);
      return;
    }
    if (batch.length === 1) {
      batch[0]!.resolve({ vectors: result.embeddings, tokens: result.usage.tokens });
      return;
    }
    const shares = splitTokens(
      result.usage.tokens,
      batch.map((submission) => submission.texts.reduce((sum, text) => sum + text.length, 0)),
    );
    let offset = 0;
    for (let index = 0; index < batch.length; index++) {
      const submission = batch[index]!;
      const vectors = result.embeddings.slice(offset, offset + submission.texts.length);
      offset += submission.texts.length;
      submission.resolve({ vectors, tokens: shares[index]! });
    }
  }
}

/** `total` split in proportion to `weights`, in whole numbers that add up to `total`. */
export function splitTokens(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 1 || sum === 0) return weights.map((_, index) => (index === 0 ? total : 0));
  const exact = weights.map((weight) => (total * weight) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((value, index) => [value - Math.floor(value), index] as const)
    .sort((a, b) => b[0] - a[0]);
  for (const [, index] of byRemainder) {
    if (left <= 0) break;
    shares[index]! += 1;
    left -= 1;
  }
  return shares;
}
