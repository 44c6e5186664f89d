/**
 * Stable Diffusion on onnxruntime-node: `OnnxImageGenerationModel.load(idOrFolder)` opens the text
 * encoder, UNet and VAE decoder of an Optimum ONNX export (local folder or Hub repo id) and
 * `generate` runs text encoding → seeded latents → denoising loop → VAE decoding. Stable Diffusion
 * XL's second text encoder, pooled text vectors and size ids are added where the export has them.
 * Image to image starts instead from the given picture, VAE-encoded (the encoder is loaded on first
 * use) and noised to the scheduler's first kept step. An inpainting-trained UNet (9 input channels)
 * gets the mask and the masked picture beside the latents (the whole picture is repainted when no
 * mask is given, a blank one when no picture is).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InferenceSession } from 'onnxruntime-node';
import { describeError, MmkitError } from '../../../../errors.ts';
import { loadTextTokenizer, type TextTokenizer } from '../../../../preprocess/text/tokenize.ts';
import { type ResolveOptions, resolveModelFolder } from '../../../hub/resolve-model-folder.ts';
import type { ModelDescription, Timings } from '../../../spec/common.ts';
import type {
  ImageGenerationDefaults,
  ImageGenerationModel,
  ImageGenerationRequest,
  ImageGenerationResult,
} from '../../../spec/image-generation-model.ts';
import { NO_SPINNING } from '../session-options.ts';
import { denoise } from './denoise.ts';
import { GaussianNoise } from './gaussian-noise.ts';
import { inpaintingChannels, keepUnmasked, latentMask } from './inpainting.ts';
import { OnnxPart } from './onnx-part.ts';
import { OriginalEstimator, partialImageSteps } from './partial-images.ts';
import { type PipelineFolder, readPipelineFolder } from './pipeline-folder.ts';
import type { DiffusionScheduler, SchedulerClassName } from './schedulers/scheduler.ts';
import { createScheduler, resolveSchedulerName } from './schedulers/select.ts';
import { type EncodedTexts, encodeTexts, encodeTextsXl } from './text-conditioning.ts';
import { decodeLatents } from './vae-decode.ts';
import { encodeImage, encodePixels, planarPixels } from './vae-encode.ts';
import { DEFAULT_STRENGTH, validateRequest } from './validate-request.ts';

export interface OnnxImageGenerationOptions {
  /** Scheduler class name or alias (`euler`, `dpm++2m`…) instead of the one model_index.json names. */
  scheduler?: string | undefined;
  /** Which weights to use where the export has both (`unet/model_fp16.onnx`); default fp32/`model.onnx`. */
  dtype?: 'fp32' | 'fp16' | undefined;
  /** Decode latents one image at a time (lower peak memory for count > 1). */
  vaeSlicing?: boolean | undefined;
  /** Most rows per UNet call; guidance doubles the rows (default: all in one call). */
  maxUnetBatch?: number | undefined;
  sessionOptions?: InferenceSession.SessionOptions | undefined;
  /** The Hub id or folder to report and to recognise the model by (default: `source`). */
  name?: string | undefined;
  /** Hub download options for a repo id (pull, offline settings, progress). */
  hub?: Omit<ResolveOptions, 'dtype'> | undefined;
}

export interface DiffusionTimings extends Timings {
  textEncoderMs: number;
  unetMs: number;
  vaeMs: number;
  /** Time inside ONNX Runtime (`session.run`), all three graphs. */
  onnxMs: number;
  unetCalls: number;
}

export interface OnnxImageGenerationResult extends ImageGenerationResult {
  timings: DiffusionTimings;
  warnings: string[];
  peakMemoryBytes: number;
}

const LATENT_CHANNELS = 4;
/** An inpainting UNet's input: the latents, the mask, the masked picture's latents. */
const INPAINTING_CHANNELS = 2 * LATENT_CHANNELS + 1;
const VAE_FACTOR = 8;

export class OnnxImageGenerationModel implements ImageGenerationModel {
  readonly description: ModelDescription;
  readonly recommended: ImageGenerationDefaults | undefined;
  readonly schedulerName: SchedulerClassName;
  /** Whether the UNet is inpainting-trained (takes the mask and the masked picture too). */
  readonly inpaintingUnet: boolean;
  /** The VAE encoder, loaded by the first request that needs one. */
  private vaeEncoder: Promise<OnnxPart> | undefined;

