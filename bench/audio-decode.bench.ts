/**
 * Audio decoding: 30 s of 44.1 kHz stereo 16-bit WAV → mono 16 kHz (our WAV parser + polyphase
 * resampler) against the same work in Python (wave + numpy decode, torchaudio resample, one thread),
 * for the same filter in each setting. The anchor needs python3 with torch and torchaudio; without
 * them the suite says so and reports no ratio.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudio } from '../src/preprocess/audio/load.ts';
import { resample } from '../src/preprocess/audio/resample.ts';
import { encodeWav } from '../src/preprocess/audio/test-support/encode-wav.ts';
import { decodeWav } from '../src/preprocess/audio/wav.ts';
import { type BenchmarkRow, medianMs } from './report.ts';

const SECONDS = 30;
const RATE = 44100;
const RUNS = 7;

/** 30 s of real speech at 44.1 kHz stereo: the LibriVox fixture upsampled and repeated. */
function makeWav(): Uint8Array {
  const fixture = fileURLToPath(new URL('../src/preprocess/audio/fixtures/speech-0880.wav', import.meta.url));
  const speech = resample(decodeWav(readFileSync(fixture), fixture)!.samples, 16000, RATE);
  const left = new Float32Array(SECONDS * RATE);
  for (let i = 0; i < left.length; i++) left[i] = 0.9 * speech[i % speech.length];
  const right = left.map((value) => value * 0.5);
  return encodeWav([left, right], { sampleRate: RATE, encoding: 'pcm', bits: 16 });
}

function pythonAnchor(path: string): { best_ms: number; fast_ms: number } | string {
  const script = fileURLToPath(new URL('./audio-decode.anchor.py', import.meta.url));
  const candidates = [process.env.MMKIT_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[];
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', 'import torch, torchaudio'], { stdio: 'ignore' });
    } catch {
      continue;
    }
    const output = execFileSync(python, [script, path, '16000', String(RUNS)], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    return JSON.parse(output.trim().split('\n').pop()!);
  }
  return 'python3 with torch + torchaudio not found';
}

export async function run(): Promise<BenchmarkRow[]> {
  const directory = mkdtempSync(join(tmpdir(), 'mmkit-bench-audio-'));
  try {
    const path = join(directory, 'speech-30s-44k-stereo.wav');
    writeFileSync(path, makeWav());
    const oursBest = await medianMs(() => loadAudio(path, { sampleRate: 16000 }), { runs: RUNS });
    const oursFast = await medianMs(() => loadAudio(path, { sampleRate: 16000, quality: 'fast' }), { runs: RUNS });
    const anchor = pythonAnchor(path);
    if (typeof anchor === 'string') {
      process.stdout.write(
        `audio-decode: torchaudio anchor unavailable (${anchor}); ours: ${oursBest.toFixed(1)} ms (best), ${oursFast.toFixed(1)} ms (fast)\n`,
      );
      return [];
    }
    const row = (name: string, ours: number, theirs: number, anchorName: string): BenchmarkRow => ({
      name,
      ours,
      anchor: theirs,
      unit: 'ms',
      anchorName,
      better: 'lower',
    });
    return [
      row(
        'WAV decode + resample 30 s 44.1 kHz stereo → 16 kHz, Kaiser best',
        oursBest,
        anchor.best_ms,
        'torchaudio kaiser_window w64 (1 thread)',
      ),
      row(
        'WAV decode + resample 30 s 44.1 kHz stereo → 16 kHz, torchaudio default filter',
        oursFast,
        anchor.fast_ms,
        'torchaudio default (1 thread)',
      ),
    ];
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
