/**
 * `sd`: a tiny Stable Diffusion in Optimum's ONNX layout (`model_index.json`, `scheduler/`,
 * `text_encoder/`, `tokenizer/` as vocab.json + merges.txt, `unet/`, `vae_decoder/`) whose picture
 * is the colour the prompt names.
 *
 * - Text encoder: a bag of words over the real CLIP vocabulary. A colour word embeds as
 *   (2r−1, 2g−1, 2b−1, 1) from its RGB; every other token, padding included, as zeros.
 * - UNet: the exact denoiser for Gaussian data x₀ ~ N(c, κ²I), κ = 0.25. It sums the prompt's
 *   embeddings, takes the mean colour c = Σcolour / max(count, 1) (no colour word: grey, 0) as the
 *   latent mean (channel 3: 0), looks up ᾱ_t for the timestep and predicts
 *   ε̂ = √(1−ᾱ_t)·(x_t − √ᾱ_t·c) / (ᾱ_t·κ² + 1 − ᾱ_t). Samplers then land near c + κ·(starting noise),
 *   so the seed shows as texture around the colour, and classifier-free guidance moves the mean to
 *   c_neg + g·(c − c_neg): a negative prompt pushes away from its colour.
 * - VAE decoder: undoes the 0.18215 latent scaling, maps latent channels 0–2 to RGB with softsign
 *   (z/(1+|z|), which never saturates, so even strong guidance keeps seed texture), and upsamples
 *   ×8 (nearest).
 * - VAE encoder (image to image): the decoder's inverse on 8×8 block means, y/(1−|y|) per channel
 *   (channel 3: 0), given as Optimum's `latent_parameters` (mean, then a log-variance of zeros), so
 *   decoding an encoded picture gives it back block-averaged. Denoised from there, a picture moves
 *   towards the prompt's colour the more, the higher the strength.
 * So "a red apple" gives a mostly red image, and a negative prompt pushes away from its colour.
 *
 * `unetCompute` gives the UNet real work for benchmarks: a stack of 3×3 convolutions over the
 * latents whose result is added to ε̂ times zero, so the picture is the same but every UNet call
 * costs what the convolutions cost (about 2·layers·channels²·9·h·w flops per batch row).
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import type { Dim } from '../src/onnx/model-proto.ts';
import type { ElementType } from '../src/onnx/tensor.ts';
import { floatTensor, int64Tensor, tensor } from '../src/onnx/tensor.ts';
import { buildClipTokenizerConfig, CLIP_END_TOKEN, parseMerges } from '../src/preprocess/text/clip-tokenizer-json.ts';
import { CLIP_COLOURS } from './clip.ts';
import { buildClipVocabulary } from './clip-tokenizer.ts';
import { jsonFile, type ModelFiles } from './model-files.ts';
import { WeightMatrix } from './weights.ts';

const HIDDEN_SIZE = 4;
const LATENT_CHANNELS = 4;
/** An inpainting UNet's input: the latents, the mask, the masked picture's latents. */
const INPAINTING_CHANNELS = 2 * LATENT_CHANNELS + 1;
const SCALING_FACTOR = 0.18215;
/** κ: the spread of the tiny model's latent "data" around the prompt's colour. */
const DATA_STD = 0.25;
export const SD15_SCHEDULER = {
  _class_name: 'PNDMScheduler',
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  clip_sample: false,
  prediction_type: 'epsilon',
  trained_betas: null,
};
export const TURBO_SCHEDULER = {
  ...SD15_SCHEDULER,
  _class_name: 'EulerDiscreteScheduler',
  timestep_spacing: 'trailing',
  use_karras_sigmas: false,
  interpolation_type: 'linear',
};

/** A convolution stack the UNet runs every call (a real SD 1.5 UNet's convolutions have 320–1280 channels). */
export interface UnetCompute {
  channels: number;
  layers: number;
}

