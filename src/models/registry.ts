/**
 * The model registry: turns `--model ID` (or nothing) into a loaded model for a capability.
 * Ids name a provider (`onnx:`, `openai:`, …; bare ids are `onnx:`); providers register a factory
 * per capability they serve. Which model serves a capability by default comes from the config file,
 * else from `DEFAULT_MODELS`; options per entry (dtype, device, baseURL, apiKey, …) from the config.
 */
import { MmkitError } from '../errors.ts';
import { CAPABILITIES, type Capability, type MmkitConfig, type ModelEntryInput } from './config.ts';
import { DEFAULT_MODELS } from './default-models.ts';
import { type ModelReference, parseModelId } from './model-id.ts';
import type {
  ChatModel,
  CtcModel,
  EmbeddingModel,
  ImageGenerationModel,
  SpeechModel,
  TextRecognitionModel,
  TranscriptionModel,
} from './spec/index.ts';

export interface CapabilityModels {
  chat: ChatModel;
  visionChat: ChatModel;
  transcription: TranscriptionModel;
  speech: SpeechModel;
  imageGeneration: ImageGenerationModel;
  embeddings: EmbeddingModel;
  ctc: CtcModel;
  ocr: TextRecognitionModel;
}

/** Options a model entry may carry; providers read what they understand. */
export interface ModelEntryOptions {
  dtype?: string | Readonly<Record<string, string>>;
  device?: 'cpu' | 'cuda';
  baseURL?: string;
  apiKey?: string;
  [option: string]: unknown;
}

/** A resolved entry: which provider, which model, with which options. */
export interface ModelEntry extends ModelReference {
  options: ModelEntryOptions;
  /** Where it came from: `--model`, `config models.NAME`, `config defaults.chat`, `built-in default`, `config adapters.NAME`. */
  source: string;
  /** A LoRA adapter from the config's `adapters`, loaded on top of the base model (`options.adapter`). */
  adapter?: { name: string; path: string };
}

/**
 * Options for one load, chosen by the caller (command-line flags such as `--adapter`, `--scheduler`):
 * they go on top of the entry's options from the config, for this load only.
 */
export interface LoadOptions {
  /** ONNX weights variant: `fp32`, `fp16`, `q8`, `q4`, … */
  dtype?: string;
  /** A LoRA adapter (PEFT folder) applied to a chat model at load. */
  adapter?: string;
  /** The Stable Diffusion scheduler: `euler`, `ddim`, `pndm`, … */
  scheduler?: string;
  /** Decode generated images one at a time. */
  vaeSlicing?: boolean;
}

export interface LoadContext {
  signal?: AbortSignal;
  options?: LoadOptions;
}

export type ModelFactory<C extends Capability> = (
  entry: ModelEntry,
  context: LoadContext,
) => Promise<CapabilityModels[C]>;

export interface ModelProvider {
  name: string;
  models: { [C in Capability]?: ModelFactory<C> };
  /** Whether its chat models apply a LoRA adapter given as the entry option `adapter` (a PEFT folder). */
  acceptsAdapters?: boolean;
}

function normaliseEntry(input: ModelEntryInput): { id: string; options: ModelEntryOptions } {
  if (typeof input === 'string') return { id: input, options: {} };
  const { id, ...options } = input;
  return { id, options: options as ModelEntryOptions };
}

/** The entry with the options set for this load on top (unset ones leave the entry's as they are). */
function withLoadOptions(entry: ModelEntry, options: LoadOptions | undefined): ModelEntry {
  const set = Object.entries(options ?? {}).filter(([, value]) => value !== undefined);
  return set.length === 0 ? entry : { ...entry, options: { ...entry.options, ...Object.fromEntries(set) } };
}

export interface ModelRegistryOptions {
  config?: MmkitConfig;
  providers?: readonly ModelProvider[];
}

export class ModelRegistry {
  private readonly providers = new Map<string, ModelProvider>();
  private readonly config: MmkitConfig;

  constructor(options: ModelRegistryOptions = {}) {
    this.config = options.config ?? {};
    for (const provider of options.providers ?? []) this.registerProvider(provider);
  }

  registerProvider(provider: ModelProvider): void {
    this.providers.set(provider.name, provider);
  }

  providerNames(): string[] {
    return [...this.providers.keys()].sort();
  }

