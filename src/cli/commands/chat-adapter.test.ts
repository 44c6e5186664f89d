import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNamedEchoModel, writeLowercaseAdapter } from '../../models/adapters/test-support/lowercase-adapter.ts';
import { runCli } from '../test-support/run-cli.ts';

describe('mmkit chat / ask --adapter', () => {
  let root: string;
  let llm: string;
  let adapter: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-adapter-cli-'));
    llm = join(root, 'llm');
    adapter = join(root, 'lowercase');
    env = { MMKIT_HOME: join(root, 'home'), MMKIT_OFFLINE: '1' };
    await buildNamedEchoModel(llm);
    writeLowercaseAdapter(adapter);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('answers with the adapter applied, and as the base model without it', async () => {
    const tuned = await runCli(
      ['chat', 'Hello MMKIT', '--model', llm, '--adapter', adapter, '--system', '', '--json'],
      { env },
    );
    expect(tuned.stderr).toBe('');
    expect(tuned.code).toBe(0);
    expect(JSON.parse(tuned.stdout)).toMatchObject({ text: 'hello mmkit', model: `onnx:${llm}` });
    const base = await runCli(['chat', 'Hello MMKIT', '--model', llm, '--system', '', '--json'], { env });
    expect(JSON.parse(base.stdout).text).toBe('Hello MMKIT');
  });

  it('refuses a bad adapter folder in one line before loading anything', async () => {
    const pickled = join(root, 'pickled');
    await mkdir(pickled);
    await writeFile(join(pickled, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 8, lora_alpha: 16 }));
    await writeFile(join(pickled, 'adapter_model.bin'), 'pickle');
    const chat = await runCli(['chat', 'hi', '--model', llm, '--adapter', pickled], { env });
    expect(chat.code).toBe(1);
    expect(chat.stderr).toMatch(/^mmkit: adapter .*pickled has only adapter_model\.bin .*convert it to safetensors/);
    expect(chat.stderr.trim().split('\n')).toHaveLength(1);
    const image = join(root, 'red.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } })
      .png()
      .toFile(image);
    const ask = await runCli(['ask', image, 'what colour?', '--adapter', join(root, 'nope')], { env });
    expect(ask.code).toBe(1);
    expect(ask.stderr).toMatch(/^mmkit: adapter .*nope does not exist or is not a folder/);
    expect(ask.stderr.trim().split('\n')).toHaveLength(1);
  });
});