export interface TinySdOptions {
  /** Element type of the graphs' float inputs and outputs (weights stay float32). */
  precision?: 'float32' | 'float16';
  /** SD-Turbo's `model_index.json` and scheduler config (Euler, trailing) instead of SD 1.5's (PNDM). */
  turbo?: boolean;
  /** Real compute per UNet call, for benchmarks; the images do not change. */
  unetCompute?: UnetCompute;
  /** A fixed UNet batch size, as some exports have (default: symbolic). */
  unetBatch?: number;
  /**
   * An inpainting-trained UNet's layout (`StableDiffusionInpaintPipeline`, 9 input channels): the
   * prompt's colour where the mask channel says repaint, the masked picture's latents elsewhere.
   */
  inpainting?: boolean;
}

/** OpenAI's CLIP merges: beside this file in the sources, two levels up when running from dist/testkit/. */
const MERGES_CANDIDATES = ['./data/clip-merges.txt.gz', '../../testkit/data/clip-merges.txt.gz'];

let vocabularyCache: { merges: string[]; vocabulary: Record<string, number> } | undefined;

export function clipVocabulary() {
  if (vocabularyCache) return vocabularyCache;
  const path = MERGES_CANDIDATES.map((candidate) => new URL(candidate, import.meta.url)).find((url) => existsSync(url));
  if (!path) throw new Error(`testkit sd: CLIP merges not found (looked for ${MERGES_CANDIDATES.join(', ')})`);
  const merges = parseMerges(gunzipSync(readFileSync(path)).toString('utf8'));
  vocabularyCache = { merges, vocabulary: buildClipVocabulary(merges) };
  return vocabularyCache;
}

/** The colour words the text encoder knows: those that are one CLIP token. */
export function tinySdColourWords(): string[] {
  const { vocabulary } = clipVocabulary();
  return Object.keys(CLIP_COLOURS).filter((word) => vocabulary[`${word}</w>`] !== undefined);
}

/** ᾱ_t of SD's scaled-linear β schedule, the table the UNet looks timesteps up in. */
export function alphasCumprod(): Float32Array {
  const count = SD15_SCHEDULER.num_train_timesteps;
  const start = Math.sqrt(SD15_SCHEDULER.beta_start);
  const end = Math.sqrt(SD15_SCHEDULER.beta_end);
  const table = new Float32Array(count);
  let product = 1;
  for (let index = 0; index < count; index++) {
    const root = start + ((end - start) * index) / (count - 1);
    product *= 1 - root * root;
    table[index] = product;
  }
  return table;
}

/** Casts a float input to float32 when the graph's IO is float16. */
export function floatInput(graph: GraphBuilder, name: string, precision: ElementType, dims: Dim[]): string {
  graph.input(name, precision, dims);
  return precision === 'float32' ? name : graph.op('Cast', [name], { to: 1 });
}

export function floatOutput(
  graph: GraphBuilder,
  value: string,
  name: string,
  precision: ElementType,
  dims: Dim[],
): void {
  graph.node(precision === 'float32' ? 'Identity' : 'Cast', [value], [name], precision === 'float32' ? {} : { to: 10 });
  graph.output(name, precision, dims);
}

/** The bag-of-words embedding: a colour word as (2r−1, 2g−1, 2b−1, 1), every other token as zeros. */
export function colourEmbeddingTable(): WeightMatrix {
  const { vocabulary } = clipVocabulary();
  const table = new WeightMatrix(Object.keys(vocabulary).length, HIDDEN_SIZE);
  for (const word of tinySdColourWords()) {
    const [red, green, blue] = CLIP_COLOURS[word];
    [2 * red - 1, 2 * green - 1, 2 * blue - 1, 1].forEach((value, feature) => {
      table.set(vocabulary[`${word}</w>`], feature, value);
    });
  }
  return table;
}

function textEncoder(precision: ElementType): Uint8Array {
  const { vocabulary } = clipVocabulary();
  const size = Object.keys(vocabulary).length;
  const table = colourEmbeddingTable();
  const graph = new GraphBuilder('tiny_sd_text_encoder');
  // fp32 exports here take int32 ids (as ONNX Runtime's SD exports do), fp16 ones int64.
  const idType = precision === 'float32' ? 'int32' : 'int64';
  const ids = graph.input('input_ids', idType, ['batch_size', 'sequence_length']);
  const weights = graph.initializer('token_embedding.weight', tensor('float32', table.data, [size, HIDDEN_SIZE]));
  const hidden = graph.op('Gather', [weights, ids], { axis: 0 });
  const pooled = graph.op('ReduceSum', [hidden, graph.constant(int64Tensor([1]))], { keepdims: 0 });
  floatOutput(graph, hidden, 'last_hidden_state', precision, ['batch_size', 'sequence_length', HIDDEN_SIZE]);
  floatOutput(graph, pooled, 'pooler_output', precision, ['batch_size', HIDDEN_SIZE]);
  return graph.toBytes();
}

