/**
 * Hostile JSON requests: bad JSON, wrong content types, missing and mistyped fields, absurd numbers,
 * unknown models, overlong prompts, 20 MB bodies, hostile image URLs. Every one must get its 4xx
 * with the error shape, the server must keep answering, and nothing may be written anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorAnswer, pixelBombPng, type RawResponse, rawRequest } from './test-support/hostile.ts';
import { dataUrl, listTree, startTestServer, type TestServer } from './test-support/test-server.ts';

const user = (content: unknown) => [{ role: 'user', content }];
const chat = (fields: Record<string, unknown>) => ({ model: 'tiny-llm', messages: user('hi'), ...fields });
const imagePart = (url: string) => user([{ type: 'image_url', image_url: { url } }]);
const TWENTY_MB = 20 * 1024 * 1024;

type Case = [name: string, path: string, body: unknown, status: number, code?: string];

const cases: Case[] = [
  // Bodies that are not the JSON object a route wants.
  ['bad JSON', '/v1/chat/completions', '{"model": "tiny-llm", ', 400, 'invalid_json'],
  ['empty body', '/v1/chat/completions', '', 400, 'invalid_json'],
  ['a JSON array', '/v1/chat/completions', '[]', 400, 'invalid_parameter'],
  ['a JSON string', '/v1/embeddings', '"red"', 400, 'invalid_parameter'],
  ['JSON null', '/v1/audio/speech', 'null', 400, 'invalid_parameter'],
  // Missing fields.
  ['no messages', '/v1/chat/completions', { model: 'tiny-llm' }, 400, 'missing_parameter'],
  ['no model', '/v1/chat/completions', { messages: user('hi') }, 400, 'missing_parameter'],
  ['no input', '/v1/embeddings', { model: 'tiny-clip' }, 400, 'missing_parameter'],
  ['no speech input', '/v1/audio/speech', { model: 'espeak:en', voice: 'alloy' }, 400, 'missing_parameter'],
  // Wrong types and values.
  ['empty messages', '/v1/chat/completions', chat({ messages: [] }), 400, 'invalid_parameter'],
  ['unknown role', '/v1/chat/completions', chat({ messages: [{ role: 'root', content: 'x' }] }), 400],
  ['content is a number', '/v1/chat/completions', chat({ messages: user(42) }), 400],
  ['unknown part type', '/v1/chat/completions', chat({ messages: user([{ type: 'audio', data: 'x' }]) }), 400],
  ['temperature as text', '/v1/chat/completions', chat({ temperature: 'hot' }), 400],
  ['temperature 5', '/v1/chat/completions', chat({ temperature: 5 }), 400],
  ['top_p 0', '/v1/chat/completions', chat({ top_p: 0 }), 400],
  ['stream as text', '/v1/chat/completions', chat({ stream: 'yes' }), 400],
  ['five stop sequences', '/v1/chat/completions', chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), 400],
  ['tools', '/v1/chat/completions', chat({ tools: [{ type: 'function' }] }), 400],
  ['seed negative', '/v1/chat/completions', chat({ seed: -1 }), 400],
  ['seed fractional', '/v1/chat/completions', chat({ seed: 1.5 }), 400],
  // Absurd numbers.
  ['huge n', '/v1/chat/completions', chat({ n: 1_000_000 }), 400],
  ['n = 100', '/v1/chat/completions', chat({ n: 100 }), 400],
  ['a JSON schema', '/v1/chat/completions', chat({ response_format: { type: 'json_schema', json_schema: {} } }), 400],
  ['negative max_tokens', '/v1/chat/completions', chat({ max_tokens: -5 }), 400],
  ['zero max_completion_tokens', '/v1/chat/completions', chat({ max_completion_tokens: 0 }), 400],
  ['max_tokens past the context', '/v1/chat/completions', chat({ max_tokens: 1e9 }), 400, 'max_tokens_too_large'],
  ['negative dimensions', '/v1/embeddings', { model: 'tiny-clip', input: 'red', dimensions: -8 }, 400],
  ['speed 100', '/v1/audio/speech', { model: 'espeak:en', input: 'hi', voice: 'alloy', speed: 100 }, 400],
  ['negative speed', '/v1/audio/speech', { model: 'espeak:en', input: 'hi', voice: 'alloy', speed: -1 }, 400],
  // Structured outputs, forced calls, log probabilities and text completions.
  [
    'a schema with $ref outside it',
    '/v1/chat/completions',
    chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { $ref: 'http://x/s.json' } } } }),
    400,
    'unsupported_json_schema',
  ],
  [
    'a schema that is a string',
    '/v1/chat/completions',
    chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: 'object' } } }),
    400,
  ],
  [
    'tool_choice naming nothing offered',
    '/v1/chat/completions',
    chat({ tool_choice: { type: 'function', function: { name: 'rm' } } }),
    400,
    'tools_missing',
  ],
  ['top_logprobs 100', '/v1/chat/completions', chat({ logprobs: true, top_logprobs: 100 }), 400],
  [
    'a chat template smuggled in as a template variable',
    '/v1/chat/completions',
    chat({ chat_template_kwargs: { chat_template: '{% for i in range(999999999) %}x{% endfor %}' } }),
    400,
  ],
  [
    'template variables that change the tokenizing',
    '/v1/responses',
    { model: 'tiny-llm', input: 'hi', chat_template_kwargs: { max_length: 1, truncation: true } },
    400,
  ],
  ['completion without a prompt', '/v1/completions', { model: 'tiny-llm' }, 400, 'missing_parameter'],
  ['completion prompt with NUL', '/v1/completions', { model: 'tiny-llm', prompt: 'a\u0000b' }, 400],
  [
    'completion prompt too long',
    '/v1/completions',
    { model: 'tiny-llm', prompt: 'x'.repeat(32_001) },
    400,
    'prompt_too_long',
  ],
  [
    'completion prompt of token ids past the vocabulary',
    '/v1/completions',
    { model: 'tiny-llm', prompt: [1, 2, 2 ** 40] },
    400,
    'token_out_of_range',
  ],
  [
    'completion scoring with nothing to score',
    '/v1/completions',
    { model: 'tiny-llm', prompt: 'x', max_tokens: 0 },
    400,
  ],
  ['completion for an unknown model', '/v1/completions', { model: '../../x', prompt: 'hi' }, 404, 'model_not_found'],
  ['completion bad JSON', '/v1/completions', '{"prompt": ', 400, 'invalid_json'],
  ['response without input', '/v1/responses', { model: 'tiny-llm' }, 400, 'missing_parameter'],
  ['response input with NUL', '/v1/responses', { model: 'tiny-llm', input: 'a\u0000b' }, 400],
  [
    'response input too long',
    '/v1/responses',
    { model: 'tiny-llm', input: 'x'.repeat(32_001) },
    400,
    'prompt_too_long',
  ],
  [
    'response chained to a path',
    '/v1/responses',
    { model: 'tiny-llm', input: 'hi', previous_response_id: '../../etc/passwd' },
    400,
    'previous_response_not_found',
  ],
  [
    'response item reference to a path',
    '/v1/responses',
    { model: 'tiny-llm', input: [{ type: 'item_reference', id: '../../x' }] },
    404,
    'item_not_found',
  ],
  [
    'response with a hosted tool',
    '/v1/responses',
    { model: 'tiny-llm', input: 'hi', tools: [{ type: 'file_search' }] },
    400,
  ],
  ['response in the background', '/v1/responses', { model: 'tiny-llm', input: 'hi', background: true }, 400],
  ['response for an unknown model', '/v1/responses', { model: '../../x', input: 'hi' }, 404, 'model_not_found'],
  [
    'dimensions past the model',
    '/v1/embeddings',
    { model: 'tiny-clip', input: 'red', dimensions: 100_000 },
    400,
    'dimensions_unsupported',
  ],
  [
    'speech in an unknown format',
    '/v1/audio/speech',
    { model: 'espeak:en', input: 'hi', voice: 'alloy', response_format: 'wma' },
    400,
  ],
  // Models a client must not reach.
  ['unknown model', '/v1/chat/completions', chat({ model: 'gpt-9' }), 404, 'model_not_found'],
  ['model as a folder path', '/v1/chat/completions', chat({ model: '/etc' }), 404, 'model_not_found'],
  ['model as a traversal', '/v1/embeddings', { model: '../../x', input: 'red' }, 404, 'model_not_found'],
  ['model as an onnx path', '/v1/embeddings', { model: 'onnx:/tmp', input: 'red' }, 404, 'model_not_found'],
  ['model as a remote engine', '/v1/chat/completions', chat({ model: 'openai:x@http://10.0.0.1/v1' }), 404],
  ['model with NUL', '/v1/chat/completions', chat({ model: 'tiny\u0000llm' }), 400],
  ['unknown speech model', '/v1/audio/speech', { model: 'tts-9', input: 'hi', voice: 'alloy' }, 404],
  // Text that is too long or not text.
  ['overlong prompt', '/v1/chat/completions', chat({ messages: user('x'.repeat(32_001)) }), 400, 'prompt_too_long'],
  ['257 messages', '/v1/chat/completions', chat({ messages: Array(257).fill(user('x')[0]) }), 400],
  ['NUL in a message', '/v1/chat/completions', chat({ messages: user('a\u0000b') }), 400],
  ['overlong embedding input', '/v1/embeddings', { model: 'tiny-clip', input: 'red '.repeat(2100) }, 400],
  ['257 embedding inputs', '/v1/embeddings', { model: 'tiny-clip', input: Array(257).fill('red') }, 400],
  ['empty embedding input', '/v1/embeddings', { model: 'tiny-clip', input: '' }, 400],
  ['empty input list', '/v1/embeddings', { model: 'tiny-clip', input: [] }, 400],
  ['object as input', '/v1/embeddings', { model: 'tiny-clip', input: { text: 'red' } }, 400],
  ['unknown encoding_format', '/v1/embeddings', { model: 'tiny-clip', input: 'red', encoding_format: 'int8' }, 400],
  ['speech input over 4096', '/v1/audio/speech', { model: 'espeak:en', input: 'a'.repeat(4097), voice: 'alloy' }, 400],
  ['empty speech input', '/v1/audio/speech', { model: 'espeak:en', input: '', voice: 'alloy' }, 400],
  ['NUL in speech input', '/v1/audio/speech', { model: 'espeak:en', input: 'a\u0000', voice: 'alloy' }, 400],
  // Hostile image URLs.
  [
    'file: image URL',
    '/v1/chat/completions',
    chat({ model: 'tiny-llava', messages: imagePart('file:///etc/passwd') }),
    400,
  ],
  ['gopher: image URL', '/v1/chat/completions', chat({ model: 'tiny-llava', messages: imagePart('gopher://x/') }), 400],
  ['not a URL', '/v1/chat/completions', chat({ model: 'tiny-llava', messages: imagePart('../../x') }), 400],
  [
    'data URL not base64',
    '/v1/chat/completions',
    chat({ model: 'tiny-llava', messages: imagePart('data:image/png,abc') }),
    400,
  ],
  [
    'data URL with junk',
    '/v1/chat/completions',
    chat({ model: 'tiny-llava', messages: imagePart('data:image/png;base64,!!$$') }),
    400,
  ],
  [
    'data URL of text',
    '/v1/chat/completions',
    chat({ model: 'tiny-llava', messages: imagePart(dataUrl(Buffer.from('hello'))) }),
    400,
    'image_unsupported',
  ],
  [
    'pixel bomb data URL',
    '/v1/chat/completions',
    chat({ model: 'tiny-llava', messages: imagePart(dataUrl(pixelBombPng())) }),
    400,
    'image_too_large',
  ],
  [
    'pixel bomb embedding',
    '/v1/embeddings',
    { model: 'tiny-clip', input: [dataUrl(pixelBombPng())] },
    400,
    'image_too_large',
  ],
  [
    'image in a system message',
    '/v1/chat/completions',
    chat({
      model: 'tiny-llava',
      messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: dataUrl(pixelBombPng()) } }] }],
    }),
    400,
  ],
];

describe('hostile JSON requests', () => {
  let test: TestServer;
  let treeBefore: string[];

  beforeAll(async () => {
    test = await startTestServer();
    treeBefore = await listTree(test.root);
  });
  afterAll(async () => {
    await test?.close();
  });

  const send = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => rawRequest(test.url, 'POST', path, { headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  const stillServing = async () => {
    expect((await rawRequest(test.url, 'GET', '/health')).status).toBe(200);
  };

  it.each(cases)('%s → %s %i', async (_name, path, body, status, code) => {
    expectErrorAnswer(await send(path, body), status, code);
    await stillServing();
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form-encoded', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', undefined],
  ])('a JSON route refuses %s with 415', async (_name, type) => {
    const headers: Record<string, string> = type ? { 'content-type': type } : {};
    expectErrorAnswer(await send('/v1/chat/completions', chat({}), headers), 415, 'unsupported_media_type');
    await stillServing();
  });

  it.each([
    ['with a length', false],
    ['chunked, with no length', true],
  ])('a 20 MB body %s → 413', async (_name, chunked) => {
    const body = JSON.stringify(chat({ messages: user('x'.repeat(TWENTY_MB)) }));
    const response: RawResponse = await rawRequest(test.url, 'POST', '/v1/chat/completions', {
      headers: { 'content-type': 'application/json' },
      body,
      chunked,
    });
    expectErrorAnswer(response, 413, 'body_too_large');
    const embeddings = await rawRequest(test.url, 'POST', '/v1/embeddings', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-clip', input: 'x'.repeat(TWENTY_MB) }),
      chunked,
    });
    expectErrorAnswer(embeddings, 413, 'body_too_large');
    await stillServing();
  });

  it.each([
    ['DELETE', '/v1/models'],
    ['GET', '/v1/chat/completions'],
    ['PUT', '/qa'],
    ['GET', '/v2/anything'],
  ])('%s %s → 404 in the error shape', async (method, path) => {
    expectErrorAnswer(await rawRequest(test.url, method, path), 404, 'route_not_found');
  });

  it('wrote nothing anywhere, and still answers real requests', async () => {
    expect(await listTree(test.root)).toEqual(treeBefore);
    const response = await send('/v1/chat/completions', chat({ messages: user('still here'), temperature: 0 }));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).choices[0].message.content).toBe('still here');
  });
});