  private constructor(
    readonly pipeline: PipelineFolder,
    private readonly tokenizer: TextTokenizer,
    private readonly parts: { textEncoder: OnnxPart; unet: OnnxPart; vae: OnnxPart },
    /** Stable Diffusion XL's second text encoder and its tokenizer. */
    private readonly second: { encoder: OnnxPart; tokenizer: TextTokenizer } | undefined,
    private readonly options: OnnxImageGenerationOptions,
    private readonly sessionOptions: InferenceSession.SessionOptions,
    source: string,
    memoryBytes: number,
  ) {
    this.schedulerName = options.scheduler ? resolveSchedulerName(options.scheduler) : pipeline.schedulerClass;
    this.description = { id: `onnx:${source}`, provider: 'onnx', memoryBytes };
    this.recommended = recommendedSettings(pipeline, source, parts.unet);
    this.inpaintingUnet = unetChannels(parts.unet, pipeline) === INPAINTING_CHANNELS;
  }

  static async load(source: string, options: OnnxImageGenerationOptions = {}): Promise<OnnxImageGenerationModel> {
    if (options.scheduler) resolveSchedulerName(options.scheduler);
    const folder = await resolveModelFolder(source, { ...options.hub, dtype: options.dtype });
    const pipeline = await readPipelineFolder(folder, options.dtype === 'fp16' ? '_fp16' : '');
    const tokenizer = await loadTextTokenizer(pipeline.tokenizerFolder);
    // Between UNet calls the scheduler, the VAE's pixel conversion and the PNG encoder need the cores.
    // Options that set `extra` replace this.
    const sessionOptions = { ...NO_SPINNING, ...options.sessionOptions };
    const textEncoder = await OnnxPart.load('text encoder', pipeline.models.text_encoder, sessionOptions);
    const unet = await OnnxPart.load('UNet', pipeline.models.unet, sessionOptions);
    const vae = await OnnxPart.load('VAE decoder', pipeline.models.vae_decoder, sessionOptions);
    for (const name of ['sample', 'timestep', 'encoder_hidden_states']) unet.input(name);
    checkUnetChannels(unet, pipeline);
    textEncoder.input('input_ids');
    vae.input('latent_sample');
    let second: { encoder: OnnxPart; tokenizer: TextTokenizer } | undefined;
    const xl = pipeline.secondTextEncoder;
    if (xl) {
      const encoder = await OnnxPart.load('second text encoder', xl.model, sessionOptions);
      encoder.input('input_ids');
      for (const name of ['text_embeds', 'time_ids']) unet.input(name);
      second = { encoder, tokenizer: await loadTextTokenizer(xl.tokenizerFolder) };
    }
    const memoryBytes = await weightBytes([...Object.values(pipeline.models), ...(xl ? [xl.model] : [])]);
    const name = options.name ?? source;
    const parts = { textEncoder, unet, vae };
    return new OnnxImageGenerationModel(pipeline, tokenizer, parts, second, options, sessionOptions, name, memoryBytes);
  }

