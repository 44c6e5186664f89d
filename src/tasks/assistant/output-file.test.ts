import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { timestampedWavName, writeNewWav, writeWavAt } from './output-file.ts';

describe('answer audio files', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-output-file-'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names a file by local time to the millisecond plus random hex', () => {
    expect(timestampedWavName(new Date(2026, 0, 5, 7, 8, 9, 45), '00ff00ff')).toBe('20260105-070809-045_00ff00ff.wav');
    const names = new Set(Array.from({ length: 50 }, () => timestampedWavName(new Date(2026, 0, 5))));
    expect(names.size).toBe(50);
  });

  it('gives answers written in the same millisecond different files, each whole', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(2026, 10, 25, 12, 34, 56, 789));
    const folder = join(root, 'burst');
    await mkdir(folder);
    const samples = Float32Array.from({ length: 1600 }, (_, index) => Math.sin(index / 5) / 2);
    const paths = await Promise.all(Array.from({ length: 20 }, () => writeNewWav(folder, samples, 16000)));
    expect(new Set(paths).size).toBe(20);
    expect((await readdir(folder)).sort()).toEqual(paths.map((path) => basename(path)).sort());
    for (const path of paths) {
      expect(basename(path)).toMatch(/^20261125-123456-789_[0-9a-f]{8}\.wav$/);
      expect((await loadAudio(path)).samples.length).toBe(1600);
    }
  });

  it('replaces an explicit file atomically, leaving no temporary file', async () => {
    const path = join(root, 'explicit.wav');
    await writeWavAt(path, new Float32Array(160), 16000);
    await writeWavAt(path, new Float32Array(320), 16000);
    expect((await readFile(path)).length).toBe(44 + 640);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});
