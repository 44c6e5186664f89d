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

/** The whole file at once, from all the samples. */
export async function encodeWithFfmpeg(
  samples: Float32Array,
  sampleRate: number,
  format: CompressedAudioFormat,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of encodeStreamWithFfmpeg(once(samples), sampleRate, format, signal)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* once(samples: Float32Array): AsyncGenerator<Float32Array> {
  yield samples;
}

/**
 * The file as it is encoded, while the samples still arrive (speech sentence by sentence): each
 * piece goes to ffmpeg's stdin as it comes (waiting when the pipe is full), the encoded bytes are
 * yielded as ffmpeg writes them. A failure of the pieces is the error thrown (ffmpeg is killed);
 * ending the iteration early or aborting kills ffmpeg too.
 */
export async function* encodeStreamWithFfmpeg(
  pieces: AsyncIterable<Float32Array>,
  sampleRate: number,
  format: CompressedAudioFormat,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
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
  const child = spawn(ffmpegPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 2000) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => reject(encodingFailed(format, error.message, error)));
    child.on('close', resolve);
  });
  exited.catch(() => {});
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  child.stdin.on('error', () => {});
  let stopped = false;
  const writing = (async () => {
    try {
      for await (const piece of pieces) {
        // The reader went away: ask the pieces for no more (their source stops too).
        if (stopped) break;
        if (!child.stdin.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength))) {
          await new Promise((resolve) => child.stdin.once('drain', resolve).once('close', resolve));
        }
      }
      child.stdin.end();
    } catch (error) {
      kill();
      throw error;
    }
  })();
  writing.catch(() => {});
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    await writing;
    const code = await exited;
    signal?.throwIfAborted();
    if (code !== 0) throw encodingFailed(format, stderr.trim().split('\n')[0] || `exit ${code}`);
  } finally {
    stopped = true;
    signal?.removeEventListener('abort', kill);
    if (child.exitCode === null) kill();
  }
}

function encodingFailed(format: CompressedAudioFormat, reason: string, cause?: unknown): MmkitError {
  return new MmkitError(`cannot encode ${format.toUpperCase()} with ffmpeg (${reason})`, {
    code: 'audio_encoding_failed',
    type: 'runtime_error',
    cause,
  });
}
