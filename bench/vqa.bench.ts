/**
 * VQA overhead and OCR cost.
 *
 * 1. The tiny testkit llava answering about a 640×427 JPEG through the whole task (`vqaStream`:
 *    image checks, messages, the provider's chat template and processor, Transformers.js
 *    `generate()` behind our streaming and answer builder) against the bare Transformers.js path on
 *    the same bytes (`RawImage.fromBlob` → `processor(image, prompt)` → `model.generate()` with a
 *    streamer), interleaved in the same run: time to first token, and tokens/s over the whole answer
 *    (the tiny model answers in 2 tokens, so this is mostly prompt time: an overhead ratio, not a
 *    decoding speed).
 * 2. OCR per image with `--ocr auto`: on a 1080×1920 screenshot (text-density test, then OCR) and on
 *    a photo (the density test alone), each against one plain OCR pass of the same image.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  type PreTrainedModel,
  type Processor,
  RawImage,
} from '@huggingface/transformers';
import sharp from 'sharp';
import { createDefaultRegistry } from '../src/models/default-registry.ts';
import { TesseractTextRecognitionModel } from '../src/models/providers/tesseract/tesseract-text-recognition-model.ts';
import { renderTextPng } from '../src/models/providers/tesseract/test-support/render-text.ts';
import type { ChatModel } from '../src/models/spec/index.ts';
import { vqa, vqaStream } from '../src/tasks/vqa/vqa.ts';
import { buildTinyModel } from '../testkit/build.ts';
import type { BenchmarkRow } from './report.ts';

const RUNS = 15;
const QUESTION = 'What colour is this?';
const PHOTO = 'src/preprocess/image/fixtures/rocket.jpg';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Timing {
  firstTokenMs: number;
  totalMs: number;
  tokens: number;
  text: string;
}

async function timeTask(model: ChatModel, image: Uint8Array): Promise<Timing> {
  const start = performance.now();
  let firstTokenMs = 0;
  for await (const part of vqaStream({ image, question: QUESTION, model, temperature: 0, ocrMode: 'off' })) {
    if (part.type === 'text-delta' && firstTokenMs === 0) firstTokenMs = performance.now() - start;
    if (part.type === 'finish') {
      const { answer, usage } = part.result;
      return { firstTokenMs, totalMs: performance.now() - start, tokens: usage.completion_tokens, text: answer };
    }
  }
  throw new Error('the task ended without an answer');
}

async function timeBare(processor: Processor, model: PreTrainedModel, image: Uint8Array): Promise<Timing> {
  const start = performance.now();
  let firstTokenMs = 0;
  let tokens = 0;
  const raw = await RawImage.fromBlob(new Blob([new Uint8Array(image)]));
  const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: QUESTION }] }];
  const prompt = processor.apply_chat_template(messages as never, { add_generation_prompt: true }) as string;
  const inputs = await processor(raw, prompt);
  // generate() calls put() with the prompt first, then once per new token.
  let prompted = false;
  const streamer = {
    put: () => {
      if (!prompted) {
        prompted = true;
        return;
      }
      tokens++;
      if (firstTokenMs === 0) firstTokenMs = performance.now() - start;
    },
    end: () => {},
  };
  const output = await model.generate({
    ...inputs,
    max_new_tokens: 200,
    do_sample: false,
    streamer: streamer as never,
  });
  const promptLength = (inputs.input_ids as { dims: number[] }).dims[1];
  const generated = ((output as { tolist(): bigint[][] }).tolist()[0] ?? []).slice(promptLength).map(Number);
  const text = processor.decode(generated, { skip_special_tokens: true }).trim();
  return { firstTokenMs, totalMs: performance.now() - start, tokens, text };
}

async function vqaRows(folder: string): Promise<BenchmarkRow[]> {
  const image = new Uint8Array(await readFile(PHOTO));
  const ours = await createDefaultRegistry().load('visionChat', folder);
  const processor = await AutoProcessor.from_pretrained(folder, { local_files_only: true });
  const bareModel = await AutoModelForImageTextToText.from_pretrained(folder, { local_files_only: true });
  const task: Timing[] = [];
  const bare: Timing[] = [];
  for (let round = -3; round < RUNS; round++) {
    const a = await timeTask(ours, image);
    const b = await timeBare(processor, bareModel, image);
    if (a.text !== 'black' || b.text !== 'black' || a.tokens !== b.tokens) {
      throw new Error(`the paths answered differently: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    if (round >= 0) {
      task.push(a);
      bare.push(b);
    }
  }
  await (ours as { dispose?: () => Promise<void> }).dispose?.();
  await bareModel.dispose();
  const rate = (timing: Timing) => (timing.tokens / timing.totalMs) * 1000;
  const anchorName = 'bare Transformers.js processor + generate()';
  return [
    {
      name: 'VQA time to first token, tiny llava, 640×427 JPEG (vqaStream: checks, template, processor, generate)',
      ours: median(task.map((timing) => timing.firstTokenMs)),
      anchor: median(bare.map((timing) => timing.firstTokenMs)),
      unit: 'ms',
      anchorName,
      better: 'lower',
    },
    {
      name: `VQA whole answer, tiny llava (${task[0].tokens} tokens)`,
      ours: median(task.map(rate)),
      anchor: median(bare.map(rate)),
      unit: 'tokens/s',
      anchorName,
      better: 'higher',
    },
  ];
}

async function ocrRows(): Promise<BenchmarkRow[]> {
  const page = await renderTextPng('Settings\nAbout phone\nModel: Pixel 8 Pro\nAndroid version 14\nBuild AP1A', {
    size: 44,
  });
  // A phone screenshot: text on a plain 1080×1920 page.
  const screenshot = new Uint8Array(
    await sharp(page)
      .extend({ right: 1080 - (await sharp(page).metadata()).width!, bottom: 1200, background: '#ffffff' })
      .resize(1080, 1920, { fit: 'contain', background: '#ffffff', position: 'top' })
      .png()
      .toBuffer(),
  );
  const photo = new Uint8Array(await readFile(PHOTO));
  const ocr = new TesseractTextRecognitionModel({ languages: ['eng', 'chi_sim'] });
  const recording: ChatModel = {
    description: { id: 'no-model', provider: 'bench' },
    acceptsImages: true,
    contextLength: 4096,
    generate: async () => ({
      text: '',
      finishReason: 'stop',
      usage: { promptTokens: 0, completionTokens: 0 },
      timings: { totalMs: 0 },
    }),
    stream: async function* () {},
  };
  const times = { screenshotTask: [] as number[], screenshotOcr: [] as number[], photoTask: [] as number[] };
  const photoOcr: number[] = [];
  try {
    for (let round = -1; round < 3; round++) {
      const onScreenshot = await vqa({ image: screenshot, question: 'Which phone?', model: recording, ocr });
      if (!onScreenshot.ocr?.used) throw new Error('OCR did not read the screenshot');
      let start = performance.now();
      await ocr.recognize(screenshot);
      const screenshotOcr = performance.now() - start;
      const onPhoto = await vqa({ image: photo, question: 'What is it?', model: recording, ocr });
      if (onPhoto.ocr?.ran) throw new Error('OCR ran on a photo');
      start = performance.now();
      await ocr.recognize(photo);
      if (round >= 0) {
        times.screenshotTask.push(onScreenshot.timings.ocrMs);
        times.screenshotOcr.push(screenshotOcr);
        times.photoTask.push(onPhoto.timings.ocrMs);
        photoOcr.push(performance.now() - start);
      }
    }
  } finally {
    await ocr.dispose();
  }
  return [
    {
      name: 'OCR grounding --ocr auto, 1080×1920 screenshot (density test + OCR)',
      ours: median(times.screenshotTask),
      anchor: median(times.screenshotOcr),
      unit: 'ms',
      anchorName: 'one OCR pass',
      better: 'lower',
    },
    {
      name: 'OCR grounding --ocr auto, 640×427 photo (density test only, OCR skipped)',
      ours: median(times.photoTask),
      anchor: median(photoOcr),
      unit: 'ms',
      anchorName: 'one OCR pass (--ocr on)',
      better: 'lower',
    },
  ];
}

export async function run(): Promise<BenchmarkRow[]> {
  const directory = await mkdtemp(join(tmpdir(), 'mmkit-bench-vqa-'));
  try {
    await buildTinyModel('llava', directory);
    return [...(await vqaRows(directory)), ...(await ocrRows())];
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
