/**
 * Writes WAV bytes in any layout the parser must read (tests and benchmarks only). Samples are
 * per channel, in [-1, 1); integer encodings round and clip like common writers.
 */
export interface WavEncoding {
  sampleRate: number;
  encoding: 'pcm' | 'float';
  /** 8, 16, 24 or 32 for PCM; 32 or 64 for float. */
  bits: number;
  /** Write WAVE_FORMAT_EXTENSIBLE instead of the plain format tag. */
  extensible?: boolean;
  /** Extra chunk before `data` (e.g. LIST) with an odd size, to exercise chunk skipping and padding. */
  extraChunk?: boolean;
}

export function encodeWav(channels: Float32Array[], options: WavEncoding): Uint8Array {
  const channelCount = channels.length;
  const frames = channels[0]?.length ?? 0;
  const bytesPerSample = options.bits / 8;
  const blockAlign = bytesPerSample * channelCount;
  const formatSize = options.extensible ? 40 : 16;
  const extra = options.extraChunk ? 8 + 5 + 1 : 0;
  const dataSize = frames * blockAlign;
  const total = 12 + 8 + formatSize + extra + 8 + dataSize;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const writeId = (offset: number, id: string) => {
    for (let i = 0; i < 4; i++) bytes[offset + i] = id.charCodeAt(i);
  };
  writeId(0, 'RIFF');
  view.setUint32(4, total - 8, true);
  writeId(8, 'WAVE');
  writeId(12, 'fmt ');
  view.setUint32(16, formatSize, true);
  const tag = options.encoding === 'pcm' ? 1 : 3;
  view.setUint16(20, options.extensible ? 0xfffe : tag, true);
  view.setUint16(22, channelCount, true);
  view.setUint32(24, options.sampleRate, true);
  view.setUint32(28, options.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, options.bits, true);
  if (options.extensible) {
    view.setUint16(36, 22, true);
    view.setUint16(38, options.bits, true);
    view.setUint32(40, 0, true);
    // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: the tag followed by a fixed GUID tail.
    view.setUint16(44, tag, true);
    bytes.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 46);
  }
  let offset = 20 + formatSize;
  if (options.extraChunk) {
    writeId(offset, 'LIST');
    view.setUint32(offset + 4, 5, true);
    bytes.set([1, 2, 3, 4, 5], offset + 8);
    offset += 14;
  }
  writeId(offset, 'data');
  view.setUint32(offset + 4, dataSize, true);
  offset += 8;
  for (let frame = 0; frame < frames; frame++) {
    for (let channel = 0; channel < channelCount; channel++) {
      writeSample(view, offset, channels[channel][frame], options);
      offset += bytesPerSample;
    }
  }
  return bytes;
}

function writeSample(view: DataView, offset: number, value: number, options: WavEncoding): void {
  if (options.encoding === 'float') {
    if (options.bits === 32) view.setFloat32(offset, value, true);
    else view.setFloat64(offset, value, true);
    return;
  }
  const full = 2 ** (options.bits - 1);
  const integer = Math.max(-full, Math.min(full - 1, Math.round(value * full)));
  if (options.bits === 8) view.setUint8(offset, integer + 128);
  else if (options.bits === 16) view.setInt16(offset, integer, true);
  else if (options.bits === 32) view.setInt32(offset, integer, true);
  else {
    view.setUint8(offset, integer & 0xff);
    view.setUint8(offset + 1, (integer >> 8) & 0xff);
    view.setUint8(offset + 2, (integer >> 16) & 0xff);
  }
}
