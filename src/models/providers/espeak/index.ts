/** The offline espeak-ng voice (npm WASM build): Mandarin and English picked from the text, no download. */
export type { EspeakSpeechModelOptions, EspeakSpeechRequest } from './espeak-speech-model.ts';
export { EspeakSpeechModel, MAX_SPEED, MIN_SPEED } from './espeak-speech-model.ts';
export type { LanguageRun, RunLanguage } from './text-runs.ts';
export { splitLanguageRuns } from './text-runs.ts';
export { ESPEAK_SAMPLE_RATE, ESPEAK_VOICES } from './voices.ts';
