/**
 * Stop strings over streamed text: generation ends when the text contains one, and the stop
 * string itself is never emitted (OpenAI semantics). Text that might be the start of a stop
 * string is held back until the next delta shows whether it is.
 */
export interface StopFilterResult {
  /** Text that is safe to emit now. */
  text: string;
  /** A stop string was found; nothing after it may be emitted. */
  stopped: boolean;
}

export class StopSequenceFilter {
  private pending = '';
  private stoppedAlready = false;
  private readonly stops: string[];

  constructor(stops: readonly string[] = []) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  get stopped(): boolean {
    return this.stoppedAlready;
  }

  push(delta: string): StopFilterResult {
    if (this.stoppedAlready) return { text: '', stopped: true };
    this.pending += delta;
    let firstStop = -1;
    for (const stop of this.stops) {
      const index = this.pending.indexOf(stop);
      if (index >= 0 && (firstStop < 0 || index < firstStop)) firstStop = index;
    }
    if (firstStop >= 0) {
      const text = this.pending.slice(0, firstStop);
      this.pending = '';
      this.stoppedAlready = true;
      return { text, stopped: true };
    }
    const held = this.longestPartialStop();
    const text = this.pending.slice(0, this.pending.length - held);
    this.pending = this.pending.slice(this.pending.length - held);
    return { text, stopped: false };
  }

  /** What was held back, once generation has ended without a stop string. */
  flush(): string {
    const text = this.stoppedAlready ? '' : this.pending;
    this.pending = '';
    return text;
  }

  /** Length of the longest end of `pending` that is the beginning of some stop string. */
  private longestPartialStop(): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, this.pending.length); length > longest; length--) {
        if (this.pending.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
