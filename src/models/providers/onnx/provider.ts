/**
 * The onnx provider for the registry: resolves an entry's model (a Hub repo id or a folder) to a
 * local folder, then loads it. Model classes are imported on first use, so commands that never load
 * a model do not pay for Transformers.js. `resolveFolder` is where the Hub client plugs in
 * (`resolveModelFolder` from `src/models/hub/`); the default accepts local folders only.
 */

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { MmkitError } from '../../../errors.ts';
import { looksLikePath } from '../../model-id.ts';
import type { ModelEntry, ModelProvider } from '../../registry.ts';
import { isTemplateVariableName } from '../../template-variables.ts';
import type { OnnxCtcModelOptions } from './ctc-model.ts';
import { type DtypeSetting, readModelFolder } from './model-folder.ts';
import { parsePoolingModes } from './sentence-pooling.ts';
import { sessionOptionsFor } from './session-options.ts';

export type FolderResolver = (
  idOrPath: string,
  options: { dtype?: DtypeSetting; signal?: AbortSignal },
) => Promise<string>;

/** Local folders only: a repo id is an error that says how to get the files. */
export const localFolderResolver: FolderResolver = async (idOrPath) => {
  const path = resolve(idOrPath);
  if (looksLikePath(idOrPath) || (await stat(path).catch(() => undefined))?.isDirectory()) return path;
  throw new MmkitError(
    `model ${idOrPath} is not a local folder and is not downloaded; pull it first (mmkit models pull ${idOrPath}) or give a folder in Hugging Face layout`,
    { code: 'model_not_downloaded', param: 'model', type: 'not_found_error' },
  );
};

export interface OnnxProviderOptions {
  resolveFolder?: FolderResolver;
  /** Session options every model starts from; an entry's own settings win over them. */
  sessionDefaults?: InferenceSession.SessionOptions;
}

/** `adapter` (a PEFT folder) and `adapterMode` entry options, for chat models. */
function adapterOptions(entry: ModelEntry) {
  const { adapter, adapterMode } = entry.options;
  if (adapter === undefined) return {};
  if (typeof adapter !== 'string' || adapter === '') {
    throw new MmkitError(`${entry.id}: adapter must be the path of a PEFT adapter folder`, {
      code: 'adapter_invalid',
      param: 'adapter',
    });
  }
  return {
    adapter: resolve(adapter),
    ...(adapterMode === 'merge' || adapterMode === 'side-path' ? { adapterMode } : {}),
    onWarning: (message: string) => process.stderr.write(`mmkit: warning: ${message}\n`),
  };
}

/** Adapters change a chat model's decoder; other models have none to change. */
function refuseAdapter(entry: ModelEntry, capability: string): void {
  if (entry.options.adapter === undefined) return;
  throw new MmkitError(`${entry.id}: LoRA adapters apply to chat models, not to ${capability} models`, {
    code: 'adapter_unsupported',
    param: 'adapter',
    type: 'unsupported_error',
  });
}

/** A model entry's `templateVariables`: an object of template variable names. */
function templateVariablesOf(entry: ModelEntry): { templateVariables?: Record<string, unknown> } {
  const value = entry.options.templateVariables;
  if (value === undefined) return {};
  const names = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : undefined;
  if (!names || !names.every(isTemplateVariableName)) {
    throw new MmkitError(
      `${entry.id}: templateVariables must be an object of chat template variables, e.g. {"enable_thinking": false}`,
      {
        code: 'template_variables_invalid',
        param: 'templateVariables',
      },
    );
  }
  return { templateVariables: value as Record<string, unknown> };
}

function modelLoadOptions(entry: ModelEntry, sessionOptions: InferenceSession.SessionOptions) {
  const { dtype, device } = entry.options;
  if (device !== undefined && device !== 'cpu' && device !== 'cuda') {
    throw new MmkitError(`${entry.id}: device must be cpu or cuda`, { code: 'device_unknown', param: 'device' });
  }
  return {
    id: entry.id,
    ...(dtype === undefined ? {} : { dtype }),
    ...(device === undefined ? {} : { device }),
    sessionOptions,
  };
}

