import { describe, expect, it } from 'vitest';
import { promptOpensReasoning, ReasoningSplitter, type SplitPiece } from './reasoning-split.ts';

function split(pieces: string[], openedByPrompt = false): { out: SplitPiece[][]; reasoning: string; text: string } {
  const splitter = new ReasoningSplitter();
  if (openedByPrompt) splitter.startInside();
  const out = pieces.map((piece) => splitter.push(piece));
  out.push(splitter.end());
  return { out, reasoning: splitter.reasoning, text: splitter.text };
}

describe('ReasoningSplitter', () => {
  it('tells a <think> block from the answer after it, streamed piece by piece', () => {
    const { out, reasoning, text } = split(['<thi', 'nk>\nFirst', ' the plan.</th', 'ink>\n\n', 'The answer', '.']);
    expect(reasoning).toBe('\nFirst the plan.');
    expect(text).toBe('The answer.');
    expect(out).toEqual([
      [],
      [{ kind: 'reasoning', text: '\nFirst' }],
      [{ kind: 'reasoning', text: ' the plan.' }],
      [],
      [{ kind: 'text', text: 'The answer' }],
      [{ kind: 'text', text: '.' }],
      [],
    ]);
  });

  it('starts inside the block when the prompt opened it (only the closing tag is written)', () => {
    expect(split(['Let me see', '</think>', 'Paris'], true)).toMatchObject({ reasoning: 'Let me see', text: 'Paris' });
    // Cut off while thinking: all of it is reasoning, no answer.
    expect(split(['still thinking </thi'], true)).toMatchObject({ reasoning: 'still thinking </thi', text: '' });
  });

  it('leaves answers that do not open with <think> alone, as they come', () => {
    expect(split(['  <b>bold</b>'])).toMatchObject({ reasoning: '', text: '  <b>bold</b>' });
    expect(split(['Hello', ' <think>not a block</think>'])).toMatchObject({
      reasoning: '',
      text: 'Hello <think>not a block</think>',
    });
    expect(split(['<', 'thin'])).toMatchObject({ text: '<thin' });
  });

  it('sees a prompt that ends inside an opened block', () => {
    expect(promptOpensReasoning('<|im_start|>assistant\n<think>\n')).toBe(true);
    // Qwen3 with enable_thinking false closes the block in the prompt.
    expect(promptOpensReasoning('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(false);
    expect(promptOpensReasoning('<|assistant|>\n')).toBe(false);
  });
});
