import { type ErrorType, MmkitError } from '../../errors.ts';

export type AudioErrorCode =
  | 'audio_not_found'
  | 'audio_unreadable'
  | 'audio_unsupported'
  | 'audio_truncated'
  | 'audio_empty'
  | 'audio_too_long'
  | 'audio_silent'
  | 'ffmpeg_unavailable';

const TYPES: Partial<Record<AudioErrorCode, ErrorType>> = {
  audio_not_found: 'not_found_error',
  audio_unsupported: 'unsupported_error',
  ffmpeg_unavailable: 'runtime_error',
};

/** A one-line `name: reason` error for a bad audio input. */
export function audioError(name: string, reason: string, code: AudioErrorCode, cause?: unknown): MmkitError {
  return new MmkitError(`${name}: ${reason}`, { code, param: name, type: TYPES[code], cause });
}
