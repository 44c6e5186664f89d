import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { itemId, newResponseIdentity, outputItems, responseObject } from './response-object.ts';
import { ResponseStore, type StoredResponse } from './response-store.ts';

function storedAnswer(text: string): StoredResponse {
  const identity = newResponseIdentity('m');
  const output = outputItems(identity, { text, finishReason: 'stop' }, 1);
  const response = responseObject(identity, { model: 'm', input: text }, { status: 'completed', output, stored: true });
  return {
    response,
    input: [{ type: 'message', role: 'user', content: text, id: itemId(identity, 'message', 0) }],
  };
}

describe('ResponseStore', () => {
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });
  async function store(maxResponses: number): Promise<ResponseStore> {
    const root = await mkdtemp(join(tmpdir(), 'mmkit-responses-'));
    folders.push(root);
    return new ResponseStore(join(root, 'responses'), maxResponses);
  }

  it('keeps a response and finds its items, input and output, by id', async () => {
    const responses = await store(10);
    const saved = storedAnswer('hello');
    await responses.save(saved);
    expect(await responses.get(saved.response.id)).toEqual(saved);
    expect(await responses.item(saved.input[0]!.id)).toEqual(saved.input[0]);
    expect(await responses.item(saved.response.output[0]!.id)).toEqual(saved.response.output[0]);
    expect(await responses.delete(saved.response.id)).toBe(true);
    expect(await responses.get(saved.response.id)).toBeUndefined();
    expect(await responses.delete(saved.response.id)).toBe(false);
  });

  it('makes file names only from ids of its own pattern', async () => {
    const responses = await store(10);
    for (const id of ['../../etc/passwd', 'resp_../x', `resp_${'0'.repeat(23)}/`, `msg_${'0'.repeat(24)}_0/..`]) {
      expect(await responses.get(id)).toBeUndefined();
      expect(await responses.item(id)).toBeUndefined();
      expect(await responses.delete(id)).toBe(false);
    }
  });

  it('deletes the oldest responses beyond its limit', async () => {
    const responses = await store(2);
    const saved: StoredResponse[] = [];
    for (const [age, text] of ['a', 'b', 'c'].entries()) {
      const answer = storedAnswer(text);
      await responses.save(answer);
      // Modification times a second apart, oldest first, whatever the file system's resolution.
      const when = new Date(Date.now() - (10 - age) * 1000);
      await utimes(join(responses.folder, `${answer.response.id.slice(5)}.json`), when, when);
      saved.push(answer);
    }
    await responses.save(storedAnswer('d'));
    expect(await readdir(responses.folder)).toHaveLength(2);
    expect(await responses.get(saved[0]!.response.id)).toBeUndefined();
    expect(await responses.get(saved[1]!.response.id)).toBeUndefined();
    expect(await responses.get(saved[2]!.response.id)).toBeDefined();
  });

  it('deletes the oldest responses beyond its byte budget too', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mmkit-responses-'));
    folders.push(root);
    const sizeOf = Buffer.byteLength(JSON.stringify(storedAnswer('x'.repeat(1000))));
    const responses = new ResponseStore(join(root, 'responses'), 10, Math.round(sizeOf * 2.5));
    const saved: StoredResponse[] = [];
    for (const [age, letter] of ['a', 'b', 'c'].entries()) {
      const answer = storedAnswer(letter.repeat(1000));
      await responses.save(answer);
      const when = new Date(Date.now() - (10 - age) * 1000);
      await utimes(join(responses.folder, `${answer.response.id.slice(5)}.json`), when, when);
      saved.push(answer);
    }
    await responses.save(storedAnswer('d'.repeat(1000)));
    expect(await readdir(responses.folder)).toHaveLength(2);
    expect(await responses.get(saved[1]!.response.id)).toBeUndefined();
    expect(await responses.get(saved[2]!.response.id)).toBeDefined();
  });

  it('keeps nothing with a limit of 0', async () => {
    expect((await store(0)).enabled).toBe(false);
  });
});
