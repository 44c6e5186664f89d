/**
 * A reasoning model's thinking, told apart from its answer: Qwen3, QwQ, DeepSeek-R1 and its
 * distills, SmolLM3 and Phi-4-reasoning write `<think>…</think>` before answering, or their chat
 * template opens the block in the prompt and the answer holds only the closing tag. What is inside
 * is reasoning; what follows the closing tag (white space trimmed) is the answer. Streaming, a
 * half-written tag waits for the next piece; an answer that does not open with `<think>` is all
 * answer, sent as it comes.
 */

const OPEN = '<think>';
const CLOSE = '</think>';

export interface SplitPiece {
  kind: 'reasoning' | 'text';
  text: string;
}

/** Whether the rendered prompt ends inside an opened thinking block (the template opened it). */
export function promptOpensReasoning(promptTail: string): boolean {
  const open = promptTail.lastIndexOf(OPEN);
  return open !== -1 && promptTail.indexOf(CLOSE, open) === -1 && promptTail.slice(open + OPEN.length).trim() === '';
}

export class ReasoningSplitter {
  private state: 'undecided' | 'reasoning' | 'answer' = 'undecided';
  private held = '';
  /** After `</think>`, white space before the answer is dropped. */
  private answerStarted = true;
  reasoning = '';
  text = '';

  /** Whether what comes now is thinking; undefined while the answer's opening is not yet known. */
  get inReasoning(): boolean | undefined {
    return this.state === 'undecided' ? undefined : this.state === 'reasoning';
  }

  /** The prompt opened the block: the answer starts inside it. */
  startInside(): void {
    this.state = 'reasoning';
  }

  push(piece: string): SplitPiece[] {
    this.held += piece;
    const out: SplitPiece[] = [];
    for (;;) {
      if (this.state === 'undecided') {
        const trimmed = this.held.trimStart();
        if (trimmed.startsWith(OPEN)) {
          this.held = trimmed.slice(OPEN.length);
          this.state = 'reasoning';
          continue;
        }
        if (OPEN.startsWith(trimmed)) return out;
        this.state = 'answer';
      }
      if (this.state === 'answer') {
        if (!this.answerStarted) {
          this.held = this.held.trimStart();
          if (this.held === '') return out;
          this.answerStarted = true;
        }
        if (this.held !== '') this.add(out, 'text', this.held);
        this.held = '';
        return out;
      }
      const close = this.held.indexOf(CLOSE);
      if (close !== -1) {
        this.add(out, 'reasoning', this.held.slice(0, close));
        this.held = this.held.slice(close + CLOSE.length);
        this.state = 'answer';
        this.answerStarted = false;
        continue;
      }
      const keep = partialTagLength(this.held, CLOSE);
      this.add(out, 'reasoning', this.held.slice(0, this.held.length - keep));
      this.held = this.held.slice(this.held.length - keep);
      return out;
    }
  }

  /** What is still held once the answer is complete: a tag that never finished is what it was inside. */
  end(): SplitPiece[] {
    const out: SplitPiece[] = [];
    if (this.held !== '') this.add(out, this.state === 'reasoning' ? 'reasoning' : 'text', this.held);
    this.held = '';
    return out;
  }

  private add(out: SplitPiece[], kind: SplitPiece['kind'], text: string): void {
    if (text === '') return;
    out.push({ kind, text });
    if (kind === 'reasoning') this.reasoning += text;
    else this.text += text;
  }
}

/** How many characters at the end of `text` begin `tag` (a tag still being written). */
function partialTagLength(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}
