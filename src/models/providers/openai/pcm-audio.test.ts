import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../../../errors.ts';
import { encodeWav } from '../../../media/wav.ts';
import { decodePcm16, decodeWav } from './pcm-audio.ts';

/** A WAV with any format, channel count and extra chunks, written by hand. */
function wavFile(options: {
  tag: number;
  channels: number;
  sampleRate: number;
  bits: number;
  data: Buffer;
  extraChunk?: Buffer;
  dataSize?: number;
  extensible?: boolean;
}): Buffer {
  const fmtSize = options.extensible ? 40 : 16;
  const fmt = Buffer.alloc(8 + fmtSize);
  fmt.write('fmt ', 0, 'ascii');
  fmt.writeUInt32LE(fmtSize, 4);
  fmt.writeUInt16LE(options.extensible ? 0xfffe : options.tag, 8);
  fmt.writeUInt16LE(options.channels, 10);
  fmt.writeUInt32LE(options.sampleRate, 12);
  const blockAlign = (options.channels * options.bits) / 8;
  fmt.writeUInt32LE(options.sampleRate * blockAlign, 16);
  fmt.writeUInt16LE(blockAlign, 20);
  fmt.writeUInt16LE(options.bits, 22);
  if (options.extensible) {
    fmt.writeUInt16LE(22, 24);
    fmt.writeUInt16LE(options.tag, 32); // Sub-format GUID's first two bytes.
  }
  const dataHeader = Buffer.alloc(8);
  dataHeader.write('data', 0, 'ascii');
  dataHeader.writeUInt32LE(options.dataSize ?? options.data.length, 4);
  const body = Buffer.concat([
    Buffer.from('WAVE'),
    fmt,
    options.extraChunk ?? Buffer.alloc(0),
    dataHeader,
    options.data,
  ]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe('decodeWav', () => {
  it('reads back what encodeWav wrote (16-bit mono)', () => {
    const samples = new Float32Array([0, 0.5, -0.5, 0.25, -1]);
    const decoded = decodeWav(encodeWav(samples, 22050), 'speech');
    expect(decoded.sampleRate).toBe(22050);
    expect(Array.from(decoded.samples)).toEqual([0, 16384 / 32768, -0.5, 8192 / 32768, -1]);
  });

  it('downmixes stereo float32, skipping a LIST chunk with an odd size', () => {
    const data = Buffer.alloc(4 * 4);
    [0.5, 0.25, -1, 1].forEach((value, index) => {
      data.writeFloatLE(value, index * 4);
    });
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const decoded = decodeWav(
      wavFile({ tag: 3, channels: 2, sampleRate: 48000, bits: 32, data, extraChunk: list }),
      's',
    );
    expect(decoded.sampleRate).toBe(48000);
    expect(Array.from(decoded.samples)).toEqual([0.375, 0]);
  });

  it('reads 24-bit PCM inside WAVE_FORMAT_EXTENSIBLE', () => {
    const data = Buffer.alloc(6);
    data.writeIntLE(4194304, 0, 3); // 0.5
    data.writeIntLE(-8388608, 3, 3); // -1
    const decoded = decodeWav(
      wavFile({ tag: 1, channels: 1, sampleRate: 16000, bits: 24, data, extensible: true }),
      's',
    );
    expect(Array.from(decoded.samples)).toEqual([0.5, -1]);
  });

  it('reads to the end when the data size is unknown (streamed WAV), dropping a cut-off sample', () => {
    const data = Buffer.alloc(5);
    data.writeInt16LE(16384, 0);
    data.writeInt16LE(-16384, 2);
    const decoded = decodeWav(
      wavFile({ tag: 1, channels: 1, sampleRate: 24000, bits: 16, data, dataSize: 0xffffffff }),
      's',
    );
    expect(Array.from(decoded.samples)).toEqual([0.5, -0.5]);
  });

  it('says what came instead of a WAV, in one line', () => {
    const attempt = (bytes: Uint8Array) => {
      try {
        decodeWav(bytes, 'http://host/v1/audio/speech');
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const mp3 = attempt(Buffer.from('ID3\u0004\u0000rest of an mp3'));
    expect(isMmkitError(mp3) && mp3.message).toBe('http://host/v1/audio/speech: expected a WAV file, got MP3 data');
    const adpcm = attempt(wavFile({ tag: 2, channels: 1, sampleRate: 8000, bits: 4, data: Buffer.alloc(4) }));
    expect(isMmkitError(adpcm) && adpcm.message).toContain('unsupported WAV encoding (format 2, 4 bits)');
  });
});

describe('decodePcm16', () => {
  it('reads headerless little-endian 16-bit samples at the given rate', () => {
    const bytes = Buffer.alloc(6);
    bytes.writeInt16LE(-32768, 0);
    bytes.writeInt16LE(8192, 2);
    bytes.writeInt16LE(32767, 4);
    const decoded = decodePcm16(bytes, 24000);
    expect(decoded.sampleRate).toBe(24000);
    expect(Array.from(decoded.samples)).toEqual([-1, 0.25, 32767 / 32768]);
  });
});
