import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelProvider } from '../../models/registry.ts';
import type { SpeechModel, SpeechRequest } from '../../models/spec/index.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

/**
 * A voice that says each sentence as a constant level, 0.1 for the first, 0.2 for the second…, and
 * waits for the test to let each call finish: what reached the client before a sentence was let
 * through shows what is streamed.
 */
function gatedVoice() {
  const calls: string[] = [];
  /** Calls whose request signal aborted (the client went away). */
  const aborted: string[] = [];
  const waiting: (() => void)[] = [];
  let released = 0;
  const size = { samples: 800 };
  const model: SpeechModel = {
    description: { id: 'gated:voice', provider: 'gated' },
    voices: ['plain'],
    async synthesize(request: SpeechRequest) {
      const index = calls.length;
      calls.push(request.text);
      request.signal?.addEventListener('abort', () => aborted.push(request.text), { once: true });
      if (released <= index) await new Promise<void>((resolve) => waiting.push(resolve));
      return {
        samples: new Float32Array(size.samples).fill((index + 1) / 10),
        sampleRate: 8000,
        timings: { totalMs: 1 },
      };
    },
  };
  const provider: ModelProvider = { name: 'gated', models: { speech: async () => model } };
  return {
    provider,
    calls,
    aborted,
    /** Samples per sentence (800 unless a test wants more). */
    size,
    /** Lets the next sentence's call finish. */
    release() {
      released += 1;
      waiting.shift()?.();
    },
    /** Forgets the calls and the calls let through, for the next test. */
    reset() {
      calls.length = 0;
      aborted.length = 0;
      released = 0;
      size.samples = 800;
    },
  };
}

const THREE_SENTENCES = 'The first sentence is here. The second one follows it. And the third ends it.';

describe('POST /v1/audio/speech, sentence by sentence', () => {
  let test: TestServer;
  let voice: ReturnType<typeof gatedVoice>;

  beforeAll(async () => {
    voice = gatedVoice();
    test = await startTestServer({ providers: [voice.provider], extraModels: { gated: 'gated:voice' } });
  });
  afterAll(async () => {
    await test?.close();
  });

  const speech = (body: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${test.baseURL}/audio/speech`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'gated', ...body }),
      ...(signal ? { signal } : {}),
    });

  it('sends each sentence as soon as it is spoken, while the next is still being made (pcm)', async () => {
    voice.reset();
    voice.release();
    const response = await speech({ input: THREE_SENTENCES, response_format: 'pcm' });
    expect(response.headers.get('x-sample-rate')).toBe('8000');
    const reader = response.body!.getReader();
    // The first sentence arrives whole while the second waits in the model.
    let first = new Uint8Array(0);
    while (first.length < 1600) {
      const { value } = await reader.read();
      first = Buffer.concat([first, value!]);
    }
    expect(first.length).toBe(1600);
    expect(voice.calls).toEqual(['The first sentence is here.', 'The second one follows it.']);
    expect(
      new Int16Array(first.buffer, first.byteOffset, 800).every((value) => value === Math.round(0.1 * 32767)),
    ).toBe(true);
    voice.release();
    voice.release();
    const rest: Uint8Array[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest.push(next.value);
    const bytes = Buffer.concat(rest);
    const levels = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(levels.length).toBe(1600);
    expect([levels[0], levels[1599]]).toEqual([Math.round(0.2 * 32767), Math.round(0.3 * 32767)]);
    expect(voice.calls).toHaveLength(3);
  });

  it('streams server-sent events with the official SDK (stream_format sse)', async () => {
    voice.reset();
    for (let index = 0; index < 3; index++) voice.release();
    const client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
    const response = await client.audio.speech.create({
      model: 'gated',
      voice: 'alloy',
      input: THREE_SENTENCES,
      response_format: 'pcm',
      stream_format: 'sse',
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await response.text())
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => JSON.parse(block.slice(6)) as { type: string; audio?: string; usage?: unknown });
    expect(events.at(-1)).toMatchObject({ type: 'speech.audio.done', usage: { total_tokens: 0 } });
    const deltas = events.filter((event) => event.type === 'speech.audio.delta');
    expect(deltas).toHaveLength(3);
    const pcm = Buffer.concat(deltas.map((event) => Buffer.from(event.audio!, 'base64')));
    const levels = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
    expect([levels[0], levels[800], levels[1600]]).toEqual([0.1, 0.2, 0.3].map((level) => Math.round(level * 32767)));
  });

  it('gives the voice back once the text is spoken, though the client has not read the audio yet', async () => {
    voice.reset();
    // 8 MB of PCM a sentence: more than the socket and the client hold unread.
    voice.size.samples = 4_000_000;
    for (let index = 0; index < 6; index++) voice.release();
    const unread = await speech({ input: THREE_SENTENCES, response_format: 'pcm' });
    // One model call at a time: this one is served only if the first answer's lease went back.
    const next = await speech({ input: THREE_SENTENCES, response_format: 'pcm' });
    expect((await next.arrayBuffer()).byteLength).toBe(3 * 8_000_000);
    expect((await unread.arrayBuffer()).byteLength).toBe(3 * 8_000_000);
  });

  it('stops speaking when the client goes away', async () => {
    voice.reset();
    voice.release();
    const controller = new AbortController();
    const response = await speech({ input: THREE_SENTENCES, response_format: 'mp3' }, controller.signal);
    const reader = response.body!.getReader();
    await expect.poll(() => voice.calls.length).toBe(2);
    controller.abort();
    await reader.read().catch(() => undefined);
    // The sentence being spoken is told to stop; let through anyway, nothing asks for the third.
    await expect.poll(() => voice.aborted).toContain('The second one follows it.');
    voice.release();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(voice.calls).toHaveLength(2);
    voice.release();
  });
});
