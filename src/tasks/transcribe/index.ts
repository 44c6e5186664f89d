/** Speech to text: the `transcribe` task, its output formats, and the long-audio windowing it uses. */
export { formatTranscript, languageName, TRANSCRIPT_FORMATS, type TranscriptFormat } from './formats.ts';
export { type MergedTranscript, mergeWindowTranscripts, type WindowTranscript } from './merge.ts';
export {
  DEFAULT_MAX_SECONDS,
  type TranscribeOptions,
  type TranscribeResult,
  type TranscribeSegment,
  type TranscribeTask,
  transcribe,
} from './transcribe.ts';
export { type AudioWindow, planWindows, type WindowOptions } from './windows.ts';
