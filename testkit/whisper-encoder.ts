/**
 * The tiny Whisper's encoder (`onnx/encoder_model.onnx`: `input_features` [batch, 80, 3000] →
 * `last_hidden_state` [batch, 1500, d_model]). It hears which word tone, if any, sounds in each
 * 20 ms step and numbers the words in order of appearance.
 *
 * - conv1 (kernel 3, like Whisper's): one channel per word, scoring the log-mel energy in the word's
 *   mel filter and its two neighbours against the frame's mean over all 80 filters. A tone lifts its
 *   filter about 2 (normalised log-mel units) above the rest; silence scores 0.
 * - conv2 (kernel 3, stride 2, like Whisper's): averages three frames and halves the rate to 1500.
 * - The loudest channel wins if it clears `SILENCE_THRESHOLD`, else the step is silence (a hard
 *   one-hot through ArgMax/OneHot, so word numbering stays exact integers).
 * - onset = a word starts here, offset = it ends here, segment = running count of onsets (CumSum).
 * - The output places these features in named slots (a fixed projection) and adds positional
 *   embeddings that carry the step index t and t + 1, which the decoder turns into timestamps.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, tensor } from '../src/onnx/tensor.ts';
import { WeightMatrix } from './weights.ts';
import { NUM_MEL_BINS, WHISPER_WORDS } from './whisper-vocabulary.ts';

export const WHISPER_D_MODEL = 32;
export const WHISPER_SOURCE_POSITIONS = 1500;
export const WHISPER_INPUT_FRAMES = 2 * WHISPER_SOURCE_POSITIONS;
const WORD_COUNT = WHISPER_WORDS.length;
/** A step is silence unless some word channel scores above this (a tone scores about 2). */
const SILENCE_THRESHOLD = 0.6;

/** Slots of the encoder's hidden state, read by the decoder's cross-attention. */
export const ENCODER_SLOT = {
  word: 0, // WORD_COUNT slots: one-hot of the word heard at this step
  active: WORD_COUNT, // 1 where a word sounds
  onset: WORD_COUNT + 1, // 1 at a word's first step
  offset: WORD_COUNT + 2, // 1 at a word's last step
  segment: WORD_COUNT + 3, // 1-based number of the latest word that started at or before this step
  segmentSquared: WORD_COUNT + 4,
  time: WORD_COUNT + 5, // t (positional embedding)
  endTime: WORD_COUNT + 6, // t + 1 (positional embedding)
} as const;

function conv1Weights(): Float32Array {
  // [out = word, in = mel filter, kernel = 3]: the same band score on each of the three frames.
  const weights = new Float32Array(WORD_COUNT * NUM_MEL_BINS * 3);
  WHISPER_WORDS.forEach(({ melFilter }, word) => {
    for (let filter = 0; filter < NUM_MEL_BINS; filter++) {
      const inBand = Math.abs(filter - melFilter) <= 1 ? 1 / 3 : 0;
      for (let tap = 0; tap < 3; tap++) {
        weights[(word * NUM_MEL_BINS + filter) * 3 + tap] = (inBand - 1 / NUM_MEL_BINS) / 3;
      }
    }
  });
  return weights;
}

function conv2Weights(): Float32Array {
  // [out, in, kernel = 3]: each channel averages itself over three frames.
  const weights = new Float32Array(WORD_COUNT * WORD_COUNT * 3);
  for (let word = 0; word < WORD_COUNT; word++) {
    for (let tap = 0; tap < 3; tap++) weights[(word * WORD_COUNT + word) * 3 + tap] = 1 / 3;
  }
  return weights;
}

/** Places [words…, active, onset, offset, segment, segment²] into their hidden-state slots. */
function outputProjection(): Float32Array {
  const features = WORD_COUNT + 5;
  const projection = new WeightMatrix(features, WHISPER_D_MODEL);
  for (let feature = 0; feature < features; feature++) projection.set(feature, feature, 1);
  return projection.data;
}

