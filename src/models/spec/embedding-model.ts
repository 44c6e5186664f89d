/** Embeddings of texts and, for CLIP-style models, of images in the same space. */
import type { CallOptions, ModelDescription, Timings } from './common.ts';

export interface EmbeddingResult {
  embeddings: Float32Array[];
  usage: { tokens: number };
  /** How long the call took where the model runs (in its runner, not counting the trip there), when measured. */
  timings?: Timings;
}

export interface EmbeddingModel {
  readonly description: ModelDescription;
  readonly dimensions: number;
  embedTexts(texts: string[], options?: CallOptions): Promise<EmbeddingResult>;
  /** Present only for models with an image tower. Images are encoded bytes. */
  embedImages?(images: Uint8Array[], options?: CallOptions): Promise<EmbeddingResult>;
}
