/**
 * HEIC, the format iPhones save photos in. The libvips inside sharp reads only AV1-coded HEIF
 * (AVIF), so HEVC-coded images are decoded by libheif compiled to WebAssembly (`heic-decode`), in a
 * worker thread of their own. libheif applies the container's rotation and mirroring (`irot`,
 * `imir`); the EXIF orientation inside is ignored, as the HEIF standard and pillow-heif do.
 */
import { Worker } from 'node:worker_threads';
import { MmkitError } from '../../errors.ts';
import type { HeicResult, HeicTask } from './heic-worker.ts';
import { workerBootstrap } from './worker-bootstrap.ts';

export interface DecodedHeic {
  /** 8-bit RGBA, row by row. */
  rgba: Uint8Array;
  width: number;
  height: number;
}

export async function decodeHeic(
  bytes: Uint8Array,
  options: { name: string; maxPixels: number },
): Promise<DecodedHeic> {
  const { name, maxPixels } = options;
  const task: HeicTask = { bytes, maxPixels };
  const result = await new Promise<HeicResult>((resolve, reject) => {
    const worker = new Worker(workerBootstrap('heic-worker', import.meta.url), { eval: true, workerData: task });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the HEIC decoder stopped (exit code ${code})`)));
  }).catch((error: unknown) => {
    throw new MmkitError(`${name}: cannot decode the HEIC image (${String(error)})`, {
      code: 'image_unreadable',
      param: name,
      cause: error,
    });
  });
  if (result.ok) return result;
  if (result.reason === 'too-large') {
    const pixels = (result.width ?? 0) * (result.height ?? 0);
    throw new MmkitError(
      `${name}: ${result.width}×${result.height} is ${pixels} pixels, over the limit of ${maxPixels}`,
      {
        code: 'image_too_large',
        param: name,
      },
    );
  }
  const why = result.reason === 'no-image' ? 'holds no image' : `is truncated or corrupt (${result.detail})`;
  throw new MmkitError(`${name}: the HEIC image ${why}`, { code: 'image_unreadable', param: name });
}
