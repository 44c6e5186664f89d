import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeProvider } from '../test-support/fake-models.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

/** The `/api/*` streams through a real route: a dropped connection cancels the model's work. */
describe('event streams', () => {
  let test: TestServer;
  const fake = fakeProvider();

  beforeAll(async () => {
    // The assistant's answering model streams "tick" until its signal aborts.
    test = await startTestServer({ providers: [fake.provider], extraDefaults: { chat: 'fake:slow' } });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('closing the connection mid-stream aborts the work, and the server keeps answering', async () => {
    const controller = new AbortController();
    const form = new FormData();
    form.set('input_type', 'text');
    form.set('text', 'Tell me everything');
    const response = await fetch(`${test.url}/api/assistant`, {
      method: 'POST',
      body: form,
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: delta\ndata: \{"text":"tick/);
    controller.abort();
    await expect.poll(() => fake.probe.aborted, { timeout: 5_000 }).toBe(1);
    // The model's slot was released: the next request gets it.
    await expect.poll(async () => (await test.server.models.status())[0]?.running, { timeout: 5_000 }).toBe(0);
    expect((await fetch(`${test.url}/api/styles`)).status).toBe(200);
  });
});
