/**
 * The tiny Whisper's merged decoder (`onnx/decoder_model_merged.onnx`), with the inputs and outputs
 * of an Optimum export: `input_ids`, `encoder_hidden_states`, `past_key_values.0.{decoder,encoder}.
 * {key,value}`, `use_cache_branch` → `logits`, `present.0.{decoder,encoder}.{key,value}`. One layer
 * of self-attention (with the growing cache) and cross-attention (whose keys/values are computed
 * from the encoder output on the first step and read back from the cache afterwards, chosen by an
 * `If` on `use_cache_branch`), then the output head.
 *
 * How it transcribes:
 * - Token embeddings are flags: start of transcript, word, timestamp, `<|notimestamps|>`,
 *   `<|zh|>`, `<|translate|>`.
 * - Self-attention head 0 attends evenly to every token so far and averages their flags. Dividing by
 *   the average of the start flag (which occurs once) gives counts: words said, timestamps said,
 *   and whether the prompt asked for no timestamps, Chinese, translation. These counts come from
 *   the cache on every step after the first, so a broken cache gives wrong text.
 * - From the counts and the current token, a few multiplications (the "MLP") decide what comes
 *   next: a word, a start timestamp or an end timestamp, and for which word number (target).
 * - Cross-attention heads score encoder steps by −β(segment − target)² plus a flag (word sounding /
 *   onset / offset): head 0 reads the word heard in segment `target`, head 1 its start step, head 2
 *   its end step. If segment `target` does not exist, head 0 lands on an earlier one and the
 *   mismatch says "no more words".
 * - Logits: text tokens from a linear head over [word one-hot, kinds, found, Chinese, 1]; timestamp
 *   token i scores −α|i − step| around the start or end step, so timestamps are 20 ms exact.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, tensor } from '../src/onnx/tensor.ts';
import { WeightMatrix } from './weights.ts';
import { ENCODER_SLOT, WHISPER_D_MODEL } from './whisper-encoder.ts';
import { TIMESTAMP_COUNT, WHISPER_TOKENS, WHISPER_VOCABULARY_SIZE, WHISPER_WORDS } from './whisper-vocabulary.ts';

export const WHISPER_HEADS = 4;
export const WHISPER_HEAD_DIM = 8;
const WIDTH = WHISPER_HEADS * WHISPER_HEAD_DIM;
const WORD_COUNT = WHISPER_WORDS.length;

const TOKEN_SLOT = { start: 0, word: 1, timestamp: 2, noTimestamps: 3, chinese: 4, translate: 5, one: 6 } as const;
const FLAG_COUNT = 6;

/** Cross-attention sharpness: a neighbouring segment scores β lower, a step without the flag γ lower. */
const SEGMENT_SHARPNESS = 30;
const FLAG_WEIGHT = 30;
/** Logit units: the right token leads every other by at least this. */
const LOGIT_STEP = 10;
const TIMESTAMP_SLOPE = 2;
const MASKED_SCORE = -1e30;

function tokenEmbeddings(): Float32Array {
  const table = new WeightMatrix(WHISPER_VOCABULARY_SIZE, WHISPER_D_MODEL);
  const tokens = WHISPER_TOKENS;
  for (let token = 0; token < WHISPER_VOCABULARY_SIZE; token++) table.set(token, TOKEN_SLOT.one, 1);
  table.set(tokens.startOfTranscript, TOKEN_SLOT.start, 1);
  for (const word of tokens.words) {
    table.set(word.english, TOKEN_SLOT.word, 1);
    table.set(word.chinese, TOKEN_SLOT.word, 1);
  }
  for (let step = 0; step < TIMESTAMP_COUNT; step++) table.set(tokens.timestampBegin + step, TOKEN_SLOT.timestamp, 1);
  table.set(tokens.noTimestamps, TOKEN_SLOT.noTimestamps, 1);
  table.set(tokens.languages['<|zh|>'], TOKEN_SLOT.chinese, 1);
  table.set(tokens.translate, TOKEN_SLOT.translate, 1);
  return table.data;
}

/** Self-attention: head 0 keys and values are the six flags; queries are zero (even attention). */
function selfAttentionProjection(): Float32Array {
  const matrix = new WeightMatrix(WHISPER_D_MODEL, WIDTH);
  for (let flag = 0; flag < FLAG_COUNT; flag++) matrix.set(flag, flag, 1);
  return matrix.data;
}