  /** What `load` would load for `capability`, without loading it. */
  resolve(capability: Capability, requested?: string): ModelEntry {
    if (!CAPABILITIES.includes(capability)) {
      throw new MmkitError(`unknown capability "${capability}"; one of ${CAPABILITIES.join(', ')}`, {
        code: 'capability_unknown',
        param: 'capability',
      });
    }
    const named = this.config.models ?? {};
    const adapters = this.config.adapters ?? {};
    const adapterName =
      requested !== undefined
        ? requested
        : typeof this.config.defaults?.[capability] === 'string'
          ? (this.config.defaults[capability] as string)
          : undefined;
    if (adapterName !== undefined && Object.hasOwn(adapters, adapterName) && !Object.hasOwn(named, adapterName)) {
      return this.resolveAdapter(capability, adapterName);
    }
    let input: ModelEntryInput;
    let source: string;
    if (requested !== undefined && Object.hasOwn(named, requested)) {
      input = named[requested];
      source = `config models.${requested}`;
    } else if (requested !== undefined) {
      input = requested;
      source = '--model';
    } else if (this.config.defaults?.[capability] !== undefined) {
      input = this.config.defaults[capability];
      source = `config defaults.${capability}`;
    } else {
      input = DEFAULT_MODELS[capability];
      source = 'built-in default';
    }
    // A default may name an entry of `models`.
    if (typeof input === 'string' && source !== '--model' && Object.hasOwn(named, input)) {
      source = `config models.${input}`;
      input = named[input];
    }
    const { id, options } = normaliseEntry(input);
    const reference = parseModelId(id);
    // An id typed on the command line picks up the options a config entry gives the same id (its key).
    const configured = source === '--model' ? this.optionsConfiguredFor(reference.id) : {};
    const merged: ModelEntryOptions = { ...configured, ...options };
    if (reference.baseURL !== undefined) merged.baseURL = reference.baseURL;
    return { ...reference, options: merged, source };
  }

  async load<C extends Capability>(
    capability: C,
    requested?: string,
    context: LoadContext = {},
  ): Promise<CapabilityModels[C]> {
    const entry = withLoadOptions(this.resolve(capability, requested), context.options);
    const provider = this.providers.get(entry.provider);
    if (!provider) {
      const known = this.providerNames();
      throw new MmkitError(
        `unknown model provider "${entry.provider}" in "${entry.id}"; available: ${known.length > 0 ? known.join(', ') : 'none registered'}`,
        { code: 'provider_unknown', param: 'model', type: 'not_found_error' },
      );
    }
    if (entry.options.adapter !== undefined && !provider.acceptsAdapters) {
      throw new MmkitError(
        `${entry.id}: the ${entry.provider} provider does not apply LoRA adapters (a vLLM server serves each adapter under its own model name: use openai:ADAPTER_NAME@URL)`,
        { code: 'adapter_unsupported', param: 'adapter', type: 'unsupported_error' },
      );
    }
    const factory = provider.models[capability] as ModelFactory<C> | undefined;
    if (!factory) {
      const served = Object.keys(provider.models).join(', ');
      throw new MmkitError(
        `the ${entry.provider} provider does not serve ${capability} models (it serves: ${served || 'nothing'}); choose another model for ${capability}`,
        { code: 'capability_unsupported', param: 'model', type: 'unsupported_error' },
      );
    }
    return factory(entry, context);
  }

  /** An adapter entry: its base resolved as usual, with the adapter folder as the `adapter` option. */
  private resolveAdapter(capability: Capability, name: string): ModelEntry {
    const adapters = this.config.adapters ?? {};
    const adapter = adapters[name];
    if (Object.hasOwn(adapters, adapter.base)) {
      throw new MmkitError(`config adapters.${name}: base "${adapter.base}" is another adapter; name a model`, {
        code: 'config_invalid',
        param: 'config',
      });
    }
    const base = this.resolve(capability, adapter.base);
    return {
      ...base,
      options: { ...base.options, adapter: adapter.path, ...(adapter.mode ? { adapterMode: adapter.mode } : {}) },
      source: `config adapters.${name}`,
      adapter: { name, path: adapter.path },
    };
  }

  private optionsConfiguredFor(id: string): ModelEntryOptions {
    const entries = [...Object.values(this.config.models ?? {}), ...Object.values(this.config.defaults ?? {})];
    for (const input of entries) {
      if (input === undefined || typeof input === 'string') continue;
      const { id: entryId, options } = normaliseEntry(input);
      if (parseModelId(entryId).id === id) return options;
    }
    return {};
  }
}
