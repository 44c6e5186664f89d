/** The OpenAI-compatible provider: any engine speaking OpenAI's HTTP API behind the spec interfaces. */
export { OpenAiRateLimitError } from './api-error.ts';
export { OpenAiChatModel } from './chat-model.ts';
export { OpenAiEmbeddingModel } from './embedding-model.ts';
export { OpenAiImageGenerationModel } from './image-generation-model.ts';
export { formatOpenAiModelId, OPENAI_ID_PREFIX, type OpenAiModelId, parseOpenAiModelId } from './model-id.ts';
export {
  DEFAULT_OPENAI_BASE_URL,
  OPENAI_VOICES,
  type OpenAiChatOptions,
  type OpenAiEmbeddingOptions,
  type OpenAiImageGenerationOptions,
  type OpenAiProviderSettings,
  type OpenAiSpeechOptions,
  type OpenAiTranscriptionOptions,
} from './options.ts';
export { createOpenAiProvider, type OpenAiProvider } from './provider.ts';
export { OpenAiSpeechModel } from './speech-model.ts';
export { OpenAiTranscriptionModel } from './transcription-model.ts';
