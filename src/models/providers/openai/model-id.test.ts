import { describe, expect, it } from 'vitest';
import { MmkitError } from '../../../errors.ts';
import { formatOpenAiModelId, parseOpenAiModelId } from './model-id.ts';

describe('parseOpenAiModelId', () => {
  it('splits the model name from the base URL', () => {
    expect(parseOpenAiModelId('openai:llava@http://host:8000/v1')).toEqual({
      model: 'llava',
      baseURL: 'http://host:8000/v1',
    });
  });

  it('keeps colons, slashes and @ in model names', () => {
    expect(parseOpenAiModelId('openai:llava:13b@http://127.0.0.1:11434/v1/')).toEqual({
      model: 'llava:13b',
      baseURL: 'http://127.0.0.1:11434/v1',
    });
    expect(parseOpenAiModelId('openai:Qwen/Qwen2-VL-2B-Instruct@https://gpu.example.com/v1')).toEqual({
      model: 'Qwen/Qwen2-VL-2B-Instruct',
      baseURL: 'https://gpu.example.com/v1',
    });
    expect(parseOpenAiModelId('openai:team@v2@http://host/v1').model).toBe('team@v2');
  });

  it('defaults to OpenAI itself without a base URL', () => {
    expect(parseOpenAiModelId('openai:gpt-4o-mini')).toEqual({
      model: 'gpt-4o-mini',
      baseURL: 'https://api.openai.com/v1',
    });
  });

  it('round-trips through formatOpenAiModelId', () => {
    const id = 'openai:whisper-1@http://10.0.0.5:9000/v1';
    expect(formatOpenAiModelId(parseOpenAiModelId(id))).toBe(id);
  });

  it.each([
    ['onnx:llava', "does not start with 'openai:'"],
    ['openai:', 'the model name is empty'],
    ['openai:@http://host/v1', 'the model name is empty'],
    ['openai:my model@http://host/v1', 'contains whitespace'],
    ['openai:llava@http://', "'http://' is not a URL"],
    ['openai:llava@http://host/v1?x=1', 'must not have a query'],
  ])('rejects %s', (id, reason) => {
    expect(() => parseOpenAiModelId(id)).toThrow(MmkitError);
    expect(() => parseOpenAiModelId(id)).toThrow(reason);
  });
});
