/**
 * Speech servers answer with a WAV file or headerless PCM; both become mono float samples. The WAV
 * reader walks RIFF chunks (servers put `LIST` chunks before `data`), takes integer PCM of 8–32
 * bits and float PCM, downmixes channels, and tolerates the streaming trick of a data size of 0 or
 * 0xFFFFFFFF (unknown length: read to the end).
 */
import { MmkitError } from '../../../errors.ts';

export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

export function decodeWav(bytes: Uint8Array, source: string): DecodedAudio {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (reason: string) =>
    new MmkitError(`${source}: ${reason}`, { code: 'provider_bad_response', type: 'runtime_error', status: 502 });
  if (view.length < 12 || view.toString('ascii', 0, 4) !== 'RIFF' || view.toString('ascii', 8, 12) !== 'WAVE') {
    throw fail(`expected a WAV file, got ${describeBytes(view)}`);
  }
  let format: { tag: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  let offset = 12;
  while (offset + 8 <= view.length) {
    const chunkId = view.toString('ascii', offset, offset + 4);
    const declaredSize = view.readUInt32LE(offset + 4);
    const bodyStart = offset + 8;
    if (chunkId === 'fmt ') {
      if (declaredSize < 16 || bodyStart + 16 > view.length) throw fail('WAV format chunk is truncated');
      let tag = view.readUInt16LE(bodyStart);
      // WAVE_FORMAT_EXTENSIBLE keeps the real format in the first two bytes of its sub-format GUID.
      if (tag === FORMAT_EXTENSIBLE && declaredSize >= 40) tag = view.readUInt16LE(bodyStart + 24);
      format = {
        tag,
        channels: view.readUInt16LE(bodyStart + 2),
        sampleRate: view.readUInt32LE(bodyStart + 4),
        bitsPerSample: view.readUInt16LE(bodyStart + 14),
      };
    } else if (chunkId === 'data') {
      if (!format) throw fail('WAV data comes before its format chunk');
      const unknownLength = declaredSize === 0 || declaredSize === 0xffffffff;
      const end = unknownLength ? view.length : Math.min(view.length, bodyStart + declaredSize);
      return { samples: pcmToMono(view.subarray(bodyStart, end), format, fail), sampleRate: format.sampleRate };
    }
    offset = bodyStart + declaredSize + (declaredSize % 2); // Chunks are padded to even sizes.
  }
  throw fail('WAV file has no data chunk');
}

/** Headerless signed 16-bit little-endian mono, OpenAI's `pcm` response format. */
export function decodePcm16(bytes: Uint8Array, sampleRate: number): DecodedAudio {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = new Float32Array(Math.floor(view.length / 2));
  for (let index = 0; index < samples.length; index++) samples[index] = view.readInt16LE(index * 2) / 32768;
  return { samples, sampleRate };
}

function pcmToMono(
  data: Buffer,
  format: { tag: number; channels: number; sampleRate: number; bitsPerSample: number },
  fail: (reason: string) => MmkitError,
): Float32Array {
  const { tag, channels, bitsPerSample, sampleRate } = format;
  if (channels < 1 || sampleRate < 1) throw fail(`WAV declares ${channels} channels at ${sampleRate} Hz`);
  const read = sampleReader(tag, bitsPerSample);
  if (!read) throw fail(`unsupported WAV encoding (format ${tag}, ${bitsPerSample} bits)`);
  const bytesPerSample = bitsPerSample / 8;
  const frameBytes = bytesPerSample * channels;
  const frames = Math.floor(data.length / frameBytes); // A cut-off last frame is dropped.
  const samples = new Float32Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++)
      sum += read(data, frame * frameBytes + channel * bytesPerSample);
    samples[frame] = sum / channels;
  }
  return samples;
}

function sampleReader(tag: number, bits: number): ((data: Buffer, offset: number) => number) | undefined {
  if (tag === FORMAT_PCM) {
    if (bits === 8) return (data, offset) => (data[offset] - 128) / 128;
    if (bits === 16) return (data, offset) => data.readInt16LE(offset) / 32768;
    if (bits === 24) return (data, offset) => data.readIntLE(offset, 3) / 8388608;
    if (bits === 32) return (data, offset) => data.readInt32LE(offset) / 2147483648;
  }
  if (tag === FORMAT_FLOAT) {
    if (bits === 32) return (data, offset) => data.readFloatLE(offset);
    if (bits === 64) return (data, offset) => data.readDoubleLE(offset);
  }
  return undefined;
}

/** What the bytes look like instead, for the error message (an MP3 from a server ignoring the format). */
function describeBytes(view: Buffer): string {
  if (view.length === 0) return 'an empty body';
  if (view.toString('ascii', 0, 3) === 'ID3' || (view[0] === 0xff && (view[1] & 0xe0) === 0xe0)) return 'MP3 data';
  if (view.toString('ascii', 0, 4) === 'OggS') return 'Ogg data';
  if (view.toString('ascii', 0, 4) === 'fLaC') return 'FLAC data';
  if (view[0] === 0x7b) return 'JSON';
  return `${view.length} bytes of something else`;
}
