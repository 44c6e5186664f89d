import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../../testkit/openai-server.ts';
import type { EmbeddingModel } from '../../spec/index.ts';
import { createOpenAiProvider } from './provider.ts';

let server: OpenAiTestServer;
beforeAll(async () => {
  server = await startOpenAiTestServer({ models: ['bge-m3'], embeddingDimensions: 5 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

function model(options = {}) {
  return createOpenAiProvider({ baseURL: server.baseURL }).embeddingModel('bge-m3', options);
}

/** The server's vector: [code points, first code point, -2.5, -3.5, -4.5]. */
const expected = (text: string) => [Array.from(text).length, text.codePointAt(0) ?? 0, -2.5, -3.5, -4.5];

describe('OpenAiEmbeddingModel', () => {
  it.each(['float', 'base64'] as const)(
    'decodes %s vectors in input order (the server answers reversed)',
    async (format) => {
      const embeddings = model({ encodingFormat: format });
      expect(embeddings.dimensions).toBe(0);
      const texts = ['红色', 'a red apple', 'z'];
      const result = await embeddings.embedTexts(texts);
      expect(server.requests[0].json).toEqual({ model: 'bge-m3', input: texts, encoding_format: format });
      expect(result.embeddings.map((vector) => Array.from(vector))).toEqual(texts.map(expected));
      expect(result.embeddings[0]).toBeInstanceOf(Float32Array);
      expect(result.usage.tokens).toBe(2 + 11 + 1);
      expect(embeddings.dimensions).toBe(5);
    },
  );

  it('batches long inputs and sends dimensions only when asked to', async () => {
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const result = await model({ maxTextsPerRequest: 2 }).embedTexts(texts);
    expect(server.requests.map((sent) => sent.json?.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(result.embeddings.map((vector) => vector[0])).toEqual([1, 2, 3, 4, 5]);
    expect(server.requests[0].json).not.toHaveProperty('dimensions');
    server.requests.length = 0;
    const shortened = await model({ dimensions: 3, sendDimensions: true }).embedTexts(['hi']);
    expect(server.requests[0].json?.dimensions).toBe(3);
    expect(Array.from(shortened.embeddings[0])).toEqual([2, 104, -2.5]);
  });

  it('rejects vectors whose length differs from the configured dimensions', async () => {
    await expect(model({ dimensions: 8 }).embedTexts(['x'])).rejects.toThrow(
      `${server.baseURL}/embeddings: vector 0 has 5 dimensions, expected 8`,
    );
    server.failNext({
      type: 'reply',
      contentType: 'application/json',
      body: '{"data":[{"index":0,"embedding":"AAA="}]}',
    });
    await expect(model({ encodingFormat: 'base64' }).embedTexts(['x'])).rejects.toThrow(
      'base64 embedding of 2 bytes is not whole float32s',
    );
  });

  it('embeds nothing without a request, and has no image input', async () => {
    const embeddings: EmbeddingModel = model();
    expect(await embeddings.embedTexts([])).toEqual({ embeddings: [], usage: { tokens: 0 } });
    expect(server.requests).toHaveLength(0);
    expect(embeddings.embedImages).toBeUndefined();
  });
});
