import { describe, expect, it } from 'vitest';
import type { SpeechModel, SpeechRequest, SpeechResult } from '../../models/spec/index.ts';
import { SentenceSpeaker, type SpokenChunk } from './sentence-speaker.ts';

/** A voice whose every call waits until the test lets it finish (or fails it). */
function heldVoice() {
  const calls: Array<{ request: SpeechRequest; finish: () => void; fail: (error: Error) => void }> = [];
  const waiters: Array<() => void> = [];
  const model: SpeechModel = {
    description: { id: 'test:held', provider: 'test' },
    voices: [],
    synthesize: (request) =>
      new Promise<SpeechResult>((resolve, reject) => {
        const samples = new Float32Array([...request.text].length);
        calls.push({
          request,
          finish: () => resolve({ samples, sampleRate: 8000, timings: { totalMs: 1 } }),
          fail: reject,
        });
        for (const wake of waiters.splice(0)) wake();
      }),
  };
  const call = async (index: number) => {
    while (calls.length <= index) await new Promise<void>((resolve) => waiters.push(resolve));
    return calls[index];
  };
  return { model, calls, call };
}

const sentence = (letter: string) => `${letter.repeat(79)}.`;

describe('SentenceSpeaker', () => {
  it('speaks the first sentence alone and the ones that waited together, in order', async () => {
    const voice = heldVoice();
    const chunks: SpokenChunk[] = [];
    const speaker = new SentenceSpeaker({
      model: voice.model,
      signal: new AbortController().signal,
      language: 'en',
      onChunk: (chunk) => chunks.push(chunk),
      onFailure: () => {},
    });
    speaker.speak(sentence('a'));
    speaker.speak(sentence('b'));
    speaker.speak(sentence('c'));
    speaker.speak(sentence('d'));
    (await voice.call(0)).finish();
    (await voice.call(1)).finish();
    (await voice.call(2)).finish();
    const spoken = await speaker.finish();
    expect(voice.calls.map((call) => call.request.text)).toEqual([
      sentence('a'),
      `${sentence('b')} ${sentence('c')}`,
      sentence('d'),
    ]);
    expect(voice.calls[0].request.language).toBe('en');
    expect(spoken).toEqual(chunks);
    expect(chunks.map((chunk) => [chunk.index, chunk.samples.length, chunk.sampleRate])).toEqual([
      [0, 80, 8000],
      [1, 161, 8000],
      [2, 80, 8000],
    ]);
  });

  it('stops at the first failure, reports it once and ignores later sentences', async () => {
    const voice = heldVoice();
    const failures: unknown[] = [];
    const speaker = new SentenceSpeaker({
      model: voice.model,
      signal: new AbortController().signal,
      onChunk: () => {},
      onFailure: (error) => failures.push(error),
    });
    speaker.speak(sentence('a'));
    speaker.speak(sentence('b'));
    (await voice.call(0)).fail(new Error('voice broke'));
    await expect(speaker.finish()).rejects.toThrow('voice broke');
    speaker.speak(sentence('c'));
    await expect(speaker.finish()).rejects.toThrow('voice broke');
    expect(failures).toHaveLength(1);
    expect(voice.calls).toHaveLength(1);
  });
});
