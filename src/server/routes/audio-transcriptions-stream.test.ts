import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../media/wav.ts';
import type { ModelProvider } from '../../models/registry.ts';
import type { TranscriptionModel } from '../../models/spec/index.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

const SLOT_SECONDS = 5;

/** 16 kHz: a 440 Hz tone whose amplitude steps up every 5 s (0.10, 0.11, …), so each slot has its own word. */
function steppedTone(seconds: number): Float32Array {
  const samples = new Float32Array(seconds * 16_000);
  for (let i = 0; i < samples.length; i++) {
    const slot = Math.floor(i / (SLOT_SECONDS * 16_000));
    samples[i] = ((10 + slot) / 100) * Math.sin((2 * Math.PI * 440 * i) / 16_000);
  }
  return samples;
}

/** The words `steppedTone` speaks: `a10 a11 …`, one per slot. */
function wordsOf(seconds: number): string {
  return Array.from({ length: seconds / SLOT_SECONDS }, (_, slot) => `a${10 + slot}`).join(' ');
}

/**
 * A transcription model that hears one word per 5 s slot (its loudness), after `delayMs`; it
 * counts its calls and the calls whose signal aborted.
 */
function loudnessProvider(delayMs: number) {
  const probe = { calls: 0, aborted: 0 };
  const model: TranscriptionModel = {
    description: { id: 'loudness:slots', provider: 'loudness' },
    async transcribe(request) {
      probe.calls += 1;
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          probe.aborted += 1;
          reject(request.signal?.reason);
        };
        const timer = setTimeout(() => {
          request.signal?.removeEventListener('abort', onAbort);
          resolve();
        }, delayMs);
        request.signal?.addEventListener('abort', onAbort, { once: true });
      });
      const slotSamples = SLOT_SECONDS * request.sampleRate;
      const segments = [];
      for (let start = 0; start < request.samples.length; start += slotSamples) {
        const peak = request.samples.subarray(start, start + slotSamples).reduce((a, b) => Math.max(a, Math.abs(b)), 0);
        const seconds = start / request.sampleRate;
        segments.push({
          id: segments.length,
          start: seconds,
          end: seconds + SLOT_SECONDS,
          text: `a${Math.round(peak * 100)}`,
        });
      }
      return {
        text: segments.map((segment) => segment.text).join(' '),
        language: 'en',
        durationSeconds: request.samples.length / request.sampleRate,
        segments,
        timings: { totalMs: delayMs },
      };
    },
  };
  const provider: ModelProvider = { name: 'loudness', models: { transcription: async () => model } };
  return { provider, probe };
}

describe('POST /v1/audio/transcriptions with stream=true', () => {
  let test: TestServer;
  let client: OpenAI;
  const { provider, probe } = loudnessProvider(150);
  const wav = encodeWav(steppedTone(70), 16_000);

  beforeAll(async () => {
    test = await startTestServer({ providers: [provider], extraModels: { ears: 'loudness:slots' } });
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('sends a text delta per 30 s window, then the whole text, to the official SDK', async () => {
    const stream = await client.audio.transcriptions.create({
      model: 'ears',
      file: await toFile(wav, 'long.wav', { type: 'audio/wav' }),
      stream: true,
    });
    const events = [];
    for await (const event of stream) events.push(event);
    const deltas = events.filter((event) => event.type === 'transcript.text.delta');
    // Windows 0–30, 20–50 and 40–70 s: words up to 20 s, then 40 s, then the rest.
    expect(deltas.map((event) => event.delta)).toEqual([
      'a10 a11 a12 a13',
      ' a14 a15 a16 a17',
      ' a18 a19 a20 a21 a22 a23',
    ]);
    expect(events.at(-1)).toEqual({ type: 'transcript.text.done', text: wordsOf(70) });
    expect(events).toHaveLength(4);
    // The same text as the answer without streaming.
    const whole = await client.audio.transcriptions.create({
      model: 'ears',
      file: await toFile(wav, 'long.wav', { type: 'audio/wav' }),
    });
    expect(whole.text).toBe(wordsOf(70));
  });

  it('stops transcribing when the client disconnects', async () => {
    const before = { ...probe };
    const stream = await client.audio.transcriptions.create({
      model: 'ears',
      file: await toFile(wav, 'long.wav', { type: 'audio/wav' }),
      stream: true,
    });
    for await (const event of stream) {
      expect(event.type).toBe('transcript.text.delta');
      break; // leaving the loop aborts the request
    }
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Window 1 was running when the client left: it saw its signal, and window 2 never started.
    expect(probe.calls - before.calls).toBe(2);
    expect(probe.aborted - before.aborted).toBe(1);
    // The server still answers.
    expect((await fetch(`${test.url}/health`)).status).toBe(200);
  });

  it('refuses stream with a format that is not text, and a stream value that is not a boolean', async () => {
    for (const [field, value, format] of [
      ['stream', 'true', 'srt'],
      ['stream', 'yes', 'json'],
    ] as const) {
      const body = new FormData();
      body.set('file', new Blob([wav]), 'a.wav');
      body.set('model', 'ears');
      body.set('response_format', format);
      body.set(field, value);
      const response = await fetch(`${test.baseURL}/audio/transcriptions`, { method: 'POST', body });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { param: string } }).error.param).toBe('stream');
    }
  });
});
