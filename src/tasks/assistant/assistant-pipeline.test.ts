import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { EspeakSpeechModel } from '../../models/providers/espeak/espeak-speech-model.ts';
import type { SpeechModel } from '../../models/spec/index.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { ScriptedChatModel, ToneSpeechModel } from '../test-support/fake-models.ts';
import { type AssistantEvent, assistant } from './assistant.ts';

const delay = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

const SCRIPT = [
  'The first sentence is ready now. ',
  'The second sentence ',
  'comes a little later. ',
  'And the third one ends the answer.',
];

/** Records each event with the moment it arrived, and lets a test wait for the n-th audio chunk. */
function eventLog() {
  const events: Array<AssistantEvent & { at: number }> = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  let chunks = 0;
  const onEvent = (event: AssistantEvent) => {
    events.push({ ...event, at: performance.now() });
    if (event.type !== 'audio-chunk') return;
    chunks++;
    for (const waiter of waiting) if (chunks >= waiter.count) waiter.resolve();
  };
  const audioHeard = (count: number) =>
    new Promise<void>((resolve) => {
      if (chunks >= count) resolve();
      else waiting.push({ count, resolve });
    });
  return { events, onEvent, audioHeard, firstAudioHeard: audioHeard(1) };
}

function zeroCrossings(samples: Float32Array): number {
  let count = 0;
  for (let index = 1; index < samples.length; index++) if (samples[index - 1] < 0 !== samples[index] < 0) count++;
  return count;
}

describe('assistant pipelining', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-assistant-pipeline-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('speaks the first sentence while the model is still generating', async () => {
    const log = eventLog();
    // After each finished sentence the model pauses until that sentence's audio has been heard (or
    // 10 s pass): only a pipelined assistant can produce audio then, so the event order proves the overlap.
    const audioBefore: Record<number, number> = { 1: 1, 3: 2 };
    const chatModel = new ScriptedChatModel({
      pieces: SCRIPT,
      beforePiece: async (index) => {
        const count = audioBefore[index];
        if (count !== undefined) await Promise.race([log.audioHeard(count), delay(10_000)]);
        else await delay(5);
      },
    });
    const result = await assistant(
      { text: 'Tell me something in three sentences.' },
      { chatModel, speechModel: new EspeakSpeechModel(), outDir: join(root, 'pipelined'), onEvent: log.onEvent },
    );
    const kinds = log.events.map((event) => (event.type === 'audio-chunk' ? `audio ${event.index}` : event.type));
    expect(kinds).toEqual([
      'text-delta',
      'audio 0',
      'text-delta',
      'text-delta',
      'audio 1',
      'text-delta',
      'audio 2',
      'done',
    ]);
    const firstChunk = log.events.find((event) => event.type === 'audio-chunk')!;
    expect(firstChunk.at).toBeLessThan(chatModel.finishedAt!);
    expect(result.timings.firstAudioMs).toBeLessThan(result.timings.answerMs);
    expect(result.answer).toBe(SCRIPT.join(''));
  });

  it('waits for the whole answer first when not pipelined', async () => {
    const log = eventLog();
    const chatModel = new ScriptedChatModel({ pieces: SCRIPT, beforePiece: () => delay(5) });
    const speechModel = new ToneSpeechModel();
    const result = await assistant(
      { text: 'Tell me something.' },
      { chatModel, speechModel, outDir: join(root, 'whole'), onEvent: log.onEvent, pipelined: false },
    );
    expect(log.events.map((event) => event.type)).toEqual([...SCRIPT.map(() => 'text-delta'), 'audio-chunk', 'done']);
    expect(speechModel.requests.map((request) => request.text)).toEqual([SCRIPT.join('')]);
    expect(result.timings.firstAudioMs).toBeGreaterThanOrEqual(result.timings.answerMs);
  });

  it('joins chunks of different rates at the first chunk’s rate, keeping their pitch', async () => {
    const chatModel = new ScriptedChatModel({
      pieces: ['A tone at sixteen kilohertz. ', 'Then one at twenty-four kilohertz.'],
    });
    const speechModel = new ToneSpeechModel((call) => (call === 0 ? 16000 : 24000));
    const result = await assistant({ text: 'tones' }, { chatModel, speechModel, outDir: join(root, 'rates') });
    const saved = await loadAudio(result.audioPath);
    expect(saved.sampleRate).toBe(16000);
    const firstLength = Math.round('A tone at sixteen kilohertz.'.length * 0.01 * 16000);
    const secondSeconds = 'Then one at twenty-four kilohertz.'.length * 0.01;
    expect(saved.samples.length).toBe(firstLength + Math.round(secondSeconds * 16000));
    // Still 440 Hz after resampling: two zero crossings per period.
    const crossings = zeroCrossings(saved.samples.subarray(firstLength + 200, saved.samples.length - 200));
    const expected = 2 * 440 * (secondSeconds - 400 / 16000);
    expect(Math.abs(crossings - expected)).toBeLessThan(4);
  });

  it('splits a long answer with no sentence ends into short pieces, and does not read markdown', async () => {
    const long = 'and the list goes on '.repeat(100);
    const chatModel = new ScriptedChatModel({
      pieces: ['**Sure!** Here is the list you asked for:\n', '- first item\n', `- ${long}`],
    });
    const speechModel = new ToneSpeechModel();
    const result = await assistant({ text: 'list' }, { chatModel, speechModel, outDir: join(root, 'long') });
    const spoken = speechModel.requests.map((request) => request.text);
    expect(spoken[0]).toBe('Sure! Here is the list you asked for:');
    expect(spoken.join(' ')).toBe(`Sure! Here is the list you asked for: first item ${long.trim()}`);
    expect(spoken.length).toBeGreaterThan(10);
    for (const text of spoken) expect([...text].length).toBeLessThanOrEqual(200);
    expect(result.chunks).toBe(spoken.length);
  });

  it('stops generating when speaking fails, reports that failure and writes nothing', async () => {
    const outDir = join(root, 'voice-fails');
    const failing: SpeechModel = {
      description: { id: 'test:failing', provider: 'test' },
      voices: [],
      synthesize: async () => {
        throw new MmkitError('the voice broke', { code: 'speech_engine_failed', type: 'runtime_error' });
      },
    };
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chatModel = new ScriptedChatModel({
      pieces: SCRIPT,
      beforePiece: async (index) => {
        if (index === 1) await Promise.race([gate, delay(200)]);
      },
    });
    const running = assistant({ text: 'go' }, { chatModel, speechModel: failing, outDir });
    await expect(running).rejects.toThrow('the voice broke');
    release();
    expect(chatModel.finishedAt).toBeUndefined();
    expect(await readdir(outDir)).toEqual([]);
  });

  it('rejects with an AbortError when cancelled mid-answer, and emits nothing after', async () => {
    const outDir = join(root, 'cancelled');
    const controller = new AbortController();
    const log = eventLog();
    const chatModel = new ScriptedChatModel({
      pieces: SCRIPT,
      beforePiece: async (index) => {
        if (index === 1) {
          await log.firstAudioHeard;
          controller.abort();
        }
      },
    });
    const running = assistant(
      { text: 'go' },
      { chatModel, speechModel: new ToneSpeechModel(), outDir, signal: controller.signal, onEvent: log.onEvent },
    );
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    const seen = log.events.length;
    await delay(50);
    expect(log.events.length).toBe(seen);
    expect(log.events.map((event) => event.type)).toEqual(['text-delta', 'audio-chunk']);
    expect(await readdir(outDir)).toEqual([]);
  });
});