  async generate(request: ImageGenerationRequest): Promise<OnnxImageGenerationResult> {
    validateRequest(request);
    request.signal?.throwIfAborted();
    const started = performance.now();
    const { textEncoder, unet, vae } = this.parts;
    for (const part of this.sessions) part.resetTimer();
    const strength = request.image ? (request.strength ?? DEFAULT_STRENGTH) : 1;
    const scheduler = this.scheduler(request.steps, strength);
    // LCM UNets take guidance as an embedding (`timestep_cond`), not as a second batch half.
    const guided = request.guidanceScale > 1 && !unet.hasInput('timestep_cond');

    const encoded = await this.encodePrompts(request, guided);
    const context = repeatRows(encoded.states, request.count);
    // SDXL's size ids: the picture was not cropped and is wanted at the size it is made.
    const added = encoded.pooled && {
      textEmbeds: repeatRows(encoded.pooled, request.count),
      width: encoded.pooled[0]!.length,
      timeIds: [request.height, request.width, 0, 0, request.height, request.width],
    };

    const latentDims = [LATENT_CHANNELS, request.height / VAE_FACTOR, request.width / VAE_FACTOR] as const;
    const imageSize = latentDims[0] * latentDims[1] * latentDims[2];
    const noises = Array.from({ length: request.count }, (_, index) => new GaussianNoise(request.seed + index));
    const startNoise = new Float32Array(request.count * imageSize);
    for (const [index, noise] of noises.entries()) {
      noise.fill(startNoise.subarray(index * imageSize, (index + 1) * imageSize));
    }
    const encoder = request.image || this.inpaintingUnet ? await this.loadVaeEncoder() : undefined;
    encoder?.resetTimer();
    // Text to image starts from noise alone; image to image from the picture noised to the first step
    // kept; an inpainting UNet at full strength from noise too (it sees the picture beside the latents).
    const clean =
      encoder && request.image && !(this.inpaintingUnet && strength === 1)
        ? await encodeImage(encoder, request.image, LATENT_CHANNELS, this.pipeline.latentScale)
        : undefined;
    const conditioning =
      encoder && this.inpaintingUnet ? await this.inpaintingConditioning(encoder, request) : undefined;
    const { signal, noise: noiseWeight } = clean
      ? scheduler.noiseLevel(0)
      : { signal: 0, noise: scheduler.initNoiseSigma };
    const latents = new Float32Array(request.count * imageSize);
    for (let index = 0; index < latents.length; index++) {
      latents[index] = (clean ? signal * clean[index % imageSize]! : 0) + noiseWeight * startNoise[index]!;
    }
    // Inpainting with a UNet that cannot see the mask: after each step the unmasked part is put back
    // at the latents' noise level.
    const inpaint =
      clean && request.mask && !this.inpaintingUnet
        ? keepUnmasked(scheduler, clean, startNoise, latentMask(request.mask, request.width, request.height))
        : undefined;

    let firstOutputMs: number | undefined;
    const previewSteps = request.onPartialImages
      ? partialImageSteps(request.partialImages ?? 0, scheduler.timesteps.length)
      : [];
    const estimator = previewSteps.length > 0 ? new OriginalEstimator(this.pipeline.schedulerConfig) : undefined;
    let previews = 0;
    const decode = (values: Float32Array) =>
      decodeLatents(vae, values, latentDims, this.pipeline.latentScale, {
        slicing: this.options.vaeSlicing,
        signal: request.signal,
      });
    const final = await denoise({
      unet,
      scheduler,
      context,
      sequence: encoded.sequence,
      hiddenSize: encoded.hiddenSize,
      guided,
      guidanceScale: request.guidanceScale,
      added,
      conditioning,
      latents,
      latentDims,
      noises,
      maxBatch: this.options.maxUnetBatch,
      signal: request.signal,
      afterStep: inpaint,
      onStep: (step, totalSteps) => {
        firstOutputMs ??= performance.now() - started;
        request.onProgress?.({ step, totalSteps });
      },
      onModelOutput: estimator
        ? async (step, modelInput, modelOutput, timestep) => {
            if (!previewSteps.includes(step)) return;
            const images = await decode(estimator.estimate(modelInput, modelOutput, timestep));
            request.onPartialImages?.({
              index: previews++,
              step,
              totalSteps: scheduler.timesteps.length,
              images: images.map((image, index) => ({ ...image, seed: request.seed + index })),
            });
          }
        : undefined,
    });
    const decoded = await decode(final);
    const textEncoderMs = textEncoder.runMs + (this.second?.encoder.runMs ?? 0);
    const vaeMs = vae.runMs + (encoder?.runMs ?? 0);
    return {
      images: decoded.map((image, index) => ({ ...image, seed: request.seed + index })),
      scheduler: scheduler.name,
      timings: {
        totalMs: performance.now() - started,
        firstOutputMs,
        textEncoderMs,
        unetMs: unet.runMs,
        vaeMs,
        onnxMs: textEncoderMs + unet.runMs + vaeMs,
        unetCalls: unet.calls,
      },
      warnings: encoded.warnings,
      peakMemoryBytes: process.resourceUsage().maxRSS * 1024,
    };
  }

  async dispose(): Promise<void> {
    const encoder = await this.vaeEncoder?.catch(() => undefined);
    await Promise.all([...this.sessions, ...(encoder ? [encoder] : [])].map((part) => part.release()));
  }

  /** The ONNX Runtime sessions every generation runs. */
  private get sessions(): OnnxPart[] {
    return [...Object.values(this.parts), ...(this.second ? [this.second.encoder] : [])];
  }

  /** The VAE encoder, loaded on first use; an export without one is told what to pull. */
  private async loadVaeEncoder(): Promise<OnnxPart> {
    const path = this.pipeline.vaeEncoder;
    if (!path) {
      const needs = this.inpaintingUnet ? 'an inpainting UNet' : 'image to image';
      throw new MmkitError(
        `${this.description.id.replace(/^onnx:/, '')} has no VAE encoder (vae_encoder/model.onnx), which ${needs} needs; a model pulled before mmkit did image to image gets it with: mmkit models pull ID`,
        {
          code: 'image_to_image_unsupported',
          param: this.inpaintingUnet ? 'model' : 'image',
          type: 'unsupported_error',
        },
      );
    }
    if (!this.vaeEncoder) {
      this.vaeEncoder = OnnxPart.load('VAE encoder', path, this.sessionOptions);
      // A failed load is reported to this request; the next one tries again.
      this.vaeEncoder.catch(() => {
        this.vaeEncoder = undefined;
      });
    }
    return this.vaeEncoder;
  }

