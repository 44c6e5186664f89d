/**
 * Memory of the whole server, for `runner.bench.ts`: RSS of the server process (this one) plus its
 * runners before the tiny `llm` is loaded, and again after chat requests over HTTP loaded it and
 * keep-alive unloaded it (goal ≤ 1.1×). Runners are the server's default way of hosting models.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDefaultRegistry } from '../src/models/default-registry.ts';
import { createServer } from '../src/server/create-server.ts';
import { buildTinyModel } from '../testkit/build.ts';
import type { BenchmarkRow } from './report.ts';

const MB = 1024 * 1024;

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  (globalThis as { gc?: () => void }).gc?.();
}

export async function serverMemoryRow(): Promise<BenchmarkRow> {
  const root = await mkdtemp(join(tmpdir(), 'mmkit-bench-server-memory-'));
  await buildTinyModel('llm', join(root, 'llm'));
  await mkdir(join(root, 'data'));
  const config = { defaults: { chat: 'tiny-llm' }, models: { 'tiny-llm': { id: join(root, 'llm') } } };
  const server = await createServer({
    registry: createDefaultRegistry({ config }),
    config,
    dataDir: join(root, 'data'),
    runners: { keepAliveMs: 500 },
    log: () => {},
  });
  try {
    const { url } = await server.listen({ port: 0 });
    const total = async () =>
      process.memoryUsage.rss() + (await server.models.status()).reduce((sum, row) => sum + row.rssBytes, 0);
    const chat = async (text: string) => {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-llm', messages: [{ role: 'user', content: text }], temperature: 0 }),
      });
      if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${await response.text()}`);
      return response.json();
    };
    // Warm the server's own paths (routes, validation) with a request that loads no model.
    await fetch(`${url}/v1/models`);
    await settle();
    const before = await total();
    for (let request = 0; request < 20; request++) await chat(`request number ${request}`);
    const whileLoaded = await total();
    const [row] = await server.models.status();
    while ((await server.models.status()).length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    await settle();
    const after = await total();
    return {
      name: `RSS of the server + its runners after keep-alive unloaded the tiny llm (20 chats over HTTP), vs before loading it; ${(whileLoaded / MB).toFixed(0)} MB while loaded (runner ${((row?.rssBytes ?? 0) / MB).toFixed(0)} MB)`,
      ours: after / MB,
      anchor: before / MB,
      unit: 'MB',
      anchorName: 'before load',
      better: 'lower',
      goal: 0.91, // after ≤ 1.1 × before
    };
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}
