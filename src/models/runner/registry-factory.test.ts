import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { ModelRunnerPool } from './pool.ts';
import { registryRunnerSpec } from './registry-factory.ts';

describe('registryRunnerSpec', () => {
  let root: string;
  const pool = new ModelRunnerPool({ keepAliveMs: 0 });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-runner-registry-'));
  });
  afterAll(async () => {
    await pool.shutdown();
    await rm(root, { recursive: true, force: true });
  });

  it('keys a spec by capability and model', () => {
    expect(registryRunnerSpec('chat', { model: '/x/llm' }).key).toBe('chat:/x/llm');
    expect(registryRunnerSpec('speech').key).toBe('speech:default');
  });

  it('loads a real model through the default registry inside a runner', async () => {
    const folder = join(root, 'llm');
    await buildTinyModel('llm', folder);
    const chat = await pool.acquire(registryRunnerSpec('chat', { model: folder }));
    const answer = await chat.generate({
      messages: [{ role: 'user', content: '你好, runner' }],
      maxNewTokens: 30,
      temperature: 0,
      topP: 1,
    });
    expect(answer.text).toBe('你好, runner');
    const [row] = await pool.status();
    expect(row.key).toBe(`chat:${folder}`);
  });

  it('carries a load error across the process boundary as one line', async () => {
    const missing = join(root, 'missing');
    await expect(pool.acquire(registryRunnerSpec('chat', { model: missing }))).rejects.toThrow(
      `model folder ${missing} does not exist`,
    );
  });
});
