import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../testkit/build.ts';
import { capabilitiesOfFolder } from './folder-capabilities.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mmkit-capabilities-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('capabilitiesOfFolder', () => {
  it.each([
    ['llm', ['chat']],
    ['llava', ['visionChat']],
    ['whisper', ['transcription']],
    ['vits', ['speech']],
    ['wav2vec2-ctc', ['ctc']],
    ['clip', ['embeddings']],
    ['sd', ['imageGeneration']],
  ] as const)('reads what a %s folder can do from its own files', async (architecture, expected) => {
    const folder = join(root, architecture);
    await buildTinyModel(architecture, folder);
    expect(await capabilitiesOfFolder(folder)).toEqual(expected);
  });

  it('says nothing about a folder it cannot read', async () => {
    expect(await capabilitiesOfFolder(join(root, 'absent'))).toEqual([]);
  });
});
