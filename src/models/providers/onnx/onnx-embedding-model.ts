/**
 * `EmbeddingModel` for CLIP-style models on Transformers.js (CLIP, and SigLIP): the text tower
 * (`onnx/text_model*.onnx`) and the vision tower (`onnx/vision_model*.onnx`) project into one
 * space; embeddings come back L2-normalised, so a dot product is the cosine similarity.
 */
import { resolve } from 'node:path';
import {
  AutoProcessor,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  type PreTrainedModel,
  type Processor,
  type RawImage,
  SiglipTextModel,
  SiglipVisionModel,
  Tensor,
} from '@huggingface/transformers';
import { MmkitError } from '../../../errors.ts';
import { decodeRawImage } from '../../../preprocess/image/raw-image.ts';
import { installPillowResize } from '../../../preprocess/image/transformers-resize.ts';
import { DEFAULT_MAX_LENGTH, loadTextTokenizer, type TextTokenizer } from '../../../preprocess/text/tokenize.ts';
import type { CallOptions, EmbeddingModel, EmbeddingResult, ModelDescription } from '../../spec/index.ts';
import { checkDevice } from './device.ts';
import { modelLoadFailed, readModelFolder, selectWeights } from './model-folder.ts';
import type { OnnxModelOptions } from './onnx-chat-model.ts';
import { withSessionOptions } from './session-options.ts';

/** What differs between the families: the tower classes, their outputs, how texts are padded and the width. */
interface TowerFamily {
  text: typeof CLIPTextModelWithProjection | typeof SiglipTextModel;
  vision: typeof CLIPVisionModelWithProjection | typeof SiglipVisionModel;
  textOutput: string;
  imageOutput: string;
  /**
   * CLIP pools at the end-of-text token, so padding only to the longest text changes nothing;
   * SigLIP pools at the last position and was trained on texts padded to their full length.
   */
  padding: 'longest' | 'max-length';
  dimensions: (config: Record<string, unknown>) => number;
}

const FAMILIES: Record<string, TowerFamily> = {
  clip: {
    text: CLIPTextModelWithProjection,
    vision: CLIPVisionModelWithProjection,
    textOutput: 'text_embeds',
    imageOutput: 'image_embeds',
    padding: 'longest',
    dimensions: (config) => Number(config.projection_dim ?? 512),
  },
  siglip: {
    text: SiglipTextModel,
    vision: SiglipVisionModel,
    textOutput: 'pooler_output',
    imageOutput: 'pooler_output',
    padding: 'max-length',
    dimensions: (config) => Number((config.text_config as { hidden_size?: unknown } | undefined)?.hidden_size ?? 768),
  },
};

/** The model types this class embeds with (text and images in one space). */
export const IMAGE_TEXT_EMBEDDING_TYPES: ReadonlySet<string> = new Set(Object.keys(FAMILIES));
/** Inputs per tower run: bounds the activations a long list can allocate. */
const BATCH_SIZE = 32;

function normalisedRows(tensor: Tensor): Float32Array[] {
  const [rows, width] = tensor.dims as [number, number];
  const data = tensor.data as Float32Array;
  const result: Float32Array[] = [];
  for (let row = 0; row < rows; row++) {
    const vector = data.slice(row * width, (row + 1) * width);
    let squares = 0;
    for (let index = 0; index < width; index++) squares += vector[index]! * vector[index]!;
    const length = Math.sqrt(squares) || 1;
    for (let index = 0; index < width; index++) vector[index]! /= length;
    result.push(vector);
  }
  return result;
}

/** The text tower's sequence limit: the tokenizer's, else the config's positions, else CLIP's 77. */
function textLength(tokenizer: TextTokenizer, config: Record<string, unknown>): number {
  const fromTokenizer = tokenizer.backend.model_max_length;
  if (Number.isInteger(fromTokenizer) && fromTokenizer >= 2 && fromTokenizer <= 1 << 20) return fromTokenizer;
  const positions = (config.text_config as { max_position_embeddings?: unknown } | undefined)?.max_position_embeddings;
  return typeof positions === 'number' && Number.isInteger(positions) && positions >= 2
    ? positions
    : DEFAULT_MAX_LENGTH;
}

