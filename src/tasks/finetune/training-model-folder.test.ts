import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { type HubServer, startHubServer } from '../../../testkit/hub-server.ts';
import { resolveModelFolder } from '../../models/hub/resolve-model-folder.ts';
import { resolveTrainingModelFolder } from './training-model-folder.ts';

const repoId = 'mmkit-test/llava-llama';
let root: string;
let server: HubServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mmkit-training-folder-'));
  await buildTinyModel('llava-llama', join(root, 'repo'));
  server = await startHubServer({ repos: [{ id: repoId, folder: join(root, 'repo') }] });
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

it('pulls the fp32 checkpoint that a plain pull of the ONNX repo leaves out', async () => {
  const settings = { endpoint: server.url, home: join(root, 'home'), offline: false, token: '', timeoutMs: 5_000 };
  const inference = await resolveModelFolder(repoId, { settings });
  expect(existsSync(join(inference, 'onnx', 'decoder_model_merged.onnx'))).toBe(true);
  expect(existsSync(join(inference, 'model.safetensors'))).toBe(false);
  const training = await resolveTrainingModelFolder(repoId, { settings });
  expect(training).toBe(inference);
  expect(existsSync(join(training, 'model.safetensors'))).toBe(true);
  expect(existsSync(join(training, 'config.json'))).toBe(true);
});
