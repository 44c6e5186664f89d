import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { EspeakSpeechModel } from '../../models/providers/espeak/espeak-speech-model.ts';
import { rootMeanSquare } from '../../models/providers/espeak/test-support/signal-measures.ts';
import { OnnxChatModel } from '../../models/providers/onnx/onnx-chat-model.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { type AssistantEvent, assistant } from './assistant.ts';

const WAV_NAME = /^\d{8}-\d{6}-\d{3}_[0-9a-f]{8}\.wav$/;

describe('assistant, text in, with the testkit echo model and the espeak voice', () => {
  let root: string;
  let chatModel: OnnxChatModel;
  const speechModel = new EspeakSpeechModel();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-assistant-'));
    await buildTinyModel('llm', join(root, 'llm'));
    chatModel = await OnnxChatModel.load(join(root, 'llm'), { id: 'onnx:tiny-llm' });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await chatModel?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('answers, speaks the answer sentence by sentence and saves it as one WAV in the folder', async () => {
    const outDir = join(root, 'answers');
    const question = 'The weather is sunny today. Would you like to go for a walk? 我们一起去公园散步吧。';
    const events: AssistantEvent[] = [];
    const result = await assistant(
      { text: question },
      { chatModel, speechModel, outDir, onEvent: (event) => events.push(event) },
    );

    expect(result).toMatchObject({ inputType: 'text', answer: question, sampleRate: 22050 });
    expect(result.transcript).toBeUndefined();
    expect(dirname(result.audioPath)).toBe(outDir);
    expect(basename(result.audioPath)).toMatch(WAV_NAME);
    expect(await readdir(outDir)).toEqual([basename(result.audioPath)]);

    const deltas = events.filter((event) => event.type === 'text-delta');
    expect(deltas.map((event) => event.text).join('')).toBe(question);
    const chunks = events.flatMap((event) => (event.type === 'audio-chunk' ? [event] : []));
    // The first sentence is spoken alone as soon as it is written; sentences that arrive while the
    // voice is busy may share its next call. Nothing is lost, repeated or reordered.
    expect(chunks[0].text).toBe('The weather is sunny today.');
    expect(chunks.map((chunk) => chunk.text).join(' ')).toBe(
      'The weather is sunny today. Would you like to go for a walk? 我们一起去公园散步吧。',
    );
    expect(chunks.map((chunk) => [chunk.index, chunk.sampleRate])).toEqual(chunks.map((_, index) => [index, 22050]));
    expect(result.chunks).toBe(chunks.length);
    expect(events.at(-1)).toEqual({ type: 'done', result });

    // The file is the chunks end to end, and it is speech: seconds long, with real energy.
    const saved = await loadAudio(result.audioPath);
    const chunkSamples = chunks.reduce((sum, chunk) => sum + chunk.samples.length, 0);
    expect(saved.sampleRate).toBe(22050);
    expect(saved.samples.length).toBe(chunkSamples);
    expect(saved.durationSeconds).toBeCloseTo(result.audioSeconds, 6);
    expect(saved.durationSeconds).toBeGreaterThan(3);
    expect(saved.durationSeconds).toBeLessThan(15);
    expect(rootMeanSquare(saved.samples)).toBeGreaterThan(0.03);
    for (const chunk of chunks) expect(rootMeanSquare(chunk.samples)).toBeGreaterThan(0.03);
    // Each chunk sits in the file where the ones before it end (to 16-bit precision).
    let offset = 0;
    for (const chunk of chunks) {
      const stored = saved.samples.subarray(offset, offset + chunk.samples.length);
      let largestError = 0;
      for (let index = 0; index < stored.length; index++) {
        largestError = Math.max(largestError, Math.abs(stored[index] - chunk.samples[index]));
      }
      expect(largestError).toBeLessThan(1 / 16384);
      offset += chunk.samples.length;
    }

    const { timings } = result;
    expect(timings.transcribeMs).toBeUndefined();
    expect(timings.firstTokenMs).toBeLessThanOrEqual(timings.firstAudioMs);
    expect(timings.firstAudioMs).toBeLessThanOrEqual(timings.totalMs);
    expect(timings.answerMs).toBeLessThanOrEqual(timings.totalMs);
  });

  it("shows a reasoning model's thinking as it comes and speaks only the answer", async () => {
    // The echo model writes back what it is told: here a thinking block, then the answer.
    const thinking = 'The user greets me. I should greet back.';
    const events: AssistantEvent[] = [];
    const result = await assistant(
      { text: `<think>${thinking}</think>\n\nHello there.` },
      { chatModel, speechModel, outDir: join(root, 'thinking'), onEvent: (event) => events.push(event) },
    );
    expect(result).toMatchObject({ answer: 'Hello there.', reasoning: thinking });
    const thoughts = events.flatMap((event) => (event.type === 'reasoning-delta' ? [event.text] : []));
    expect(thoughts.length).toBeGreaterThan(1);
    expect(thoughts.join('')).toBe(thinking);
    // Every piece of thinking came before the answer's first text, and only the answer was spoken.
    const firstText = events.findIndex((event) => event.type === 'text-delta');
    expect(events.findLastIndex((event) => event.type === 'reasoning-delta')).toBeLessThan(firstText);
    const spoken = events.flatMap((event) => (event.type === 'audio-chunk' ? [event.text] : []));
    expect(spoken).toEqual(['Hello there.']);
  });

  it('speaks the whole answer in one piece when not pipelined', async () => {
    const outDir = join(root, 'whole');
    const question = 'Short answers are spoken at once. 也可以整段朗读。';
    const result = await assistant(
      { type: 'text', text: question },
      { chatModel, speechModel, outDir, pipelined: false },
    );
    expect(result).toMatchObject({ answer: question, chunks: 1 });
    expect(result.timings.firstAudioMs).toBeGreaterThanOrEqual(result.timings.answerMs);
    expect((await loadAudio(result.audioPath)).durationSeconds).toBeGreaterThan(1.5);
  });

  it('never lets two answers in the same millisecond share a file', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(2026, 10, 25, 12, 34, 56, 789));
    const outDir = join(root, 'same-millisecond');
    const results = await Promise.all(
      ['First question here.', 'Second question here.'].map((text) =>
        assistant({ text }, { chatModel, speechModel, outDir }),
      ),
    );
    const names = results.map((result) => basename(result.audioPath));
    expect(names[0]).not.toBe(names[1]);
    for (const name of names) expect(name.startsWith('20261125-123456-789_')).toBe(true);
    expect((await readdir(outDir)).sort()).toEqual([...names].sort());
    const durations = await Promise.all(
      results.map(async (result) => (await loadAudio(result.audioPath)).durationSeconds),
    );
    expect(durations.every((seconds) => seconds > 0.8)).toBe(true);
  });

  it('writes exactly the file asked for with outFile', async () => {
    const outFile = join(root, 'answer.wav');
    const result = await assistant({ text: 'Save it right here, please.' }, { chatModel, speechModel, outFile });
    expect(result.audioPath).toBe(outFile);
    expect((await loadAudio(outFile)).durationSeconds).toBeCloseTo(result.audioSeconds, 6);
    expect((await readdir(root)).filter((name) => name.includes('.partial'))).toEqual([]);
  });
});
