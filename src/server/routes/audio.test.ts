import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { synthesizeCtcSpeech } from '../../../testkit/ctc-speech.ts';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../testkit/openai-server.ts';
import { synthesizeWhisperSpeech, WHISPER_SAMPLE_RATE } from '../../../testkit/whisper-speech.ts';
import { encodeWav } from '../../media/wav.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { readWavFormat, wavToMono } from '../../preprocess/audio/wav.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

/** Two seconds of a 440 Hz tone at 22.05 kHz: the server must resample it to 16 kHz. */
function toneWav(seconds = 2, sampleRate = 22_050): Buffer {
  const samples = new Float32Array(seconds * sampleRate);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / sampleRate);
  return encodeWav(samples, sampleRate);
}

describe('POST /v1/audio/transcriptions and /v1/audio/speech', () => {
  let upstream: OpenAiTestServer;
  let test: TestServer;
  let client: OpenAI;

  let ctcFolder: string;

  beforeAll(async () => {
    upstream = await startOpenAiTestServer({ transcript: 'one two three four' });
    ctcFolder = await mkdtemp(join(tmpdir(), 'mmkit-audio-ctc-'));
    await buildTinyModel('wav2vec2-ctc', ctcFolder);
    test = await startTestServer({
      extraModels: { whisper: `openai:whisper-1@${upstream.baseURL}`, 'tiny-ctc': { id: ctcFolder } },
      extraDefaults: { transcription: 'whisper' },
      limits: { maxAudioSeconds: 5 },
    });
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await test?.close();
    await upstream?.close();
    await rm(ctcFolder, { recursive: true, force: true });
  });

  it('transcribes through the TranscriptionModel: json, text, verbose_json with words', async () => {
    const file = () => toFile(toneWav(), 'clip.mp3', { type: 'audio/mpeg' });
    const json = await client.audio.transcriptions.create({ model: 'whisper', file: await file(), language: 'en' });
    expect(json.text).toBe('one two three four');
    // The model got 16 kHz samples: 2 s of audio, as the upstream measured from the WAV it received.
    const verbose = await client.audio.transcriptions.create({
      model: 'whisper',
      file: await file(),
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(verbose.duration).toBeCloseTo(2, 2);
    expect(verbose.words?.map((word) => word.word)).toEqual(['one', 'two', 'three', 'four']);
    expect(verbose.segments?.length).toBe(2);
    const text = await client.audio.transcriptions.create({
      model: 'whisper',
      file: await file(),
      response_format: 'text',
    });
    expect(String(text).trim()).toBe('one two three four');
  });

  it('transcribes with a CTC model too, words timed from its frames', async () => {
    const speech = synthesizeCtcSpeech('turn left now');
    const verbose = await client.audio.transcriptions.create({
      model: 'tiny-ctc',
      file: await toFile(encodeWav(speech.audio, 16000), 'speech.wav', { type: 'audio/wav' }),
      language: 'en',
      response_format: 'verbose_json',
      timestamp_granularities: ['word'],
    });
    expect(verbose.text).toBe('TURN LEFT NOW');
    expect(verbose.words?.map((word) => word.word)).toEqual(['TURN', 'LEFT', 'NOW']);
    for (const [index, word] of (verbose.words ?? []).entries()) {
      expect(word.start).toBeCloseTo(speech.words[index]!.startSeconds, 2);
      expect(word.end).toBeCloseTo(speech.words[index]!.endSeconds, 2);
    }
  });

  it('translates to English at /v1/audio/translations; a CTC model cannot and says so', async () => {
    const whisper = await startTestServer({ withImageAndSpeech: true });
    try {
      const wav = encodeWav(synthesizeWhisperSpeech(['five', 'six']), WHISPER_SAMPLE_RATE);
      const form = (path: string) => {
        const body = new FormData();
        body.set('file', new Blob([wav], { type: 'audio/wav' }), 'speech.wav');
        body.set('model', 'tiny-whisper');
        body.set('language', 'zh');
        return fetch(`${whisper.url}${path}`, { method: 'POST', body }).then((response) => response.json());
      };
      // The tiny Whisper hears Chinese numbers: transcribed in Chinese, translated to English.
      expect(await form('/v1/audio/transcriptions')).toEqual({ text: '五六' });
      expect(await form('/v1/audio/translations')).toEqual({ text: 'five six' });
      const viaSdk = new OpenAI({ baseURL: whisper.baseURL, apiKey: 'unused', maxRetries: 0 });
      const translated = await viaSdk.audio.translations.create({
        model: 'tiny-whisper',
        file: await toFile(wav, 'speech.wav', { type: 'audio/wav' }),
        response_format: 'verbose_json',
      });
      expect(translated).toMatchObject({ text: 'five six', task: 'translate' });
    } finally {
      await whisper.close();
    }
    const speech = synthesizeCtcSpeech('turn left');
    await expect(
      client.audio.translations.create({
        model: 'tiny-ctc',
        file: await toFile(encodeWav(speech.audio, 16000), 'speech.wav', { type: 'audio/wav' }),
      }),
    ).rejects.toMatchObject({ status: 400, code: 'translation_unsupported' });
  });

  it('answers digital silence with an empty transcript, as OpenAI does', async () => {
    const calls = upstream.requests.length;
    const silence = await client.audio.transcriptions.create({
      model: 'whisper',
      file: await toFile(encodeWav(new Float32Array(16000), 16000), 'silence.wav', { type: 'audio/wav' }),
      response_format: 'verbose_json',
    });
    expect(silence).toMatchObject({ text: '', segments: [], duration: 1 });
    // No model was asked to hear nothing.
    expect(upstream.requests.length).toBe(calls);
  });

  it('writes srt and vtt cues from the segments', async () => {
    const form = (format: string) => {
      const body = new FormData();
      body.set('file', new Blob([toneWav()]), 'a.wav');
      body.set('model', 'whisper');
      body.set('response_format', format);
      return body;
    };
    const srt = await (
      await fetch(`${test.baseURL}/audio/transcriptions`, { method: 'POST', body: form('srt') })
    ).text();
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:01,000\none two\n\n2\n00:00:01,000 --> 00:00:02,000\nthree four\n');
    const vtt = await fetch(`${test.baseURL}/audio/transcriptions`, { method: 'POST', body: form('vtt') });
    expect(vtt.headers.get('content-type')).toMatch(/^text\/vtt/);
    expect(await vtt.text()).toMatch(/^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.000\none two\n/);
  });

  it('refuses audio over the duration limit and content that is not audio', async () => {
    const file = await toFile(toneWav(6), 'long.wav');
    await expect(client.audio.transcriptions.create({ model: 'whisper', file })).rejects.toMatchObject({
      status: 400,
      code: 'audio_too_long',
    });
    const text = await toFile(Buffer.from('just some text, named like audio'), 'speech.wav', { type: 'audio/wav' });
    await expect(client.audio.transcriptions.create({ model: 'whisper', file: text })).rejects.toMatchObject({
      status: 415,
    });
  });

  it('speaks with the offline voice: a WAV stream, or raw 16-bit PCM at the rate it announces', async () => {
    const response = await client.audio.speech.create({
      model: 'espeak:en',
      voice: 'alloy',
      input: 'Hello from the server.',
      response_format: 'wav',
    });
    const wav = Buffer.from(await response.arrayBuffer());
    const format = readWavFormat(wav, 'speech.wav');
    expect(format).not.toBeNull();
    const samples = wavToMono(wav, format!);
    expect(samples.length / format!.sampleRate).toBeGreaterThan(0.5);
    expect(Math.max(...samples.map(Math.abs))).toBeGreaterThan(0.05);

    const pcm = await fetch(`${test.baseURL}/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'espeak:en',
        input: 'Hello from the server.',
        voice: 'en',
        response_format: 'pcm',
      }),
    });
    const rate = Number(pcm.headers.get('x-sample-rate'));
    expect(pcm.headers.get('content-type')).toBe(`audio/pcm;rate=${rate}`);
    const bytes = Buffer.from(await pcm.arrayBuffer());
    expect(bytes.length % 2).toBe(0);
    expect(bytes.length / 2 / rate).toBeGreaterThan(0.5);
  });

  it('speaks MP3, Opus, AAC and FLAC (ffmpeg): the same speech as the WAV, decoded back', async () => {
    const input = 'Hello from the server, in every format.';
    const speak = async (format: 'wav' | 'mp3' | 'opus' | 'aac' | 'flac') => {
      const response = await client.audio.speech.create({
        model: 'espeak:en',
        voice: 'alloy',
        input,
        response_format: format,
      });
      return { type: response.headers.get('content-type'), bytes: new Uint8Array(await response.arrayBuffer()) };
    };
    const wav = await loadAudio((await speak('wav')).bytes, { sampleRate: 16_000 });
    // No response_format: MP3, as OpenAI answers.
    const byDefault = await client.audio.speech.create({ model: 'espeak:en', voice: 'alloy', input });
    expect(byDefault.headers.get('content-type')).toBe('audio/mpeg');
    const expected = { mp3: 'audio/mpeg', opus: 'audio/ogg; codecs=opus', aac: 'audio/aac', flac: 'audio/flac' };
    for (const [format, type] of Object.entries(expected) as [keyof typeof expected, string][]) {
      const answer = await speak(format);
      expect(answer.type, format).toBe(type);
      const decoded = await loadAudio(answer.bytes, { sampleRate: 16_000 });
      expect(decoded.container, format).toBe(format === 'opus' ? 'ogg' : format === 'aac' ? 'aac' : format);
      // Encoders pad the start and end a little; the speech itself is the same length.
      expect(Math.abs(decoded.durationSeconds - wav.durationSeconds), format).toBeLessThan(0.1);
      const energy = (samples: Float32Array) =>
        Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / samples.length);
      expect(energy(decoded.samples) / energy(wav.samples), format).toBeGreaterThan(0.8);
      expect(energy(decoded.samples) / energy(wav.samples), format).toBeLessThan(1.25);
    }
  });

  it('refuses overlong input, unknown voices and unknown formats', async () => {
    const speak = (body: Record<string, unknown>) =>
      client.audio.speech.create({ model: 'espeak:en', voice: 'alloy', input: 'hi', ...body } as never);
    await expect(speak({ input: 'a'.repeat(4097) })).rejects.toMatchObject({ status: 400, code: 'input_too_long' });
    await expect(speak({ voice: 'no-such-voice' })).rejects.toMatchObject({ status: 400, code: 'voice_unknown' });
    await expect(speak({ response_format: 'wma' })).rejects.toMatchObject({ status: 400, param: 'response_format' });
  });
});
