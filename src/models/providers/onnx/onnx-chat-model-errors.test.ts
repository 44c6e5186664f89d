import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../../testkit/build.ts';
import { MmkitError } from '../../../errors.ts';
import { cudaProviderPath } from './device.ts';
import { OnnxChatModel } from './onnx-chat-model.ts';

async function failure(promise: Promise<unknown>): Promise<MmkitError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MmkitError);
  expect((error as MmkitError).message).not.toContain('\n');
  return error as MmkitError;
}

describe('OnnxChatModel load and request errors', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-onnx-errors-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function tinyLlm(name: string): Promise<string> {
    const directory = join(root, name);
    await buildTinyModel('llm', directory);
    return directory;
  }

  it('a missing folder says so and how to get a model', async () => {
    const error = await failure(OnnxChatModel.load(join(root, 'nowhere')));
    expect(error.code).toBe('model_not_found');
    expect(error.message).toContain(join(root, 'nowhere'));
    expect(error.message).toContain('mmkit models pull');
  });

  it('a folder without config.json or without ONNX weights is refused', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    expect((await failure(OnnxChatModel.load(empty))).code).toBe('model_invalid');
    const noWeights = await tinyLlm('no-weights');
    await rm(join(noWeights, 'onnx'), { recursive: true });
    const error = await failure(OnnxChatModel.load(noWeights));
    expect(error.code).toBe('model_no_onnx');
    expect(error.message).toContain('no ONNX weights');
  });

  it('a dtype whose file is absent lists the dtypes that are present', async () => {
    const directory = await tinyLlm('dtypes');
    // Give it a q4 file too, so the list has two entries.
    await writeFile(join(directory, 'onnx', 'model_q4.onnx'), await readFile(join(directory, 'onnx', 'model.onnx')));
    const error = await failure(OnnxChatModel.load(directory, { dtype: 'fp16' }));
    expect(error.code).toBe('dtype_unavailable');
    expect(error.message).toContain('onnx/model_fp16.onnx is missing');
    expect(error.message).toContain('dtypes present: fp32, q4');
    const q4 = await OnnxChatModel.load(directory, { dtype: 'q4' });
    expect(q4.weights).toEqual({ dtype: 'q4', files: ['onnx/model_q4.onnx'] });
    expect(
      (await q4.generate({ messages: [{ role: 'user', content: 'q4' }], maxNewTokens: 8, temperature: 0, topP: 1 }))
        .text,
    ).toBe('q4');
    await q4.dispose();
    // Per-session dtypes name the session's base name.
    const perSession = await OnnxChatModel.load(directory, { dtype: { model: 'q4' } });
    expect(perSession.weights.files).toEqual(['onnx/model_q4.onnx']);
    await perSession.dispose();
    expect((await failure(OnnxChatModel.load(directory, { dtype: 'fp8' }))).code).toBe('dtype_unknown');
  });

  it('an architecture that is not a chat model is refused before loading', async () => {
    const clip = join(root, 'clip');
    await buildTinyModel('clip', clip);
    const error = await failure(OnnxChatModel.load(clip));
    expect(error.code).toBe('unsupported_architecture');
    expect(error.message).toContain('"clip"');
  });

  it('a model without any chat template (a base model) refuses chat, and still continues raw text', async () => {
    const directory = await tinyLlm('no-template');
    const configPath = join(directory, 'tokenizer_config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    delete config.chat_template;
    await writeFile(configPath, JSON.stringify(config));
    const model = await OnnxChatModel.load(directory);
    const chat = { maxNewTokens: 8, temperature: 0, topP: 1, messages: [{ role: 'user' as const, content: 'hi' }] };
    const error = await failure(model.generate(chat));
    expect(error.code).toBe('chat_template_missing');
    expect(error.message).toContain('it can still continue raw text (/v1/completions)');
    let text = '';
    for await (const part of model.complete({
      prompt: '<|user|>\nbase<|end|>\n<|assistant|>\n',
      maxNewTokens: 8,
      temperature: 0,
      topP: 1,
    })) {
      if (part.type === 'text-delta') text += part.text;
    }
    expect(text).toBe('base');
    await model.dispose();
  });

  it('cuda is refused with what to do where its provider is not installed', async () => {
    const directory = await tinyLlm('cuda');
    if (cudaProviderPath()) {
      // An install with the CUDA provider (ONNXRUNTIME_NODE_INSTALL=cuda12) loads on the GPU.
      const model = await OnnxChatModel.load(directory, { device: 'cuda' });
      expect(
        (
          await model.generate({
            messages: [{ role: 'user', content: 'gpu' }],
            maxNewTokens: 8,
            temperature: 0,
            topP: 1,
          })
        ).text,
      ).toBe('gpu');
      await model.dispose();
      return;
    }
    const error = await failure(OnnxChatModel.load(directory, { device: 'cuda' }));
    expect(error.code).toBe('device_unavailable');
    expect(error.message).toContain('use device cpu');
  });

  it('an image part sent to a text-only model is a one-line error; bad settings too', async () => {
    const directory = await tinyLlm('text-only');
    const model = await OnnxChatModel.load(directory, { id: 'onnx:tiny' });
    const image = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const request = {
      messages: [
        {
          role: 'user' as const,
          content: [
            { type: 'image' as const, data: image },
            { type: 'text' as const, text: 'what?' },
          ],
        },
      ],
      maxNewTokens: 8,
      temperature: 0,
      topP: 1,
    };
    const error = await failure(model.generate(request));
    expect(error.code).toBe('images_not_supported');
    expect(error.message).toContain('onnx:tiny reads text only');
    const streamError = await failure(
      (async () => {
        for await (const _ of model.stream(request)) {
        }
      })(),
    );
    expect(streamError.code).toBe('images_not_supported');
    const bad = await failure(model.generate({ ...request, messages: [{ role: 'user', content: 'x' }], topP: 2 }));
    expect(bad.code).toBe('invalid_sampling');
    const adapter = await failure(
      model.generate({ ...request, messages: [{ role: 'user', content: 'x' }], adapter: 'lora' }),
    );
    expect(adapter.code).toBe('adapter_unsupported');
    await model.dispose();
  });
});
