import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VITS_CHARACTER_SAMPLES } from '../../../testkit/vits.ts';
import { hearVitsLetters } from '../../../testkit/vits-listen.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { readWavFormat, wavToMono } from '../../preprocess/audio/wav.ts';
import { runCli } from '../test-support/run-cli.ts';

async function readWav(path: string) {
  const bytes = await readFile(path);
  const format = readWavFormat(bytes, path)!;
  return { format, samples: wavToMono(bytes, format) };
}

describe('mmkit say (testkit vits)', () => {
  let root: string;
  let model: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-say-cli-'));
    model = join(root, 'vits');
    expect((await runCli(['testkit', 'build', 'vits', model])).code).toBe(0);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a 16-bit WAV whose letters sound at their tones, 0.1 s each', async () => {
    const out = join(root, 'hello.wav');
    const result = await runCli(['say', 'Hello, world', '--out', out, '--model', model, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ path: out, model: `onnx:${model}`, sampleRate: 16000 });
    expect(report.durationSeconds).toBeCloseTo(1.1, 6);
    const { format, samples } = await readWav(out);
    expect(format).toMatchObject({ encoding: 'pcm', bytesPerSample: 2, channels: 1, sampleRate: 16000 });
    expect(samples.length).toBe(11 * VITS_CHARACTER_SAMPLES);
    expect(hearVitsLetters(samples)).toBe('hello world');
  });

  it('writes FLAC, MP3 and Opus when the file is named so (ffmpeg), the same speech inside', async () => {
    const flac = join(root, 'hello.flac');
    expect((await runCli(['say', 'Hello, world', '--out', flac, '--model', model])).code).toBe(0);
    const lossless = await loadAudio(flac);
    expect(lossless).toMatchObject({ container: 'flac', sampleRate: 16000 });
    // FLAC is lossless: the letters' tones come back exactly where they were.
    expect(hearVitsLetters(lossless.samples)).toBe('hello world');
    for (const [name, container] of [
      ['hello.mp3', 'mp3'],
      ['hello.opus', 'ogg'],
    ] as const) {
      const out = join(root, name);
      expect((await runCli(['say', 'Hello, world', '--out', out, '--model', model])).code, name).toBe(0);
      const decoded = await loadAudio(out, { sampleRate: 16000 });
      expect(decoded.container, name).toBe(container);
      expect(Math.abs(decoded.durationSeconds - 1.1), name).toBeLessThan(0.1);
    }
  });

  it('speaks faster with --speed, keeping the tones', async () => {
    const out = join(root, 'fast.wav');
    const result = await runCli(['say', 'abc', '--out', out, '--model', model, '--speed', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`wrote ${out} (0.15 s, 16000 Hz)\n`);
    const { samples } = await readWav(out);
    expect(samples.length).toBe(1.5 * VITS_CHARACTER_SAMPLES);
    expect(hearVitsLetters(samples, VITS_CHARACTER_SAMPLES / 2)).toBe('abc');
  });

  it('speaks with the offline espeak voice when no model is given', async () => {
    const out = join(root, 'espeak.wav');
    const result = await runCli(['say', '你好，世界。Hello world.', '--out', out, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.model).toMatch(/^espeak:/);
    const { format, samples } = await readWav(out);
    expect(format).toMatchObject({ encoding: 'pcm', bytesPerSample: 2, channels: 1 });
    expect(report.durationSeconds).toBeGreaterThan(1);
    expect(samples.length / format.sampleRate).toBeCloseTo(report.durationSeconds, 3);
    const rms = Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / samples.length);
    expect(rms).toBeGreaterThan(0.01);
  });

  it('fails in one line and writes nothing on bad input', async () => {
    const out = join(root, 'never.wav');
    const cases: [string[], RegExp][] = [
      [['say', '   ', '--out', out, '--model', model], /^mmkit: text is empty/],
      [
        ['say', 'hi', '--out', join(root, 'missing', 'x.wav'), '--model', model],
        /missing: output folder does not exist\n$/,
      ],
      [
        ['say', 'hi', '--out', out, '--model', model, '--voice', 'alice'],
        /voice "alice" is not one .* has; it has: default\n$/,
      ],
      [
        ['say', 'hi', '--out', out, '--model', model, '--speed', '9'],
        /--speed must be a number ≥ 0.25 and ≤ 4, got '9'/,
      ],
      [['say', 'hi', '--model', model], /required option '--out <file.wav>' not specified/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.code).not.toBe(0);
    }
    expect(existsSync(out)).toBe(false);
  });
});
