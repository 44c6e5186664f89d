/**
 * The denoising loop: for each scheduler step, one UNet call over the whole batch — with
 * classifier-free guidance the unconditional (negative prompt) rows and the conditional rows go in
 * together, 2 × count rows, and ε = ε_uncond + g·(ε_cond − ε_uncond) — then the scheduler step.
 * Guidance ≤ 1 runs the conditional rows only. Exports with a fixed batch size (or a caller's
 * `maxBatch`) are run in chunks. The abort signal is checked between steps.
 */
import type { Tensor } from 'onnxruntime-node';
import type { GaussianNoise } from './gaussian-noise.ts';
import type { OnnxPart } from './onnx-part.ts';
import type { DiffusionScheduler } from './schedulers/scheduler.ts';

export interface DenoiseInput {
  unet: OnnxPart;
  scheduler: DiffusionScheduler;
  /** Per-row text context, `[rows × sequence × hidden]`: unconditional rows first when guided. */
  context: Float32Array;
  sequence: number;
  hiddenSize: number;
  guided: boolean;
  guidanceScale: number;
  /** Initial latents `[count × channels × height × width]`, already scaled by `initNoiseSigma`. */
  latents: Float32Array;
  latentDims: readonly [number, number, number];
  /** One generator per image, for schedulers that add noise at each step. */
  noises: readonly GaussianNoise[];
  maxBatch?: number | undefined;
  signal?: AbortSignal | undefined;
  onStep?: ((step: number, total: number) => void) | undefined;
  /**
   * Sees step `step` (1-based)'s UNet input x_t (`count` rows) and guided output before the
   * scheduler uses them, and is awaited (partial images decode here). Must not keep the arrays.
   */
  onModelOutput?:
    | ((step: number, modelInput: Float32Array, modelOutput: Float32Array, timestep: number) => Promise<void> | void)
    | undefined;
}

/** LCM's guidance embedding (sinusoidal in w·1000, w = g − 1), for UNets with a `timestep_cond` input. */
export function guidanceEmbedding(guidanceScale: number, dimension: number): Float32Array {
  const half = Math.floor(dimension / 2);
  const scaled = (guidanceScale - 1) * 1000;
  const result = new Float32Array(dimension);
  const rate = Math.log(10000) / Math.max(1, half - 1);
  for (let index = 0; index < half; index++) {
    const angle = scaled * Math.exp(-index * rate);
    result[index] = Math.sin(angle);
    result[half + index] = Math.cos(angle);
  }
  return result;
}

function timestepDims(unet: OnnxPart, rows: number): number[] {
  const shape = unet.input('timestep').shape;
  if (shape.length === 0) return [];
  return typeof shape[0] === 'number' && shape[0] > 0 ? [shape[0]] : [rows];
}

export async function denoise(input: DenoiseInput): Promise<Float32Array> {
  const { unet, scheduler, guided, guidanceScale, latentDims } = input;
  const count = input.noises.length;
  const imageSize = latentDims[0] * latentDims[1] * latentDims[2];
  const rows = guided ? 2 * count : count;
  const contextSize = input.sequence * input.hiddenSize;
  const batch = Math.max(1, Math.min(rows, unet.fixedBatch('sample') ?? input.maxBatch ?? rows));
  const condition = unet.hasInput('timestep_cond') ? conditionEmbedding(unet, guidanceScale) : undefined;
  const modelInput = new Float32Array(rows * imageSize);
  const fixedBatch = unet.fixedBatch('sample');
  // One call for all rows (the usual case): the text context tensor is built once for the whole run.
  const wholeContext =
    batch === rows && fixedBatch === undefined
      ? unet.tensor('encoder_hidden_states', input.context, [rows, input.sequence, input.hiddenSize])
      : undefined;
  let latents = input.latents;
  const total = scheduler.timesteps.length;

  for (let step = 0; step < total; step++) {
    input.signal?.throwIfAborted();
    const scaled = scheduler.scaleModelInput(latents, step);
    modelInput.set(scaled, 0);
    if (guided) modelInput.set(scaled, count * imageSize);
    let output: Float32Array;
    if (wholeContext) {
      const feeds = stepFeeds(input, modelInput, wholeContext, rows, scheduler.timesteps[step], condition);
      output = (await unet.run(feeds)).data;
    } else {
      output = new Float32Array(rows * imageSize);
      for (let start = 0; start < rows; start += batch) {
        const size = Math.min(batch, rows - start);
        // A fixed-batch export gets a full chunk; the padding rows' outputs are dropped.
        const padded = fixedBatch ?? size;
        const sample = new Float32Array(padded * imageSize);
        sample.set(modelInput.subarray(start * imageSize, (start + size) * imageSize));
        const context = new Float32Array(padded * contextSize);
        context.set(input.context.subarray(start * contextSize, (start + size) * contextSize));
        const contextTensor = unet.tensor('encoder_hidden_states', context, [padded, input.sequence, input.hiddenSize]);
        const feeds = stepFeeds(input, sample, contextTensor, padded, scheduler.timesteps[step], condition);
        const result = await unet.run(feeds);
        output.set(result.data.subarray(0, size * imageSize), start * imageSize);
      }
    }
    const prediction = guided ? combineGuidance(output, count * imageSize, guidanceScale) : output;
    await input.onModelOutput?.(step + 1, scaled, prediction, scheduler.timesteps[step]);
    const noise = scheduler.needsNoise(step) ? drawNoise(input.noises, imageSize) : undefined;
    latents = scheduler.step(prediction, step, latents, noise);
    input.onStep?.(step + 1, total);
  }
  return latents;
}

function stepFeeds(
  input: DenoiseInput,
  sample: Float32Array,
  context: Tensor,
  rows: number,
  timestep: number,
  condition: Float32Array | undefined,
): Record<string, Tensor> {
  const { unet } = input;
  const timestepShape = timestepDims(unet, rows);
  const feeds: Record<string, Tensor> = {
    sample: unet.tensor('sample', sample, [rows, ...input.latentDims]),
    timestep: unet.tensor('timestep', new Array(timestepShape[0] ?? 1).fill(timestep), timestepShape),
    encoder_hidden_states: context,
  };
  if (condition) {
    const repeated = new Float32Array(rows * condition.length);
    for (let row = 0; row < rows; row++) repeated.set(condition, row * condition.length);
    feeds.timestep_cond = unet.tensor('timestep_cond', repeated, [rows, condition.length]);
  }
  return feeds;
}

function conditionEmbedding(unet: OnnxPart, guidanceScale: number): Float32Array {
  const dimension = unet.input('timestep_cond').shape[1];
  return guidanceEmbedding(guidanceScale, typeof dimension === 'number' ? dimension : 256);
}

/** ε_u + g·(ε_c − ε_u) over the two halves of the UNet output. */
function combineGuidance(output: Float32Array, half: number, scale: number): Float32Array {
  const result = new Float32Array(half);
  for (let index = 0; index < half; index++) {
    const unconditional = output[index];
    result[index] = unconditional + scale * (output[half + index] - unconditional);
  }
  return result;
}

function drawNoise(noises: readonly GaussianNoise[], imageSize: number): Float32Array {
  const result = new Float32Array(noises.length * imageSize);
  noises.forEach((noise, image) => {
    noise.fill(result.subarray(image * imageSize, (image + 1) * imageSize));
  });
  return result;
}
