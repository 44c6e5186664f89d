import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import type { ChatModel } from '../spec/index.ts';
import { ModelRunnerPool } from './pool.ts';
import { chatRequest } from './test-support/fake-spec.ts';

const factoryModule = fileURLToPath(new URL('./test-support/transformers-chat-factory.ts', import.meta.url));

describe('ModelRunnerPool with a real Transformers.js model (testkit llm)', () => {
  const pool = new ModelRunnerPool();
  let folder: string;
  let chat: ChatModel;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'mmkit-runner-llm-'));
    await buildTinyModel('llm', folder);
    chat = await pool.acquire({ key: 'tiny-llm', capability: 'chat', factoryModule, options: { folder } });
  });
  afterAll(async () => {
    await pool.shutdown();
    await rm(folder, { recursive: true, force: true });
  });

  it('echoes the user message through the runner', async () => {
    const result = await chat.generate(chatRequest('Hello from the parent process!'));
    expect(result).toMatchObject({ text: 'Hello from the parent process!', finishReason: 'stop' });
    expect(result.usage.completionTokens).toBe('Hello from the parent process!'.length + 1);
  });

  it('streams the echo piece by piece, in any script', async () => {
    const deltas: string[] = [];
    for await (const part of chat.stream(chatRequest('流式 stream ok'))) {
      if (part.type === 'text-delta') deltas.push(part.text);
      else if (part.type === 'finish') expect(part.finishReason).toBe('stop');
    }
    expect(deltas.join('')).toBe('流式 stream ok');
    expect(deltas.length).toBeGreaterThan(1);
    const [row] = await pool.status();
    expect(row).toMatchObject({ key: 'tiny-llm', state: 'idle' });
    expect(row!.rssBytes).toBeGreaterThan(50 * 1024 * 1024);
  });
});
