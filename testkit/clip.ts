/**
 * `clip`: a tiny CLIP whose embedding space is colour. In the Hugging Face / Transformers.js CLIP
 * layout: `onnx/text_model.onnx` (CLIPTextModelWithProjection), `onnx/vision_model.onnx`
 * (CLIPVisionModelWithProjection), `onnx/model.onnx` (CLIPModel, used by the zero-shot image
 * classification pipeline), `config.json`, `preprocessor_config.json`, and a tokenizer with CLIP's pipeline whose small
 * vocabulary holds each word below as one token (other words fall apart into byte tokens).
 *
 * Both towers map into four colour features: redness R − (G+B)/2, greenness, blueness, and
 * brightness (R+G+B)/3 − ½, from RGB in [0, 1].
 * - Vision: the mean of each normalized channel, un-normalized with the processor's mean/std
 *   (folded into one affine map), then the colour features. A red image gives (1, −½, −½, −⅙).
 * - Text: a bag of words. Colour words embed as the features of their colour; every other word,
 *   padding included, embeds as zeros, so "a photo of a red car" embeds exactly like a red image.
 * - Projections: the same 4 → 8 map with orthonormal rows, so cosine similarities are unchanged.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, tensor } from '../src/onnx/tensor.ts';
import { buildClipTokenizerConfig } from '../src/preprocess/text/clip-tokenizer-json.ts';
import { smallClipTokenizer } from './clip-tokenizer.ts';
import type { ModelFiles } from './model-files.ts';
import { jsonFile } from './model-files.ts';
import { WeightMatrix } from './weights.ts';

/** Colour words and their RGB in [0, 1]. */
export const CLIP_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [1, 0, 0],
  green: [0, 1, 0],
  blue: [0, 0, 1],
  yellow: [1, 1, 0],
  cyan: [0, 1, 1],
  magenta: [1, 0, 1],
  orange: [1, 0.5, 0],
  purple: [0.5, 0, 0.5],
  white: [1, 1, 1],
  black: [0, 0, 0],
};

const OTHER_WORDS = ['a', 'an', 'the', 'this', 'is', 'of', 'photo', 'picture', 'image', 'color', 'colour', 'car'];
const BEGIN_TOKEN = '<|startoftext|>';
const END_TOKEN = '<|endoftext|>';
const WORDS = [...Object.keys(CLIP_COLOURS), ...OTHER_WORDS];
const TOKENIZER = smallClipTokenizer(WORDS);
const VOCABULARY_SIZE = Object.keys(TOKENIZER.vocabulary).length;
const HIDDEN_SIZE = 4;
export const PROJECTION_DIM = 8;
const IMAGE_SIZE = 224;
const IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073];
const IMAGE_STD = [0.26862954, 0.26130258, 0.27577711];
/** exp(logit_scale) = 100, as in trained CLIP models. */
const LOGIT_SCALE = 100;

/** The colour features of an RGB triple in [0, 1]. */
export function colourFeatures([red, green, blue]: readonly number[]): number[] {
  return [red - (green + blue) / 2, green - (red + blue) / 2, blue - (red + green) / 2, (red + green + blue) / 3 - 0.5];
}

/** Features are affine in RGB: features = rgb · FEATURE_MATRIX + FEATURE_BIAS. */
const FEATURE_MATRIX = [0, 1, 2].map((channel) => {
  const unit = [0, 0, 0];
  unit[channel] = 1;
  const zero = colourFeatures([0, 0, 0]);
  return colourFeatures(unit).map((value, index) => value - zero[index]);
});
const FEATURE_BIAS = colourFeatures([0, 0, 0]);

function tokenEmbeddings(): Float32Array {
  const table = new WeightMatrix(VOCABULARY_SIZE, HIDDEN_SIZE);
  for (const [word, rgb] of Object.entries(CLIP_COLOURS)) {
    colourFeatures(rgb).forEach((value, feature) => {
      table.set(TOKENIZER.vocabulary[`${word}</w>`]!, feature, value);
    });
  }
  return table.data;
}

/** 4 → 8 with orthonormal rows: each feature spread evenly over two output dimensions. */
function projection(): Float32Array {
  const matrix = new WeightMatrix(HIDDEN_SIZE, PROJECTION_DIM);
  for (let feature = 0; feature < HIDDEN_SIZE; feature++) {
    matrix.set(feature, feature, Math.SQRT1_2);
    matrix.set(feature, feature + HIDDEN_SIZE, feature % 2 === 0 ? Math.SQRT1_2 : -Math.SQRT1_2);
  }
  return matrix.data;
}

