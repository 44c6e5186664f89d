import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForCTC,
  AutoProcessor,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Processor,
  pipeline,
  type Tensor as TransformersTensor,
} from '@huggingface/transformers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTC_VOCABULARY, collapseCtcPath, synthesizeCtcSpeech } from './ctc-speech.ts';
import { writeModelFiles } from './model-files.ts';
import { wav2vec2CtcFiles } from './wav2vec2-ctc.ts';

/** Argmax per frame of [1, frames, vocabulary] logits. */
function greedyPath(logits: { dims: readonly number[]; data: unknown }): number[] {
  const [, frames, vocabulary] = logits.dims;
  const data = logits.data as Float32Array;
  const path: number[] = [];
  for (let frame = 0; frame < frames; frame++) {
    let best = 0;
    for (let token = 1; token < vocabulary; token++) {
      if (data[frame * vocabulary + token] > data[frame * vocabulary + best]) best = token;
    }
    path.push(best);
  }
  return path;
}

/** Softmax probability of `token` at `frame`. */
function probability(logits: Tensor, frame: number, token: number): number {
  const vocabulary = logits.dims[2];
  const row = (logits.data as Float32Array).subarray(frame * vocabulary, (frame + 1) * vocabulary);
  const top = Math.max(...row);
  const total = row.reduce((sum, value) => sum + Math.exp(value - top), 0);
  return Math.exp(row[token] - top) / total;
}

const TEXTS = ['hello world', 'committee', "it's a jazz quiz", 'aaa', 'x'];

describe('testkit wav2vec2-ctc (tones spell characters)', () => {
  let directory: string;
  let session: InferenceSession;
  let processor: Processor;
  let model: PreTrainedModel;
  let tokenizer: PreTrainedTokenizer;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-wav2vec2-'));
    await writeModelFiles(directory, wav2vec2CtcFiles());
    env.allowRemoteModels = false;
    session = await InferenceSession.create(join(directory, 'onnx', 'model.onnx'));
    processor = await AutoProcessor.from_pretrained(directory, { local_files_only: true });
    model = await AutoModelForCTC.from_pretrained(directory, { local_files_only: true });
    tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
  });

  afterAll(async () => {
    await session?.release();
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  async function run(audio: Float32Array): Promise<Tensor> {
    const { logits } = await session.run({ input_values: new Tensor('float32', audio, [1, audio.length]) });
    return logits;
  }

  it('has input_values → logits with wav2vec2-base frame counts (receptive field 400, hop 320)', async () => {
    expect(session.inputNames).toEqual(['input_values']);
    expect(session.outputNames).toEqual(['logits']);
    for (const samples of [400, 719, 720, 16000, 16321]) {
      const logits = await run(new Float32Array(samples));
      expect(logits.dims).toEqual([1, Math.floor((samples - 400) / 320) + 1, 32]);
    }
  });

  it.each(TEXTS)('emits exactly the synthesised frame path for "%s" (onnxruntime)', async (text) => {
    const speech = synthesizeCtcSpeech(text);
    const logits = await run(speech.audio);
    expect(greedyPath(logits)).toEqual(speech.frameLabels);
    expect(collapseCtcPath(greedyPath(logits))).toBe(speech.transcript);
  });

  it('is confident: blank on silence, the character on its tone', async () => {
    const speech = synthesizeCtcSpeech('ok');
    const logits = await run(speech.audio);
    speech.frameLabels.forEach((label, frame) => {
      expect(probability(logits, frame, label)).toBeGreaterThan(0.9);
    });
  });

  it('keeps the path at any loudness above the silence threshold, and hears quiet tones as silence', async () => {
    const loud = synthesizeCtcSpeech('sound', { amplitude: 0.95 });
    expect(greedyPath(await run(loud.audio))).toEqual(loud.frameLabels);
    const soft = synthesizeCtcSpeech('sound', { amplitude: 0.15 });
    expect(greedyPath(await run(soft.audio))).toEqual(soft.frameLabels);
    const whisper = synthesizeCtcSpeech('sound', { amplitude: 0.05 });
    expect(greedyPath(await run(whisper.audio)).every((label) => label === 0)).toBe(true);
  });

  it('gives the same path through AutoProcessor (normalisation) + AutoModelForCTC', async () => {
    expect(processor.constructor.name).toBe('Wav2Vec2Processor');
    expect(model.constructor.name).toBe('Wav2Vec2ForCTC');
    const speech = synthesizeCtcSpeech('hello world', { framesPerCharacter: 3, gapFrames: 1 });
    const inputs = await processor(speech.audio);
    const values = inputs.input_values as TransformersTensor;
    // Zero mean, unit variance: the feature extractor really normalised the audio.
    const data = values.data as Float32Array;
    const mean = data.reduce((sum, value) => sum + value, 0) / data.length;
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect(data.reduce((sum, value) => sum + value * value, 0) / data.length).toBeCloseTo(1, 3);
    const { logits } = (await model(inputs)) as { logits: TransformersTensor };
    expect(greedyPath(logits)).toEqual(speech.frameLabels);
  });

  it.each(TEXTS)('transcribes "%s" with the automatic-speech-recognition pipeline', async (text) => {
    const transcribe = await pipeline('automatic-speech-recognition', directory, { local_files_only: true });
    const speech = synthesizeCtcSpeech(text);
    expect(await transcribe(speech.audio)).toEqual({ text: speech.transcript });
    await transcribe.dispose();
  });

  it('tokenizes transcripts to character ids with | between words; decoding keeps repeated letters', () => {
    const ids = (tokenizer('HELLO WORLD').input_ids as TransformersTensor).tolist()[0].map(Number);
    expect(ids.map((id: number) => CTC_VOCABULARY[id]).join('')).toBe('HELLO|WORLD');
    const path = synthesizeCtcSpeech('hello world').frameLabels;
    expect(tokenizer.decode(path, { skip_special_tokens: true })).toBe('HELLO WORLD');
  });
});
