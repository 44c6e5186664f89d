/**
 * The vision encoder of the tiny `llava` model (`onnx/vision_encoder.onnx`: `pixel_values` →
 * `image_features`), whose features are colour votes.
 *
 * Every pixel votes for its nearest palette colour: a 1×1 convolution scores each colour c by
 * s·(2·rgb·c − ‖c‖²) (= −s‖rgb − c‖² up to a per-pixel constant), with the processor's
 * normalisation undone inside the same affine map, and a softmax over colours turns the scores into
 * a near one-hot vote. Average pooling over each patch gives one image token per patch holding the
 * fraction of its pixels that voted for each colour, written into the decoder's hidden slots. The
 * decoder averages the tokens again, so it sees the share of the whole image each colour has.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, tensor } from '../src/onnx/tensor.ts';
import { CLIP_COLOURS } from './clip.ts';
import { WeightMatrix } from './weights.ts';

/** The colours the model can name (the `clip` palette plus grey), RGB in [0, 1]. */
export const LLAVA_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  ...CLIP_COLOURS,
  gray: [0.5, 0.5, 0.5],
};
export const LLAVA_COLOUR_NAMES = Object.keys(LLAVA_COLOURS);

export const LLAVA_IMAGE_SIZE = 32;
export const LLAVA_PATCH_SIZE = 8;
export const LLAVA_IMAGE_TOKENS = (LLAVA_IMAGE_SIZE / LLAVA_PATCH_SIZE) ** 2;
/** CLIP's normalisation, as LLaVA's image processor uses it. */
export const LLAVA_IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073];
export const LLAVA_IMAGE_STD = [0.26862954, 0.26130258, 0.27577711];

/** Votes sharpness: a pixel 0.25 (squared distance) nearer one colour gives it e^12.5 times the weight. */
const VOTE_SHARPNESS = 50;

export interface VisionSlots {
  hiddenSize: number;
  /** First of `LLAVA_COLOUR_NAMES.length` slots receiving the colour shares. */
  colourVotes: number;
  /** Slots set to 1 in every image token. */
  constantOnes: readonly number[];
}

function voteWeights(): { weight: Float32Array; bias: Float32Array } {
  const colours = Object.values(LLAVA_COLOURS);
  const weight = new Float32Array(colours.length * 3);
  const bias = new Float32Array(colours.length);
  colours.forEach((colour, index) => {
    let squaredNorm = 0;
    let meanTerm = 0;
    colour.forEach((component, channel) => {
      // rgb = normalized · std + mean, folded into the convolution.
      weight[index * 3 + channel] = 2 * VOTE_SHARPNESS * component * LLAVA_IMAGE_STD[channel];
      meanTerm += 2 * component * LLAVA_IMAGE_MEAN[channel];
      squaredNorm += component * component;
    });
    bias[index] = VOTE_SHARPNESS * (meanTerm - squaredNorm);
  });
  return { weight, bias };
}

export function buildLlavaVisionEncoder(slots: VisionSlots): Uint8Array {
  const colourCount = LLAVA_COLOUR_NAMES.length;
  const patchesPerSide = LLAVA_IMAGE_SIZE / LLAVA_PATCH_SIZE;
  const graph = new GraphBuilder('llava_vision_encoder');
  const pixels = graph.input('pixel_values', 'float32', ['batch_size', 3, LLAVA_IMAGE_SIZE, LLAVA_IMAGE_SIZE]);
  const { weight, bias } = voteWeights();
  const scores = graph.op('Conv', [
    pixels,
    graph.initializer('colour_votes.weight', tensor('float32', weight, [colourCount, 3, 1, 1])),
    graph.initializer('colour_votes.bias', tensor('float32', bias, [colourCount])),
  ]);
  const votes = graph.op('Softmax', [scores], { axis: 1 });
  const patchShares = graph.op('AveragePool', [votes], {
    kernel_shape: [LLAVA_PATCH_SIZE, LLAVA_PATCH_SIZE],
    strides: [LLAVA_PATCH_SIZE, LLAVA_PATCH_SIZE],
  });
  // [batch, colours, rows, columns] → [batch, patches, colours], patches in row-major order.
  const flat = graph.op('Reshape', [patchShares, graph.constant(int64Tensor([0, colourCount, patchesPerSide ** 2]))]);
  const perPatch = graph.op('Transpose', [flat], { perm: [0, 2, 1] });

  const projection = new WeightMatrix(colourCount, slots.hiddenSize);
  for (let colour = 0; colour < colourCount; colour++) projection.set(colour, slots.colourVotes + colour, 1);
  const projectionBias = new Float32Array(slots.hiddenSize);
  for (const slot of slots.constantOnes) projectionBias[slot] = 1;
  const projected = graph.op('MatMul', [
    perPatch,
    graph.initializer(
      'multi_modal_projector.weight',
      tensor('float32', projection.data, [colourCount, slots.hiddenSize]),
    ),
  ]);
  graph.node(
    'Add',
    [projected, graph.initializer('multi_modal_projector.bias', floatTensor(projectionBias))],
    ['image_features'],
  );
  graph.output('image_features', 'float32', ['batch_size', LLAVA_IMAGE_TOKENS, slots.hiddenSize]);
  return graph.toBytes();
}