/** Cross-attention queries from [target, 1]: (2β·target, −β, γ) for heads 0–2. */
function crossQueryProjection(): Float32Array {
  const matrix = new WeightMatrix(2, WIDTH);
  for (let head = 0; head < 3; head++) {
    const base = head * WHISPER_HEAD_DIM;
    matrix.set(0, base, 2 * SEGMENT_SHARPNESS);
    matrix.set(1, base + 1, -SEGMENT_SHARPNESS);
    matrix.set(1, base + 2, FLAG_WEIGHT);
  }
  return matrix.data;
}

/** Cross-attention keys: (segment, segment², flag) with flag = active / onset / offset per head. */
function crossKeyProjection(): Float32Array {
  const matrix = new WeightMatrix(WHISPER_D_MODEL, WIDTH);
  [ENCODER_SLOT.active, ENCODER_SLOT.onset, ENCODER_SLOT.offset].forEach((flag, head) => {
    const base = head * WHISPER_HEAD_DIM;
    matrix.set(ENCODER_SLOT.segment, base, 1);
    matrix.set(ENCODER_SLOT.segmentSquared, base + 1, 1);
    matrix.set(flag, base + 2, 1);
  });
  return matrix.data;
}

/** Cross-attention values: head 0 the word one-hot and segment, head 1 the step, head 2 the step + 1. */
function crossValueProjection(): Float32Array {
  const matrix = new WeightMatrix(WHISPER_D_MODEL, WIDTH);
  for (let word = 0; word < WORD_COUNT; word++) matrix.set(ENCODER_SLOT.word + word, word, 1);
  matrix.set(ENCODER_SLOT.segment, WORD_COUNT, 1);
  matrix.set(ENCODER_SLOT.time, WHISPER_HEAD_DIM, 1);
  matrix.set(ENCODER_SLOT.endTime, 2 * WHISPER_HEAD_DIM, 1);
  return matrix.data;
}

/** Output head features, in this order. */
const HEAD_FEATURE = { word: 0, wordKind: WORD_COUNT, found: WORD_COUNT + 1, chinese: WORD_COUNT + 2 } as const;
const HEAD_FEATURES = WORD_COUNT + 6; // …, startKind, endKind, one

function outputHead(): Float32Array {
  const textVocabulary = WHISPER_TOKENS.timestampBegin;
  const head = new WeightMatrix(HEAD_FEATURES, textVocabulary);
  const [startKind, one] = [WORD_COUNT + 3, WORD_COUNT + 5];
  const step = LOGIT_STEP;
  for (let token = 0; token < textVocabulary; token++) head.set(one, token, -3 * step);
  WHISPER_TOKENS.words.forEach(({ english, chinese }, word) => {
    // English: word + kind + found − Chinese − 2.5 steps; Chinese: word + kind + found + Chinese − 3.5.
    for (const [token, language, bias] of [
      [english, -step, -2.5 * step],
      [chinese, step, -3.5 * step],
    ]) {
      head.set(HEAD_FEATURE.word + word, token, step);
      head.set(HEAD_FEATURE.wordKind, token, step);
      head.set(HEAD_FEATURE.found, token, step);
      head.set(HEAD_FEATURE.chinese, token, language);
      head.set(one, token, bias);
    }
  });
  // End of text when a word or start timestamp is due but no segment is left.
  const end = WHISPER_TOKENS.endOfText;
  head.set(HEAD_FEATURE.wordKind, end, step);
  head.set(startKind, end, step);
  head.set(HEAD_FEATURE.found, end, -step);
  head.set(one, end, -0.5 * step);
  return head.data;
}

