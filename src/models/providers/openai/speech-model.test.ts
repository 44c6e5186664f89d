import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../../testkit/openai-server.ts';
import { SPEECH_SAMPLE_RATE } from '../../../../testkit/openai-server-answers.ts';
import { createOpenAiProvider } from './provider.ts';

let server: OpenAiTestServer;
beforeAll(async () => {
  server = await startOpenAiTestServer({ models: ['tts-1'] });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

function model(options = {}) {
  return createOpenAiProvider({ baseURL: server.baseURL }).speechModel('tts-1', options);
}

/** The server speaks a 0.5-amplitude tone: 440 Hz for alloy, 220 Hz otherwise. */
function expectTone(samples: Float32Array, frequency: number): void {
  for (const index of [0, 13, 101, samples.length - 1]) {
    const expected = 0.5 * Math.sin((2 * Math.PI * frequency * index) / SPEECH_SAMPLE_RATE);
    expect(Math.abs(samples[index] - expected)).toBeLessThan(1 / 16000);
  }
}

describe('OpenAiSpeechModel', () => {
  it('asks for WAV and decodes it into samples at the WAV sample rate', async () => {
    const speech = model();
    expect(speech.voices).toContain('alloy');
    const result = await speech.synthesize({ text: '你好，世界' });
    expect(server.requests[0].json).toEqual({
      model: 'tts-1',
      input: '你好，世界',
      voice: 'alloy',
      response_format: 'wav',
    });
    expect(result.sampleRate).toBe(24000);
    expect(result.samples.length).toBe(5 * 240); // 10 ms per character.
    expectTone(result.samples, 440);
    expect(result.timings.totalMs).toBeGreaterThan(0);
  });

  it('asks for PCM, decodes it at the configured rate, and passes voice and speed', async () => {
    const result = await model({ responseFormat: 'pcm', voices: ['nova', 'echo'], defaultVoice: 'echo' }).synthesize({
      text: 'hello',
      voice: 'nova',
      speed: 2,
    });
    expect(server.requests[0].json).toMatchObject({ voice: 'nova', speed: 2, response_format: 'pcm' });
    expect(result.sampleRate).toBe(24000);
    expect(result.samples.length).toBe(600);
    expectTone(result.samples, 220);
    await model({ responseFormat: 'pcm', voices: ['nova', 'echo'], defaultVoice: 'echo' }).synthesize({ text: 'x' });
    expect(server.requests[1].json?.voice).toBe('echo');
  });

  it('refuses an unknown voice and empty text before any request', async () => {
    await expect(model({ voices: ['nova'] }).synthesize({ text: 'hi', voice: 'alloy' })).rejects.toThrow(
      "speech: unknown voice 'alloy' for 'tts-1' (voices: nova)",
    );
    await expect(model().synthesize({ text: '  ' })).rejects.toThrow('speech: the text is empty');
    expect(server.requests).toHaveLength(0);
    expect(() => model({ voices: ['nova'], defaultVoice: 'alloy' })).toThrow(
      "defaultVoice 'alloy' is not one of voices",
    );
  });

  it('says so when the server ignores response_format and sends MP3', async () => {
    server.failNext({
      type: 'reply',
      contentType: 'audio/mpeg',
      body: Buffer.from('ID3\u0004\u0000\u0000 mp3 frames'),
    });
    await expect(model().synthesize({ text: 'hi' })).rejects.toThrow(
      `${server.baseURL}/audio/speech: expected a WAV file, got MP3 data`,
    );
  });
});