/**
 * Convolutions (tanh between, so values stay bounded) over `sample`, reduced to their mean and
 * multiplied by 0: a [1, 1, 1, 1] zero that ONNX Runtime must compute (it does not fold x·0).
 */
function computeLoad(graph: GraphBuilder, sample: string, compute: UnetCompute): string {
  let hidden = sample;
  let inputs = LATENT_CHANNELS;
  for (let layer = 0; layer < compute.layers; layer++) {
    const size = compute.channels * inputs * 9;
    const scale = 1 / Math.sqrt(inputs * 9);
    const weights = Float32Array.from({ length: size }, (_, index) => scale * Math.sin(index * 12.9898 + layer));
    const kernel = graph.initializer(
      `compute_load.${layer}.weight`,
      tensor('float32', weights, [compute.channels, inputs, 3, 3]),
    );
    hidden = graph.op('Tanh', [graph.op('Conv', [hidden, kernel], { pads: [1, 1, 1, 1] })]);
    inputs = compute.channels;
  }
  const mean = graph.op('ReduceMean', [hidden], { keepdims: 1 });
  return graph.op('Mul', [mean, graph.constant(floatTensor([0], []))]);
}

/** Channels `[start, end)` of a `[batch, channels, height, width]` value. */
function channelSlice(graph: GraphBuilder, value: string, start: number, end: number): string {
  return graph.op('Slice', [
    value,
    graph.constant(int64Tensor([start])),
    graph.constant(int64Tensor([end])),
    graph.constant(int64Tensor([1])),
  ]);
}

function unet(precision: ElementType, options: TinySdOptions): Uint8Array {
  const graph = new GraphBuilder('tiny_sd_unet');
  const batch = options.unetBatch ?? 'batch_size';
  const inputChannels = options.inpainting ? INPAINTING_CHANNELS : LATENT_CHANNELS;
  const input = floatInput(graph, 'sample', precision, [batch, inputChannels, 'height', 'width']);
  const sample = options.inpainting ? channelSlice(graph, input, 0, LATENT_CHANNELS) : input;
  // fp32: an int64 timestep per batch row; fp16: one float16 timestep for the whole batch.
  const timestep =
    precision === 'float32'
      ? graph.input('timestep', 'int64', [batch])
      : graph.op('Cast', [graph.input('timestep', 'float16', [1])], { to: 1 });
  const text = floatInput(graph, 'encoder_hidden_states', precision, [batch, 'sequence_length', HIDDEN_SIZE]);

  const summed = graph.op('ReduceSum', [text, graph.constant(int64Tensor([1]))], { keepdims: 0 });
  const slice = (start: number, end: number) =>
    graph.op('Slice', [
      summed,
      graph.constant(int64Tensor([start])),
      graph.constant(int64Tensor([end])),
      graph.constant(int64Tensor([1])),
    ]);
  const count = graph.op('Max', [slice(3, 4), graph.constant(floatTensor([1], []))]);
  const colour = colourLatent(graph, graph.op('Div', [slice(0, 3), count]));
  // Inpainting: the prompt's colour where the mask channel is 1, the masked picture's latents elsewhere.
  const clean = options.inpainting ? inpaintingTarget(graph, input, colour) : colour;
  let epsilon = exactDenoiser(graph, sample, timestep, clean);
  if (options.unetCompute) epsilon = graph.op('Add', [epsilon, computeLoad(graph, sample, options.unetCompute)]);
  floatOutput(graph, epsilon, 'out_sample', precision, [batch, LATENT_CHANNELS, 'height', 'width']);
  return graph.toBytes();
}

/** The colour `[batch, 3]` as a clean latent `[batch, 4, 1, 1]` (channel 3: 0). */
export function colourLatent(graph: GraphBuilder, colour: string): string {
  const latent = graph.op('Pad', [colour, graph.constant(int64Tensor([0, 0, 0, 1]))]);
  return graph.op('Reshape', [latent, graph.constant(int64Tensor([-1, LATENT_CHANNELS, 1, 1]))]);
}

