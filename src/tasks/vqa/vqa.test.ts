import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { MmkitError } from '../../errors.ts';
import { createDefaultRegistry } from '../../models/default-registry.ts';
import type { ChatModel } from '../../models/spec/index.ts';
import { BLUE, GREEN, RED, type Rgb, solidImage } from './test-support/images.ts';
import { RecordingChatModel } from './test-support/recording-chat-model.ts';
import { type VqaStreamPart, vqa, vqaStream } from './vqa.ts';

async function collect(parts: AsyncIterable<VqaStreamPart>) {
  const deltas: string[] = [];
  let finish: Extract<VqaStreamPart, { type: 'finish' }> | undefined;
  for await (const part of parts) {
    if (part.type === 'text-delta') deltas.push(part.text);
    if (part.type === 'finish') finish = part;
  }
  return { deltas, result: finish!.result };
}

async function rejection(promise: Promise<unknown>): Promise<MmkitError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MmkitError);
  return error as MmkitError;
}

describe('vqa with the testkit llava (real processor, chat template and generate loop)', () => {
  let root: string;
  let modelFolder: string;
  let model: ChatModel & { dispose?: () => Promise<void> };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-vqa-'));
    modelFolder = join(root, 'llava');
    await buildTinyModel('llava', modelFolder);
    model = await createDefaultRegistry().load('visionChat', modelFolder);
  });

  afterAll(async () => {
    await model?.dispose?.();
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['red', RED, 'png'],
    ['green', GREEN, 'jpeg'],
    ['blue', BLUE, 'webp'],
  ] as const)('answers "%s" for a %s image (%s)', async (colour, rgb: Rgb, format) => {
    const result = await vqa({ image: await solidImage(rgb, format), question: 'What colour is this?', model });
    expect(result.answer).toBe(colour);
    expect(result).toMatchObject({
      question: 'What colour is this?',
      model: `onnx:${modelFolder}`,
      finishReason: 'stop',
      // `<|user|>\n` + 16 image tokens + 20 question bytes + `<|end|>\n<|assistant|>\n`; the colour and `<|end|>`.
      usage: { prompt_tokens: 2 + 16 + 20 + 4, completion_tokens: 2 },
    });
    expect(result.ocr).toBeUndefined();
    const { timings } = result;
    expect(timings.firstTokenMs).toBeGreaterThan(0);
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.firstTokenMs!);
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.imageMs + timings.generationMs);
  });

  it('reads the image from a path, and a Chinese question gets the same answer', async () => {
    const result = await vqa({ image: 'src/preprocess/image/fixtures/rocket.jpg', question: '这是什么颜色？', model });
    expect(result.answer).toBe('black');
    expect(result.question).toBe('这是什么颜色？');
  });

  it('streams deltas that add up to the whole answer, with the same usage', async () => {
    const image = await solidImage(BLUE);
    const whole = await vqa({ image, question: 'colour?', model, seed: 1 });
    const { deltas, result } = await collect(vqaStream({ image, question: 'colour?', model, seed: 1 }));
    expect(deltas).toEqual(['blue']);
    expect(deltas.join('')).toBe(whole.answer);
    expect(result.answer).toBe(whole.answer);
    expect(result.usage).toEqual(whole.usage);
  });

  it("keeps a reasoning model's thinking apart: streamed before the answer, reported beside it", async () => {
    // The tiny llava answering after a fixed thinking block, as a reasoning VLM would.
    const thinking = 'The picture is one colour.';
    const thinker: ChatModel = {
      description: model.description,
      acceptsImages: true,
      contextLength: model.contextLength,
      generate: async (request) => ({ ...(await model.generate(request)), reasoning: thinking }),
      async *stream(request) {
        yield { type: 'reasoning-delta', text: 'The picture ' };
        yield { type: 'reasoning-delta', text: 'is one colour.' };
        yield* model.stream(request);
      },
    };
    const image = await solidImage(GREEN);
    const whole = await vqa({ image, question: 'colour?', model: thinker });
    expect(whole).toMatchObject({ answer: 'green', reasoning: thinking });
    const parts: VqaStreamPart[] = [];
    for await (const part of vqaStream({ image, question: 'colour?', model: thinker })) parts.push(part);
    expect(parts.map((part) => part.type)).toEqual(['reasoning-delta', 'reasoning-delta', 'text-delta', 'finish']);
    const finish = parts.at(-1) as Extract<VqaStreamPart, { type: 'finish' }>;
    expect(finish.result).toMatchObject({ answer: 'green', reasoning: thinking });
  });

  it('sends an image part and the question through the chat request, with the seed defaults', async () => {
    const recording = new RecordingChatModel(model);
    const image = await solidImage(RED);
    await vqa({ image, question: '  What colour?  ', model: recording });
    const [{ request }] = recording.calls;
    expect(request).toMatchObject({ maxNewTokens: 200, temperature: 0.3, topP: 0.9 });
    expect(request.seed).toBeUndefined();
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image', data: image, mediaType: 'image/png' },
          { type: 'text', text: 'What colour?' },
        ],
      },
    ]);
    await vqa({ image, question: 'q', model: recording, temperature: 0, maxNewTokens: 5, topP: 1, seed: 9 });
    expect(recording.calls[1].request).toMatchObject({ maxNewTokens: 5, temperature: 0, topP: 1, seed: 9 });
  });

  it('cancelling stops generation at the next token and rejects with an AbortError', async () => {
    const recording = new RecordingChatModel(model);
    const controller = new AbortController();
    const deltas: string[] = [];
    const run = async () => {
      for await (const part of vqaStream({
        image: await solidImage(GREEN),
        question: 'colour?',
        model: recording,
        signal: controller.signal,
      })) {
        if (part.type === 'text-delta') {
          deltas.push(part.text);
          controller.abort();
        }
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
    expect(deltas).toEqual(['green']);
    // The provider stopped before the end-of-answer token it would have generated next.
    expect(recording.calls[0].finish).toEqual({
      finishReason: 'abort',
      usage: { promptTokens: 2 + 16 + 7 + 4, completionTokens: 1 },
    });
  });

  it('an already cancelled call never reaches the model', async () => {
    const recording = new RecordingChatModel(model);
    const call = vqa({ image: await solidImage(RED), question: 'c?', model: recording, signal: AbortSignal.abort() });
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(recording.calls).toHaveLength(0);
  });

  it('refuses empty and over-long questions before the model runs', async () => {
    const recording = new RecordingChatModel(model);
    const image = await solidImage(RED);
    const empty = await rejection(vqa({ image, question: ' \n ', model: recording }));
    expect(empty).toMatchObject({
      code: 'question_empty',
      message: 'the question is empty: ask something about the image',
    });

    // Beyond any tokenizer: refused without tokenizing.
    const huge = await rejection(vqa({ image, question: 'why '.repeat(3000), model: recording }));
    expect(huge.code).toBe('question_too_long');
    expect(huge.message).toContain("cannot fit in the model's context of 512 tokens");
    expect(recording.calls).toHaveLength(0);

    // Counted by the provider: 600 one-byte tokens plus the image do not fit in 512.
    const long = await rejection(vqa({ image, question: 'x'.repeat(600), model: recording }));
    expect(long.code).toBe('question_too_long');
    expect(long.message).toBe(
      `the question is too long for onnx:${modelFolder}: the prompt is 622 tokens, the model's context is 512: shorten the conversation`,
    );
    expect(recording.calls[0].finish).toBeUndefined();
  });

  it('refuses bad sampling settings and text-only models', async () => {
    const image = await solidImage(RED);
    expect((await rejection(vqa({ image, question: 'q', model, topP: 0 }))).message).toBe(
      'topP must be a number in (0, 1], got 0',
    );
    expect((await rejection(vqa({ image, question: 'q', model, maxNewTokens: 1.5 }))).code).toBe('invalid_sampling');
    expect((await rejection(vqa({ image, question: 'q', model, seed: -1 }))).param).toBe('seed');
    const textOnly = { ...model, description: { id: 'onnx:tiny-llm', provider: 'onnx' }, acceptsImages: false };
    const error = await rejection(vqa({ image, question: 'q', model: textOnly as ChatModel }));
    expect(error).toMatchObject({ code: 'images_not_supported' });
    expect(error.message).toMatch(/^onnx:tiny-llm reads text only/);
  });

  it('refuses what is not an image, naming it', async () => {
    const error = await rejection(vqa({ image: 'package.json', question: 'q', model }));
    expect(error.message).toBe('package.json: not an image (expected JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or BMP)');
  });
});
