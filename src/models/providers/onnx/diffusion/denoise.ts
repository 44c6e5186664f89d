/**
 * The denoising loop: for each scheduler step, one UNet call over the whole batch — with
 * classifier-free guidance the unconditional (negative prompt) rows and the conditional rows go in
 * together, 2 × count rows, and ε = ε_uncond + g·(ε_cond − ε_uncond) — then the scheduler step.
 * Guidance ≤ 1 runs the conditional rows only. Exports with a fixed batch size (or a caller's
 * `maxBatch`) are run in chunks. The abort signal is checked between steps.
 *
 * Everything a step needs is allocated once, before the first step: the input tensors (the scaled
 * latents are written straight into the UNet's sample tensor, and the text context tensor is built
 * once per chunk), the guidance and noise buffers; the scheduler updates the latents in place.
 * So the time a step spends outside ONNX Runtime is a few passes over the latents.
 */
import type { Tensor } from 'onnxruntime-node';
import type { GaussianNoise } from './gaussian-noise.ts';
import type { InputBuffer, OnnxPart } from './onnx-part.ts';
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
  /**
   * Stable Diffusion XL's added conditioning, per row like `context`: the pooled text vectors
   * (`text_embeds`) and the size ids (`time_ids`: original height and width, crop top and left,
   * target height and width).
   */
  added?: { textEmbeds: Float32Array; width: number; timeIds: readonly number[] } | undefined;
  /**
   * Channels the UNet takes after the latents in every row, the same at every step (an inpainting
   * UNet's mask and masked picture latents): `[extra channels × height × width]`.
   */
  conditioning?: Float32Array | undefined;
  /** Initial latents `[count × channels × height × width]`, already scaled by `initNoiseSigma`; denoised in place. */
  latents: Float32Array;
  latentDims: readonly [number, number, number];
  /** One generator per image, for schedulers that add noise at each step. */
  noises: readonly GaussianNoise[];
  maxBatch?: number | undefined;
  signal?: AbortSignal | undefined;
  onStep?: ((step: number, total: number) => void) | undefined;
  /** Sees the latents after step `stepIndex`'s scheduler update, and may change them (inpainting). */
  afterStep?: ((stepIndex: number, latents: Float32Array) => void) | undefined;
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

/** One UNet call's rows `[start, start + size)` of the batch and its inputs, padded to `padded` rows. */
interface Chunk {
  start: number;
  size: number;
  padded: number;
  sample: InputBuffer;
  timestep: InputBuffer;
  feeds: Record<string, Tensor>;
}

function planChunks(input: DenoiseInput, rows: number): Chunk[] {
  const { unet, sequence, hiddenSize } = input;
  const fixedBatch = unet.fixedBatch('sample');
  const batch = Math.max(1, Math.min(rows, fixedBatch ?? input.maxBatch ?? rows));
  const contextSize = sequence * hiddenSize;
  const condition = unet.hasInput('timestep_cond') ? conditionEmbedding(unet, input.guidanceScale) : undefined;
  const chunks: Chunk[] = [];
  for (let start = 0; start < rows; start += batch) {
    const size = Math.min(batch, rows - start);
    // A fixed-batch export gets a full chunk; the padding rows stay zero and their outputs are dropped.
    const padded = fixedBatch ?? size;
    let context = input.context;
    if (padded !== rows) {
      context = new Float32Array(padded * contextSize);
      context.set(input.context.subarray(start * contextSize, (start + size) * contextSize));
    }
    const [channels, height, width] = input.latentDims;
    const extra = input.conditioning;
    const extraChannels = extra ? extra.length / (height * width) : 0;
    const sample = unet.inputBuffer('sample', [padded, channels + extraChannels, height, width]);
    // The extra channels never change: written once, after each row's latents.
    const rowSize = (channels + extraChannels) * height * width;
    if (extra) for (let row = 0; row < padded; row++) sample.values.set(extra, row * rowSize + rowSize - extra.length);
    const timestep = unet.inputBuffer('timestep', timestepDims(unet, padded));
    const feeds: Record<string, Tensor> = {
      encoder_hidden_states: unet.tensor('encoder_hidden_states', context, [padded, sequence, hiddenSize]),
    };
    if (condition)
      feeds.timestep_cond = unet.tensor('timestep_cond', repeatRow(condition, padded), [padded, condition.length]);
    if (input.added) {
      const { textEmbeds, width, timeIds } = input.added;
      const embeds = new Float32Array(padded * width);
      embeds.set(textEmbeds.subarray(start * width, (start + size) * width));
      feeds.text_embeds = unet.tensor('text_embeds', embeds, [padded, width]);
      feeds.time_ids = unet.tensor('time_ids', repeatRow(timeIds, padded), [padded, timeIds.length]);
    }
    chunks.push({ start, size, padded, sample, timestep, feeds });
  }
  return chunks;
}

