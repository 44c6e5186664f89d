import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpeechModel, SpeechRequest } from '../../models/spec/index.ts';
import { readWavFormat, wavToMono } from '../../preprocess/audio/wav.ts';
import { say } from './say.ts';

function fakeModel(samples: Float32Array, fail?: Error) {
  const requests: SpeechRequest[] = [];
  const model: SpeechModel = {
    description: { id: 'fake', provider: 'test' },
    voices: ['a'],
    async synthesize(request) {
      requests.push(request);
      if (fail) throw fail;
      return { samples, sampleRate: 22050, timings: { totalMs: 1 } };
    },
  };
  return { model, requests };
}

describe('say', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'mmkit-say-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('writes the speech as a 16-bit PCM mono WAV and passes the options through', async () => {
    const samples = Float32Array.from([0, 0.5, -0.5, 1, -1]);
    const { model, requests } = fakeModel(samples);
    const outPath = join(folder, 'hello.wav');
    const result = await say({ text: '  hello  ', model, outPath, voice: 'a', speed: 1.5, language: 'en' });
    expect(requests).toEqual([{ text: 'hello', voice: 'a', speed: 1.5, language: 'en' }]);
    expect(result).toMatchObject({ path: outPath, sampleRate: 22050, durationSeconds: 5 / 22050 });
    const bytes = await readFile(outPath);
    const format = readWavFormat(bytes, outPath)!;
    expect(format).toMatchObject({ encoding: 'pcm', sampleRate: 22050, channels: 1, bytesPerSample: 2, frames: 5 });
    expect(Array.from(wavToMono(bytes, format)).map((value) => Math.round(value * 2) / 2)).toEqual([
      0, 0.5, -0.5, 1, -1,
    ]);
  });

  it('refuses empty text and a missing folder before the model runs, and leaves no partial file', async () => {
    const { model, requests } = fakeModel(new Float32Array(10));
    await expect(say({ text: ' \n ', model, outPath: join(folder, 'x.wav') })).rejects.toThrow(/^text is empty/);
    await expect(say({ text: 'hi', model, outPath: join(folder, 'missing', 'x.wav') })).rejects.toThrow(
      /missing: output folder does not exist$/,
    );
    expect(requests).toEqual([]);
    const failing = fakeModel(new Float32Array(10), new Error('boom'));
    await expect(say({ text: 'hi', model: failing.model, outPath: join(folder, 'fail.wav') })).rejects.toThrow('boom');
    expect(existsSync(join(folder, 'fail.wav'))).toBe(false);
    expect((await readdir(folder)).filter((name) => name.includes('partial'))).toEqual([]);
  });
});
