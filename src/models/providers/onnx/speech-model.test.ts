import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFiles } from '../../../../testkit/model-files.ts';
import { VITS_CHARACTER_SAMPLES, vitsFiles } from '../../../../testkit/vits.ts';
import { hearVitsLetters } from '../../../../testkit/vits-listen.ts';
import { OnnxSpeechModel } from './speech-model.ts';

describe('OnnxSpeechModel (testkit vits)', () => {
  let directory: string;
  let model: OnnxSpeechModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-vits-'));
    await writeModelFiles(directory, vitsFiles());
    model = await OnnxSpeechModel.load(directory, { id: 'tiny-vits', pauseSeconds: 0.3 });
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('speaks sentence by sentence with a pause between them', async () => {
    const result = await model.synthesize({ text: 'Hello world. Go!' });
    expect(result.sampleRate).toBe(16000);
    // 11 + 2 characters, and 0.3 s (3 character spans) of pause.
    expect(result.samples.length).toBe(16 * VITS_CHARACTER_SAMPLES);
    expect(hearVitsLetters(result.samples)).toBe('hello world   go');
    expect(model.voices).toEqual(['default']);
    expect(result.timings.firstOutputMs).toBeLessThanOrEqual(result.timings.totalMs);
  });

  it('speeds up and slows down without changing the letters’ tones', async () => {
    const fast = await model.synthesize({ text: 'abc xyz', speed: 2 });
    expect(fast.samples.length).toBe(7 * (VITS_CHARACTER_SAMPLES / 2));
    expect(hearVitsLetters(fast.samples, VITS_CHARACTER_SAMPLES / 2)).toBe('abc xyz');
    const slow = await model.synthesize({ text: 'mn', speed: 0.5, voice: 'default' });
    expect(slow.samples.length).toBe(4 * VITS_CHARACTER_SAMPLES);
    expect(hearVitsLetters(slow.samples, 2 * VITS_CHARACTER_SAMPLES)).toBe('mn');
  });

  it('speaks long text in full, cut into pieces, skipping sentences it has no letters for', async () => {
    const short = await OnnxSpeechModel.load(directory, { maxSentenceCharacters: 60, pauseSeconds: 0.1 });
    try {
      const sentence = 'the quick brown fox jumps over the lazy dog '.repeat(8).trim();
      const result = await short.synthesize({ text: `${sentence}. 你好。 End` });
      const pieces = Math.ceil(sentence.length / 60);
      // Every character is spoken but the spaces the pieces were cut at, with a pause (one character
      // span) after each piece of the long sentence, before the next piece or "end".
      const spans = sentence.length - (pieces - 1) + 'end'.length + pieces;
      expect(result.samples.length).toBe(spans * VITS_CHARACTER_SAMPLES);
      const heard = hearVitsLetters(result.samples);
      expect(heard.replace(/\s+/g, ' ')).toBe(`${sentence} end`);
      expect(heard.endsWith('dog end')).toBe(true);
    } finally {
      await short.dispose();
    }
  });

  it('refuses unknown voices, bad speeds and text it cannot say, in one line', async () => {
    await expect(model.synthesize({ text: 'hi', voice: 'alice' })).rejects.toThrow(
      /^voice "alice" is not one tiny-vits has; it has: default$/,
    );
    await expect(model.synthesize({ text: 'hi', speed: 10 })).rejects.toThrow(/speed must be between 0.25 and 4/);
    await expect(model.synthesize({ text: '你好。123' })).rejects.toMatchObject({ code: 'text_unspeakable' });
  });

  it('stops between sentences when the signal fires', async () => {
    await expect(model.synthesize({ text: 'a. b.', signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    let checks = 0;
    const controller = new AbortController();
    const signal = {
      get aborted() {
        if (++checks === 2) controller.abort();
        return controller.signal.aborted;
      },
      throwIfAborted() {
        if (this.aborted) throw controller.signal.reason;
      },
    } as AbortSignal;
    await expect(model.synthesize({ text: 'one. two. three. four.', signal })).rejects.toThrow(/abort/i);
    expect(checks).toBe(2);
  });
});