export async function denoise(input: DenoiseInput): Promise<Float32Array> {
  const { unet, scheduler, guided, guidanceScale, latentDims, latents } = input;
  const count = input.noises.length;
  const imageSize = latentDims[0] * latentDims[1] * latentDims[2];
  const rows = guided ? 2 * count : count;
  const chunks = planChunks(input, rows);
  // One chunk of exactly the batch: its output is the whole UNet output, used where ONNX Runtime left it.
  const gathered = chunks.length === 1 && chunks[0].padded === rows;
  const rowSize = imageSize + (input.conditioning?.length ?? 0);
  const output = gathered ? undefined : new Float32Array(rows * imageSize);
  const prediction = guided ? new Float32Array(count * imageSize) : undefined;
  let noise: Float32Array | undefined;
  const total = scheduler.timesteps.length;

  for (let step = 0; step < total; step++) {
    input.signal?.throwIfAborted();
    const scale = scheduler.inputScale(step);
    let unetOutput = output as Float32Array;
    for (const chunk of chunks) {
      writeRows(chunk.sample.values, latents, chunk.start, chunk.size, count * imageSize, imageSize, rowSize, scale);
      chunk.timestep.values.fill(scheduler.timesteps[step]);
      chunk.feeds.sample = chunk.sample.tensor();
      chunk.feeds.timestep = chunk.timestep.tensor();
      const result = await unet.run(chunk.feeds);
      if (output) output.set(result.data.subarray(0, chunk.size * imageSize), chunk.start * imageSize);
      else unetOutput = result.data;
    }
    const modelOutput = prediction ? combineGuidance(unetOutput, prediction, guidanceScale) : unetOutput;
    if (input.onModelOutput) {
      // The hook sees what the UNet saw (the scaled latents); buffers are reused, so it must finish before the step.
      const scaledInput = latents.map((value) => value * scale);
      await input.onModelOutput(step + 1, scaledInput, modelOutput, scheduler.timesteps[step]);
    }
    if (scheduler.needsNoise(step)) {
      noise ??= new Float32Array(count * imageSize);
      drawNoise(input.noises, noise, imageSize);
    }
    scheduler.step(modelOutput, step, latents, scheduler.needsNoise(step) ? noise : undefined);
    input.afterStep?.(step, latents);
    input.onStep?.(step + 1, total);
  }
  return latents;
}

/**
 * Batch rows `[start, start + size)` of the UNet input: row r is image r mod count, times `scale`,
 * at the start of its `rowSize` values (the conditioning channels follow).
 */
function writeRows(
  target: Float32Array,
  latents: Float32Array,
  start: number,
  size: number,
  latentsSize: number,
  imageSize: number,
  rowSize: number,
  scale: number,
): void {
  for (let row = 0; row < size; row++) {
    const from = ((start + row) * imageSize) % latentsSize;
    const source = latents.subarray(from, from + imageSize);
    const offset = row * rowSize;
    if (scale === 1) target.set(source, offset);
    else for (let index = 0; index < imageSize; index++) target[offset + index] = source[index] * scale;
  }
}

/** `values` once per row, `rows` times. */
function repeatRow(values: ArrayLike<number>, rows: number): Float32Array {
  const repeated = new Float32Array(rows * values.length);
  for (let row = 0; row < rows; row++) repeated.set(values, row * values.length);
  return repeated;
}

function conditionEmbedding(unet: OnnxPart, guidanceScale: number): Float32Array {
  const dimension = unet.input('timestep_cond').shape[1];
  return guidanceEmbedding(guidanceScale, typeof dimension === 'number' ? dimension : 256);
}

/** ε_u + g·(ε_c − ε_u) over the two halves of the UNet output, into `result`. */
function combineGuidance(output: Float32Array, result: Float32Array, scale: number): Float32Array {
  const half = result.length;
  for (let index = 0; index < half; index++) {
    const unconditional = output[index];
    result[index] = unconditional + scale * (output[half + index] - unconditional);
  }
  return result;
}

function drawNoise(noises: readonly GaussianNoise[], target: Float32Array, imageSize: number): void {
  noises.forEach((noise, image) => {
    noise.fill(target.subarray(image * imageSize, (image + 1) * imageSize));
  });
}
