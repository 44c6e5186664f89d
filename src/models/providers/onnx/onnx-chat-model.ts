/**
 * `ChatModel` on Transformers.js + onnxruntime-node, from a local folder in Hugging Face layout.
 * Text-only models load `AutoTokenizer` + `AutoModelForCausalLM`; vision-language models load
 * `AutoProcessor` + `AutoModelForImageTextToText` and accept image parts.
 */
import { resolve } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoModelForImageTextToText,
  AutoProcessor,
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Processor,
  Tensor,
} from '@huggingface/transformers';
import type { InferenceSession } from 'onnxruntime-node';
import { describeError, MmkitError } from '../../../errors.ts';
import { installPillowResize } from '../../../preprocess/image/transformers-resize.ts';
import { type AdaptedFolder, adaptedModelFolder, DECODER_FILE } from '../../adapters/adapted-folder.ts';
import type { AdapterMode } from '../../adapters/apply-adapter.ts';
import type {
  ChatModel,
  ChatRequest,
  ChatResult,
  ChatStreamPart,
  ModelDescription,
  PromptPart,
  TextCompletionRequest,
  TextCompletionStreamPart,
} from '../../spec/index.ts';
import type { AnswerDelta } from './answer-builder.ts';
import { isConstrained } from './answer-grammar.ts';
import { AnswerShaper } from './answer-shaper.ts';
import { AsyncQueue } from './async-queue.ts';
import { countImages, prepareTextPrompt, prepareVisionPrompt } from './chat-prompt.ts';
import { readChatTemplateFile } from './chat-template.ts';
import { checkDevice, type OnnxDevice } from './device.ts';
import { type GenerationTarget, type PreparedPrompt, runGeneration } from './generation-run.ts';
import { planKvCacheDecoder } from './kv-cache-decoder.ts';
import {
  type DtypeSetting,
  type JsonObject,
  type ModelFolder,
  modelLoadFailed,
  readModelFolder,
  selectWeights,
  sessionBaseNames,
} from './model-folder.ts';
import { promptLogprobs } from './prompt-logprobs.ts';
import { promptOpensReasoning } from './reasoning-split.ts';
import { withSessionOptions } from './session-options.ts';

export interface OnnxModelOptions {
  /** The registry id, for descriptions and messages (default `onnx:<folder>`). */
  id?: string;
  /**
   * fp32, fp16, q8, q4, …, or one per session (`{vision_encoder: 'q4', embed_tokens: 'q8', …}`);
   * default: the folder's `transformers.js_config.dtype`, else fp32.
   */
  dtype?: DtypeSetting;
  device?: OnnxDevice | string;
  /**
   * `auto` (default): our own decode loop where the model allows it, else Transformers.js's
   * `generate()`; `transformers` always uses `generate()` (for comparison and diagnosis).
   */
  generationLoop?: 'auto' | 'transformers';
  /** ONNX Runtime session options for every session the model opens (threads, graph optimisation). */
  sessionOptions?: InferenceSession.SessionOptions;
  /** A LoRA adapter (PEFT folder) applied to the decoder at load: merged, or as side paths for quantized graphs. */
  adapter?: string;
  adapterMode?: AdapterMode;
  /** Non-fatal notes from loading (adapter modules the decoder does not have). */
  onWarning?: (message: string) => void;
  /** Chat template variables for every request (`{enable_thinking: false}`); a request's own win. */
  templateVariables?: Record<string, unknown>;
}

interface LoadedParts {
  model: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
  processor: Processor | undefined;
}

function tokenIdSet(value: unknown): Set<number> {
  const values = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return new Set(values.map(Number).filter(Number.isInteger));
}

/**
 * The end-of-answer tokens: generation_config.json, else config.json, else (vision-language models
 * keep their language model's settings there) config.json's `text_config`.
 */
function endOfSequenceIds(generationConfig: { eos_token_id?: unknown }, config: JsonObject): Set<number> {
  const text = (config.text_config ?? {}) as JsonObject;
  return tokenIdSet(generationConfig.eos_token_id ?? config.eos_token_id ?? text.eos_token_id);
}

