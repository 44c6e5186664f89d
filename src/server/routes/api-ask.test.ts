import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeProvider } from '../test-support/fake-models.ts';
import { eventsOf, readEvents } from '../test-support/sse-events.ts';
import { listTree, solidImage, startTestServer, type TestServer } from '../test-support/test-server.ts';

function askForm(fields: Record<string, string>, image?: Uint8Array): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  if (image) form.set('image', new Blob([image], { type: 'image/png' }), '../../evil.png');
  return form;
}

describe('POST /api/ask', () => {
  let test: TestServer;
  const fake = fakeProvider();

  beforeAll(async () => {
    test = await startTestServer({ providers: [fake.provider], models: ['fake:slow', 'fake:thinking'] });
  });
  afterAll(async () => {
    await test?.close();
  });

  const ask = (form: FormData, init: RequestInit = {}) =>
    fetch(`${test.url}/api/ask`, { method: 'POST', body: form, ...init });

  it('streams upload, deltas and done with the dominant colour; a follow-up reuses image_id with history', async () => {
    const response = await ask(
      askForm({ question: 'What colour is it?', ocr: 'off' }, await solidImage({ r: 230, g: 10, b: 10 })),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(response);
    expect(events[0]!.event).toBe('upload');
    expect(events.at(-1)!.event).toBe('done');
    const [upload] = eventsOf<{ image_id: string; image_url: string }>(events, 'upload');
    expect(upload!.image_url).toBe(`/uploads/${upload!.image_id}`);
    expect(upload!.image_id).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{16}\.png$/);
    const deltas = eventsOf<{ text: string }>(events, 'delta')
      .map((delta) => delta.text)
      .join('');
    const [done] = eventsOf<{ answer: string; question: string; usage: { completion_tokens: number } }>(events, 'done');
    expect(done!.answer).toBe('red');
    expect(deltas).toBe(done!.answer);
    expect(done!.question).toBe('What colour is it?');
    expect(done!.usage.completion_tokens).toBeGreaterThan(0);
    expect((await fetch(`${test.url}${upload!.image_url}`)).status).toBe(200);

    const before = await listTree(test.dataDir);
    const history = JSON.stringify([
      { role: 'user', content: 'What colour is it?' },
      { role: 'assistant', content: 'red' },
    ]);
    const followUp = await readEvents(
      await ask(askForm({ question: 'And now?', image_id: upload!.image_id, history, ocr: 'off' })),
    );
    expect(followUp.map((event) => event.event)).not.toContain('upload');
    expect(eventsOf<{ answer: string }>(followUp, 'done')[0]!.answer).toBe('red');
    expect(await listTree(test.dataDir)).toEqual(before);
  });

  it("streams a reasoning model's thinking as thinking events before the answer's deltas", async () => {
    const events = await readEvents(
      await ask(
        askForm(
          { question: 'What is it?', model: 'fake:thinking', ocr: 'off' },
          await solidImage({ r: 10, g: 10, b: 230 }),
        ),
      ),
    );
    const order = events.map((event) => event.event);
    expect(order.filter((event) => event === 'thinking')).toHaveLength(3);
    expect(order.lastIndexOf('thinking')).toBeLessThan(order.indexOf('delta'));
    const thinking = eventsOf<{ text: string }>(events, 'thinking').map((event) => event.text);
    expect(thinking.join('')).toBe('Let me look. The question is about a picture. I was shown 1 image(s).');
    const [done] = eventsOf<{ answer: string; reasoning?: string }>(events, 'done');
    expect(done).toMatchObject({ answer: 'It is a picture.', reasoning: thinking.join('') });
  });

  it('runs OCR in mode on and reports it as an ocr event and in done', async () => {
    const events = await readEvents(
      await ask(askForm({ question: 'colour?', ocr: 'on' }, await solidImage({ r: 10, g: 200, b: 10 }, 'png', 64))),
    );
    const [ocr] = eventsOf<{ text: string; confidence: number; used: boolean }>(events, 'ocr');
    expect(ocr).toBeDefined();
    expect(ocr!.used).toBe(false);
    const [done] = eventsOf<{ answer: string; ocr: unknown }>(events, 'done');
    expect(done!.answer).toBe('green');
    expect(done!.ocr).toEqual(ocr);
  }, 60_000);

  it.each([
    ['traversal in image_id', { question: 'q', image_id: '../../etc/passwd' }, 404, 'image_not_found'],
    [
      'an image_id that is a sidecar',
      { question: 'q', image_id: '20250101T000000000Z-0123456789abcdef.png.json' },
      404,
      'image_not_found',
    ],
    ['no image at all', { question: 'q' }, 400, 'missing_parameter'],
    ['an empty question', { question: '   ', image_id: 'x' }, 400, 'question_empty'],
    ['history that is not JSON', { question: 'q', history: '[{', image_id: 'x' }, 400, 'invalid_request'],
    [
      'history with a bad role',
      { question: 'q', history: '[{"role":"system","content":"x"},{"role":"assistant","content":"y"}]', image_id: 'x' },
      400,
      'invalid_parameter',
    ],
    ['an unknown ocr mode', { question: 'q', ocr: 'maybe', image_id: 'x' }, 400, 'invalid_parameter'],
    ['a negative max_new_tokens', { question: 'q', max_new_tokens: '-5', image_id: 'x' }, 400, 'invalid_parameter'],
    [
      'a temperature that is not a number',
      { question: 'q', temperature: '1e999', image_id: 'x' },
      400,
      'invalid_parameter',
    ],
    ['an unknown field', { question: 'q', image_id: 'x', evil: '1' }, 400, 'unknown_parameter'],
    ['an unknown model', { question: 'q', model: 'nobody/nothing', image_id: 'x' }, 404, 'image_not_found'],
  ])('refuses %s before streaming', async (_name, fields, status, code) => {
    const response = await ask(askForm(fields as Record<string, string>));
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).not.toMatch(/\n|\.ts:\d+/);
  });

  it('refuses a non-image upload with 415 and an unknown model with 404', async () => {
    const text = new TextEncoder().encode('not an image at all');
    expect((await ask(askForm({ question: 'q' }, text))).status).toBe(415);
    const red = await solidImage({ r: 200, g: 0, b: 0 });
    const unknown = await ask(askForm({ question: 'q', model: 'nobody/nothing' }, red));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });
});
