/**
 * The capability interfaces tasks are written against. Interfaces only: providers (onnx, openai,
 * espeak, tesseract) implement them, and nothing here depends on any of them.
 */
export type * from './chat-model.ts';
export type * from './common.ts';
export type * from './ctc-model.ts';
export type * from './embedding-model.ts';
export type * from './image-generation-model.ts';
export type * from './speech-model.ts';
export type * from './text-recognition-model.ts';
export type * from './transcription-model.ts';
