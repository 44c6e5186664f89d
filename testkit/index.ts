/** Tiny models with fixed, meaningful weights, for tests (yours too), and the fake servers tests run against. */
export { buildTinyModel, supportedTinyArchitectures, tinyModelFiles } from './build.ts';
export type { CtcSegment, CtcSpeech, CtcSpeechOptions, CtcWord } from './ctc-speech.ts';
export { CTC_VOCABULARY, collapseCtcPath, synthesizeCtcSpeech } from './ctc-speech.ts';
export { startOpenAiTestServer } from './openai-server.ts';
export { VITS_CHARACTER_SAMPLES, VITS_SAMPLE_RATE, vitsCharacterFrequency } from './vits.ts';
export { synthesizeWhisperSpeech, WHISPER_SAMPLE_RATE, whisperSpeechSegments } from './whisper-speech.ts';
