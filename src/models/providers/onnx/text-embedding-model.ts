/**
 * `EmbeddingModel` for sentence-embedding encoders (BERT, RoBERTa, XLM-R, MPNet, nomic-bert, …) as
 * sentence-transformers and Transformers.js repos publish them: `onnx/model*.onnx` gives token
 * vectors (`last_hidden_state`, or `token_embeddings`), pooled as the folder's
 * `1_Pooling/config.json` says (mean over real tokens when it says nothing, or as the entry's
 * `pooling` option says), or taken as they are when the graph already gives `sentence_embedding`.
 * Vectors come back L2-normalised. Text only: no image tower.
 */
import { join, resolve } from 'node:path';
import {
  AutoModel,
  AutoModelForMaskedLM,
  AutoModelForSequenceClassification,
  AutoModelForTokenClassification,
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import { describeError, MmkitError } from '../../../errors.ts';
import type { CallOptions, EmbeddingModel, EmbeddingResult, ModelDescription } from '../../spec/index.ts';
import { checkDevice } from './device.ts';
import {
  type JsonObject,
  modelLoadFailed,
  readModelFolder,
  readOptionalJsonFile,
  selectWeights,
} from './model-folder.ts';
import type { OnnxModelOptions } from './onnx-chat-model.ts';
import { type PoolingMode, poolTokens, readSentenceTransformersSetup } from './sentence-pooling.ts';
import { withSessionOptions } from './session-options.ts';

/** Texts per encoder run: bounds the activations a long list can allocate. */
const BATCH_SIZE = 32;
/** When neither the tokenizer nor the config says how long a text may be. */
const FALLBACK_MAX_TOKENS = 512;

export interface OnnxTextEmbeddingOptions extends OnnxModelOptions {
  /** Overrides the folder's pooling (repos converted for Transformers.js often have no pooling config). */
  pooling?: PoolingMode[];
}

/** Encoders whose only head is the embedding (no masked-LM or classification class to recognise them by). */
const EMBEDDING_ONLY_ENCODERS = new Set(['nomic_bert', 'jina_bert']);

/**
 * A BERT-like text encoder: Transformers.js's `AutoModel` claims every type (speech, vision and
 * decoders too), so encoders are told by the heads Transformers.js knows for them.
 */
function isTextEncoder(modelType: string): boolean {
  return (
    EMBEDDING_ONLY_ENCODERS.has(modelType) ||
    AutoModelForMaskedLM.supports(modelType) ||
    AutoModelForSequenceClassification.supports(modelType) ||
    AutoModelForTokenClassification.supports(modelType)
  );
}

/** The longest input: sentence-transformers' `max_seq_length`, else the tokenizer's, else the positions. */
function maxTokens(tokenizer: PreTrainedTokenizer, config: JsonObject, sentenceConfig: JsonObject | undefined): number {
  const sane = (value: unknown): value is number =>
    typeof value === 'number' && Number.isInteger(value) && value >= 2 && value <= 1 << 20;
  const candidates = [sentenceConfig?.max_seq_length, tokenizer.model_max_length, config.max_position_embeddings];
  return candidates.find(sane) ?? FALLBACK_MAX_TOKENS;
}

export class OnnxTextEmbeddingModel implements EmbeddingModel {
  readonly description: ModelDescription;
  /** Known once the load's probe text has gone through. */
  private width = 0;
  /** Whether the graph gives pooled vectors (`sentence_embedding`) itself. */
  private poolsItself = false;

  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    private readonly maxTokens: number,
    private readonly pooling: readonly PoolingMode[],
    description: ModelDescription,
  ) {
    this.description = description;
  }

  get dimensions(): number {
    return this.width;
  }

  static async load(folderPath: string, options: OnnxTextEmbeddingOptions = {}): Promise<OnnxTextEmbeddingModel> {
    const folder = await readModelFolder(resolve(folderPath));
    if (!isTextEncoder(folder.modelType)) {
      throw new MmkitError(
        `${folder.path}: model type "${folder.modelType || 'missing'}" is not a text embedding encoder mmkit runs; use a sentence-embedding model (e.g. Xenova/all-MiniLM-L6-v2) or CLIP`,
        { code: 'unsupported_architecture', param: 'model', type: 'unsupported_error' },
      );
    }
    const device = checkDevice(options.device);
    const weights = await selectWeights(folder, ['model'], options.dtype);
    const setup = await readSentenceTransformersSetup(folder.path);
    const pooling = options.pooling ?? setup.pooling ?? ['mean'];
    const sentenceConfig = await readOptionalJsonFile(join(folder.path, 'sentence_bert_config.json'));
    const modelOptions = withSessionOptions(
      { local_files_only: true, device, ...(options.dtype ? { dtype: options.dtype } : {}) },
      options.sessionOptions,
    );
    let loaded: OnnxTextEmbeddingModel;
    try {
      const [tokenizer, model] = await Promise.all([
        AutoTokenizer.from_pretrained(folder.path, { local_files_only: true }),
        AutoModel.from_pretrained(folder.path, modelOptions as never),
      ]);
      const description = { id: options.id ?? `onnx:${folder.path}`, provider: 'onnx', memoryBytes: weights.bytes };
      loaded = new OnnxTextEmbeddingModel(
        tokenizer,
        model,
        maxTokens(tokenizer, folder.config, sentenceConfig),
        pooling,
        description,
      );
    } catch (error) {
      throw modelLoadFailed(folder.path, error);
    }
    // One text through the whole path: the width the pooling gives, and a graph that cannot embed fails here.
    try {
      const [probe] = (await loaded.embedTexts(['hello'])).embeddings;
      loaded.width = probe!.length;
      if (setup.otherModules.length > 0 && !loaded.poolsItself) {
        throw new MmkitError(
          `${folder.path}: its sentence-transformers pipeline applies ${setup.otherModules.join(', ')} after pooling, which its ONNX graph does not; use an export whose graph gives sentence_embedding`,
          { code: 'unsupported_architecture', param: 'model', type: 'unsupported_error' },
        );
      }
    } catch (error) {
      await loaded.dispose();
      throw error instanceof MmkitError
        ? error
        : new MmkitError(`the model in ${folder.path} cannot embed text: ${describeError(error)}`, {
            code: 'model_load_failed',
            param: 'model',
            type: 'runtime_error',
            cause: error,
          });
    }
    return loaded;
  }

  async embedTexts(texts: string[], options: CallOptions = {}): Promise<EmbeddingResult> {
    const started = performance.now();
    const embeddings: Float32Array[] = [];
    let tokens = 0;
    for (let start = 0; start < texts.length; start += BATCH_SIZE) {
      options.signal?.throwIfAborted();
      const inputs = this.tokenizer(texts.slice(start, start + BATCH_SIZE), {
        padding: true,
        truncation: true,
        max_length: this.maxTokens,
      }) as { input_ids: Tensor; attention_mask: Tensor };
      const mask = inputs.attention_mask.data as BigInt64Array;
      for (const value of mask) if (value !== 0n) tokens++;
      // Transformers.js feeds the graph the inputs it declares (zeros for a missing `token_type_ids`).
      const outputs = (await this.model(inputs)) as Record<string, Tensor | undefined>;
      embeddings.push(...this.pool(outputs, mask));
    }
    return { embeddings, usage: { tokens }, timings: { totalMs: performance.now() - started } };
  }

  private pool(outputs: Record<string, Tensor | undefined>, mask: BigInt64Array): Float32Array[] {
    // fp16 exports give half floats.
    const floats = (tensor: Tensor | undefined) =>
      tensor && tensor.type !== 'float32' ? tensor.to('float32') : tensor;
    const pooled = floats(outputs.sentence_embedding);
    if (pooled?.dims.length === 2) {
      this.poolsItself = true;
      const [rows, width] = pooled.dims as [number, number];
      return poolTokens(pooled.data as Float32Array, [rows, 1, width], new Array(rows).fill(1), ['cls']);
    }
    const tokens = floats(outputs.last_hidden_state ?? outputs.token_embeddings);
    if (tokens?.dims.length !== 3) {
      throw new MmkitError(
        `the model gives ${Object.keys(outputs).join(', ') || 'nothing'}, not token vectors (last_hidden_state) to pool`,
        { code: 'model_invalid', param: 'model', type: 'runtime_error' },
      );
    }
    return poolTokens(tokens.data as Float32Array, tokens.dims as [number, number, number], mask, this.pooling);
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
