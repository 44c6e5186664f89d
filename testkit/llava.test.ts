import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  env,
  type PreTrainedModel,
  type Processor,
  RawImage,
  type Tensor,
  TextStreamer,
} from '@huggingface/transformers';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLAVA_COLOUR_TOKENS, LLAVA_SPECIAL_TOKENS, llavaFiles } from './llava.ts';
import { LLAVA_COLOUR_NAMES, LLAVA_IMAGE_TOKENS } from './llava-vision.ts';
import { writeModelFiles } from './model-files.ts';

type Rgb = readonly [number, number, number];
const RED: Rgb = [230, 20, 25];
const GREEN: Rgb = [20, 200, 40];
const BLUE: Rgb = [15, 30, 235];
const WHITE: Rgb = [250, 250, 250];
const YELLOW: Rgb = [240, 230, 15];

/** A PNG made by sharp from a colour function over a 100×100 grid of 10×10 blocks, decoded the way users load files. */
async function blockImage(colourOf: (row: number, column: number) => Rgb, width = 100, height = 100) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels.set(colourOf(Math.floor(y / 10), Math.floor(x / 10)), (y * width + x) * 3);
    }
  }
  const png = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return RawImage.fromBlob(new Blob([new Uint8Array(png)]));
}

const solid = (rgb: Rgb, width = 120, height = 80) => blockImage(() => rgb, width, height);

/** `share` of the 10×10 blocks get `dominant`, the rest cycle through `others`, scattered over the image. */
function mostly(dominant: Rgb, share: number, others: readonly Rgb[]) {
  return blockImage((row, column) => {
    const block = row * 10 + column;
    // A fixed permutation of the 100 blocks (37 is coprime with 100), so other colours are spread out.
    const rank = (block * 37) % 100;
    return rank < share * 100 ? dominant : others[rank % others.length];
  });
}

