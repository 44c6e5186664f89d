import { describe, expect, it } from 'vitest';
import { MmkitError } from '../errors.ts';
import { parseModelId } from './model-id.ts';

describe('parseModelId', () => {
  it('reads provider, model and base URL', () => {
    expect(parseModelId('onnx:HuggingFaceTB/SmolVLM-256M-Instruct')).toEqual({
      id: 'onnx:HuggingFaceTB/SmolVLM-256M-Instruct',
      provider: 'onnx',
      model: 'HuggingFaceTB/SmolVLM-256M-Instruct',
    });
    expect(parseModelId('openai:llava@http://host:8000/v1/')).toEqual({
      id: 'openai:llava@http://host:8000/v1',
      provider: 'openai',
      model: 'llava',
      baseURL: 'http://host:8000/v1',
    });
    // Model names may contain ':' (Ollama tags) and '/'.
    expect(parseModelId('openai:qwen2.5vl:3b@https://gpu.example/v1')).toMatchObject({
      model: 'qwen2.5vl:3b',
      baseURL: 'https://gpu.example/v1',
    });
  });

  it('treats bare ids and paths as onnx', () => {
    expect(parseModelId('Xenova/clip-vit-base-patch32')).toMatchObject({
      id: 'onnx:Xenova/clip-vit-base-patch32',
      provider: 'onnx',
    });
    expect(parseModelId('onnx:/abs/local/folder')).toMatchObject({ provider: 'onnx', model: '/abs/local/folder' });
    expect(parseModelId('./models/tiny')).toMatchObject({ provider: 'onnx', model: './models/tiny' });
    expect(parseModelId('C:\\models\\tiny')).toMatchObject({ provider: 'onnx', model: 'C:\\models\\tiny' });
  });

  it('rejects malformed ids with one line that shows the expected form', () => {
    for (const id of ['', '   ', 'openai:', 'openai:@http://host/v1', 'onnx:two words', 'openai:m@http://bad host/']) {
      const error = (() => {
        try {
          parseModelId(id);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, id).toBeInstanceOf(MmkitError);
      expect((error as MmkitError).code).toBe('model_id_invalid');
      expect((error as MmkitError).message).toContain('expected e.g. onnx:ORG/NAME');
    }
  });
});
