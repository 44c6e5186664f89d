import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../testkit/openai-server.ts';
import { createDefaultRegistry } from '../../models/default-registry.ts';
import type { ChatModel, TextRecognitionModel } from '../../models/spec/index.ts';
import { VqaConversation } from './conversation.ts';
import { GREEN, RED, solidImage } from './test-support/images.ts';
import { vqa, vqaStream } from './vqa.ts';

/** The OCR model is not under test here (see ocr-grounding.test.ts): a fixed reading. */
const fixedOcr: TextRecognitionModel = {
  description: { id: 'fixed-ocr', provider: 'test' },
  languages: ['eng'],
  recognize: async () => ({
    text: 'Model: Pixel 8 Pro',
    confidence: 0.93,
    lines: [{ text: 'Model: Pixel 8 Pro', confidence: 0.93 }],
  }),
};

// biome-ignore lint/suspicious/noExplicitAny: recorded request bodies are plain JSON.
type Json = any;

describe('vqa against an OpenAI-compatible engine (the local test server)', () => {
  let server: OpenAiTestServer;
  let model: ChatModel;

  beforeAll(async () => {
    server = await startOpenAiTestServer();
    model = await createDefaultRegistry().load('visionChat', `openai:llava-test@${server.baseURL}`);
  });

  afterAll(async () => {
    await server?.close();
  });

  const lastBody = (): Json => server.requests.at(-1)!.json;

  it('sends the image as a data: URL part beside the question, with the seed settings', async () => {
    const image = await solidImage(RED, 'png');
    const result = await vqa({ image, question: 'What colour is this?', model, seed: 42 });
    const body = lastBody();
    expect(server.requests.at(-1)!.path).toBe('/chat/completions');
    expect(body).toMatchObject({ model: 'llava-test', max_tokens: 200, temperature: 0.3, top_p: 0.9, seed: 42 });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from(image).toString('base64')}` } },
          { type: 'text', text: 'What colour is this?' },
        ],
      },
    ]);
    // The server echoes the last user text.
    expect(result).toMatchObject({
      answer: 'What colour is this?',
      model: `openai:llava-test@${server.baseURL}`,
      finishReason: 'stop',
      usage: { prompt_tokens: 20, completion_tokens: 20 },
    });
  });

  it('puts the OCR text in the user message the engine receives, and streams the answer', async () => {
    const image = await solidImage(GREEN, 'jpeg');
    const deltas: string[] = [];
    let ocrPart: unknown;
    for await (const part of vqaStream({ image, question: 'Which phone?', model, ocr: fixedOcr, ocrMode: 'on' })) {
      if (part.type === 'ocr') ocrPart = part.ocr;
      if (part.type === 'text-delta') deltas.push(part.text);
    }
    expect(ocrPart).toMatchObject({ text: 'Model: Pixel 8 Pro', confidence: 0.93, used: true, model: 'fixed-ocr' });
    const body = lastBody();
    expect(body.stream).toBe(true);
    const [imagePart, textPart] = body.messages[0].content;
    expect(imagePart.image_url.url).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    expect(textPart.text).toContain('"""\nModel: Pixel 8 Pro\n"""');
    expect(textPart.text.endsWith('Question: Which phone?')).toBe(true);
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(textPart.text);
  });

  it('a conversation sends earlier turns as text, the image only in the first user message', async () => {
    const conversation = new VqaConversation({ image: await solidImage(RED), model });
    await conversation.ask('first?');
    await conversation.ask('second?');
    const messages: Json[] = lastBody().messages;
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[0].content[0].type).toBe('image_url');
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: 'first?' },
      { role: 'user', content: 'second?' },
    ]);
  });

  it('cancelling rejects with an AbortError', async () => {
    const controller = new AbortController();
    const run = async () => {
      for await (const part of vqaStream({
        image: await solidImage(RED),
        question: 'a question long enough to cancel halfway',
        model,
        signal: controller.signal,
      })) {
        if (part.type === 'text-delta') controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
  });
});