function positionalEmbeddings(): Float32Array {
  const table = new WeightMatrix(WHISPER_SOURCE_POSITIONS, WHISPER_D_MODEL);
  for (let step = 0; step < WHISPER_SOURCE_POSITIONS; step++) {
    table.set(step, ENCODER_SLOT.time, step);
    table.set(step, ENCODER_SLOT.endTime, step + 1);
  }
  return table.data;
}

export function buildWhisperEncoder(): Uint8Array {
  const graph = new GraphBuilder('whisper_encoder');
  const features = graph.input('input_features', 'float32', ['batch_size', NUM_MEL_BINS, WHISPER_INPUT_FRAMES]);
  const conv1 = graph.op(
    'Conv',
    [features, graph.initializer('conv1.weight', tensor('float32', conv1Weights(), [WORD_COUNT, NUM_MEL_BINS, 3]))],
    { kernel_shape: [3], pads: [1, 1], strides: [1] },
  );
  const conv2 = graph.op(
    'Conv',
    [conv1, graph.initializer('conv2.weight', tensor('float32', conv2Weights(), [WORD_COUNT, WORD_COUNT, 3]))],
    { kernel_shape: [3], pads: [1, 1], strides: [2] },
  );
  // [batch, steps, words]; the silence channel is a constant threshold after the word channels.
  const scores = graph.op('Transpose', [conv2], { perm: [0, 2, 1] });
  const silence = graph.op('Add', [
    graph.op('Mul', [
      graph.op('ReduceMax', [scores], { axes: [-1], keepdims: 1 }),
      graph.constant(floatTensor([0], [])),
    ]),
    graph.constant(floatTensor([SILENCE_THRESHOLD], [])),
  ]);
  const winner = graph.op('ArgMax', [graph.op('Concat', [scores, silence], { axis: -1 })], { axis: -1, keepdims: 0 });
  const oneHot = graph.op('OneHot', [
    winner,
    graph.constant(int64Tensor([WORD_COUNT + 1], [])),
    graph.constant(floatTensor([0, 1])),
  ]);
  const axis = (value: number) => graph.constant(int64Tensor([value]));
  const words = graph.op('Slice', [oneHot, axis(0), axis(WORD_COUNT), axis(-1)]);
  const active = graph.op('ReduceSum', [words, axis(-1)], { keepdims: 1 });

  // The word one step earlier / later (silence beyond the edges).
  const previous = graph.op('Slice', [
    graph.op('Pad', [words, graph.constant(int64Tensor([0, 1, 0, 0, 0, 0]))]),
    axis(0),
    axis(WHISPER_SOURCE_POSITIONS),
    axis(1),
  ]);
  const next = graph.op('Slice', [
    graph.op('Pad', [words, graph.constant(int64Tensor([0, 0, 0, 0, 1, 0]))]),
    axis(1),
    axis(WHISPER_SOURCE_POSITIONS + 1),
    axis(1),
  ]);
  const one = graph.constant(floatTensor([1], []));
  const onset = graph.op('ReduceSum', [graph.op('Mul', [words, graph.op('Sub', [one, previous])]), axis(-1)], {
    keepdims: 1,
  });
  const offset = graph.op('ReduceSum', [graph.op('Mul', [words, graph.op('Sub', [one, next])]), axis(-1)], {
    keepdims: 1,
  });
  const segment = graph.op('CumSum', [onset, graph.constant(int64Tensor([1], []))]);
  const segmentSquared = graph.op('Mul', [segment, segment]);

  const stepFeatures = graph.op('Concat', [words, active, onset, offset, segment, segmentSquared], { axis: -1 });
  const projected = graph.op('MatMul', [
    stepFeatures,
    graph.initializer('proj.weight', tensor('float32', outputProjection(), [WORD_COUNT + 5, WHISPER_D_MODEL])),
  ]);
  graph.node(
    'Add',
    [
      projected,
      graph.initializer(
        'embed_positions.weight',
        tensor('float32', positionalEmbeddings(), [WHISPER_SOURCE_POSITIONS, WHISPER_D_MODEL]),
      ),
    ],
    ['last_hidden_state'],
  );
  graph.output('last_hidden_state', 'float32', ['batch_size', WHISPER_SOURCE_POSITIONS, WHISPER_D_MODEL]);
  return graph.toBytes();
}
