/**
 * Worker-thread side of `heic.ts`: decodes one HEIC image with libheif (WebAssembly) and exits.
 * A thread of its own keeps the seconds a phone photo takes off the caller's event loop, frees the
 * WebAssembly memory afterwards, and keeps libheif's console messages out of the caller's output.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface HeicTask {
  bytes: Uint8Array;
  maxPixels: number;
}

export type HeicResult =
  | { ok: true; width: number; height: number; rgba: Uint8Array }
  | { ok: false; reason: 'no-image' | 'too-large' | 'corrupt'; width?: number; height?: number; detail?: string };

// libheif-js also reports a failed decode on console.log; the result says it in one line.
console.log = () => undefined;

async function decode({ bytes, maxPixels }: HeicTask): Promise<HeicResult> {
  // Imported here: the library is a few megabytes of WebAssembly.
  const { default: heicDecode } = await import('heic-decode');
  let images: Awaited<ReturnType<typeof heicDecode.all>>;
  try {
    images = await heicDecode.all({ buffer: bytes });
  } catch (error) {
    return { ok: false, reason: 'corrupt', detail: error instanceof Error ? error.message : String(error) };
  }
  try {
    // The first top-level image: the photo (thumbnails and depth maps are not top-level).
    const image = images[0];
    if (!image) return { ok: false, reason: 'no-image' };
    const { width, height } = image;
    if (width * height > maxPixels) return { ok: false, reason: 'too-large', width, height };
    const decoded = await image.decode().catch(() => undefined);
    if (!decoded) return { ok: false, reason: 'corrupt', detail: 'the HEVC data does not decode' };
    const rgba = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
    return { ok: true, width: decoded.width, height: decoded.height, rgba };
  } finally {
    images.dispose();
  }
}

const result = await decode(workerData as HeicTask);
parentPort?.postMessage(result, result.ok ? [result.rgba.buffer as ArrayBuffer] : []);