/**
 * μ = m·c + (1 − m)·y from an inpainting UNet's input: the mask channel m (4) and the masked
 * picture's latents y (5–8), c the prompt's colour latent.
 */
function inpaintingTarget(graph: GraphBuilder, input: string, colour: string): string {
  const mask = channelSlice(graph, input, LATENT_CHANNELS, LATENT_CHANNELS + 1);
  const picture = channelSlice(graph, input, LATENT_CHANNELS + 1, INPAINTING_CHANNELS);
  return graph.op('Add', [picture, graph.op('Mul', [mask, graph.op('Sub', [colour, picture])])]);
}

/**
 * ε̂ of the exact denoiser for latents x₀ ~ N(μ, κ²I), μ the `clean` latent (`[batch, 4, 1, 1]` for
 * one colour, or per position), at a float32 or int64 `timestep` per row.
 */
export function exactDenoiser(graph: GraphBuilder, sample: string, timestep: string, clean: string): string {
  const index = graph.op('Clip', [
    graph.op('Cast', [graph.op('Round', [graph.op('Cast', [timestep], { to: 1 })])], { to: 7 }),
    graph.constant(int64Tensor([0], [])),
    graph.constant(int64Tensor([SD15_SCHEDULER.num_train_timesteps - 1], [])),
  ]);
  const alpha = graph.op('Gather', [graph.initializer('alphas_cumprod', tensor('float32', alphasCumprod())), index]);
  const column = (value: string) => graph.op('Reshape', [value, graph.constant(int64Tensor([-1, 1, 1, 1]))]);
  const signal = column(graph.op('Sqrt', [alpha]));
  const noiseLevel = column(graph.op('Sqrt', [graph.op('Sub', [graph.constant(floatTensor([1], [])), alpha])]));
  const residual = graph.op('Sub', [sample, graph.op('Mul', [signal, clean])]);
  // ᾱκ² + 1 − ᾱ: the variance of x_t under the Gaussian data model.
  const variance = graph.op('Add', [
    graph.op('Mul', [column(alpha), graph.constant(floatTensor([DATA_STD * DATA_STD - 1], []))]),
    graph.constant(floatTensor([1], [])),
  ]);
  return graph.op('Div', [graph.op('Mul', [residual, noiseLevel]), variance]);
}

export function vaeDecoder(precision: ElementType, scalingFactor = SCALING_FACTOR): Uint8Array {
  const graph = new GraphBuilder('tiny_sd_vae_decoder');
  const latent = floatInput(graph, 'latent_sample', precision, [
    'batch_size',
    LATENT_CHANNELS,
    'latent_height',
    'latent_width',
  ]);
  const rgb = graph.op('Slice', [
    latent,
    graph.constant(int64Tensor([0])),
    graph.constant(int64Tensor([3])),
    graph.constant(int64Tensor([1])),
  ]);
  const image = graph.op('Softsign', [graph.op('Mul', [rgb, graph.constant(floatTensor([scalingFactor], []))])]);
  const upsampled = graph.op('Resize', [image, '', graph.constant(floatTensor([1, 1, 8, 8]))], {
    mode: 'nearest',
  });
  floatOutput(graph, upsampled, 'sample', precision, ['batch_size', 3, 'height', 'width']);
  return graph.toBytes();
}

