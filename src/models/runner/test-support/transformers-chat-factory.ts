/**
 * A factory module for runner tests and the runner benchmark: a real chat model on Transformers.js
 * (`AutoTokenizer` + `AutoModelForCausalLM`) loaded from a local folder, such as the testkit `llm`
 * echo model. Greedy decoding only; enough to prove a real model works through a runner until the
 * ONNX provider's own factory takes its place.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  StoppingCriteria,
  type Tensor,
  TextStreamer,
} from '@huggingface/transformers';
import type { ChatModel, ChatRequest, ChatResult, ChatStreamPart } from '../../spec/index.ts';
import type { ModelFactoryContext } from '../factory.ts';

export interface TransformersChatOptions {
  folder: string;
}

/** Stops generation at the next step once the request's signal aborts. */
class AbortCriteria extends StoppingCriteria {
  constructor(private readonly signal: AbortSignal | undefined) {
    super();
  }
  override _call(inputIds: number[][]): boolean[] {
    return inputIds.map(() => this.signal?.aborted ?? false);
  }
}

/** A chat model plus `dispose()`, which the benchmark calls to show what in-process unloading keeps. */
export async function createModel(
  options: TransformersChatOptions,
  context: ModelFactoryContext,
): Promise<ChatModel & { dispose(): Promise<void> }> {
  env.allowRemoteModels = false;
  const tokenizer = await AutoTokenizer.from_pretrained(options.folder, { local_files_only: true });
  const model = await AutoModelForCausalLM.from_pretrained(options.folder, { local_files_only: true });

  async function run(request: ChatRequest, onText?: (text: string) => void): Promise<ChatResult> {
    const started = performance.now();
    const messages = request.messages.map((message) => ({
      role: message.role,
      content:
        typeof message.content === 'string'
          ? message.content
          : message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''),
    }));
    const inputs = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, return_dict: true }) as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    const streamer = onText
      ? new TextStreamer(tokenizer, { skip_prompt: true, skip_special_tokens: true, callback_function: onText })
      : undefined;
    const output = (await model.generate({
      ...inputs,
      max_new_tokens: request.maxNewTokens,
      do_sample: false,
      streamer,
      stopping_criteria: [new AbortCriteria(request.signal)],
    })) as Tensor;
    request.signal?.throwIfAborted();
    const promptLength = inputs.input_ids.dims[1]!;
    const generated = (output.tolist() as bigint[][])[0]!.slice(promptLength).map(Number);
    const text = tokenizer.decode(generated, { skip_special_tokens: true });
    return {
      text,
      finishReason: generated.length >= request.maxNewTokens ? 'length' : 'stop',
      usage: { promptTokens: promptLength, completionTokens: generated.length },
      timings: { totalMs: performance.now() - started },
    };
  }

  return {
    description: { id: `test:${context.key}`, provider: 'transformers-test' },
    acceptsImages: false,
    contextLength: 512,
    generate: (request) => run(request),
    dispose: async () => {
      await model.dispose();
    },
    async *stream(request): AsyncGenerator<ChatStreamPart> {
      const pieces: string[] = [];
      let wake: (() => void) | undefined;
      let finished = false;
      const result = run(request, (text) => {
        if (text) pieces.push(text);
        wake?.();
      }).finally(() => {
        finished = true;
        wake?.();
      });
      while (!finished || pieces.length > 0) {
        if (pieces.length > 0) yield { type: 'text-delta', text: pieces.shift()! };
        else await new Promise<void>((resolve) => (wake = resolve));
      }
      const { finishReason, usage, timings } = await result;
      yield { type: 'finish', finishReason, usage, timings };
    },
  };
}
