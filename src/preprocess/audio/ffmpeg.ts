/**
 * Decoding compressed audio with an ffmpeg subprocess. ffmpeg only demuxes and decodes: it writes
 * 32-bit float WAV at the stream's native rate and channel count to stdout, and we average channels
 * and resample ourselves, so results do not depend on ffmpeg's resampler or version.
 *
 * Binary: `MMKIT_FFMPEG` if set, else the static ffmpeg shipped in the `@ffmpeg-installer/ffmpeg`
 * npm package. Bytes go through stdin, except MP4/M4A, whose index may sit at the end of the file and
 * needs a seekable input: those go through a private temporary file that is always removed.
 * The child is killed on abort; nothing is left running.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audioError } from './errors.ts';
import { type AudioContainer, FFMPEG_DEMUXER } from './sniff.ts';
import { decodeWav, type WavAudio } from './wav.ts';

export interface FfmpegDecodeOptions {
  name: string;
  container: AudioContainer;
  /** Decode at most this much (plus a margin) so an over-long input is detected without decoding it all. */
  maxSeconds?: number;
  signal?: AbortSignal;
}

export type FfmpegInput = { path: string } | { bytes: Uint8Array };

const STDERR_LIMIT = 4096;

export function ffmpegPath(): string {
  const override = process.env.MMKIT_FFMPEG;
  if (override) return override;
  try {
    const require = createRequire(import.meta.url);
    return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (error) {
    throw audioError(
      'ffmpeg',
      'no ffmpeg binary for this platform (install @ffmpeg-installer/ffmpeg or set MMKIT_FFMPEG)',
      'ffmpeg_unavailable',
      error,
    );
  }
}

export async function decodeWithFfmpeg(input: FfmpegInput, options: FfmpegDecodeOptions): Promise<WavAudio> {
  const { name, signal } = options;
  signal?.throwIfAborted();
  let temporaryDirectory: string | undefined;
  try {
    let source: string;
    let stdinBytes: Uint8Array | undefined;
    if ('path' in input) {
      source = `file:${input.path}`;
    } else if (options.container === 'mp4') {
      temporaryDirectory = await mkdtemp(join(tmpdir(), 'mmkit-audio-'));
      const file = join(temporaryDirectory, 'input.m4a');
      await writeFile(file, input.bytes, { mode: 0o600, signal });
      source = `file:${file}`;
    } else {
      source = 'pipe:0';
      stdinBytes = input.bytes;
    }
    const output = await runFfmpeg(buildArguments(source, options), stdinBytes, options);
    if (output.length === 0) throw audioError(name, 'contains no audio', 'audio_empty');
    const decoded = decodeWav(output, name);
    if (decoded === null) throw audioError(name, 'ffmpeg produced unexpected output', 'audio_unreadable');
    return decoded;
  } finally {
    if (temporaryDirectory) await rm(temporaryDirectory, { recursive: true, force: true });
  }
}

function buildArguments(source: string, options: FfmpegDecodeOptions): string[] {
  const demuxer = FFMPEG_DEMUXER[options.container];
  const args = ['-hide_banner', '-loglevel', 'error'];
  if (source !== 'pipe:0') args.push('-nostdin');
  if (demuxer) args.push('-f', demuxer);
  args.push('-i', source, '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1');
  if (options.maxSeconds !== undefined) args.push('-t', String(options.maxSeconds + 1));
  args.push('-c:a', 'pcm_f32le', '-f', 'wav', 'pipe:1');
  return args;
}

function runFfmpeg(
  args: string[],
  stdinBytes: Uint8Array | undefined,
  options: FfmpegDecodeOptions,
): Promise<Uint8Array> {
  const { name, signal } = options;
  const binary = ffmpegPath();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: [stdinBytes ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    let spawnError: Error | undefined;
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      spawnError = error;
    });
    if (stdinBytes && child.stdin) {
      // ffmpeg may stop reading early (bad data): a broken pipe is expected then, its exit status tells the story.
      child.stdin.on('error', () => {});
      child.stdin.end(stdinBytes);
    }
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (spawnError) {
        return reject(
          audioError(name, `cannot run ffmpeg at ${binary} (${spawnError.message})`, 'ffmpeg_unavailable', spawnError),
        );
      }
      const message = summariseStderr(stderr);
      if (code !== 0) {
        if (/matches no streams/.test(stderr)) return reject(audioError(name, 'contains no audio', 'audio_empty'));
        return reject(
          audioError(name, `not a readable audio file (ffmpeg: ${message || `exit ${code}`})`, 'audio_unreadable'),
        );
      }
      // At log level "error" a clean decode prints nothing: anything here means damaged or cut-off data.
      if (message)
        return reject(audioError(name, `corrupt or truncated audio (ffmpeg: ${message})`, 'audio_truncated'));
      resolve(Buffer.concat(chunks));
    });
  });
}

/** ffmpeg's first two error lines without the `[codec @ 0x…]` prefixes and pipe names. */
function summariseStderr(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) =>
      line
        .replace(/^\[[^\]]*\]\s*/, '')
        .replace(/^(pipe:0|file:[^:]*): /, '')
        .trim(),
    )
    .filter((line) => line.length > 0)
    .slice(0, 2)
    .join('; ')
    .slice(0, 200);
}
