/**
 * Image preprocessing, the library entry points: files or bytes → normalised CHW float32 tensors
 * matching PIL + torchvision (CLIP's training pipeline) by default, or any processor config.
 */
import { MmkitError } from '../../errors.ts';
import { clipImageConfig, type ImageProcessorConfig } from './config.ts';
import { decodeRgb } from './decode.ts';
import { ImageWorkerPool } from './pool.ts';
import { type ImageTensor, transformRgb } from './transform.ts';

export type ImageInput = string | Uint8Array | { bytes: Uint8Array; name: string };

export interface ImagePreprocessOptions {
  /** Default: CLIP's processor at 224. */
  config?: ImageProcessorConfig;
  /** Refuse images with more pixels than this, before decoding (default 100 megapixels). */
  maxPixels?: number;
}

export interface ImageBatchOptions extends ImagePreprocessOptions {
  /**
   * Worker threads for the batch: 0 runs on this thread (decoding still overlaps resizing), 'auto'
   * uses a pool when the batch is big enough to repay starting it. Or pass a pool to reuse.
   */
  threads?: number | 'auto' | ImageWorkerPool;
  onProgress?: (done: number, total: number) => void;
}

export interface ImageBatch {
  /** NCHW float32. */
  data: Float32Array;
  shape: [number, 3, number, number];
}

/**
 * Batches smaller than this are not worth starting worker threads for. Measured on 2 cores with
 * 1024×768 JPEGs: the main thread already overlaps sharp's decoding (libvips threads) with our resize,
 * a warm pool adds about 1.1–1.3× on top, but starting one (each worker loads sharp) costs ~150–200 ms,
 * so it only pays off for a few hundred images, or when the caller keeps a pool.
 */
const POOL_THRESHOLD = 256;
/** Images decoding ahead of the resize on the main thread. */
const MAIN_THREAD_DEPTH = 2;

function split(input: ImageInput): { source: string | Uint8Array; name: string } {
  if (typeof input === 'string') return { source: input, name: input };
  if (input instanceof Uint8Array) return { source: input, name: 'image' };
  return { source: input.bytes, name: input.name };
}

export async function preprocessImage(input: ImageInput, options: ImagePreprocessOptions = {}): Promise<ImageTensor> {
  const { source, name } = split(input);
  const image = await decodeRgb(source, { name, maxPixels: options.maxPixels });
  return transformRgb(image, options.config ?? clipImageConfig());
}

/**
 * Preprocess many images into one [N, 3, H, W] batch. All or nothing: the first bad input (in input
 * order) is thrown as an `MmkitError` naming it.
 */
export async function preprocessImages(inputs: ImageInput[], options: ImageBatchOptions = {}): Promise<ImageBatch> {
  if (inputs.length === 0) {
    throw new MmkitError('no images given', { code: 'invalid_request', param: 'inputs' });
  }
  const config = options.config ?? clipImageConfig();
  const threads = options.threads ?? 'auto';
  const external = threads instanceof ImageWorkerPool ? threads : undefined;
  const ownSize =
    threads instanceof ImageWorkerPool ? 0 : threads === 'auto' ? (inputs.length >= POOL_THRESHOLD ? -1 : 0) : threads;
  const ownPool = ownSize !== 0 ? new ImageWorkerPool(ownSize > 0 ? ownSize : undefined) : undefined;
  const pool = external ?? ownPool;
  const results: Array<PromiseSettledResult<ImageTensor>> = new Array(inputs.length);
  let done = 0;
  const runOne = async (index: number) => {
    const { source, name } = split(inputs[index]);
    try {
      const tensor = pool
        ? await pool.run({ input: source, name, config, maxPixels: options.maxPixels })
        : transformRgb(await decodeRgb(source, { name, maxPixels: options.maxPixels }), config);
      results[index] = { status: 'fulfilled', value: tensor };
    } catch (reason) {
      results[index] = { status: 'rejected', reason };
    }
    options.onProgress?.(++done, inputs.length);
  };
  try {
    let next = 0;
    const lanes = pool ? inputs.length : Math.min(MAIN_THREAD_DEPTH, inputs.length);
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < inputs.length) await runOne(next++);
      }),
    );
  } finally {
    await ownPool?.close();
  }
  return stack(inputs, results);
}

function stack(inputs: ImageInput[], results: Array<PromiseSettledResult<ImageTensor>>): ImageBatch {
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  const tensors = results.map((result) => (result as PromiseFulfilledResult<ImageTensor>).value);
  const [, height, width] = tensors[0].shape;
  const plane = 3 * height * width;
  const data = new Float32Array(tensors.length * plane);
  tensors.forEach((tensor, index) => {
    if (tensor.shape[1] !== height || tensor.shape[2] !== width) {
      const name = split(inputs[index]).name;
      throw new MmkitError(
        `${name}: preprocessed to ${tensor.shape[2]}×${tensor.shape[1]} but the batch is ${width}×${height}; use a processor config with a centre crop or a fixed size`,
        { code: 'image_size_mismatch', param: name },
      );
    }
    data.set(tensor.data, index * plane);
  });
  return { data, shape: [tensors.length, 3, height, width] };
}
