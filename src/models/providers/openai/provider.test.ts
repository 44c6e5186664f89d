import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../../testkit/openai-server.ts';
import { MmkitError } from '../../../errors.ts';
import { parseOpenAiModelId } from './model-id.ts';
import { createOpenAiProvider } from './provider.ts';

let server: OpenAiTestServer;
beforeAll(async () => {
  server = await startOpenAiTestServer({ apiKey: 'sk-entry', models: ['llava'] });
});
afterAll(() => server.close());

describe('createOpenAiProvider', () => {
  it('builds models from a registry id, with key and headers on every request', async () => {
    const { model, baseURL } = parseOpenAiModelId(`openai:llava@${server.baseURL}/`);
    const provider = createOpenAiProvider({ baseURL, apiKey: 'sk-entry', headers: { 'x-organization': 'lab' } });
    expect(provider.baseURL).toBe(server.baseURL);
    const chat = provider.chatModel(model, { id: 'vqa-default' });
    expect(chat.description).toEqual({ id: 'vqa-default', provider: 'openai' });
    const answer = await chat.generate({
      maxNewTokens: 10,
      temperature: 0,
      topP: 1,
      messages: [{ role: 'user', content: 'ok' }],
    });
    expect(answer.text).toBe('ok');
    const headers = server.requests.at(-1)?.headers;
    expect(headers?.authorization).toBe('Bearer sk-entry');
    expect(headers?.['x-organization']).toBe('lab');
    expect(headers?.['user-agent']).toMatch(/^mmkit\//);
  });

  it('defaults to OpenAI with no key and a ten-minute timeout', () => {
    const provider = createOpenAiProvider();
    expect(provider.baseURL).toBe('https://api.openai.com/v1');
    expect(provider.embeddingModel('text-embedding-3-small').description.id).toBe(
      'openai:text-embedding-3-small@https://api.openai.com/v1',
    );
  });

  it('rejects bad settings and options with the field named', () => {
    expect(() => createOpenAiProvider({ baseURL: 'ftp://host' })).toThrow(
      "openai provider: invalid option 'baseURL' (must be an http(s) URL)",
    );
    expect(() => createOpenAiProvider({ timeoutMs: -1 })).toThrow("invalid option 'timeoutMs'");
    const provider = createOpenAiProvider({ baseURL: server.baseURL });
    expect(() => provider.chatModel('llava', { contextLength: 0 })).toThrow(
      new MmkitError(
        `openai:llava@${server.baseURL}: invalid option 'contextLength' (Too small: expected number to be >0)`,
        {
          code: 'invalid_model_options',
          param: 'contextLength',
        },
      ),
    );
    expect(() => provider.imageGenerationModel('sd', { extraFields: ['cfg'] as unknown as ['seed'] })).toThrow(
      "invalid option 'extraFields.0'",
    );
    expect(() => provider.speechModel('', {})).toThrow('the model name is empty');
  });
});