export function buildWhisperDecoder(): Uint8Array {
  const graph = new GraphBuilder('whisper_decoder');
  const inputIds = graph.input('input_ids', 'int64', ['batch_size', 'decoder_sequence_length']);
  const encoderStates = graph.input('encoder_hidden_states', 'float32', [
    'batch_size',
    'encoder_sequence_length',
    WHISPER_D_MODEL,
  ]);
  const decoderCacheDims = ['batch_size', WHISPER_HEADS, 'past_decoder_sequence_length', WHISPER_HEAD_DIM];
  const encoderCacheDims = ['batch_size', WHISPER_HEADS, 'encoder_sequence_length_out', WHISPER_HEAD_DIM];
  const pastKey = graph.input('past_key_values.0.decoder.key', 'float32', decoderCacheDims);
  const pastValue = graph.input('past_key_values.0.decoder.value', 'float32', decoderCacheDims);
  const pastCrossKey = graph.input('past_key_values.0.encoder.key', 'float32', encoderCacheDims);
  const pastCrossValue = graph.input('past_key_values.0.encoder.value', 'float32', encoderCacheDims);
  const useCache = graph.input('use_cache_branch', 'bool', [1]);

  const int64 = (values: number[]) => graph.constant(int64Tensor(values));
  const scalar = (value: number) => graph.constant(floatTensor([value], []));
  const weight = (name: string, data: Float32Array, rows: number) =>
    graph.initializer(name, tensor('float32', data, [rows, WIDTH]));
  const headsShape = int64([0, 0, WHISPER_HEADS, WHISPER_HEAD_DIM]);
  const splitHeads = (graphScope: GraphBuilder, projection: string) =>
    graphScope.op('Transpose', [graphScope.op('Reshape', [projection, headsShape])], { perm: [0, 2, 1, 3] });
  const mergeHeads = (context: string) =>
    graph.op('Reshape', [graph.op('Transpose', [context], { perm: [0, 2, 1, 3] }), int64([0, 0, WIDTH])]);
  const slot = (source: string, index: number) =>
    graph.op('Slice', [source, int64([index]), int64([index + 1]), int64([-1])]);

  const hidden = graph.op('Gather', [
    graph.initializer(
      'embed_tokens.weight',
      tensor('float32', tokenEmbeddings(), [WHISPER_VOCABULARY_SIZE, WHISPER_D_MODEL]),
    ),
    inputIds,
  ]);

  // Self-attention over the cache and the new tokens (even weights over every visible token).
  const selfProjection = weight('self_attn.kv_proj.weight', selfAttentionProjection(), WHISPER_D_MODEL);
  const query = splitHeads(
    graph,
    graph.op('MatMul', [
      hidden,
      weight('self_attn.q_proj.weight', new Float32Array(WHISPER_D_MODEL * WIDTH), WHISPER_D_MODEL),
    ]),
  );
  const newKey = splitHeads(graph, graph.op('MatMul', [hidden, selfProjection]));
  const newValue = splitHeads(graph, graph.op('MatMul', [hidden, selfProjection]));
  const presentKey = graph.node('Concat', [pastKey, newKey], ['present.0.decoder.key'], { axis: 2 })[0];
  const presentValue = graph.node('Concat', [pastValue, newValue], ['present.0.decoder.value'], { axis: 2 })[0];
  const scores = graph.op('MatMul', [query, graph.op('Transpose', [presentKey], { perm: [0, 1, 3, 2] })]);
  const allowed = causalMask(graph, presentKey, inputIds);
  const probabilities = graph.op('Softmax', [graph.op('Where', [allowed, scores, scalar(MASKED_SCORE)])], { axis: -1 });
  const averages = mergeHeads(graph.op('MatMul', [probabilities, presentValue]));

  // Counts and the decision of what comes next ([batch, sequence, 1] each).
  const startAverage = graph.op('Add', [slot(averages, TOKEN_SLOT.start), scalar(1e-6)]);
  const count = (flag: number) => graph.op('Div', [slot(averages, flag), startAverage]);
  const [wordsSaid, timestampsSaid] = [count(TOKEN_SLOT.word), count(TOKEN_SLOT.timestamp)];
  const one = slot(hidden, TOKEN_SLOT.one);
  const add = (left: string, right: string) => graph.op('Add', [left, right]);
  const sub = (left: string, right: string) => graph.op('Sub', [left, right]);
  const mul = (left: string, right: string) => graph.op('Mul', [left, right]);
  const timestampMode = sub(one, count(TOKEN_SLOT.noTimestamps));
  const chinese = mul(count(TOKEN_SLOT.chinese), sub(one, count(TOKEN_SLOT.translate)));
  const wordIn = slot(hidden, TOKEN_SLOT.word);
  // After a start timestamp, timestamps said = 2·words said + 1; after an end timestamp, 2·words said.
  const startIn = mul(slot(hidden, TOKEN_SLOT.timestamp), sub(timestampsSaid, mul(scalar(2), wordsSaid)));
  const wordKind = add(sub(one, timestampMode), mul(timestampMode, startIn));
  const endKind = mul(timestampMode, wordIn);
  const startKind = mul(timestampMode, sub(sub(one, wordIn), startIn));
  const target = sub(add(wordsSaid, one), endKind);

  // Cross-attention: keys/values from the encoder on the first step, from the cache afterwards.
  const crossKeyWeight = weight('encoder_attn.k_proj.weight', crossKeyProjection(), WHISPER_D_MODEL);
  const crossValueWeight = weight('encoder_attn.v_proj.weight', crossValueProjection(), WHISPER_D_MODEL);
  const reuse = graph.subgraph('use_cache_branch');
  reuse.node('Identity', [pastCrossKey], ['reused_cross_key']);
  reuse.node('Identity', [pastCrossValue], ['reused_cross_value']);
  reuse.output('reused_cross_key', 'float32');
  reuse.output('reused_cross_value', 'float32');
  const compute = graph.subgraph('compute_cross_cache');
  const computedKey = splitHeads(compute, compute.op('MatMul', [encoderStates, crossKeyWeight]));
  const computedValue = splitHeads(compute, compute.op('MatMul', [encoderStates, crossValueWeight]));
  compute.node('Identity', [computedKey], ['computed_cross_key']);
  compute.node('Identity', [computedValue], ['computed_cross_value']);
  compute.output('computed_cross_key', 'float32');
  compute.output('computed_cross_value', 'float32');
  const [crossKey, crossValue] = graph.node(
    'If',
    [graph.op('Squeeze', [useCache, int64([0])])],
    ['present.0.encoder.key', 'present.0.encoder.value'],
    { then_branch: reuse, else_branch: compute },
  );
  const crossQuery = splitHeads(
    graph,
    graph.op('MatMul', [
      graph.op('Concat', [target, one], { axis: -1 }),
      graph.initializer('encoder_attn.q_proj.weight', tensor('float32', crossQueryProjection(), [2, WIDTH])),
    ]),
  );
  const crossScores = graph.op('MatMul', [crossQuery, graph.op('Transpose', [crossKey], { perm: [0, 1, 3, 2] })]);
  const heard = mergeHeads(graph.op('MatMul', [graph.op('Softmax', [crossScores], { axis: -1 }), crossValue]));
  const wordHeard = graph.op('Slice', [heard, int64([0]), int64([WORD_COUNT]), int64([-1])]);
  const segmentHeard = slot(heard, WORD_COUNT);
  const found = graph.op('Clip', [sub(one, sub(target, segmentHeard)), scalar(0), scalar(1)]);

  // Text logits (linear head) and timestamp logits (peaked at the start or end step).
  const headFeatures = graph.op('Concat', [wordHeard, wordKind, found, chinese, startKind, endKind, one], { axis: -1 });
  const textLogits = graph.op('MatMul', [
    headFeatures,
    graph.initializer(
      'proj_out.weight',
      tensor('float32', outputHead(), [HEAD_FEATURES, WHISPER_TOKENS.timestampBegin]),
    ),
  ]);
  const timestampStep = add(
    mul(startKind, slot(heard, WHISPER_HEAD_DIM)),
    mul(endKind, slot(heard, 2 * WHISPER_HEAD_DIM)),
  );
  const timestampKind = add(startKind, endKind);
  const timestampBias = add(
    add(mul(timestampKind, scalar(2 * LOGIT_STEP)), mul(found, scalar(LOGIT_STEP))),
    scalar(-2.5 * LOGIT_STEP),
  );
  const steps = graph.constant(
    floatTensor(Array.from({ length: TIMESTAMP_COUNT }, (_, index) => index)),
    'timestamp_steps',
  );
  const timestampLogits = sub(
    timestampBias,
    mul(scalar(TIMESTAMP_SLOPE), graph.op('Abs', [sub(steps, timestampStep)])),
  );
  graph.node('Concat', [textLogits, timestampLogits], ['logits'], { axis: -1 });

  graph.output('logits', 'float32', ['batch_size', 'decoder_sequence_length', WHISPER_VOCABULARY_SIZE]);
  const presentDecoderDims = ['batch_size', WHISPER_HEADS, 'total_decoder_sequence_length', WHISPER_HEAD_DIM];
  graph.output(presentKey, 'float32', presentDecoderDims);
  graph.output(presentValue, 'float32', presentDecoderDims);
  graph.output(crossKey, 'float32', encoderCacheDims);
  graph.output(crossValue, 'float32', encoderCacheDims);
  return graph.toBytes();
}

/** [sequence, total] booleans: new token i (at position past + i) sees cache entries 0 … past + i. */
function causalMask(graph: GraphBuilder, presentKey: string, inputIds: string): string {
  const dimension = (source: string, index: number) =>
    graph.op('Gather', [graph.op('Shape', [source]), graph.constant(int64Tensor([index], []))], { axis: 0 });
  const total = dimension(presentKey, 2);
  const sequence = dimension(inputIds, 1);
  const one = graph.constant(int64Tensor([1], []));
  const queryIndex = graph.op('Range', [graph.op('Sub', [total, sequence]), total, one]);
  const keyIndex = graph.op('Range', [graph.constant(int64Tensor([0], [])), total, one]);
  return graph.op('LessOrEqual', [
    graph.op('Unsqueeze', [keyIndex, graph.constant(int64Tensor([0]))]),
    graph.op('Unsqueeze', [queryIndex, graph.constant(int64Tensor([1]))]),
  ]);
}
