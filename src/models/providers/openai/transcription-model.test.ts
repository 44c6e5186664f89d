import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../../testkit/openai-server.ts';
import { encodeWav } from '../../../media/wav.ts';
import { createOpenAiProvider } from './provider.ts';

let server: OpenAiTestServer;
beforeAll(async () => {
  server = await startOpenAiTestServer({ models: ['whisper-1'], transcript: '今天 天气 很好 真的' });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** 1.5 s of a quiet ramp at 16 kHz: every sample distinct, so a corrupted upload would show. */
const samples = Float32Array.from({ length: 24000 }, (_, index) => ((index % 2000) - 1000) / 4000);

function model(options = {}) {
  return createOpenAiProvider({ baseURL: server.baseURL }).transcriptionModel('whisper-1', options);
}

describe('OpenAiTranscriptionModel', () => {
  it('uploads a 16-bit WAV with the form fields and maps segments, words and language', async () => {
    const result = await model().transcribe({
      samples,
      sampleRate: 16000,
      language: 'zh',
      task: 'transcribe',
      prompt: '天气预报',
      wordTimestamps: true,
    });
    const form = server.requests[0].form;
    expect(server.requests[0].path).toBe('/audio/transcriptions');
    expect(form?.files.file.filename).toBe('audio.wav');
    expect(form?.files.file.contentType).toBe('audio/wav');
    expect(form?.files.file.data.equals(encodeWav(samples, 16000))).toBe(true);
    expect(form?.fields).toEqual({
      model: ['whisper-1'],
      language: ['zh'],
      prompt: ['天气预报'],
      response_format: ['verbose_json'],
      'timestamp_granularities[]': ['segment', 'word'],
    });
    expect(result.text).toBe('今天 天气 很好 真的');
    expect(result.language).toBe('zh'); // The server said "chinese".
    expect(result.durationSeconds).toBeCloseTo(1.5, 10);
    expect(result.segments).toEqual([
      {
        id: 0,
        start: 0,
        end: 0.75,
        text: '今天 天气',
        words: [
          { word: '今天', start: 0, end: 0.375 },
          { word: '天气', start: 0.375, end: 0.75 },
        ],
      },
      {
        id: 1,
        start: 0.75,
        end: 1.5,
        text: '很好 真的',
        words: [
          { word: '很好', start: 0.75, end: 1.125 },
          { word: '真的', start: 1.125, end: 1.5 },
        ],
      },
    ]);
  });

  it('auto language sends none; without word timestamps no words are asked for', async () => {
    const result = await model().transcribe({ samples, sampleRate: 16000, language: 'auto', task: 'transcribe' });
    const fields = server.requests[0].form?.fields;
    expect(fields).not.toHaveProperty('language');
    expect(fields?.['timestamp_granularities[]']).toEqual(['segment']);
    expect(result.segments.every((segment) => segment.words === undefined)).toBe(true);
    expect(result.language).toBe('en');
  });

  it('translate goes to /audio/translations and reports English', async () => {
    const result = await model().transcribe({ samples, sampleRate: 16000, language: 'zh', task: 'translate' });
    expect(server.requests[0].path).toBe('/audio/translations');
    expect(server.requests[0].form?.fields).not.toHaveProperty('language');
    expect(result.text).toBe('(translated) 今天 天气 很好 真的');
    expect(result.language).toBe('en');
  });

  it('with a text-only server, one segment spans the audio', async () => {
    const result = await model({ responseFormat: 'json' }).transcribe({
      samples: samples.subarray(0, 8000),
      sampleRate: 16000,
      language: 'zh',
      task: 'transcribe',
    });
    expect(server.requests[0].form?.fields.response_format).toEqual(['json']);
    expect(result).toMatchObject({
      text: '今天 天气 很好 真的',
      language: 'zh',
      durationSeconds: 0.5,
      segments: [{ id: 0, start: 0, end: 0.5, text: '今天 天气 很好 真的' }],
    });
  });

  it('rejects a bad sample rate before uploading, and relays server errors', async () => {
    await expect(model().transcribe({ samples, sampleRate: 0, language: 'zh', task: 'transcribe' })).rejects.toThrow(
      'transcription: invalid sample rate 0',
    );
    server.failNext({ type: 'status', status: 400, body: { error: { message: 'Audio file is too short' } } });
    await expect(
      model().transcribe({ samples, sampleRate: 16000, language: 'zh', task: 'transcribe' }),
    ).rejects.toThrow('request rejected with 400: Audio file is too short');
  });
});
