import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  env,
  type PreTrainedModel,
  type Processor,
  RawImage,
  type Tensor as TransformersTensor,
} from '@huggingface/transformers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/test-support/run-cli.ts';
import { SafetensorsFile } from '../src/media/safetensors.ts';
import { LLAVA_SPECIAL_TOKENS } from './llava.ts';
import { LLAVA_LLAMA_CONFIG, llavaLlamaFiles } from './llava-llama.ts';
import { LLAVA_IMAGE_TOKENS } from './llava-vision.ts';
import { writeModelFiles } from './model-files.ts';

const { end, image: imageToken } = LLAVA_SPECIAL_TOKENS;
const QUESTION = 'what colour?';
const MAX_NEW_TOKENS = 5;

const solidPng = (r: number, g: number, b: number) =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

describe('testkit llava-llama (LLaVA layout around a seeded Llama)', () => {
  let root: string;
  let directory: string;
  let processor: Processor;
  let model: PreTrainedModel;
  const sessions: Record<string, InferenceSession> = {};

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-llava-llama-'));
    directory = join(root, 'model');
    await writeModelFiles(directory, llavaLlamaFiles());
    await writeFile(join(root, 'red.png'), await solidPng(230, 20, 25));
    await writeFile(join(root, 'blue.png'), await solidPng(15, 30, 235));
    env.allowRemoteModels = false;
    processor = await AutoProcessor.from_pretrained(directory, { local_files_only: true });
    model = await AutoModelForImageTextToText.from_pretrained(directory, { local_files_only: true });
    for (const name of ['vision_encoder', 'embed_tokens', 'decoder_model_merged']) {
      sessions[name] = await InferenceSession.create(join(directory, 'onnx', `${name}.onnx`));
    }
  });
  afterAll(async () => {
    await model?.dispose();
    for (const session of Object.values(sessions)) await session.release();
    await rm(root, { recursive: true, force: true });
  });

  async function processed(file: string) {
    const prompt = processor.apply_chat_template(
      [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: QUESTION }] }] as never,
      { add_generation_prompt: true },
    ) as string;
    const image = await RawImage.fromBlob(new Blob([new Uint8Array(await readFile(join(root, file)))]));
    return processor(image, prompt) as Promise<{ input_ids: TransformersTensor; pixel_values: TransformersTensor }>;
  }

  /**
   * Greedy decoding without Transformers.js and without a cache: image features spliced over the
   * `<image>` tokens' embeddings, the whole sequence through the decoder at every step.
   */
  async function referenceAnswer(file: string): Promise<{ tokens: number[]; firstLogits: Float32Array }> {
    const inputs = await processed(file);
    const { image_features } = await sessions.vision_encoder.run({
      pixel_values: new Tensor('float32', inputs.pixel_values.data as Float32Array, inputs.pixel_values.dims),
    });
    const hidden = LLAVA_LLAMA_CONFIG.hiddenSize;
    const ids = Array.from(inputs.input_ids.data as BigInt64Array, Number);
    const embed = async (tokens: number[]) =>
      (
        await sessions.embed_tokens.run({
          input_ids: new Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, tokens.length]),
        })
      ).inputs_embeds.data as Float32Array;
    const rows: Float32Array[] = [];
    const promptEmbeddings = await embed(ids);
    let imageIndex = 0;
    ids.forEach((token, position) => {
      rows.push(
        token === imageToken.id
          ? (image_features.data as Float32Array).slice(imageIndex++ * hidden, imageIndex * hidden)
          : promptEmbeddings.slice(position * hidden, (position + 1) * hidden),
      );
    });
    expect(imageIndex).toBe(LLAVA_IMAGE_TOKENS);
    const tokens: number[] = [];
    let firstLogits = new Float32Array(0);
    const { numKeyValueHeads, headDim, numHiddenLayers, vocabularySize } = LLAVA_LLAMA_CONFIG;
    for (let step = 0; step < MAX_NEW_TOKENS; step++) {
      const length = rows.length;
      const feeds: Record<string, Tensor> = {
        inputs_embeds: new Tensor('float32', Float32Array.from(rows.flatMap((row) => Array.from(row))), [
          1,
          length,
          hidden,
        ]),
        attention_mask: new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
        position_ids: new Tensor(
          'int64',
          BigInt64Array.from({ length }, (_, index) => BigInt(index)),
          [1, length],
        ),
      };
      for (let layer = 0; layer < numHiddenLayers; layer++) {
        for (const kind of ['key', 'value']) {
          feeds[`past_key_values.${layer}.${kind}`] = new Tensor('float32', new Float32Array(0), [
            1,
            numKeyValueHeads,
            0,
            headDim,
          ]);
        }
      }
      const logits = (await sessions.decoder_model_merged.run(feeds)).logits.data as Float32Array;
      const last = logits.slice((length - 1) * vocabularySize, length * vocabularySize);
      if (step === 0) firstLogits = last;
      const next = last.indexOf(Math.max(...last));
      tokens.push(next);
      if (next === end.id) break;
      rows.push(await embed([next]));
    }
    return { tokens, firstLogits };
  }

  it('keeps the language model under LLaVA checkpoint names in model.safetensors', () => {
    const file = SafetensorsFile.open(join(directory, 'model.safetensors'));
    try {
      const names = [...file.entries.keys()];
      expect(names).toContain('language_model.model.layers.0.self_attn.q_proj.weight');
      expect(names).toContain('language_model.model.embed_tokens.weight');
      expect(names).toContain('language_model.lm_head.weight');
      expect(names.every((name) => name.startsWith('language_model.'))).toBe(true);
    } finally {
      file.close();
    }
  });

  it('sees the image: red and blue give different next-token logits', async () => {
    const red = await referenceAnswer('red.png');
    const blue = await referenceAnswer('blue.png');
    let difference = 0;
    red.firstLogits.forEach((value, index) => {
      difference = Math.max(difference, Math.abs(value - blue.firstLogits[index]));
    });
    expect(difference).toBeGreaterThan(0.01);
  });

  it('Transformers.js generate (with its cache) gives the reference tokens', async () => {
    const inputs = await processed('red.png');
    const output = (await model.generate({
      ...inputs,
      max_new_tokens: MAX_NEW_TOKENS,
      do_sample: false,
    })) as TransformersTensor;
    const generated = (output.tolist() as bigint[][])[0].slice(inputs.input_ids.dims[1]).map(Number);
    expect(generated).toEqual((await referenceAnswer('red.png')).tokens);
  });

  it('mmkit ask runs it and answers with the reference text', async () => {
    const { tokens } = await referenceAnswer('red.png');
    const env = { MMKIT_HOME: join(root, 'home'), MMKIT_OFFLINE: '1' };
    const result = await runCli(
      [
        'ask',
        join(root, 'red.png'),
        QUESTION,
        '--model',
        directory,
        '--max-new-tokens',
        String(MAX_NEW_TOKENS),
        '--temperature',
        '0',
        '--json',
      ],
      { env },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(typeof report.answer).toBe('string');
    expect(report.usage).toEqual({
      prompt_tokens: 2 + LLAVA_IMAGE_TOKENS + QUESTION.length + 4,
      completion_tokens: tokens.length,
    });
    const text = processor.decode(tokens, { skip_special_tokens: true }) as string;
    expect(report.answer).toBe(text.trim());
  });
});