describe('testkit llava (answers with the dominant colour)', () => {
  let directory: string;
  let processor: Processor;
  let model: PreTrainedModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-llava-'));
    await writeModelFiles(directory, llavaFiles());
    env.allowRemoteModels = false;
    processor = await AutoProcessor.from_pretrained(directory, { local_files_only: true });
    model = await AutoModelForImageTextToText.from_pretrained(directory, { local_files_only: true });
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  function prompt(question: string): string {
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: question }] }];
    return processor.apply_chat_template(messages as never, { add_generation_prompt: true }) as string;
  }

  async function ask(image: RawImage, question = 'What colour is this?', options: Record<string, unknown> = {}) {
    const inputs = await processor(image, prompt(question));
    const output = (await model.generate({ ...inputs, max_new_tokens: 8, do_sample: false, ...options })) as Tensor;
    const promptLength = (inputs.input_ids as Tensor).dims[1];
    const generated = (output.tolist() as bigint[][])[0].slice(promptLength).map(Number);
    return { generated, text: processor.decode(generated, { skip_special_tokens: true }) };
  }

  it('loads as LlavaForConditionalGeneration with LlavaProcessor', () => {
    expect(model.constructor.name).toBe('LlavaForConditionalGeneration');
    expect(processor.constructor.name).toBe('LlavaProcessor');
  });

  it('places the image token with the chat template; the processor expands it to one token per patch', async () => {
    expect(prompt('Colour?')).toBe('<|user|>\n<image>Colour?<|end|>\n<|assistant|>\n');
    const plain = processor.apply_chat_template([{ role: 'user', content: 'hi' }] as never, {
      add_generation_prompt: true,
    });
    expect(plain).toBe('<|user|>\nhi<|end|>\n<|assistant|>\n');

    const inputs = await processor(await solid(RED), prompt('Colour?'));
    const ids = (inputs.input_ids as Tensor).tolist()[0].map(Number) as number[];
    expect(ids.filter((id) => id === LLAVA_SPECIAL_TOKENS.image.id)).toHaveLength(LLAVA_IMAGE_TOKENS);
    expect(ids.slice(0, 2)).toEqual([LLAVA_SPECIAL_TOKENS.user.id, 10]);
    expect((inputs.pixel_values as Tensor).dims).toEqual([1, 3, 32, 32]);
  });

  it.each([
    ['red', RED],
    ['green', GREEN],
    ['blue', BLUE],
    ['yellow', YELLOW],
    ['white', WHITE],
    ['black', [5, 5, 5] as Rgb],
    ['gray', [128, 128, 128] as Rgb],
  ])('names a solid %s image, then stops at <|end|>', async (name, rgb) => {
    const { generated, text } = await ask(await solid(rgb));
    expect(text).toBe(name);
    const colourToken = LLAVA_COLOUR_TOKENS[LLAVA_COLOUR_NAMES.indexOf(name)].id;
    expect(generated).toEqual([colourToken, LLAVA_SPECIAL_TOKENS.end.id]);
  });

  it('names the colour covering most of a mixed image', async () => {
    expect((await ask(await mostly(RED, 0.75, [GREEN, BLUE, WHITE]))).text).toBe('red');
    expect((await ask(await mostly(GREEN, 0.7, [RED, YELLOW]))).text).toBe('green');
    expect((await ask(await mostly(BLUE, 0.7, [WHITE, RED, GREEN]))).text).toBe('blue');
  });

  it('still says red when red covers 60 % and other colours 40 %, scattered or in one block', async () => {
    expect((await ask(await mostly(RED, 0.6, [GREEN, BLUE, WHITE, YELLOW]))).text).toBe('red');
    expect((await ask(await mostly(RED, 0.6, [BLUE]))).text).toBe('red');
    const leftRed = await blockImage((_row, column) => (column < 6 ? RED : column < 8 ? GREEN : BLUE));
    expect((await ask(leftRed)).text).toBe('red');
    // The same picture with the split reversed: the answer follows the majority, not a fixed colour.
    expect((await ask(await mostly(BLUE, 0.6, [RED]))).text).toBe('blue');
  });

  it('answers the colour whatever the question says', async () => {
    const image = await solid(GREEN);
    for (const question of ['Is this red?', 'Describe the picture in detail.', '这是什么颜色？', '']) {
      expect((await ask(image, question)).text).toBe('green');
    }
  });

  it("streams the same text through Transformers.js's TextStreamer", async () => {
    const chunks: string[] = [];
    const streamer = new TextStreamer(processor.tokenizer as never, {
      skip_prompt: true,
      skip_special_tokens: true,
      callback_function: (chunk: string) => chunks.push(chunk),
    });
    const { text } = await ask(await solid(BLUE), 'What colour?', { streamer });
    expect(text).toBe('blue');
    expect(chunks.join('').trim()).toBe('blue');
  });

  it('vision encoder: each image token holds its patch colour shares (direct onnxruntime run)', async () => {
    const session = await InferenceSession.create(llavaFiles()['onnx/vision_encoder.onnx'] as Uint8Array);
    try {
      const leftRed = await blockImage((_row, column) => (column < 5 ? RED : BLUE));
      const { pixel_values } = (await processor(leftRed, prompt('?'))) as { pixel_values: Tensor };
      const { image_features } = await session.run({
        pixel_values: new OrtTensor('float32', pixel_values.data as Float32Array, pixel_values.dims),
      });
      expect(image_features.dims).toEqual([1, LLAVA_IMAGE_TOKENS, 32]);
      const features = image_features.data as Float32Array;
      const share = (patch: number, colour: string) => features[patch * 32 + LLAVA_COLOUR_NAMES.indexOf(colour)];
      // Patches are 4×4 in row-major order: columns 0–1 are red, 2–3 blue.
      expect(share(0, 'red')).toBeGreaterThan(0.99);
      expect(share(5, 'red')).toBeGreaterThan(0.99);
      expect(share(3, 'blue')).toBeGreaterThan(0.99);
      expect(share(14, 'blue')).toBeGreaterThan(0.99);
      for (let patch = 0; patch < LLAVA_IMAGE_TOKENS; patch++) {
        let total = 0;
        for (let colour = 0; colour < LLAVA_COLOUR_NAMES.length; colour++) total += features[patch * 32 + colour];
        expect(total).toBeCloseTo(1, 5);
      }
    } finally {
      await session.release();
    }
  });
});
