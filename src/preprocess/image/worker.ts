/** Worker-thread side of the image pool: decode and transform one image per message. */
import { parentPort } from 'node:worker_threads';
import { isMmkitError } from '../../errors.ts';
import type { ImageProcessorConfig } from './config.ts';
import { decodeRgb } from './decode.ts';
import { transformRgb } from './transform.ts';

export interface ImageTask {
  id: number;
  input: string | Uint8Array;
  name: string;
  config: ImageProcessorConfig;
  maxPixels?: number;
}

export type ImageTaskResult =
  | { id: number; data: Float32Array; shape: [3, number, number] }
  | { id: number; error: { message: string; code: string; param?: string; mmkit: boolean } };

parentPort?.on('message', async (task: ImageTask) => {
  try {
    const image = await decodeRgb(task.input, { name: task.name, maxPixels: task.maxPixels });
    const tensor = transformRgb(image, task.config);
    const result: ImageTaskResult = { id: task.id, data: tensor.data, shape: tensor.shape };
    parentPort?.postMessage(result, [tensor.data.buffer as ArrayBuffer]);
  } catch (error) {
    const result: ImageTaskResult = {
      id: task.id,
      error: isMmkitError(error)
        ? { message: error.message, code: error.code, param: error.param, mmkit: true }
        : { message: error instanceof Error ? error.message : String(error), code: 'internal', mmkit: false },
    };
    parentPort?.postMessage(result);
  }
});
