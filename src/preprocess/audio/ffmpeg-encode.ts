/**
 * Compressed audio out of samples, with the same ffmpeg binary that decodes (`ffmpeg.ts`): MP3
 * (LAME), Ogg Opus, AAC in ADTS and FLAC, the formats OpenAI's speech route offers besides WAV and
 * PCM. Mono float samples go in on stdin, the file comes out on stdout; the child is killed on abort.
 */
import { spawn } from 'node:child_process';
import { MmkitError } from '../../errors.ts';
import { ffmpegPath } from './ffmpeg.ts';

export const COMPRESSED_AUDIO_FORMATS = ['mp3', 'opus', 'aac', 'flac'] as const;
export type CompressedAudioFormat = (typeof COMPRESSED_AUDIO_FORMATS)[number];

/** Each format's encoder settings and container; Opus takes 48 kHz (ffmpeg resamples to it). */
const ENCODER_ARGUMENTS: Record<CompressedAudioFormat, string[]> = {
  mp3: ['-c:a', 'libmp3lame', '-q:a', '2', '-f', 'mp3'],
  opus: ['-ar', '48000', '-c:a', 'libopus', '-b:a', '64k', '-f', 'ogg'],
  aac: ['-c:a', 'aac', '-b:a', '128k', '-f', 'adts'],
  flac: ['-c:a', 'flac', '-f', 'flac'],
};

export const AUDIO_MEDIA_TYPES: Record<CompressedAudioFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg; codecs=opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
};

export function encodeWithFfmpeg(
  samples: Float32Array,
  sampleRate: number,
  format: CompressedAudioFormat,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  signal?.throwIfAborted();
  const input = ['-f', 'f32le', '-ar', String(sampleRate), '-ac', '1', '-i', 'pipe:0'];
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    ...input,
    '-map_metadata',
    '-1',
    ...ENCODER_ARGUMENTS[format],
    'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => reject(encodingFailed(format, error.message, error)));
    child.stdin.on('error', () => {});
    child.stdin.end(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (code !== 0) return reject(encodingFailed(format, stderr.trim().split('\n')[0] || `exit ${code}`));
      resolve(Buffer.concat(chunks));
    });
  });
}

function encodingFailed(format: CompressedAudioFormat, reason: string, cause?: unknown): MmkitError {
  return new MmkitError(`cannot encode ${format.toUpperCase()} with ffmpeg (${reason})`, {
    code: 'audio_encoding_failed',
    type: 'runtime_error',
    cause,
  });
}
