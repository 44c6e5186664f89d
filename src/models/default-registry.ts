/**
 * The registry the CLI and the server use: every provider mmkit ships, with the onnx provider
 * resolving repo ids through the Hub cache (pulling on first use unless `MMKIT_OFFLINE=1`).
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { MmkitConfig } from './config.ts';
import { type DtypeChoice, type PullProgress, resolveModelFolder } from './hub/index.ts';
import { createOnnxProvider, type FolderResolver } from './providers/onnx/provider.ts';
import { createOpenAiProvider } from './providers/openai/provider.ts';
import { type ModelEntry, type ModelProvider, ModelRegistry } from './registry.ts';

export interface DefaultRegistryOptions {
  config?: MmkitConfig;
  /** Reports download progress when a model is pulled on first use. */
  onPullProgress?: (progress: PullProgress) => void;
  /** ONNX Runtime session options every onnx model starts from (its entry's settings win). */
  sessionDefaults?: InferenceSession.SessionOptions;
}

export function createDefaultRegistry(options: DefaultRegistryOptions = {}): ModelRegistry {
  const resolveFolder: FolderResolver = (idOrPath, resolveOptions) =>
    resolveModelFolder(idOrPath, {
      ...(resolveOptions.dtype === undefined ? {} : { dtype: resolveOptions.dtype as DtypeChoice }),
      ...(resolveOptions.signal ? { signal: resolveOptions.signal } : {}),
      ...(options.onPullProgress ? { onProgress: options.onPullProgress } : {}),
    });
  return new ModelRegistry({
    ...(options.config ? { config: options.config } : {}),
    providers: [
      createOnnxProvider({
        resolveFolder,
        ...(options.sessionDefaults ? { sessionDefaults: options.sessionDefaults } : {}),
      }),
      openAiProvider(),
      espeakProvider(),
      tesseractProvider(),
    ],
  });
}

/** `openai:MODEL@BASE_URL`: connection settings from the entry, the rest are model options. */
function openAiProvider(): ModelProvider {
  const split = (entry: ModelEntry) => {
    const { baseURL, apiKey, headers, timeoutMs, dtype: _dtype, device: _device, ...modelOptions } = entry.options;
    const provider = createOpenAiProvider({
      ...(typeof baseURL === 'string' ? { baseURL } : {}),
      ...(typeof apiKey === 'string' ? { apiKey } : {}),
      ...(headers ? { headers: headers as Record<string, string> } : {}),
      ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}),
    });
    return { provider, modelOptions: { ...modelOptions, id: entry.id } };
  };
  return {
    name: 'openai',
    models: {
      chat: async (entry) => {
        const { provider, modelOptions } = split(entry);
        return provider.chatModel(entry.model, modelOptions);
      },
      visionChat: async (entry) => {
        const { provider, modelOptions } = split(entry);
        return provider.chatModel(entry.model, modelOptions);
      },
      transcription: async (entry) => {
        const { provider, modelOptions } = split(entry);
        return provider.transcriptionModel(entry.model, modelOptions);
      },
      speech: async (entry) => {
        const { provider, modelOptions } = split(entry);
        return provider.speechModel(entry.model, modelOptions);
      },
      imageGeneration: async (entry) => {
        const { provider, modelOptions } = split(entry);
        return provider.imageGenerationModel(entry.model, modelOptions);
      },
      embeddings: async (entry) => {
        const { provider, modelOptions } = split(entry);
        return provider.embeddingModel(entry.model, modelOptions);
      },
    },
  };
}

/** `espeak:cmn`: the offline voice; the language of each run is picked from the text. */
function espeakProvider(): ModelProvider {
  return {
    name: 'espeak',
    models: {
      speech: async () => {
        const { EspeakSpeechModel } = await import('./providers/espeak/espeak-speech-model.ts');
        return new EspeakSpeechModel();
      },
    },
  };
}

/** `tesseract:eng+chi_sim`: OCR languages joined with `+`, as tesseract names them. */
function tesseractProvider(): ModelProvider {
  return {
    name: 'tesseract',
    models: {
      ocr: async (entry) => {
        const { TesseractTextRecognitionModel } = await import(
          './providers/tesseract/tesseract-text-recognition-model.ts'
        );
        const languages = entry.model.split('+').filter((language) => language.length > 0);
        return new TesseractTextRecognitionModel(languages.length > 0 ? { languages } : {});
      },
    },
  };
}
