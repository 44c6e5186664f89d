import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../src/errors.ts';
import { buildTinyModel, supportedTinyArchitectures, tinyModelFiles } from './build.ts';

describe('buildTinyModel', () => {
  it('supports clip, llava, llm and wav2vec2-ctc', () => {
    expect(supportedTinyArchitectures()).toEqual(expect.arrayContaining(['clip', 'llava', 'llm', 'wav2vec2-ctc']));
  });

  it.each(supportedTinyArchitectures())(
    '%s: byte-identical files on every build, each ONNX file loads',
    async (arch) => {
      const first = tinyModelFiles(arch);
      const second = tinyModelFiles(arch);
      expect(Object.keys(second)).toEqual(Object.keys(first));
      for (const [path, contents] of Object.entries(first)) {
        expect(Buffer.from(second[path]).equals(Buffer.from(contents)), path).toBe(true);
      }
      // Diffusers pipelines (sd) use Optimum's layout: model_index.json and one folder per part.
      const diffusers = 'model_index.json' in first;
      const required = diffusers
        ? ['model_index.json', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'unet/model.onnx']
        : ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
      for (const path of required) expect(Object.keys(first)).toContain(path);
      const onnxFiles = Object.keys(first).filter(
        (path) => (diffusers || path.startsWith('onnx/')) && path.endsWith('.onnx'),
      );
      expect(onnxFiles.length).toBeGreaterThan(0);
      for (const path of onnxFiles) {
        const session = await InferenceSession.create(first[path] as Uint8Array);
        expect(session.outputNames.length, path).toBeGreaterThan(0);
        await session.release();
      }
    },
  );

  it('writes the folder in Hugging Face layout', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'mmkit-build-'));
    try {
      const result = await buildTinyModel('llm', join(directory, 'model'));
      expect(result.files).toContain('onnx/model.onnx');
      expect((await readdir(join(directory, 'model', 'onnx'))).sort()).toEqual(['model.onnx']);
      const config = JSON.parse(await readFile(join(directory, 'model', 'config.json'), 'utf8'));
      expect(config.architectures).toEqual(['LlamaForCausalLM']);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('rejects an unknown architecture with an MmkitError naming the supported ones', async () => {
    const error = await buildTinyModel('whisper-xl', join(tmpdir(), 'never-written')).catch((caught) => caught);
    expect(isMmkitError(error)).toBe(true);
    expect(error.code).toBe('unsupported_architecture');
    expect(error.message).toBe(
      `unknown testkit architecture "whisper-xl"; supported: ${supportedTinyArchitectures().join(', ')}`,
    );
  });
});
