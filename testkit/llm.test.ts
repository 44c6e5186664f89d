import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor as TransformersTensor,
} from '@huggingface/transformers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteTokenIds } from './byte-tokenizer.ts';
import { greedyDecode } from './decode-loop.ts';
import { LLM_SPECIAL_TOKENS, llmFiles } from './llm.ts';
import { writeModelFiles } from './model-files.ts';

const { user, assistant, end } = LLM_SPECIAL_TOKENS;
const NEWLINE = 10;

function chatPrompt(message: string): number[] {
  return [user.id, NEWLINE, ...byteTokenIds(message), end.id, NEWLINE, assistant.id, NEWLINE];
}

describe('testkit llm (echo model)', () => {
  let directory: string;
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  let session: InferenceSession;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-llm-'));
    await writeModelFiles(directory, llmFiles());
    env.allowRemoteModels = false;
    tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
    model = await AutoModelForCausalLM.from_pretrained(directory, { local_files_only: true });
    session = await InferenceSession.create(join(directory, 'onnx', 'model.onnx'));
  });

  afterAll(async () => {
    await model?.dispose();
    await session?.release();
    await rm(directory, { recursive: true, force: true });
  });

  async function chat(messages: { role: string; content: string }[], options: Record<string, unknown> = {}) {
    const inputs = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, return_dict: true }) as {
      input_ids: TransformersTensor;
      attention_mask: TransformersTensor;
    };
    const output = (await model.generate({ ...inputs, max_new_tokens: 64, ...options })) as TransformersTensor;
    const promptLength = inputs.input_ids.dims[1];
    const generated = (output.tolist() as bigint[][])[0].slice(promptLength).map(Number);
    return { generated, text: tokenizer.decode(generated, { skip_special_tokens: true }) };
  }

  it('renders the chat template with role markers and a generation prompt', () => {
    const text = tokenizer.apply_chat_template(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      { add_generation_prompt: true, tokenize: false },
    );
    expect(text).toBe('<|system|>\nBe brief.<|end|>\n<|user|>\nhi<|end|>\n<|assistant|>\n');
  });

  it('echoes the user message through Transformers.js greedy generation and stops at <|end|>', async () => {
    const { generated, text } = await chat([{ role: 'user', content: 'Hello, tiny world!' }], { do_sample: false });
    expect(text).toBe('Hello, tiny world!');
    expect(generated).toEqual([...byteTokenIds('Hello, tiny world!'), end.id]);
  });

  it('echoes only the last user turn of a multi-turn chat, in any script', async () => {
    const { text } = await chat(
      [
        { role: 'system', content: 'You repeat.' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first question' },
        { role: 'user', content: '图像里是什么？ naïve café' },
      ],
      { do_sample: false },
    );
    expect(text).toBe('图像里是什么？ naïve café');
  });

  it('handles a left-padded batch through the attention mask', async () => {
    tokenizer.padding_side = 'left';
    const messages = ['short', 'a much longer message'];
    const prompts = messages.map((content) =>
      tokenizer.apply_chat_template([{ role: 'user', content }], { add_generation_prompt: true, tokenize: false }),
    );
    const inputs = tokenizer(prompts as string[], { padding: true, add_special_tokens: false });
    expect((inputs.attention_mask.tolist() as bigint[][])[0][0]).toBe(0n);
    const output = (await model.generate({ ...inputs, max_new_tokens: 30, do_sample: false })) as TransformersTensor;
    const width = inputs.input_ids.dims[1];
    const answers = (output.tolist() as bigint[][]).map((row) => {
      const generated = row.slice(width).map(Number);
      return tokenizer.decode(generated.slice(0, generated.indexOf(end.id)), { skip_special_tokens: true });
    });
    expect(answers).toEqual(messages);
  });

  it('samples: a low temperature still echoes, a very high one does not', async () => {
    const message = [{ role: 'user', content: 'sampling works' }];
    const cool = await chat(message, { do_sample: true, temperature: 0.7, max_new_tokens: 20 });
    expect(cool.text).toBe('sampling works');
    const hot = await chat(message, { do_sample: true, temperature: 100, max_new_tokens: 20 });
    expect(hot.generated.length).toBeGreaterThan(0);
    expect(hot.text).not.toBe('sampling works');
  });

  it('needs a working key/value cache and true positions (bare onnxruntime loop)', async () => {
    const options = { maxNewTokens: 20, eosTokenId: end.id, numHeads: 2, headDim: 16 };
    const prompt = chatPrompt('cache me');
    expect(await greedyDecode(session, prompt, options)).toEqual([...byteTokenIds('cache me'), end.id]);

    // The same loop with the cache zeroed after the prompt: the copy head has nothing to read.
    const zeroed = await greedyDecode(session, prompt, {
      ...options,
      transformCache: (_name, present) => new Tensor('float32', new Float32Array(present.data.length), present.dims),
    });
    expect(zeroed.slice(1)).not.toEqual([...byteTokenIds('ache me'), end.id]);

    // Positions that stop advancing point the copy head at the wrong byte.
    const stuck = await greedyDecode(session, prompt, { ...options, positionOf: () => prompt.length });
    expect(stuck).not.toEqual([...byteTokenIds('cache me'), end.id]);
  });
});