function contextLengthOf(config: JsonObject, tokenizer: PreTrainedTokenizer): number {
  const text = (config.text_config ?? {}) as JsonObject;
  const fromConfig = Number(config.max_position_embeddings ?? text.max_position_embeddings);
  if (Number.isFinite(fromConfig) && fromConfig > 0) return fromConfig;
  const fromTokenizer = Number((tokenizer as unknown as { model_max_length?: number }).model_max_length);
  return Number.isFinite(fromTokenizer) && fromTokenizer > 0 && fromTokenizer < 1e9 ? fromTokenizer : 2048;
}

function chatKind(folder: ModelFolder): 'vision' | 'text' {
  if (AutoModelForImageTextToText.supports(folder.modelType)) return 'vision';
  if (AutoModelForCausalLM.supports(folder.modelType)) return 'text';
  const named = folder.architectures.length > 0 ? ` (${folder.architectures.join(', ')})` : '';
  throw new MmkitError(
    `${folder.path}: model type "${folder.modelType || 'missing'}"${named} is not a chat architecture Transformers.js can run; use a causal LM (llama, qwen2, qwen3, …) or an image-text-to-text model (llava, idefics3, qwen2_vl, …)`,
    { code: 'unsupported_architecture', param: 'model', type: 'unsupported_error' },
  );
}

async function loadParts(
  folder: ModelFolder,
  weightsFolder: string,
  kind: 'vision' | 'text',
  dtype: DtypeSetting | undefined,
  device: OnnxDevice,
  sessionOptions: InferenceSession.SessionOptions | undefined,
) {
  const options = withSessionOptions(
    { local_files_only: true, device, ...(dtype === undefined ? {} : { dtype }) },
    sessionOptions,
  );
  try {
    if (kind === 'vision') {
      installPillowResize();
      const [processor, model] = await Promise.all([
        AutoProcessor.from_pretrained(folder.path, { local_files_only: true }),
        AutoModelForImageTextToText.from_pretrained(weightsFolder, options as never),
      ]);
      if (!processor.tokenizer) throw new Error('the processor has no tokenizer');
      return { model, tokenizer: processor.tokenizer, processor } satisfies LoadedParts;
    }
    const [tokenizer, model] = await Promise.all([
      AutoTokenizer.from_pretrained(folder.path, { local_files_only: true }),
      AutoModelForCausalLM.from_pretrained(weightsFolder, options as never),
    ]);
    return { model, tokenizer, processor: undefined } satisfies LoadedParts;
  } catch (error) {
    throw modelLoadFailed(folder.path, error);
  }
}

