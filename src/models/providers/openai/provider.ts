/**
 * `createOpenAiProvider(settings)`: one connection (base URL, API key, headers, timeout) to an
 * OpenAI-compatible engine, and a constructor per capability. The registry builds one per model
 * entry, e.g. from `openai:llava@http://host:8000/v1` via `parseOpenAiModelId`.
 */
import { MmkitError } from '../../../errors.ts';
import { OpenAiChatModel } from './chat-model.ts';
import { OpenAiEmbeddingModel } from './embedding-model.ts';
import type { OpenAiConnection } from './http-client.ts';
import { OpenAiImageGenerationModel } from './image-generation-model.ts';
import { formatOpenAiModelId, normalizeBaseURL } from './model-id.ts';
import {
  type OpenAiChatOptions,
  type OpenAiEmbeddingOptions,
  type OpenAiImageGenerationOptions,
  type OpenAiProviderSettings,
  type OpenAiSpeechOptions,
  type OpenAiTranscriptionOptions,
  openAiChatOptionsSchema,
  openAiEmbeddingOptionsSchema,
  openAiImageGenerationOptionsSchema,
  openAiProviderSettingsSchema,
  openAiSpeechOptionsSchema,
  openAiTranscriptionOptionsSchema,
  parseOptions,
} from './options.ts';
import { OpenAiSpeechModel } from './speech-model.ts';
import { OpenAiTranscriptionModel } from './transcription-model.ts';

export interface OpenAiProvider {
  readonly baseURL: string;
  chatModel(model: string, options?: OpenAiChatOptions): OpenAiChatModel;
  transcriptionModel(model: string, options?: OpenAiTranscriptionOptions): OpenAiTranscriptionModel;
  speechModel(model: string, options?: OpenAiSpeechOptions): OpenAiSpeechModel;
  imageGenerationModel(model: string, options?: OpenAiImageGenerationOptions): OpenAiImageGenerationModel;
  embeddingModel(model: string, options?: OpenAiEmbeddingOptions): OpenAiEmbeddingModel;
}

export function createOpenAiProvider(settings: OpenAiProviderSettings = {}): OpenAiProvider {
  const parsed = parseOptions(openAiProviderSettingsSchema, settings, 'openai provider');
  const fail = (reason: string) =>
    new MmkitError(`openai provider: ${reason}`, { code: 'invalid_model_options', param: 'baseURL' });
  const connection: OpenAiConnection = {
    baseURL: normalizeBaseURL(parsed.baseURL, fail),
    apiKey: parsed.apiKey,
    headers: parsed.headers,
    timeoutMs: parsed.timeoutMs,
  };
  const checkName = (model: string) => {
    if (model.trim() === '') throw fail('the model name is empty');
    return model;
  };
  const idOf = (model: string, id: string | undefined) =>
    id ?? formatOpenAiModelId({ model, baseURL: connection.baseURL });
  const entry = (model: string) => formatOpenAiModelId({ model, baseURL: connection.baseURL });
  return {
    baseURL: connection.baseURL,
    chatModel(model, options) {
      const resolved = parseOptions(openAiChatOptionsSchema, options, entry(checkName(model)));
      return new OpenAiChatModel(connection, model, resolved, idOf(model, resolved.id));
    },
    transcriptionModel(model, options) {
      const resolved = parseOptions(openAiTranscriptionOptionsSchema, options, entry(checkName(model)));
      return new OpenAiTranscriptionModel(connection, model, resolved, idOf(model, resolved.id));
    },
    speechModel(model, options) {
      const resolved = parseOptions(openAiSpeechOptionsSchema, options, entry(checkName(model)));
      if (resolved.defaultVoice !== undefined && !resolved.voices.includes(resolved.defaultVoice)) {
        throw fail(`defaultVoice '${resolved.defaultVoice}' is not one of voices (${resolved.voices.join(', ')})`);
      }
      return new OpenAiSpeechModel(connection, model, resolved, idOf(model, resolved.id));
    },
    imageGenerationModel(model, options) {
      const resolved = parseOptions(openAiImageGenerationOptionsSchema, options, entry(checkName(model)));
      return new OpenAiImageGenerationModel(connection, model, resolved, idOf(model, resolved.id));
    },
    embeddingModel(model, options) {
      const resolved = parseOptions(openAiEmbeddingOptionsSchema, options, entry(checkName(model)));
      return new OpenAiEmbeddingModel(connection, model, resolved, idOf(model, resolved.id));
    },
  };
}