export function createOnnxProvider(options: OnnxProviderOptions = {}): ModelProvider {
  const resolveFolder = options.resolveFolder ?? localFolderResolver;
  const sessionOptions = (entry: ModelEntry) => ({
    ...options.sessionDefaults,
    ...sessionOptionsFor(entry.options, entry.id),
  });
  const loadOptions = (entry: ModelEntry) => modelLoadOptions(entry, sessionOptions(entry));
  const loadCtc = async (entry: ModelEntry, folder: string) => {
    const { OnnxCtcModel } = await import('./ctc-model.ts');
    const { dtype } = entry.options;
    return OnnxCtcModel.load(folder, {
      id: entry.id,
      sessionOptions: sessionOptions(entry),
      ...(typeof dtype === 'string' ? { dtype: dtype as OnnxCtcModelOptions['dtype'] } : {}),
    });
  };
  const folderOf = (entry: ModelEntry, signal: AbortSignal | undefined) =>
    resolveFolder(entry.model, {
      ...(entry.options.dtype === undefined ? {} : { dtype: entry.options.dtype }),
      ...(signal ? { signal } : {}),
    });
  return {
    name: 'onnx',
    acceptsAdapters: true,
    models: {
      chat: async (entry, context) => {
        const { OnnxChatModel } = await import('./onnx-chat-model.ts');
        return OnnxChatModel.load(await folderOf(entry, context.signal), {
          ...loadOptions(entry),
          ...adapterOptions(entry),
          ...templateVariablesOf(entry),
        });
      },
      visionChat: async (entry, context) => {
        const { OnnxChatModel } = await import('./onnx-chat-model.ts');
        const model = await OnnxChatModel.load(await folderOf(entry, context.signal), {
          ...loadOptions(entry),
          ...adapterOptions(entry),
          ...templateVariablesOf(entry),
        });
        if (!model.acceptsImages) {
          await model.dispose();
          throw new MmkitError(
            `${entry.id} reads text only; questions about images need an image-text-to-text model (e.g. HuggingFaceTB/SmolVLM-256M-Instruct)`,
            { code: 'images_not_supported', param: 'model', type: 'unsupported_error' },
          );
        }
        return model;
      },
      ctc: async (entry, context) => {
        refuseAdapter(entry, 'ctc');
        return loadCtc(entry, await folderOf(entry, context.signal));
      },
      imageGeneration: async (entry, context) => {
        refuseAdapter(entry, 'imageGeneration');
        const { OnnxImageGenerationModel } = await import('./diffusion/onnx-image-generation-model.ts');
        const { dtype, scheduler, vaeSlicing } = entry.options;
        return OnnxImageGenerationModel.load(await folderOf(entry, context.signal), {
          name: entry.model,
          ...(dtype === 'fp16' || dtype === 'fp32' ? { dtype } : {}),
          ...(typeof scheduler === 'string' ? { scheduler } : {}),
          ...(typeof vaeSlicing === 'boolean' ? { vaeSlicing } : {}),
          sessionOptions: sessionOptions(entry),
        });
      },
      transcription: async (entry, context) => {
        refuseAdapter(entry, 'transcription');
        const folder = await folderOf(entry, context.signal);
        // Whisper, or a model fine-tuned for CTC (Wav2Vec2ForCTC, HubertForCTC, …) decoded greedily.
        if ((await readModelFolder(folder)).architectures.some((name) => name.endsWith('ForCTC'))) {
          const { CtcTranscriptionModel } = await import('./ctc-transcription-model.ts');
          return new CtcTranscriptionModel(await loadCtc(entry, folder));
        }
        const { OnnxTranscriptionModel } = await import('./transcription-model.ts');
        return OnnxTranscriptionModel.load(folder, loadOptions(entry));
      },
      speech: async (entry, context) => {
        refuseAdapter(entry, 'speech');
        const { OnnxSpeechModel } = await import('./speech-model.ts');
        return OnnxSpeechModel.load(await folderOf(entry, context.signal), loadOptions(entry));
      },
      embeddings: async (entry, context) => {
        refuseAdapter(entry, 'embeddings');
        const folder = await folderOf(entry, context.signal);
        // CLIP and SigLIP embed text and images into one space; any other encoder is a text embedder.
        const { IMAGE_TEXT_EMBEDDING_TYPES, OnnxEmbeddingModel } = await import('./onnx-embedding-model.ts');
        if (IMAGE_TEXT_EMBEDDING_TYPES.has((await readModelFolder(folder)).modelType)) {
          return OnnxEmbeddingModel.load(folder, loadOptions(entry));
        }
        const { OnnxTextEmbeddingModel } = await import('./text-embedding-model.ts');
        const { pooling } = entry.options;
        return OnnxTextEmbeddingModel.load(folder, {
          ...loadOptions(entry),
          ...(pooling === undefined ? {} : { pooling: parsePoolingModes(pooling, entry.id) }),
        });
      },
    },
  };
}
