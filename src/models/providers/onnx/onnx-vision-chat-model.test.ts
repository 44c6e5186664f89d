import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../../testkit/build.ts';
import type { ChatMessage } from '../../spec/index.ts';
import { OnnxChatModel } from './onnx-chat-model.ts';

const greedy = { maxNewTokens: 16, temperature: 0, topP: 1 };

async function solid(r: number, g: number, b: number, width = 40, height = 30): Promise<Uint8Array> {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();
}

describe('OnnxChatModel, vision-language path, on the testkit llava', () => {
  let directory: string;
  let model: OnnxChatModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-vlm-'));
    await buildTinyModel('llava', join(directory, 'llava'));
    model = await OnnxChatModel.load(join(directory, 'llava'), { id: 'onnx:tiny-llava' });
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('loads as a vision model on the Transformers.js loop', () => {
    expect(model.acceptsImages).toBe(true);
    expect(model.generationLoop).toBe('transformers-generate');
    expect(model.contextLength).toBe(512);
  });

  it('expands the image into its patch tokens wherever the image part sits in the turn', async () => {
    const red = await solid(230, 20, 25);
    const before: ChatMessage = {
      role: 'user',
      content: [
        { type: 'image', data: red },
        { type: 'text', text: 'c?' },
      ],
    };
    const after: ChatMessage = {
      role: 'user',
      content: [
        { type: 'text', text: 'c?' },
        { type: 'image', data: red },
      ],
    };
    for (const message of [before, after]) {
      const result = await model.generate({ ...greedy, messages: [message] });
      // `<|user|>\n` + 16 patch tokens + `c?` + `<|end|>\n<|assistant|>\n`; then `red` and `<|end|>`.
      expect(result).toMatchObject({
        text: 'red',
        finishReason: 'stop',
        usage: { promptTokens: 24, completionTokens: 2 },
      });
    }
  });

  it('keeps a multi-turn conversation with the image in the first turn', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Name colours.' },
      {
        role: 'user',
        content: [
          { type: 'image', data: await solid(15, 30, 235) },
          { type: 'text', text: 'c?' },
        ],
      },
      { role: 'assistant', content: 'blue' },
      { role: 'user', content: 'sure?' },
    ];
    const result = await model.generate({ ...greedy, messages });
    expect(result.text).toBe('blue');
    // Each turn is `<|role|>\n`, its content, `<|end|>\n`: system 2 + 13 + 2, user 2 + 16 + 2 + 2,
    // assistant 2 + 4 + 2, user 2 + 5 + 2; then `<|assistant|>\n`.
    expect(result.usage.promptTokens).toBe(17 + 22 + 8 + 9 + 2);
  });

  it('finds the end-of-answer token in text_config when the top-level configs do not name it', async () => {
    const folder = join(directory, 'llava-nested-eos');
    await buildTinyModel('llava', folder);
    for (const file of ['config.json', 'generation_config.json']) {
      const config = JSON.parse(await readFile(join(folder, file), 'utf8'));
      delete config.eos_token_id;
      await writeFile(join(folder, file), JSON.stringify(config));
    }
    const nested = await OnnxChatModel.load(folder);
    try {
      const result = await nested.generate({
        ...greedy,
        messages: [{ role: 'user', content: [{ type: 'image', data: await solid(20, 200, 40) }] }],
      });
      expect(result).toMatchObject({ text: 'green', finishReason: 'stop', usage: { completionTokens: 2 } });
    } finally {
      await nested.dispose();
    }
  });

  it("names the colour of images smaller than the processor's size (enlarged as Pillow does)", async () => {
    for (const [width, height] of [
      [1, 1],
      [2, 2],
      [3, 7],
    ] as const) {
      const result = await model.generate({
        ...greedy,
        messages: [{ role: 'user', content: [{ type: 'image', data: await solid(20, 200, 40, width, height) }] }],
      });
      expect(result.text, `${width}×${height}`).toBe('green');
    }
  });

  it('reads every pixel layout as RGB: grey with alpha, 16-bit, palette, CMYK', async () => {
    const blue = { r: 20, g: 40, b: 230 };
    const images: Array<[string, Promise<Buffer>, string]> = [
      [
        'grey + alpha PNG',
        sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 250, g: 250, b: 250, alpha: 0.5 } } })
          .toColourspace('b-w')
          .png()
          .toBuffer(),
        'white',
      ],
      [
        '16-bit PNG',
        sharp({ create: { width: 8, height: 8, channels: 3, background: blue } })
          .toColourspace('rgb16')
          .png()
          .toBuffer(),
        'blue',
      ],
      [
        'palette PNG',
        sharp({ create: { width: 8, height: 8, channels: 3, background: blue } })
          .png({ palette: true })
          .toBuffer(),
        'blue',
      ],
      [
        'CMYK JPEG',
        sharp({ create: { width: 8, height: 8, channels: 3, background: blue } })
          .toColourspace('cmyk')
          .jpeg()
          .toBuffer(),
        'blue',
      ],
    ];
    for (const [name, bytes, colour] of images) {
      const data = await bytes;
      const result = await model.generate({
        ...greedy,
        messages: [{ role: 'user', content: [{ type: 'image', data }] }],
      });
      expect(result.text, name).toBe(colour);
    }
  });

  it('refuses an image part that does not decode, in one line', async () => {
    const broken = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const call = model.generate({
      ...greedy,
      messages: [{ role: 'user', content: [{ type: 'image', data: broken }] }],
    });
    await expect(call).rejects.toMatchObject({
      code: 'image_unreadable',
      param: 'messages',
      message: expect.stringMatching(/^image part 1: /),
    });
  });
});