/** The adapter applied to the decoder graphs among the selected weight files, in a cached folder. */
function applyAdapterAtLoad(folder: ModelFolder, files: readonly string[], options: OnnxModelOptions) {
  const adapterFolder = resolve(options.adapter as string);
  const decoders = files.filter((file) => file.startsWith('onnx/') && DECODER_FILE.test(file.slice('onnx/'.length)));
  const adapted = adaptedModelFolder(folder.path, adapterFolder, {
    files: decoders,
    ...(options.adapterMode ? { mode: options.adapterMode } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  return { ...adapted, folder: adapterFolder };
}

export class OnnxChatModel implements ChatModel {
  readonly description: ModelDescription;
  readonly acceptsImages: boolean;
  readonly contextLength: number;
  /** Which loop generates: our own over the session, or Transformers.js's `generate()`. */
  get generationLoop(): 'kv-cache-decoder' | 'transformers-generate' {
    return this.target.decoderPlan ? 'kv-cache-decoder' : 'transformers-generate';
  }
  /** The dtype the weights were loaded in and the files read. */
  readonly weights: { dtype: string; files: readonly string[] };
  /** Resident memory the process grew by while loading (bytes; noisy, for diagnostics). */
  readonly loadRssDeltaBytes: number;
  /** The adapter applied at load, with the patched folder and what was merged or side-pathed. */
  readonly adapter: (AdaptedFolder & { folder: string }) | undefined;
  private readonly templateVariables: Record<string, unknown> | undefined;

  private constructor(
    private readonly parts: LoadedParts,
    private readonly target: GenerationTarget,
    private readonly chatTemplate: string | undefined,
    private readonly hasChatTemplate: boolean,
    init: {
      description: ModelDescription;
      acceptsImages: boolean;
      weights: { dtype: string; files: readonly string[] };
      loadRssDeltaBytes: number;
      adapter: (AdaptedFolder & { folder: string }) | undefined;
      templateVariables: Record<string, unknown> | undefined;
    },
  ) {
    this.description = init.description;
    this.acceptsImages = init.acceptsImages;
    this.contextLength = target.contextLength;
    this.weights = init.weights;
    this.loadRssDeltaBytes = init.loadRssDeltaBytes;
    this.adapter = init.adapter;
    this.templateVariables = init.templateVariables;
  }

  static async load(folderPath: string, options: OnnxModelOptions = {}): Promise<OnnxChatModel> {
    const folder = await readModelFolder(resolve(folderPath));
    const kind = chatKind(folder);
    const device = checkDevice(options.device);
    const weights = await selectWeights(folder, await sessionBaseNames(folder), options.dtype);
    const templateFile = await readChatTemplateFile(folder.path);
    const adapter = options.adapter === undefined ? undefined : applyAdapterAtLoad(folder, weights.files, options);
    const rssBefore = process.memoryUsage().rss;
    const parts = await loadParts(
      folder,
      adapter?.path ?? folder.path,
      kind,
      options.dtype,
      device,
      options.sessionOptions,
    );
    const loadRssDeltaBytes = Math.max(0, process.memoryUsage().rss - rssBefore);
    const builtInTemplate = parts.processor?.chat_template ?? parts.tokenizer.chat_template;
    // A text model without a template (a base model) still continues raw text.
    if (!templateFile && !builtInTemplate && kind === 'vision') {
      await parts.model.dispose();
      throw noChatTemplate(folder.path, kind);
    }
    const generationConfig = (parts.model.generation_config ?? {}) as {
      eos_token_id?: unknown;
      repetition_penalty?: unknown;
    };
    const target: GenerationTarget = {
      model: parts.model,
      tokenizer: parts.tokenizer,
      contextLength: contextLengthOf(folder.config, parts.tokenizer),
      endOfSequenceIds: endOfSequenceIds(generationConfig, folder.config),
      // Vision-language models keep Transformers.js's loop: image features enter through it.
      decoderPlan:
        kind === 'text' && options.generationLoop !== 'transformers' ? planKvCacheDecoder(parts.model) : undefined,
      defaultRepetitionPenalty: Number(generationConfig.repetition_penalty ?? 1) || 1,
    };
    return new OnnxChatModel(parts, target, templateFile?.template, Boolean(templateFile || builtInTemplate), {
      description: { id: options.id ?? `onnx:${folder.path}`, provider: 'onnx', memoryBytes: weights.bytes },
      acceptsImages: kind === 'vision',
      weights: { dtype: weights.dtype, files: weights.files },
      loadRssDeltaBytes,
      adapter,
      templateVariables: options.templateVariables,
    });
  }

  async generate(request: ChatRequest): Promise<ChatResult> {
    // The same pieces as a stream (only the result is kept), so thinking tokens are counted alike.
    const shaper = new AnswerShaper(request);
    const raw = await this.run(request, (text, logprobs, tokens) => shaper.push(text, logprobs, tokens), shaper);
    return shaper.finish(raw).result;
  }

  stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    const shaper = new AnswerShaper(request);
    return streamRun(request.signal, shaper, (signal, onDelta) => this.run({ ...request, signal }, onDelta, shaper));
  }

  complete(request: TextCompletionRequest): AsyncIterable<TextCompletionStreamPart> {
    // Without a shaper nothing is read as a tool call: the parts are text, the prompt and the finish.
    return streamRun<PromptPart>(request.signal, undefined, (signal, onDelta, emit) =>
      this.continueText({ ...request, signal }, onDelta, emit),
    ) as AsyncIterable<TextCompletionStreamPart>;
  }

  async dispose(): Promise<void> {
    await this.parts.model.dispose();
  }

  /**
   * Raw text continued: the prompt tokenized as it is (with the BOS token where the tokenizer adds
   * one), or taken as the token ids given. With `echo`, the prompt comes back first (scored when
   * asked); `maxNewTokens` 0 then answers with the prompt alone.
   */
  private async continueText(
    request: TextCompletionRequest,
    onDelta: AnswerDelta,
    emitPrompt: (part: PromptPart) => void,
  ): Promise<ChatResult> {
    const startedAt = performance.now();
    if (this.acceptsImages) {
      throw new MmkitError(
        `${this.description.id} is a vision-language model; raw text completion needs a text model`,
        {
          code: 'completion_unsupported',
          param: 'model',
          type: 'unsupported_error',
        },
      );
    }
    const inputs =
      typeof request.prompt === 'string'
        ? (this.parts.tokenizer(request.prompt) as unknown as Record<string, unknown>)
        : this.tokenIdInputs(request.prompt);
    const promptIds = Array.from((inputs.input_ids as Tensor).data as BigInt64Array, Number);
    if (promptIds.length === 0) {
      throw new MmkitError('the prompt is empty', { code: 'prompt_empty', param: 'prompt' });
    }
    if (promptIds.length > this.contextLength) {
      throw new MmkitError(`the prompt is ${promptIds.length} tokens, the model's context is ${this.contextLength}`, {
        code: 'context_length_exceeded',
        param: 'prompt',
      });
    }
    if (request.echo) {
      const text =
        typeof request.prompt === 'string'
          ? request.prompt
          : this.parts.tokenizer.decode(promptIds, { skip_special_tokens: false });
      const logprobs =
        request.promptLogprobs === undefined
          ? undefined
          : await promptLogprobs(this.target, promptIds, request.promptLogprobs, this.description.id);
      emitPrompt({ type: 'prompt', text, ...(logprobs ? { logprobs } : {}) });
    }
    const promptTokens = promptIds.length;
    if (request.maxNewTokens === 0 && request.echo) {
      return {
        text: '',
        finishReason: 'length',
        usage: { promptTokens, completionTokens: 0 },
        timings: { totalMs: performance.now() - startedAt },
      };
    }
    return runGeneration(this.target, { inputs, promptTokens }, { ...request, messages: [] }, startedAt, onDelta);
  }

  /** Token ids given as the prompt, checked against the vocabulary, as the model's inputs. */
  private tokenIdInputs(ids: readonly number[]): Record<string, unknown> {
    const vocabulary = Number((this.target.model.config as { vocab_size?: unknown }).vocab_size) || Infinity;
    const data = new BigInt64Array(ids.length);
    for (const [index, id] of ids.entries()) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabulary) {
        throw new MmkitError(
          `prompt token ${index} is ${id}, not an id of the model's vocabulary (0 to ${vocabulary - 1})`,
          {
            code: 'token_out_of_range',
            param: 'prompt',
          },
        );
      }
      data[index] = BigInt(id);
    }
    return {
      input_ids: new Tensor('int64', data, [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    };
  }

  private async run(request: ChatRequest, onDelta: AnswerDelta, shaper: AnswerShaper): Promise<ChatResult> {
    const startedAt = performance.now();
    if (!this.hasChatTemplate) throw noChatTemplate(this.description.id, 'text');
    if (request.messages.length === 0) {
      throw new MmkitError('a chat request needs at least one message', { code: 'messages_empty', param: 'messages' });
    }
    if (request.adapter !== undefined) {
      throw new MmkitError(
        `${this.description.id}: an onnx model takes its LoRA adapter at load, not per request; load it with one (--adapter DIR, or an "adapters" entry in the config, chosen by model name)`,
        { code: 'adapter_unsupported', param: 'adapter', type: 'unsupported_error' },
      );
    }
    const images = countImages(request.messages);
    if (images > 0 && !this.acceptsImages) {
      throw new MmkitError(
        `${this.description.id} reads text only and cannot take the ${images} image part(s); use a vision model for questions about images`,
        { code: 'images_not_supported', param: 'messages', type: 'unsupported_error' },
      );
    }
    let prompt: PreparedPrompt;
    try {
      const variables = { ...this.templateVariables, ...request.templateVariables };
      const template = { chatTemplate: this.chatTemplate, tools: request.tools, variables };
      prompt = this.parts.processor
        ? await prepareVisionPrompt(this.parts.processor, request.messages, template)
        : prepareTextPrompt(this.parts.tokenizer, request.messages, template);
    } catch (error) {
      if (error instanceof MmkitError) throw error;
      throw new MmkitError(`${this.description.id}: cannot build the prompt (${describeError(error)})`, {
        code: 'prompt_failed',
        param: 'messages',
        cause: error,
      });
    }
    // A constrained answer is JSON from its first token, even where the template opened a block.
    if (!isConstrained(request) && promptOpensReasoning(this.promptTail(prompt))) shaper.startInsideReasoning();
    return runGeneration(this.target, prompt, request, startedAt, onDelta);
  }

  /** The rendered prompt's last few tokens as text (enough to see a `<think>` the template opened). */
  private promptTail(prompt: PreparedPrompt): string {
    const ids = Array.from((prompt.inputs.input_ids as Tensor).data as BigInt64Array, Number);
    return this.parts.tokenizer.decode(ids.slice(-8), { skip_special_tokens: false });
  }
}

/**
 * A generation as stream parts: the raw answer's pieces as they come, shaped where a chat answer
 * is streamed (reasoning apart, text that may be a tool call held), then the finish. Ending the
 * iteration early (break, return) stops the generation too.
 */
async function* streamRun<Extra = never>(
  requestSignal: AbortSignal | undefined,
  shaper: AnswerShaper | undefined,
  run: (
    signal: AbortSignal,
    onDelta: AnswerDelta,
    /** Parts of other kinds, sent in order with the text (a completion's echoed prompt). */
    emit: (part: Extra) => void,
  ) => Promise<ChatResult>,
): AsyncIterable<ChatStreamPart | Extra> {
  const queue = new AsyncQueue<ChatStreamPart | Extra>();
  const stopped = new AbortController();
  const signal = requestSignal ? AbortSignal.any([requestSignal, stopped.signal]) : stopped.signal;
  const onDelta: AnswerDelta = shaper
    ? (text, logprobs, tokens) => {
        for (const part of shaper.push(text, logprobs, tokens)) queue.push(part);
      }
    : (text, logprobs) => queue.push({ type: 'text-delta', text, ...(logprobs?.length ? { logprobs } : {}) });
  const running = run(signal, onDelta, (part) => queue.push(part)).then(
    (raw) => {
      const { parts, result } = shaper ? shaper.finish(raw) : { parts: [], result: raw };
      for (const part of parts) queue.push(part);
      queue.push({
        type: 'finish',
        finishReason: result.finishReason,
        usage: result.usage,
        timings: result.timings,
        ...(result.toolCalls ? { toolCalls: result.toolCalls } : {}),
      });
      queue.close();
    },
    (error: unknown) => queue.fail(error),
  );
  try {
    yield* queue;
  } finally {
    stopped.abort();
    await running;
  }
}

function noChatTemplate(model: string, kind: 'vision' | 'text'): MmkitError {
  const hint = kind === 'text' ? '; it can still continue raw text (/v1/completions)' : '';
  return new MmkitError(
    `${model} has no chat template (none in tokenizer_config.json, chat_template.jinja or chat_template.json): it is not a chat model${hint}`,
    { code: 'chat_template_missing', param: 'model', type: 'unsupported_error' },
  );
}