function decodeImage(data: Uint8Array, index: number): Promise<RawImage> {
  return decodeRawImage(data, { name: `image ${index + 1}`, param: 'images' });
}

export class OnnxEmbeddingModel implements EmbeddingModel {
  readonly description: ModelDescription;
  readonly dimensions: number;

  private constructor(
    private readonly family: TowerFamily,
    private readonly tokenizer: TextTokenizer,
    private readonly maxTokens: number,
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
    const family = FAMILIES[folder.modelType];
    if (!family) {
      throw new MmkitError(
        `${folder.path}: model type "${folder.modelType || 'missing'}" is not an image-text embedding architecture mmkit runs; use a CLIP or SigLIP model (e.g. Xenova/clip-vit-base-patch32)`,
        { code: 'unsupported_architecture', param: 'model', type: 'unsupported_error' },
      );
    }
    const device = checkDevice(options.device);
    const weights = await selectWeights(folder, ['text_model', 'vision_model'], options.dtype);
    const modelOptions = withSessionOptions(
      { local_files_only: true, device, ...(options.dtype ? { dtype: options.dtype } : {}) },
      options.sessionOptions,
    );
    installPillowResize();
    try {
      const [tokenizer, processor, textModel, visionModel] = await Promise.all([
        loadTextTokenizer(folder.path),
        AutoProcessor.from_pretrained(folder.path, { local_files_only: true }),
        family.text.from_pretrained(folder.path, modelOptions as never),
        family.vision.from_pretrained(folder.path, modelOptions as never),
      ]);
      const description = { id: options.id ?? `onnx:${folder.path}`, provider: 'onnx', memoryBytes: weights.bytes };
      const maxTokens = textLength(tokenizer, folder.config);
      return new OnnxEmbeddingModel(
        family,
        tokenizer,
        maxTokens,
        processor,
        textModel,
        visionModel,
        description,
        family.dimensions(folder.config),
      );
    } catch (error) {
      throw modelLoadFailed(folder.path, error);
    }
  }

  async embedTexts(texts: string[], options: CallOptions = {}): Promise<EmbeddingResult> {
    const started = performance.now();
    const embeddings: Float32Array[] = [];
    let tokens = 0;
    for (let start = 0; start < texts.length; start += BATCH_SIZE) {
      options.signal?.throwIfAborted();
      const { inputIds, attentionMask, shape } = this.tokenizer.tokenize(texts.slice(start, start + BATCH_SIZE), {
        maxLength: this.maxTokens,
        padding: this.family.padding,
      });
      for (let index = 0; index < attentionMask.length; index++) if (attentionMask[index] !== 0n) tokens++;
      // Transformers.js feeds the tower the inputs its graph has (some exports take no mask).
      const outputs = (await this.textModel({
        input_ids: new Tensor('int64', inputIds, shape),
        attention_mask: new Tensor('int64', attentionMask, shape),
      })) as Record<string, Tensor>;
      embeddings.push(...normalisedRows(outputs[this.family.textOutput]!));
    }
    return { embeddings, usage: { tokens }, timings: { totalMs: performance.now() - started } };
  }

  async embedImages(images: Uint8Array[], options: CallOptions = {}): Promise<EmbeddingResult> {
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < images.length; start += BATCH_SIZE) {
      options.signal?.throwIfAborted();
      const batch = images.slice(start, start + BATCH_SIZE);
      const decoded = await Promise.all(batch.map((data, index) => decodeImage(data, start + index)));
      const outputs = (await this.visionModel(await this.processor(decoded))) as Record<string, Tensor>;
      embeddings.push(...normalisedRows(outputs[this.family.imageOutput]!));
    }
    return { embeddings, usage: { tokens: 0 } };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.textModel.dispose(), this.visionModel.dispose()]);
  }
}
