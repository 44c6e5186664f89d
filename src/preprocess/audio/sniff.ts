/**
 * Audio container detection from magic bytes (never from the file name). 64 bytes are enough.
 */
export type AudioContainer = 'wav' | 'flac' | 'ogg' | 'mp3' | 'aac' | 'webm' | 'mp4' | 'aiff';

export const SNIFF_BYTES = 64;

export function sniffAudioContainer(head: Uint8Array): AudioContainer | null {
  const ascii = (offset: number, text: string) => {
    if (offset + text.length > head.length) return false;
    for (let i = 0; i < text.length; i++) if (head[offset + i] !== text.charCodeAt(i)) return false;
    return true;
  };
  if ((ascii(0, 'RIFF') || ascii(0, 'RF64')) && ascii(8, 'WAVE')) return 'wav';
  if (ascii(0, 'fLaC')) return 'flac';
  if (ascii(0, 'OggS')) return 'ogg';
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  if (ascii(4, 'ftyp')) return 'mp4';
  if (ascii(0, 'FORM') && (ascii(8, 'AIFF') || ascii(8, 'AIFC'))) return 'aiff';
  // An ID3v2 tag precedes MP3 (and occasionally ADTS AAC) streams; ffmpeg probes what follows.
  if (ascii(0, 'ID3')) return 'mp3';
  if (head.length >= 2 && head[0] === 0xff) {
    // ADTS AAC: 12-bit sync, layer bits 00.
    if ((head[1] & 0xf6) === 0xf0) return 'aac';
    // MPEG audio frame: 11-bit sync, a valid version and layer.
    if ((head[1] & 0xe0) === 0xe0 && (head[1] & 0x18) !== 0x08 && (head[1] & 0x06) !== 0) return 'mp3';
  }
  return null;
}

/** ffmpeg demuxer to force for each container; undefined lets ffmpeg probe (MP3/AAC behind ID3 tags). */
export const FFMPEG_DEMUXER: Record<AudioContainer, string | undefined> = {
  wav: 'wav',
  flac: 'flac',
  ogg: 'ogg',
  mp3: undefined,
  aac: undefined,
  webm: 'matroska',
  mp4: 'mov',
  aiff: 'aiff',
};
