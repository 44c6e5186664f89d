/** Forced alignment of a transcript to speech: the task, and the CTC Viterbi it is built on. */
export type { AlignOptions, AlignResult } from './align.ts';
export { align, DEFAULT_ALIGN_MAX_SECONDS, DEFAULT_ALIGN_SAMPLE_RATE } from './align.ts';
export type { EmissionMatrix, ViterbiOptions, ViterbiPath } from './ctc-viterbi.ts';
export { DEFAULT_MAX_TRELLIS_BYTES, minimumFrames, trellisBytes, viterbiAlign } from './ctc-viterbi.ts';
export type { AlignedCharacter, AlignedSpans, AlignedWord } from './spans.ts';
export type { PreparedTranscript, TranscriptCharacter } from './transcript.ts';
export { prepareTranscript } from './transcript.ts';
