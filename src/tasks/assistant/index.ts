/** The voice assistant: speech or text in, a spoken answer out, sentence by sentence while it is written. */
export type { AssistantEvent, AssistantOptions, AssistantResult, AssistantTimings } from './assistant.ts';
export { assistant, DEFAULT_ASSISTANT_OUT_DIR } from './assistant.ts';
export type { AssistantInput, AssistantInputType } from './assistant-input.ts';
export { DEFAULT_MAX_AUDIO_SECONDS } from './listen.ts';
export { timestampedWavName } from './output-file.ts';
export type { SentenceChunkerOptions } from './sentence-chunker.ts';
export { SentenceChunker } from './sentence-chunker.ts';
export { speakableText } from './speakable-text.ts';
