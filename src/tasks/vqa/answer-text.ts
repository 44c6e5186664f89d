/**
 * The answer as deltas arrive, without the whitespace models put around it (SmolVLM starts with a
 * space, others end with a newline): leading whitespace is dropped, trailing whitespace is held
 * back until more text follows it, so the streamed deltas always add up to the final answer.
 */
export class AnswerText {
  private started = false;
  private pendingWhitespace = '';
  private text = '';

  /** The part of `delta` that can be shown now ('' when nothing can). */
  push(delta: string): string {
    let visible = delta;
    if (!this.started) {
      visible = visible.trimStart();
      if (visible === '') return '';
      this.started = true;
    }
    const trailing = visible.length - visible.trimEnd().length;
    const body = visible.slice(0, visible.length - trailing);
    if (body === '') {
      this.pendingWhitespace += visible;
      return '';
    }
    const shown = this.pendingWhitespace + body;
    this.pendingWhitespace = visible.slice(visible.length - trailing);
    this.text += shown;
    return shown;
  }

  get answer(): string {
    return this.text;
  }
}