/** Pixels in [−1, 1] → the latent distribution's parameters, before the latent scaling. */
export function vaeEncoder(precision: ElementType, scalingFactor = SCALING_FACTOR): Uint8Array {
  const graph = new GraphBuilder('tiny_sd_vae_encoder');
  const sample = floatInput(graph, 'sample', precision, ['batch_size', 3, 'height', 'width']);
  const blocks = graph.op('AveragePool', [sample], { kernel_shape: [8, 8], strides: [8, 8] });
  // Softsign's inverse; |y| kept below 1, where it is finite.
  const bounded = graph.op('Clip', [
    blocks,
    graph.constant(floatTensor([-0.98], [])),
    graph.constant(floatTensor([0.98], [])),
  ]);
  const unsquashed = graph.op('Div', [
    bounded,
    graph.op('Sub', [graph.constant(floatTensor([1], [])), graph.op('Abs', [bounded])]),
  ]);
  const mean = graph.op('Div', [
    graph.op('Pad', [unsquashed, graph.constant(int64Tensor([0, 0, 0, 0, 0, 1, 0, 0]))]),
    graph.constant(floatTensor([scalingFactor], [])),
  ]);
  const logVariance = graph.op('Mul', [mean, graph.constant(floatTensor([0], []))]);
  const parameters = graph.op('Concat', [mean, logVariance], { axis: 1 });
  floatOutput(graph, parameters, 'latent_parameters', precision, [
    'batch_size',
    2 * LATENT_CHANNELS,
    'latent_height',
    'latent_width',
  ]);
  return graph.toBytes();
}

export function sdFiles(options: TinySdOptions = {}): ModelFiles {
  const precision = options.precision ?? 'float32';
  const scheduler = options.turbo ? TURBO_SCHEDULER : SD15_SCHEDULER;
  const { merges, vocabulary } = clipVocabulary();
  const modelIndex = {
    _class_name: options.inpainting ? 'StableDiffusionInpaintPipeline' : 'StableDiffusionPipeline',
    _diffusers_version: '0.30.0',
    _name_or_path: `mmkit/tiny-sd${options.turbo ? '-turbo' : ''}${options.inpainting ? '-inpainting' : ''}`,
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', scheduler._class_name],
    text_encoder: ['transformers', 'CLIPTextModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
  };
  return {
    'model_index.json': jsonFile(modelIndex),
    'scheduler/scheduler_config.json': jsonFile({ ...scheduler, _diffusers_version: '0.30.0' }),
    'text_encoder/config.json': jsonFile({
      architectures: ['CLIPTextModel'],
      model_type: 'clip_text_model',
      hidden_size: HIDDEN_SIZE,
      max_position_embeddings: 77,
      vocab_size: Object.keys(vocabulary).length,
      torch_dtype: precision,
    }),
    'text_encoder/model.onnx': textEncoder(precision),
    'tokenizer/vocab.json': JSON.stringify(vocabulary),
    'tokenizer/merges.txt': `#version: 0.2\n${merges.join('\n')}\n`,
    'tokenizer/tokenizer_config.json': jsonFile(buildClipTokenizerConfig()),
    'tokenizer/special_tokens_map.json': jsonFile({ pad_token: CLIP_END_TOKEN }),
    'unet/config.json': jsonFile({
      _class_name: 'UNet2DConditionModel',
      in_channels: options.inpainting ? INPAINTING_CHANNELS : LATENT_CHANNELS,
      out_channels: LATENT_CHANNELS,
      sample_size: 64,
      cross_attention_dim: HIDDEN_SIZE,
    }),
    'unet/model.onnx': unet(precision, options),
    'vae_decoder/config.json': jsonFile({
      _class_name: 'AutoencoderKL',
      latent_channels: LATENT_CHANNELS,
      scaling_factor: SCALING_FACTOR,
      sample_size: 512,
    }),
    'vae_decoder/model.onnx': vaeDecoder(precision),
    'vae_encoder/config.json': jsonFile({
      _class_name: 'AutoencoderKL',
      latent_channels: LATENT_CHANNELS,
      scaling_factor: SCALING_FACTOR,
      sample_size: 512,
    }),
    'vae_encoder/model.onnx': vaeEncoder(precision),
    'README.md': [
      `# mmkit tiny sd${options.turbo ? ' (turbo layout)' : ''}${options.inpainting ? ' (inpainting UNet)' : ''}`,
      '',
      'Built by `mmkit testkit build sd`. A Stable Diffusion pipeline in Optimum ONNX layout whose image is',
      `the colour its prompt names (${tinySdColourWords().join(', ')}); a negative prompt pushes away from its colour;`,
      'image to image moves a picture towards that colour, the more the higher the strength.',
      ...(options.inpainting
        ? ['Its UNet takes 9 channels (latents, mask, masked picture): it paints the colour where the mask is.']
        : []),
      'For tests only.',
      '',
    ].join('\n'),
  };
}
