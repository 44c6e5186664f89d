/**
 * Plays the answer sentence by sentence through one media element: the first sentence's WAV starts
 * as soon as it arrives, each next one when the previous ends. Pure queue logic over a minimal
 * element interface, so it runs (and is tested) without a browser.
 */

export interface PlayableElement {
  src: string;
  play(): Promise<void>;
  addEventListener(type: 'ended', listener: () => void): void;
  removeEventListener(type: 'ended', listener: () => void): void;
}

export class SentencePlayer {
  private readonly queue: string[] = [];
  private playing = false;
  private readonly onEnded = () => this.next();

  constructor(
    private readonly element: PlayableElement,
    /** Told when the browser refuses to play (autoplay rules); the controls remain for the user. */
    private readonly onBlocked: (error: unknown) => void = () => undefined,
  ) {
    element.addEventListener('ended', this.onEnded);
  }

  /** Queues a sentence; plays it now when nothing is playing. */
  enqueue(url: string): void {
    this.queue.push(url);
    if (!this.playing) this.next();
  }

  get pending(): number {
    return this.queue.length;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  /** Forgets queued sentences (a new question); the current one finishes or is replaced. */
  clear(): void {
    this.queue.length = 0;
    this.playing = false;
  }

  dispose(): void {
    this.clear();
    this.element.removeEventListener('ended', this.onEnded);
  }

  private next(): void {
    const url = this.queue.shift();
    if (url === undefined) {
      this.playing = false;
      return;
    }
    this.playing = true;
    this.element.src = url;
    this.element.play().catch((error: unknown) => {
      this.playing = false;
      this.onBlocked(error);
    });
  }
}
