import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { createDefaultRegistry } from '../../models/default-registry.ts';
import { TesseractTextRecognitionModel } from '../../models/providers/tesseract/tesseract-text-recognition-model.ts';
import { renderTextPng } from '../../models/providers/tesseract/test-support/render-text.ts';
import type { ChatModel, TextRecognitionModel } from '../../models/spec/index.ts';
import { VqaConversation } from './conversation.ts';
import { RecordingChatModel } from './test-support/recording-chat-model.ts';
import { vqa } from './vqa.ts';

const SCREENSHOT_LINES = ['Settings', 'About phone', 'Model: Pixel 8 Pro', 'Android version 14'];
/** Non-empty lines (tesseract puts a blank line between text blocks). */
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
const PHOTO = 'src/preprocess/image/fixtures/photos/chelsea.jpg';

/** Counts loads and recognitions of the real OCR model. */
function countingOcr(model: TextRecognitionModel) {
  const counts = { loads: 0, recognitions: 0 };
  const counted: TextRecognitionModel = {
    description: model.description,
    languages: model.languages,
    recognize: (image, options) => {
      counts.recognitions++;
      return model.recognize(image, options);
    },
  };
  const load = async () => {
    counts.loads++;
    return counted;
  };
  return { counts, load };
}

describe('OCR grounding with tesseract.js and the testkit llava', () => {
  let root: string;
  let llava: ChatModel & { dispose?: () => Promise<void> };
  let ocr: TesseractTextRecognitionModel;
  let screenshot: Buffer;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-vqa-ocr-'));
    await buildTinyModel('llava', join(root, 'llava'));
    llava = await createDefaultRegistry().load('visionChat', join(root, 'llava'));
    ocr = new TesseractTextRecognitionModel({ languages: ['eng', 'chi_sim'] });
    screenshot = await renderTextPng(SCREENSHOT_LINES.join('\n'), { size: 40 });
  });

  afterAll(async () => {
    await ocr?.dispose();
    await llava?.dispose?.();
    await rm(root, { recursive: true, force: true });
  });

  it('on: reads an English screenshot and puts the text in the first user turn, beside the image', async () => {
    const model = new RecordingChatModel(llava);
    const question = 'Which phone model and Android version is this?';
    const result = await vqa({ image: screenshot, question, model, ocr, ocrMode: 'on' });
    expect(result.ocr).toMatchObject({ mode: 'on', ran: true, used: true });
    expect(lines(result.ocr!.text)).toEqual(SCREENSHOT_LINES);
    expect(result.ocr!.confidence).toBeGreaterThan(0.8);
    expect(result.ocr!.model).toBe('tesseract:tesseract.js');
    // The tiny model still looks at the image: a white page.
    expect(result.answer).toBe('white');
    const [message] = model.calls[0].request.messages;
    expect(message.role).toBe('user');
    const [imagePart, textPart] = message.content as [{ type: string }, { type: string; text: string }];
    expect(imagePart.type).toBe('image');
    expect(textPart.text).toBe(
      `Text read from the image by OCR (it may contain recognition errors):\n"""\n${result.ocr!.text}\n"""\nUse this text when it helps to answer.\n\nQuestion: ${question}`,
    );
    expect(result.usage.prompt_tokens).toBe(2 + 16 + new TextEncoder().encode(textPart.text).length + 4);
    expect(result.timings.ocrMs).toBeGreaterThan(0);
  });

  it('on: reads Chinese text and instructs the model in Chinese', async () => {
    const model = new RecordingChatModel(llava);
    const image = await renderTextPng('手机型号和系统版本\n今天天气很好');
    const result = await vqa({ image, question: '这是什么手机？', model, ocr, ocrMode: 'on' });
    expect(result.ocr).toMatchObject({ ran: true, used: true, text: '手机型号和系统版本\n今天天气很好' });
    expect(model.lastUserTexts()).toEqual([
      '图片中经 OCR 识别出的文字如下（可能有识别错误）：\n"""\n手机型号和系统版本\n今天天气很好\n"""\n回答问题时请参考这些文字。\n\n问题：这是什么手机？',
    ]);
  });

  it('auto: OCR runs on a screenshot but not on a photo, where the OCR model is not even loaded', async () => {
    const { counts, load } = countingOcr(ocr);
    const model = new RecordingChatModel(llava);
    const onText = await vqa({ image: screenshot, question: 'Which phone?', model, ocr: load, ocrMode: 'auto' });
    expect(onText.ocr).toMatchObject({ mode: 'auto', ran: true, used: true });
    expect(lines(onText.ocr!.text)).toEqual(SCREENSHOT_LINES);
    expect(onText.ocr!.textDensity).toBeGreaterThan(0.2);
    expect(model.lastUserTexts()[0]).toContain('Model: Pixel 8 Pro');

    const onPhoto = await vqa({ image: PHOTO, question: 'What animal is this?', model, ocr: load });
    expect(onPhoto.ocr).toEqual({
      mode: 'auto',
      ran: false,
      text: '',
      confidence: 0,
      used: false,
      textDensity: expect.any(Number),
    });
    expect(onPhoto.ocr!.textDensity).toBeLessThan(0.05);
    expect(model.lastUserTexts()).toEqual(['What animal is this?']);
    expect(counts).toEqual({ loads: 1, recognitions: 1 });
  });

  it('on: a photo whose OCR text is unreliable is reported but kept out of the prompt', async () => {
    const model = new RecordingChatModel(llava);
    const result = await vqa({
      image: 'src/preprocess/image/fixtures/rocket.jpg',
      question: 'What is it?',
      model,
      ocr,
      ocrMode: 'on',
    });
    expect(result.ocr!.ran).toBe(true);
    expect(result.ocr!.confidence).toBeLessThan(0.6);
    expect(result.ocr!.used).toBe(false);
    expect(model.lastUserTexts()).toEqual(['What is it?']);
  });

  it('off: no OCR; on without an OCR model is an error', async () => {
    const { counts, load } = countingOcr(ocr);
    const result = await vqa({ image: screenshot, question: 'q', model: llava, ocr: load, ocrMode: 'off' });
    expect(result.ocr).toBeUndefined();
    expect(counts.loads).toBe(0);
    await expect(vqa({ image: screenshot, question: 'q', model: llava, ocrMode: 'on' })).rejects.toMatchObject({
      code: 'ocr_model_missing',
    });
  });

  it('a conversation reads the image once and keeps earlier turns; the image goes in the first turn only', async () => {
    const { counts, load } = countingOcr(ocr);
    const model = new RecordingChatModel(llava);
    const conversation = new VqaConversation({ image: screenshot, model, ocr: load, ocrMode: 'on', temperature: 0 });
    const first = await conversation.ask('Which phone is this?');
    const second = await conversation.ask('And the colour?');
    const third = await conversation.ask('Sure?');
    expect([first.answer, second.answer, third.answer]).toEqual(['white', 'white', 'white']);
    expect(counts).toEqual({ loads: 1, recognitions: 1 });
    expect(conversation.turns).toEqual([
      { question: 'Which phone is this?', answer: 'white' },
      { question: 'And the colour?', answer: 'white' },
      { question: 'Sure?', answer: 'white' },
    ]);
    const messages = model.calls[2].request.messages;
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    const images = messages.flatMap((message) =>
      typeof message.content === 'string' ? [] : message.content.filter((part) => part.type === 'image'),
    );
    expect(images).toHaveLength(1);
    expect(model.lastUserTexts().slice(1)).toEqual(['And the colour?', 'Sure?']);
    expect(model.lastUserTexts()[0]).toContain('Model: Pixel 8 Pro');
    // Each prompt holds the previous one, then `white<|end|>\n` (5 + 2 tokens), `<|user|>\n`, the question
    // (a token per byte) and `<|end|>\n<|assistant|>\n`.
    expect(second.usage.prompt_tokens).toBe(first.usage.prompt_tokens + 7 + 2 + 'And the colour?'.length + 4);
    expect(third.usage.prompt_tokens).toBe(second.usage.prompt_tokens + 7 + 2 + 'Sure?'.length + 4);
    expect(second.timings.ocrMs).toBe(0);
    expect(second.ocr).toEqual(first.ocr);
  });
});