  /**
   * The inpainting UNet's mask and masked picture channels. Without a mask the whole picture is
   * repainted; without a picture (text to image) the masked picture is blank.
   */
  private inpaintingConditioning(encoder: OnnxPart, request: ImageGenerationRequest): Promise<Float32Array> {
    const { width, height } = request;
    const mask = request.mask ?? new Uint8Array(width * height).fill(255);
    const pixels = request.image ? planarPixels(request.image) : new Float32Array(3 * width * height);
    return inpaintingChannels(mask, pixels, width, height, (blanked) =>
      encodePixels(encoder, blanked, width, height, LATENT_CHANNELS, this.pipeline.latentScale),
    );
  }

  /**
   * The prompt (after the negative prompt when guided) as the UNet's context: one encoder's last
   * hidden state, or SDXL's two encoders with the pooled vector, an absent negative prompt as zeros.
   */
  private encodePrompts(request: ImageGenerationRequest, guided: boolean): Promise<EncodedTexts> {
    const negative = request.negativePrompt ?? '';
    const texts = [
      ...(guided
        ? [
            {
              text: negative,
              label: 'negative prompt',
              zero: negative === '' && this.pipeline.secondTextEncoder?.zerosForEmptyNegative,
            },
          ]
        : []),
      { text: request.prompt, label: 'prompt' },
    ];
    if (!this.second) return encodeTexts(this.parts.textEncoder, this.tokenizer, texts);
    return encodeTextsXl({ encoder: this.parts.textEncoder, tokenizer: this.tokenizer }, this.second, texts);
  }

  private scheduler(steps: number, strength: number): DiffusionScheduler {
    try {
      return createScheduler(this.schedulerName, this.pipeline.schedulerConfig, steps, strength);
    } catch (error) {
      throw new MmkitError(`steps: ${describeError(error)}`, { code: 'invalid_parameter', param: 'steps' });
    }
  }
}

/** The UNet's input channels: its graph's `sample` shape, else its config's `in_channels`, else 4. */
function unetChannels(unet: OnnxPart, pipeline: PipelineFolder): number {
  const channels = unet.input('sample').shape[1];
  return typeof channels === 'number' && channels > 0 ? channels : (pipeline.unetInChannels ?? LATENT_CHANNELS);
}

/**
 * Text-to-image (4 channels) and inpainting (9) UNets run; others (instruct-pix2pix's 8, depth's 5)
 * need inputs this pipeline does not make: one line saying so at load, not an ONNX Runtime error later.
 */
function checkUnetChannels(unet: OnnxPart, pipeline: PipelineFolder): void {
  const channels = unetChannels(unet, pipeline);
  if (channels === LATENT_CHANNELS || channels === INPAINTING_CHANNELS) return;
  throw new MmkitError(
    `${pipeline.folder}: the UNet takes ${channels} input channels; mmkit runs text-to-image UNets (${LATENT_CHANNELS}) and inpainting UNets (${INPAINTING_CHANNELS})`,
    { code: 'unsupported_architecture', param: 'model', type: 'unsupported_error' },
  );
}

/** Each text's block repeated `count` times, texts in order: [uncond × count, cond × count]. */
function repeatRows(states: readonly Float32Array[], count: number): Float32Array {
  const block = states[0].length;
  const result = new Float32Array(states.length * count * block);
  states.forEach((state, text) => {
    for (let copy = 0; copy < count; copy++) result.set(state, (text * count + copy) * block);
  });
  return result;
}

/**
 * SD-Turbo and SDXL-Turbo run in 1–4 steps without guidance; LCM in about 4 with its embedded
 * guidance; SDXL base was trained at 1024 × 1024 (its turbo at 512 × 512, the seed's default).
 */
function recommendedSettings(
  pipeline: PipelineFolder,
  source: string,
  unet: OnnxPart,
): ImageGenerationDefaults | undefined {
  const repoId = !isAbsolute(source) && !source.startsWith('.') && !source.startsWith('~') ? source : '';
  if (/turbo/i.test(pipeline.nameOrPath ?? '') || /turbo/i.test(repoId)) return { steps: 1, guidanceScale: 0 };
  if (pipeline.schedulerClass === 'LCMScheduler' || unet.hasInput('timestep_cond'))
    return { steps: 4, guidanceScale: 8 };
  if (pipeline.secondTextEncoder) return { width: 1024, height: 1024 };
  return undefined;
}

async function weightBytes(modelPaths: string[]): Promise<number> {
  let total = 0;
  for (const path of modelPaths) {
    for (const candidate of [path, `${path}_data`, `${path}.data`]) {
      total += (await stat(candidate).catch(() => undefined))?.size ?? 0;
    }
  }
  return total;
}
