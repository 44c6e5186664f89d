/**
 * Image generation for the routes: the `imagine` task on a leased model, its PNGs (provenance in
 * their text chunks) moved into the server's `outputs/` under server-made names. The task writes
 * into a hidden scratch folder inside `outputs/` (its names match no served pattern), removed after.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readPngText } from '../../media/png-text.ts';
import type { ImageGenerationProgress } from '../../models/spec/image-generation-model.ts';
import { type ImagineResult, imagine } from '../../tasks/imagine/index.ts';
import type { ModelLease } from '../model-service.ts';
import type { ServerServices } from '../server-context.ts';
import type { StoredFile } from '../uploads/file-store.ts';

export interface ImageGenerationParameters {
  prompt: string;
  negativePrompt?: string | undefined;
  style?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
  steps?: number | undefined;
  guidance?: number | undefined;
  count?: number | undefined;
  seed?: number | undefined;
  model?: string | undefined;
}

export interface GeneratedFile {
  index: number;
  file: StoredFile;
  png: Uint8Array;
  seed: number;
  width: number;
  height: number;
  provenance: Record<string, string>;
}

export interface GenerationOutcome {
  result: ImagineResult;
  images: GeneratedFile[];
  model: string;
}

/** Runs on a model the caller leased (and releases: a lease taken before a stream outlives this call). */
export async function generateImages(
  services: ServerServices,
  lease: ModelLease<'imageGeneration'>,
  parameters: ImageGenerationParameters,
  signal: AbortSignal,
  onProgress?: (progress: ImageGenerationProgress) => void,
): Promise<GenerationOutcome> {
  const scratch = join(services.files.folder('outputs'), `.imagine-${randomBytes(8).toString('hex')}`);
  try {
    await mkdir(scratch);
    const result = await imagine({
      prompt: parameters.prompt,
      negativePrompt: parameters.negativePrompt,
      style: parameters.style,
      width: parameters.width,
      height: parameters.height,
      steps: parameters.steps,
      guidance: parameters.guidance,
      count: parameters.count,
      seed: parameters.seed,
      outDir: scratch,
      model: lease.model,
      modelName: parameters.model ?? lease.id,
      signal,
      onProgress,
    });
    signal.throwIfAborted();
    const images: GeneratedFile[] = [];
    for (const [index, image] of result.images.entries()) {
      const png = new Uint8Array(await readFile(image.path));
      const provenance = readPngText(png);
      const file = await services.files.save('outputs', png, 'png', { kind: 'imagine', provenance });
      images.push({ index, file, png, seed: image.seed, width: image.width, height: image.height, provenance });
    }
    return { result, images, model: lease.id };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