function addTextTower(graph: GraphBuilder, batch = 'batch_size'): { hidden: string; embeds: string } {
  const inputIds = graph.input('input_ids', 'int64', [batch, 'sequence_length']);
  const table = graph.initializer(
    'text_model.embeddings.token_embedding.weight',
    tensor('float32', tokenEmbeddings(), [VOCABULARY_SIZE, HIDDEN_SIZE]),
  );
  const hidden = graph.op('Gather', [table, inputIds], { axis: 0 });
  const pooled = graph.op('ReduceSum', [hidden, graph.constant(int64Tensor([1]))], { keepdims: 0 });
  const weight = graph.initializer(
    'text_projection.weight',
    tensor('float32', projection(), [HIDDEN_SIZE, PROJECTION_DIM]),
  );
  return { hidden, embeds: graph.op('MatMul', [pooled, weight]) };
}

/** The processor's normalisation, which the vision tower undoes: CLIP's own, or SigLIP's 0.5/0.5. */
export interface ImageNormalisation {
  mean: readonly number[];
  std: readonly number[];
}

const CLIP_NORMALISATION: ImageNormalisation = { mean: IMAGE_MEAN, std: IMAGE_STD };

function addVisionTower(
  graph: GraphBuilder,
  batch = 'batch_size',
  { mean, std }: ImageNormalisation = CLIP_NORMALISATION,
): { hidden: string; embeds: string } {
  const pixels = graph.input('pixel_values', 'float32', [batch, 3, 'height', 'width']);
  const channelMeans = graph.op('ReduceMean', [pixels], { axes: [2, 3], keepdims: 0 });
  // Un-normalize (x·std + mean) and take colour features, folded into one affine map.
  const weight = new WeightMatrix(3, HIDDEN_SIZE);
  const bias = [...FEATURE_BIAS];
  FEATURE_MATRIX.forEach((row, channel) => {
    row.forEach((value, feature) => {
      weight.set(channel, feature, value * std[channel]!);
      bias[feature] += value * mean[channel]!;
    });
  });
  const features = graph.op('Add', [
    graph.op('MatMul', [
      channelMeans,
      graph.initializer('vision_model.colour_features.weight', tensor('float32', weight.data, [3, HIDDEN_SIZE])),
    ]),
    graph.initializer('vision_model.colour_features.bias', floatTensor(bias)),
  ]);
  const hidden = graph.op('Unsqueeze', [features, graph.constant(int64Tensor([1]))]);
  const projectionWeight = graph.initializer(
    'visual_projection.weight',
    tensor('float32', projection(), [HIDDEN_SIZE, PROJECTION_DIM]),
  );
  return { hidden, embeds: graph.op('MatMul', [features, projectionWeight]) };
}

/** The text tower alone; `output` names its embedding (`text_embeds`, or SigLIP's `pooler_output`). */
export function textModel(output = 'text_embeds'): Uint8Array {
  const graph = new GraphBuilder('clip_text_model');
  const { hidden, embeds } = addTextTower(graph);
  graph.node('Identity', [embeds], [output]);
  graph.node('Identity', [hidden], ['last_hidden_state']);
  graph.output(output, 'float32', ['batch_size', PROJECTION_DIM]);
  graph.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', HIDDEN_SIZE]);
  return graph.toBytes();
}

/** The vision tower alone, undoing `normalisation`; `output` names its embedding. */
export function visionModel(output = 'image_embeds', normalisation = CLIP_NORMALISATION): Uint8Array {
  const graph = new GraphBuilder('clip_vision_model');
  const { hidden, embeds } = addVisionTower(graph, 'batch_size', normalisation);
  graph.node('Identity', [embeds], [output]);
  graph.node('Identity', [hidden], ['last_hidden_state']);
  graph.output(output, 'float32', ['batch_size', PROJECTION_DIM]);
  graph.output('last_hidden_state', 'float32', ['batch_size', 1, HIDDEN_SIZE]);
  return graph.toBytes();
}

