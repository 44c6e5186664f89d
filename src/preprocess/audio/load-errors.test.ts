import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isMmkitError } from '../../errors.ts';
import { loadAudio } from './load.ts';
import { encodeWav } from './test-support/encode-wav.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixtureBytes = (name: string) => readFileSync(join(fixtures, name));
const scratch = mkdtempSync(join(tmpdir(), 'mmkit-load-errors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Resolves to the MmkitError `promise` rejects with (fails if it resolves or throws anything else). */
async function failure(promise: Promise<unknown>): Promise<{ message: string; code: string }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isMmkitError(error)) throw new Error(`expected an MmkitError, got ${String(error)}`);
  return { message: error.message, code: error.code };
}

function writeScratch(name: string, bytes: Uint8Array): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

describe('loadAudio: bad input is a one-line MmkitError naming the file', () => {
  it('missing file, directory, zero-byte file', async () => {
    expect(await failure(loadAudio(join(scratch, 'missing.wav')))).toMatchObject({
      message: expect.stringMatching(/missing.wav: no such file$/),
      code: 'audio_not_found',
    });
    mkdirSync(join(scratch, 'folder.wav'));
    expect((await failure(loadAudio(join(scratch, 'folder.wav')))).message).toMatch(/folder.wav: not a regular file/);
    const empty = writeScratch('empty.mp3', new Uint8Array(0));
    expect(await failure(loadAudio(empty))).toMatchObject({
      message: `${empty}: file is empty (0 bytes)`,
      code: 'audio_empty',
    });
    expect((await failure(loadAudio(new Uint8Array(0), { name: 'upload' }))).message).toBe(
      'upload: file is empty (0 bytes)',
    );
  });

  it('garbage and non-audio files are unsupported', async () => {
    const garbage = writeScratch(
      'noise.wav',
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251),
    );
    expect(await failure(loadAudio(garbage))).toMatchObject({
      message: expect.stringMatching(/noise.wav: not a recognised audio format \(supported: WAV, MP3/),
      code: 'audio_unsupported',
    });
    const text = new TextEncoder().encode('hello, this is not audio');
    expect((await failure(loadAudio(text, { name: 'note.txt' }))).code).toBe('audio_unsupported');
  });

  it('truncated WAV, FLAC, WebM and M4A', async () => {
    const cut = (name: string, fraction: number) => {
      const bytes = fixtureBytes(name);
      return writeScratch(`cut-${name}`, bytes.subarray(0, Math.floor(bytes.length * fraction)));
    };
    expect(await failure(loadAudio(cut('speech-0880.wav', 0.5)))).toMatchObject({
      message: expect.stringMatching(/cut-speech-0880.wav: truncated WAV file/),
      code: 'audio_truncated',
    });
    expect((await failure(loadAudio(cut('speech-0880.wav', 0.0003)))).message).toMatch(/truncated or malformed WAV/);
    expect(await failure(loadAudio(cut('speech-0880.flac', 0.6)))).toMatchObject({
      message: expect.stringMatching(/cut-speech-0880.flac: corrupt or truncated audio \(ffmpeg: /),
      code: 'audio_truncated',
    });
    expect((await failure(loadAudio(cut('speech-0880.webm', 0.6)))).code).toBe('audio_truncated');
    expect(await failure(loadAudio(cut('speech-0880.m4a', 0.6)))).toMatchObject({
      message: expect.stringMatching(/cut-speech-0880.m4a: not a readable audio file \(ffmpeg: moov atom not found/),
      code: 'audio_unreadable',
    });
  });

  it('a valid container with no audio in it', async () => {
    const silentHeader = encodeWav([new Float32Array(0)], { sampleRate: 16000, encoding: 'pcm', bits: 16 });
    expect(await failure(loadAudio(silentHeader, { name: 'zero.wav' }))).toEqual({
      message: 'zero.wav: contains no audio',
      code: 'audio_empty',
    });
    expect(await failure(loadAudio(join(fixtures, 'no-audio.webm'), { name: 'video.webm' }))).toEqual({
      message: 'video.webm: contains no audio',
      code: 'audio_empty',
    });
    const flacHeaderOnly = fixtureBytes('speech-0880.flac').subarray(0, 42);
    const error = await failure(loadAudio(flacHeaderOnly, { name: 'header.flac' }));
    expect(error.message).toMatch(/^header.flac: /);
  });

  it('audio longer than maxSeconds (WAV before decoding; compressed formats through ffmpeg)', async () => {
    expect(await failure(loadAudio(join(fixtures, 'speech-0880.wav'), { maxSeconds: 2 }))).toMatchObject({
      message: expect.stringMatching(/speech-0880.wav: audio is 3.0 s long, over the limit of 2 s/),
      code: 'audio_too_long',
    });
    expect((await failure(loadAudio(join(fixtures, 'speech-0880.mp3'), { maxSeconds: 1.5 }))).code).toBe(
      'audio_too_long',
    );
    expect((await loadAudio(join(fixtures, 'speech-0880.mp3'), { maxSeconds: 3.5 })).durationSeconds).toBeCloseTo(2.99);
  });

  it('WAV encodings we do not parse ourselves fall back to ffmpeg (µ-law)', async () => {
    const bytes = encodeWav([new Float32Array(6)], { sampleRate: 8000, encoding: 'pcm', bits: 8 });
    const view = new DataView(bytes.buffer);
    view.setUint16(20, 7, true);
    bytes.set([0xff, 0x80, 0x00, 0xff, 0x80, 0x00], bytes.length - 6);
    const audio = await loadAudio(bytes, { name: 'mulaw.wav' });
    expect(audio.samples.length).toBe(6);
    expect(audio.samples[0]).toBe(0);
    expect(audio.samples[1]).toBeCloseTo(32124 / 32768, 3);
    expect(audio.samples[2]).toBeCloseTo(-32124 / 32768, 3);
  });
});

describe('loadAudio: ffmpeg process and temporary files', () => {
  const saved = { ffmpeg: process.env.MMKIT_FFMPEG, tmp: process.env.TMPDIR };
  afterEach(() => {
    process.env.MMKIT_FFMPEG = saved.ffmpeg;
    if (saved.ffmpeg === undefined) delete process.env.MMKIT_FFMPEG;
    process.env.TMPDIR = saved.tmp;
    if (saved.tmp === undefined) delete process.env.TMPDIR;
  });

  it('abort kills ffmpeg and removes the temporary copy of an M4A', async () => {
    // A stand-in ffmpeg that records its pid and hangs.
    const pidFile = join(scratch, 'ffmpeg.pid');
    const fake = join(scratch, 'hanging-ffmpeg');
    writeFileSync(fake, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`);
    chmodSync(fake, 0o755);
    process.env.MMKIT_FFMPEG = fake;
    const privateTemp = mkdtempSync(join(scratch, 'tmp-'));
    process.env.TMPDIR = privateTemp;
    const controller = new AbortController();
    const pending = loadAudio(fixtureBytes('speech-0880.m4a'), { signal: controller.signal });
    const pid = await waitForPid(pidFile);
    expect(readdirSync(privateTemp)).toHaveLength(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(processExists(pid)).toBe(false);
    expect(readdirSync(privateTemp)).toEqual([]);
  });

  it('an already-aborted signal starts nothing', async () => {
    await expect(loadAudio(fixtureBytes('speech-0880.mp3'), { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('a missing ffmpeg binary is a clear error', async () => {
    process.env.MMKIT_FFMPEG = join(scratch, 'no-such-ffmpeg');
    expect(await failure(loadAudio(fixtureBytes('speech-0880.mp3'), { name: 'a.mp3' }))).toMatchObject({
      message: expect.stringMatching(/^a.mp3: cannot run ffmpeg at .*no-such-ffmpeg/),
      code: 'ffmpeg_unavailable',
    });
  });
});

async function waitForPid(pidFile: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) return pid;
    } catch {
      // Not written yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the stand-in ffmpeg never started');
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
