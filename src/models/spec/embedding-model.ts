/** Embeddings of texts and, for CLIP-style models, of images in the same space. */
import type { CallOptions, ModelDescription } from './common.ts';

export interface EmbeddingResult {
  embeddings: Float32Array[];
  usage: { tokens: number };
}

export interface EmbeddingModel {
  readonly description: ModelDescription;
  readonly dimensions: number;
  embedTexts(texts: string[], options?: CallOptions): Promise<EmbeddingResult>;
  /** Present only for models with an image tower. Images are encoded bytes. */
  embedImages?(images: Uint8Array[], options?: CallOptions): Promise<EmbeddingResult>;
}
