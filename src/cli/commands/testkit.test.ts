import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.ts';

describe('mmkit testkit build', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-testkit-cli-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the llm model folder and reports it as JSON', async () => {
    const directory = join(root, 'llm');
    const result = await runCli(['testkit', 'build', 'llm', directory, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.architecture).toBe('llm');
    expect(report.files).toEqual(
      expect.arrayContaining([
        'config.json',
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'onnx/model.onnx',
      ]),
    );
    const config = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('llama');
    const tokenizerConfig = JSON.parse(await readFile(join(directory, 'tokenizer_config.json'), 'utf8'));
    expect(tokenizerConfig.chat_template).toContain('add_generation_prompt');

    // Building again gives byte-identical weights.
    const first = await readFile(join(directory, 'onnx', 'model.onnx'));
    const again = await runCli(['testkit', 'build', 'llm', join(root, 'llm-again')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^built llm in .*llm-again \(\d+ files\)\n$/);
    expect((await readFile(join(root, 'llm-again', 'onnx', 'model.onnx'))).equals(first)).toBe(true);
  });

  it('writes the llava and wav2vec2-ctc folders in Transformers.js layout', async () => {
    const llava = await runCli(['testkit', 'build', 'llava', join(root, 'llava'), '--json']);
    expect(llava.code).toBe(0);
    expect(JSON.parse(llava.stdout).files).toEqual(
      expect.arrayContaining([
        'preprocessor_config.json',
        'processor_config.json',
        'onnx/embed_tokens.onnx',
        'onnx/vision_encoder.onnx',
        'onnx/decoder_model_merged.onnx',
      ]),
    );
    expect(JSON.parse(await readFile(join(root, 'llava', 'config.json'), 'utf8')).model_type).toBe('llava');
    const ctc = await runCli(['testkit', 'build', 'wav2vec2-ctc', join(root, 'ctc'), '--json']);
    expect(ctc.code).toBe(0);
    expect(JSON.parse(ctc.stdout).files).toEqual(expect.arrayContaining(['vocab.json', 'onnx/model.onnx']));
    expect(JSON.parse(await readFile(join(root, 'ctc', 'config.json'), 'utf8')).architectures).toEqual([
      'Wav2Vec2ForCTC',
    ]);
  });

  it('rejects an unknown architecture in one line, listing the supported ones, and writes nothing', async () => {
    const directory = join(root, 'nothing');
    const result = await runCli(['testkit', 'build', 'gpt5', directory]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'mmkit: unknown testkit architecture "gpt5"; supported: clip, llava, llm, sd, wav2vec2-ctc\n',
    );
    expect(existsSync(directory)).toBe(false);
  });

  it('refuses to build over a file', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'keep me');
    const result = await runCli(['testkit', 'build', 'llm', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^mmkit: cannot build into .*a-file: it exists and is not a directory\n$/);
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });
});
