/**
 * RGB bytes → latents, for image to image: the pixels to planar [−1, 1] (x/127.5 − 1, as diffusers'
 * image processor does), the VAE encoder, then the latent distribution's mean times the VAE's
 * `scaling_factor`. Optimum's encoder gives the distribution's parameters (`latent_parameters`: mean
 * and log-variance, twice the latent channels); older exports give a sample (`latent_sample`). The
 * mean is taken where there is one, not a sample: the seed's noise is added right after anyway, and
 * one picture then always encodes the same.
 */
import { MmkitError } from '../../../../errors.ts';
import type { InputImage } from '../../../spec/image-generation-model.ts';
import type { OnnxPart } from './onnx-part.ts';

/** RGB bytes as planar pixels in [−1, 1], as the VAE encoder takes them. */
export function planarPixels(image: InputImage): Float32Array {
  const { width, height, pixels } = image;
  const plane = width * height;
  const sample = new Float32Array(3 * plane);
  for (let index = 0, source = 0; index < plane; index++, source += 3) {
    sample[index] = pixels[source] / 127.5 - 1;
    sample[plane + index] = pixels[source + 1] / 127.5 - 1;
    sample[2 * plane + index] = pixels[source + 2] / 127.5 - 1;
  }
  return sample;
}

export function encodeImage(
  vae: OnnxPart,
  image: InputImage,
  latentChannels: number,
  latentScale: number,
): Promise<Float32Array> {
  return encodePixels(vae, planarPixels(image), image.width, image.height, latentChannels, latentScale);
}

/** Planar pixels in [−1, 1] (`[3 × height × width]`) → scaled latents (`[channels × height/8 × width/8]`). */
export async function encodePixels(
  vae: OnnxPart,
  sample: Float32Array,
  width: number,
  height: number,
  latentChannels: number,
  latentScale: number,
): Promise<Float32Array> {
  const { data, dims } = await vae.run({ sample: vae.tensor('sample', sample, [1, 3, height, width]) });
  const [, channels = 0, latentHeight = 0, latentWidth = 0] = dims;
  if (channels !== latentChannels && channels !== 2 * latentChannels) {
    throw new MmkitError(
      `the VAE encoder (${vae.path}) gives ${channels} channels; expected ${latentChannels} (a sample) or ${2 * latentChannels} (mean and log-variance)`,
      { code: 'model_unsupported', param: 'model', type: 'unsupported_error' },
    );
  }
  // The mean is the first half of the parameters (or the whole sample).
  const size = latentChannels * latentHeight * latentWidth;
  const latents = new Float32Array(size);
  for (let index = 0; index < size; index++) latents[index] = data[index] * latentScale;
  return latents;
}