/** x / (‖x‖ + ε) over the last axis; ε keeps an all-unknown text finite. */
function normalize(graph: GraphBuilder, value: string, output: string): string {
  const norm = graph.op('Sqrt', [graph.op('ReduceSumSquare', [value], { axes: [-1], keepdims: 1 })]);
  const safe = graph.op('Add', [norm, graph.constant(floatTensor([1e-6], []))]);
  return graph.node('Div', [value, safe], [output])[0];
}

/** CLIPModel: normalized embeddings and scaled cosine logits, as Transformers' CLIPModel returns them. */
function combinedModel(): Uint8Array {
  const graph = new GraphBuilder('clip');
  // Texts and images come in batches of different sizes.
  const text = addTextTower(graph, 'text_batch_size');
  const vision = addVisionTower(graph, 'image_batch_size');
  const textEmbeds = normalize(graph, text.embeds, 'text_embeds');
  const imageEmbeds = normalize(graph, vision.embeds, 'image_embeds');
  const cosine = graph.op('MatMul', [imageEmbeds, graph.op('Transpose', [textEmbeds], { perm: [1, 0] })]);
  graph.node('Mul', [cosine, graph.constant(floatTensor([LOGIT_SCALE], []))], ['logits_per_image']);
  graph.node('Transpose', ['logits_per_image'], ['logits_per_text'], { perm: [1, 0] });
  graph.output('logits_per_image', 'float32', ['image_batch_size', 'text_batch_size']);
  graph.output('logits_per_text', 'float32', ['text_batch_size', 'image_batch_size']);
  graph.output('text_embeds', 'float32', ['text_batch_size', PROJECTION_DIM]);
  graph.output('image_embeds', 'float32', ['image_batch_size', PROJECTION_DIM]);
  return graph.toBytes();
}

/** The tiny CLIP's tokenizer files; `maxLength` sets `model_max_length` (CLIP's 77 by default). */
export function tinyClipTokenizerFiles(maxLength = 77): ModelFiles {
  return {
    'tokenizer.json': jsonFile(TOKENIZER.tokenizerJson),
    'tokenizer_config.json': jsonFile(buildClipTokenizerConfig({ model_max_length: maxLength })),
  };
}

export function clipFiles(): ModelFiles {
  const config = {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: PROJECTION_DIM,
    logit_scale_init_value: Math.log(LOGIT_SCALE),
    text_config: {
      model_type: 'clip_text_model',
      vocab_size: VOCABULARY_SIZE,
      hidden_size: HIDDEN_SIZE,
      projection_dim: PROJECTION_DIM,
      num_hidden_layers: 0,
      num_attention_heads: 1,
      intermediate_size: 0,
      max_position_embeddings: 77,
      bos_token_id: TOKENIZER.vocabulary[BEGIN_TOKEN],
      eos_token_id: TOKENIZER.vocabulary[END_TOKEN],
      pad_token_id: TOKENIZER.vocabulary[END_TOKEN],
    },
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: HIDDEN_SIZE,
      projection_dim: PROJECTION_DIM,
      image_size: IMAGE_SIZE,
      patch_size: IMAGE_SIZE,
      num_channels: 3,
      num_hidden_layers: 0,
      num_attention_heads: 1,
      intermediate_size: 0,
    },
  };
  const preprocessorConfig = {
    processor_class: 'CLIPProcessor',
    image_processor_type: 'CLIPImageProcessor',
    feature_extractor_type: 'CLIPFeatureExtractor',
    do_convert_rgb: true,
    do_resize: true,
    size: { shortest_edge: IMAGE_SIZE },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: IMAGE_SIZE, width: IMAGE_SIZE },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: IMAGE_MEAN,
    image_std: IMAGE_STD,
  };
  return {
    'config.json': jsonFile(config),
    'preprocessor_config.json': jsonFile(preprocessorConfig),
    ...tinyClipTokenizerFiles(),
    'onnx/text_model.onnx': textModel(),
    'onnx/vision_model.onnx': visionModel(),
    'onnx/model.onnx': combinedModel(),
    'README.md': [
      '# mmkit tiny clip',
      '',
      'Built by `mmkit testkit build clip`. Text and images embed as colour: a red image lands on',
      `"a photo of a red car". Colour words: ${Object.keys(CLIP_COLOURS).join(', ')}. For tests only.`,
      '',
    ].join('\n'),
  };
}
