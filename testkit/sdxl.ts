/**
 * `sdxl`: a tiny Stable Diffusion XL in Optimum's ONNX layout (`text_encoder/` and `text_encoder_2/`
 * with their `hidden_states.N` outputs, `tokenizer/` and `tokenizer_2/`, a UNet that takes
 * `text_embeds` and `time_ids`) whose picture is the colour the prompt names, as `sd`'s is. Built so
 * that each thing SDXL conditioning needs shows in the picture:
 *
 * - Both text encoders embed a colour word as (2r−1, 2g−1, 2b−1, 1) in their penultimate layer
 *   (`hidden_states.1`, what SDXL reads) and give zeros in their last one, so a pipeline that takes
 *   the last hidden state paints grey.
 * - The second encoder's `text_embeds` (the pooled vector) is that embedding summed over the text.
 * - The UNet's colour is c₁ + c₂ − c_p: the mean colour of the first encoder's features (0–3 of the
 *   concatenated context), of the second's (4–7), less that of the pooled vector, times original
 *   height ÷ target height from `time_ids`. All given as SDXL gives them, that is the prompt's
 *   colour; the last layer instead of the penultimate inverts it, a missing pooled vector doubles
 *   it, missing size ids make it NaN.
 * - The VAE decoder undoes SDXL's 0.13025 latent scaling.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, tensor } from '../src/onnx/tensor.ts';
import { buildClipTokenizerConfig, CLIP_END_TOKEN } from '../src/preprocess/text/clip-tokenizer-json.ts';
import { jsonFile, type ModelFiles } from './model-files.ts';
import {
  clipVocabulary,
  colourEmbeddingTable,
  colourLatent,
  exactDenoiser,
  TURBO_SCHEDULER,
  tinySdColourWords,
  vaeDecoder,
  vaeEncoder,
} from './sd.ts';

const FEATURES = 4;
const LATENT_CHANNELS = 4;
const SDXL_SCALING_FACTOR = 0.13025;

/** A CLIP text encoder with Optimum's outputs: hidden states of the embeddings and two layers. */
function textEncoder(name: string, withProjection: boolean): Uint8Array {
  const table = colourEmbeddingTable();
  const graph = new GraphBuilder(name);
  const ids = graph.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const weights = graph.initializer('token_embedding.weight', tensor('float32', table.data, [table.rows, FEATURES]));
  const embedded = graph.op('Gather', [weights, ids], { axis: 0 });
  const last = graph.op('Mul', [embedded, graph.constant(floatTensor([0], []))]);
  const sequence = ['batch_size', 'sequence_length', FEATURES];
  const states = [embedded, embedded, last];
  states.forEach((state, index) => {
    graph.node('Identity', [state], [`hidden_states.${index}`]);
    graph.output(`hidden_states.${index}`, 'float32', sequence);
  });
  graph.node('Identity', [last], ['last_hidden_state']);
  graph.output('last_hidden_state', 'float32', sequence);
  const pooled = graph.op('ReduceSum', [embedded, graph.constant(int64Tensor([1]))], { keepdims: 0 });
  const pooledName = withProjection ? 'text_embeds' : 'pooler_output';
  graph.node('Identity', [pooled], [pooledName]);
  graph.output(pooledName, 'float32', ['batch_size', FEATURES]);
  return graph.toBytes();
}

