import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy } from '../../media/npy.ts';
import { differences, fixturePath, readGolden } from '../../preprocess/audio/test-support/fixtures.ts';
import { runCli } from '../test-support/run-cli.ts';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'mmkit-audio-cli-'));
}

describe('mmkit preprocess audio', () => {
  it('writes float32 [N, 80, 3000] and reports it as JSON', async () => {
    const directory = scratch();
    const out = join(directory, 'mels.npy');
    const files = [fixturePath('speech-0880.wav'), fixturePath('speech-0880.mp3')];
    const result = await runCli(['preprocess', 'audio', ...files, '--out', out, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.shape).toEqual([2, 80, 3000]);
    expect(report.files.map((file: { file: string }) => file.file)).toEqual(files);
    const array = decodeNpy(readFileSync(out));
    expect(array.dtype).toBe('float32');
    expect(array.shape).toEqual([2, 80, 3000]);
    const golden = readGolden('pipeline-speech-0880.wav.npy');
    const frames = golden.shape[1];
    expect(report.files[0].frames).toBe(frames);
    const first = new Float32Array(80 * frames);
    for (let mel = 0; mel < 80; mel++)
      first.set((array.data as Float32Array).subarray(mel * 3000, mel * 3000 + frames), mel * frames);
    expect(differences(first, golden.data).mean).toBeLessThan(0.1);
  });

  it('takes the contract options', async () => {
    const out = join(scratch(), 'small.npy');
    const result = await runCli([
      'preprocess',
      'audio',
      fixturePath('speech-0930.wav'),
      '--sample-rate',
      '8000',
      '--fmax',
      '4000',
      '--n-mels',
      '40',
      '--n-fft',
      '512',
      '--hop',
      '128',
      '--max-frames',
      '50',
      '--no-trim',
      '--top-db',
      '30',
      '--pad-value',
      '-99',
      '--out',
      out,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/wrote float32 \[1, 40, 50\]/);
    expect(decodeNpy(readFileSync(out)).shape).toEqual([1, 40, 50]);
  });

  it('fails on a bad file with one line naming it, and writes nothing', async () => {
    const directory = scratch();
    const bad = join(directory, 'notes.wav');
    writeFileSync(bad, 'this is not audio');
    const out = join(directory, 'out.npy');
    const result = await runCli(['preprocess', 'audio', fixturePath('speech-0880.wav'), bad, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^mmkit: .*notes\.wav/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(directory)).toEqual(['notes.wav']);
  });

  it('refuses bad options in one line', async () => {
    const missingOut = await runCli(['preprocess', 'audio', fixturePath('speech-0880.wav')]);
    expect(missingOut.code).toBe(1);
    expect(missingOut.stderr).toMatch(/^mmkit: --out/);
    const badPad = await runCli([
      'preprocess',
      'audio',
      fixturePath('speech-0880.wav'),
      '--pad-value',
      'loud',
      '--out',
      'x.npy',
    ]);
    expect(badPad.code).not.toBe(0);
    expect(badPad.stderr.trim().split('\n')).toHaveLength(1);
    expect(badPad.stderr).toMatch(/--pad-value/);
    const nyquist = await runCli([
      'preprocess',
      'audio',
      fixturePath('speech-0880.wav'),
      '--fmax',
      '9000',
      '--out',
      join(scratch(), 'y.npy'),
    ]);
    expect(nyquist.code).toBe(1);
    expect(nyquist.stderr).toMatch(/fmax/);
  });
});
