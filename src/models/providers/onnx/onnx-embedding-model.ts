/**
 * `EmbeddingModel` for CLIP-style models on Transformers.js: the text tower
 * (`onnx/text_model*.onnx`) and the vision tower (`onnx/vision_model*.onnx`) project into one
 * space; embeddings come back L2-normalised, so a dot product is the cosine similarity.
 */
import { resolve } from 'node:path';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Processor,
  RawImage,
  type Tensor,
} from '@huggingface/transformers';
import { describeError, MmkitError } from '../../../errors.ts';
import type { CallOptions, EmbeddingModel, EmbeddingResult, ModelDescription } from '../../spec/index.ts';
import { checkDevice } from './device.ts';
import { readModelFolder, selectWeights } from './model-folder.ts';
import type { OnnxModelOptions } from './onnx-chat-model.ts';
import { withSessionOptions } from './session-options.ts';

const SUPPORTED_TYPES = new Set(['clip']);
/** Inputs per tower run: bounds the activations a long list can allocate. */
const BATCH_SIZE = 32;

function normalisedRows(tensor: Tensor): Float32Array[] {
  const [rows, width] = tensor.dims;
  const data = tensor.data as Float32Array;
  const result: Float32Array[] = [];
  for (let row = 0; row < rows; row++) {
    const vector = data.slice(row * width, (row + 1) * width);
    const length = Math.hypot(...vector) || 1;
    for (let index = 0; index < width; index++) vector[index] /= length;
    result.push(vector);
  }
  return result;
}

async function decodeImage(data: Uint8Array, index: number): Promise<RawImage> {
  try {
    return await RawImage.fromBlob(new Blob([new Uint8Array(data)]));
  } catch (error) {
    throw new MmkitError(`image ${index + 1}: cannot decode it (${describeError(error)})`, {
      code: 'image_unreadable',
      param: 'images',
    });
  }
}

export class OnnxEmbeddingModel implements EmbeddingModel {
  readonly description: ModelDescription;
  readonly dimensions: number;

  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly processor: Processor,
    private readonly textModel: PreTrainedModel,
    private readonly visionModel: PreTrainedModel,
    description: ModelDescription,
    dimensions: number,
  ) {
    this.description = description;
    this.dimensions = dimensions;
  }

  static async load(folderPath: string, options: OnnxModelOptions = {}): Promise<OnnxEmbeddingModel> {
    const folder = await readModelFolder(resolve(folderPath));
    if (!SUPPORTED_TYPES.has(folder.modelType)) {
      throw new MmkitError(
        `${folder.path}: model type "${folder.modelType || 'missing'}" is not an embedding architecture mmkit runs; use a CLIP model (e.g. Xenova/clip-vit-base-patch32)`,
        { code: 'unsupported_architecture', param: 'model', type: 'unsupported_error' },
      );
    }
    const device = checkDevice(options.device);
    const weights = await selectWeights(folder, ['text_model', 'vision_model'], options.dtype);
    const modelOptions = withSessionOptions(
      { local_files_only: true, device, ...(options.dtype ? { dtype: options.dtype } : {}) },
      options.sessionOptions,
    );
    try {
      const [tokenizer, processor, textModel, visionModel] = await Promise.all([
        AutoTokenizer.from_pretrained(folder.path, { local_files_only: true }),
        AutoProcessor.from_pretrained(folder.path, { local_files_only: true }),
        CLIPTextModelWithProjection.from_pretrained(folder.path, modelOptions as never),
        CLIPVisionModelWithProjection.from_pretrained(folder.path, modelOptions as never),
      ]);
      const dimensions = Number(folder.config.projection_dim ?? 512);
      const description = { id: options.id ?? `onnx:${folder.path}`, provider: 'onnx', memoryBytes: weights.bytes };
      return new OnnxEmbeddingModel(tokenizer, processor, textModel, visionModel, description, dimensions);
    } catch (error) {
      throw new MmkitError(`cannot load the model in ${folder.path}: ${describeError(error)}`, {
        code: 'model_load_failed',
        param: 'model',
        type: 'runtime_error',
        cause: error,
      });
    }
  }

  async embedTexts(texts: string[], options: CallOptions = {}): Promise<EmbeddingResult> {
    const embeddings: Float32Array[] = [];
    let tokens = 0;
    for (let start = 0; start < texts.length; start += BATCH_SIZE) {
      options.signal?.throwIfAborted();
      const inputs = this.tokenizer(texts.slice(start, start + BATCH_SIZE), { padding: true, truncation: true });
      tokens += (inputs.attention_mask as Tensor)
        .tolist()
        .flat()
        .map(Number)
        .reduce((sum, value) => sum + value, 0);
      const { text_embeds } = (await this.textModel(inputs)) as { text_embeds: Tensor };
      embeddings.push(...normalisedRows(text_embeds));
    }
    return { embeddings, usage: { tokens } };
  }

  async embedImages(images: Uint8Array[], options: CallOptions = {}): Promise<EmbeddingResult> {
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < images.length; start += BATCH_SIZE) {
      options.signal?.throwIfAborted();
      const batch = images.slice(start, start + BATCH_SIZE);
      const decoded = await Promise.all(batch.map((data, index) => decodeImage(data, start + index)));
      const { image_embeds } = (await this.visionModel(await this.processor(decoded))) as { image_embeds: Tensor };
      embeddings.push(...normalisedRows(image_embeds));
    }
    return { embeddings, usage: { tokens: 0 } };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.textModel.dispose(), this.visionModel.dispose()]);
  }
}