function unet(): Uint8Array {
  const graph = new GraphBuilder('tiny_sdxl_unet');
  const sample = graph.input('sample', 'float32', ['batch_size', LATENT_CHANNELS, 'height', 'width']);
  const timestep = graph.input('timestep', 'float32', ['batch_size']);
  const context = graph.input('encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', 2 * FEATURES]);
  const pooled = graph.input('text_embeds', 'float32', ['batch_size', FEATURES]);
  const timeIds = graph.input('time_ids', 'float32', ['batch_size', 6]);
  const slice = (value: string, start: number, end: number) =>
    graph.op('Slice', [
      value,
      graph.constant(int64Tensor([start])),
      graph.constant(int64Tensor([end])),
      graph.constant(int64Tensor([1])),
    ]);
  const summed = graph.op('ReduceSum', [context, graph.constant(int64Tensor([1]))], { keepdims: 0 });
  // The mean colour of a (Σ colour, count) block of four features.
  const meanColour = (block: string) =>
    graph.op('Div', [slice(block, 0, 3), graph.op('Max', [slice(block, 3, 4), graph.constant(floatTensor([1], []))])]);
  // c₁ + c₂ − c_pooled: the colour when all three agree; grey-to-inverted, or doubled, when one is missing.
  const both = graph.op('Add', [meanColour(slice(summed, 0, 4)), meanColour(slice(summed, 4, 8))]);
  const agreed = graph.op('Sub', [both, meanColour(pooled)]);
  const sizeRatio = graph.op('Div', [slice(timeIds, 0, 1), slice(timeIds, 4, 5)]);
  const colour = graph.op('Mul', [agreed, sizeRatio]);
  const epsilon = exactDenoiser(graph, sample, timestep, colourLatent(graph, colour));
  graph.node('Identity', [epsilon], ['out_sample']);
  graph.output('out_sample', 'float32', ['batch_size', LATENT_CHANNELS, 'height', 'width']);
  return graph.toBytes();
}

export function sdxlFiles(): ModelFiles {
  const { merges, vocabulary } = clipVocabulary();
  const tokenizer = (padToken: string) => ({
    'vocab.json': JSON.stringify(vocabulary),
    'merges.txt': `#version: 0.2\n${merges.join('\n')}\n`,
    'tokenizer_config.json': jsonFile(buildClipTokenizerConfig({ pad_token: padToken })),
    'special_tokens_map.json': jsonFile({ pad_token: padToken }),
  });
  const files: ModelFiles = {
    'model_index.json': jsonFile({
      _class_name: 'StableDiffusionXLPipeline',
      _diffusers_version: '0.30.0',
      _name_or_path: 'mmkit/tiny-sdxl-turbo',
      force_zeros_for_empty_prompt: true,
      scheduler: ['diffusers', TURBO_SCHEDULER._class_name],
      text_encoder: ['transformers', 'CLIPTextModel'],
      text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      tokenizer_2: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'UNet2DConditionModel'],
      vae: ['diffusers', 'AutoencoderKL'],
    }),
    'scheduler/scheduler_config.json': jsonFile({ ...TURBO_SCHEDULER, _diffusers_version: '0.30.0' }),
    'text_encoder/model.onnx': textEncoder('tiny_sdxl_text_encoder', false),
    'text_encoder_2/model.onnx': textEncoder('tiny_sdxl_text_encoder_2', true),
    'unet/model.onnx': unet(),
    'vae_decoder/config.json': jsonFile({
      _class_name: 'AutoencoderKL',
      latent_channels: LATENT_CHANNELS,
      scaling_factor: SDXL_SCALING_FACTOR,
    }),
    'vae_decoder/model.onnx': vaeDecoder('float32', SDXL_SCALING_FACTOR),
    'vae_encoder/model.onnx': vaeEncoder('float32', SDXL_SCALING_FACTOR),
    'README.md': [
      '# mmkit tiny sdxl',
      '',
      'Built by `mmkit testkit build sdxl`. A Stable Diffusion XL pipeline in Optimum ONNX layout whose image',
      `is the colour its prompt names (${tinySdColourWords().join(', ')}). For tests only.`,
      '',
    ].join('\n'),
  };
  // The first tokenizer pads with the end token, the second with "!" (as SDXL's do).
  for (const [name, content] of Object.entries(tokenizer(CLIP_END_TOKEN))) files[`tokenizer/${name}`] = content;
  for (const [name, content] of Object.entries(tokenizer('!'))) files[`tokenizer_2/${name}`] = content;
  return files;
}
