/**
 * The two hooks Transformers.js's `generate()` offers into its loop, as small adapters: a streamer
 * that hands each generated token id to a callback (the first `put` is the prompt, skipped), and a
 * stopping criterion that asks a callback (abort signal, stop strings) after every token.
 */
import { BaseStreamer, StoppingCriteria } from '@huggingface/transformers';

export class TokenCallbackStreamer extends BaseStreamer {
  private promptSeen = false;

  constructor(private readonly onToken: (tokenId: number) => void) {
    super();
  }

  override put(value: bigint[][]): void {
    if (!this.promptSeen) {
      this.promptSeen = true;
      return;
    }
    for (const tokenId of value[0] ?? []) this.onToken(Number(tokenId));
  }

  override end(): void {}
}

export class CallbackStoppingCriteria extends StoppingCriteria {
  private readonly shouldStop: () => boolean;

  constructor(shouldStop: () => boolean) {
    super();
    this.shouldStop = shouldStop;
  }

  override _call(inputIds: number[][]): boolean[] {
    const stop = this.shouldStop();
    return inputIds.map(() => stop);
  }
}
