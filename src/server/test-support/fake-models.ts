/**
 * Fake models for what testkit models cannot show: a chat model that streams until cancelled (to
 * see client disconnects and full queues) and one that fails with a raw error (to see that our bugs
 * become a bare 500), and one that answers with the seed it was given (to see how `n` seeds its
 * answers), and one that answers with the conversation it was given, a line per message (to see
 * what a route made of history, references and tool results), one that answers with the chat
 * template variables it was given (`fake:variables`), and a reasoning model that looks at
 * images (its thinking names how many images it saw). Registered as the `fake` provider:
 * `fake:slow`, `fake:broken`, `fake:seeds`, `fake:transcript`, `fake:variables`, `fake:thinking`
 * (chat and vision chat).
 */
import type { ModelProvider } from '../../models/registry.ts';
import type { ChatMessage, ChatModel, ChatRequest, ChatResult, ChatStreamPart } from '../../models/spec/index.ts';

export interface SlowModelProbe {
  /** Streams started and streams that saw their signal abort. */
  started: number;
  aborted: number;
  /** Lets every running `generate` finish. */
  releaseAll(): void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export function fakeProvider(): { provider: ModelProvider; probe: SlowModelProbe } {
  const waiting: (() => void)[] = [];
  const probe: SlowModelProbe = {
    started: 0,
    aborted: 0,
    releaseAll: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
  const description = (name: string) => ({ id: `fake:${name}`, provider: 'fake' });
  const usage = { promptTokens: 1, completionTokens: 1 };

  const slow: ChatModel = {
    description: description('slow'),
    acceptsImages: false,
    contextLength: 100_000,
    /** Holds its queue slot until `releaseAll` or the request's signal. */
    async generate(request: ChatRequest): Promise<ChatResult> {
      probe.started += 1;
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        request.signal?.addEventListener('abort', () => reject(request.signal?.reason), { once: true });
      });
      return { text: 'done', finishReason: 'stop', usage, timings: { totalMs: 1 } };
    },
    /** A token every 10 ms, forever, until the request's signal aborts. */
    async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
      probe.started += 1;
      try {
        for (;;) {
          await sleep(10, request.signal);
          yield { type: 'text-delta', text: 'tick ' };
        }
      } catch (error) {
        if (request.signal?.aborted) probe.aborted += 1;
        throw error;
      }
    },
  };

  const broken: ChatModel = {
    description: description('broken'),
    acceptsImages: false,
    contextLength: 1000,
    generate: async () => {
      throw new TypeError('secret internal detail at /home/server/model.ts:42');
    },
    // biome-ignore lint/correctness/useYield: it fails before its first part.
    async *stream() {
      throw new TypeError('secret internal detail at /home/server/model.ts:42');
    },
  };

  /** A model that answers each request with `text(request)` at once, whole or as one delta. */
  const answering = (name: string, text: (request: ChatRequest) => string): ChatModel => {
    const answer = (request: ChatRequest): ChatResult => ({
      text: text(request),
      finishReason: 'stop',
      usage: { promptTokens: request.messages.length, completionTokens: 1 },
      timings: { totalMs: 1 },
    });
    return {
      description: description(name),
      acceptsImages: false,
      contextLength: 100_000,
      generate: async (request) => answer(request),
      async *stream(request) {
        const { text, finishReason, usage, timings } = answer(request);
        yield { type: 'text-delta', text };
        yield { type: 'finish', finishReason, usage, timings };
      },
    };
  };
  const thinking = thinkingModel(description('thinking'));
  const seeds = answering('seeds', (request) => `seed ${request.seed ?? 'none'}`);
  const transcript = answering('transcript', (request) => request.messages.map(transcriptLine).join('\n'));
  const variables = answering('variables', (request) => JSON.stringify(request.templateVariables ?? {}));

  const provider: ModelProvider = {
    name: 'fake',
    models: {
      chat: async (entry) => {
        if (entry.model === 'slow') return slow;
        if (entry.model === 'broken') return broken;
        if (entry.model === 'seeds') return seeds;
        if (entry.model === 'transcript') return transcript;
        if (entry.model === 'variables') return variables;
        if (entry.model === 'thinking') return thinking;
        throw new Error(`no fake model ${entry.model}`);
      },
      visionChat: async (entry) => {
        if (entry.model === 'thinking') return thinking;
        throw new Error(`no fake vision model ${entry.model}`);
      },
    },
  };
  return { provider, probe };
}

/** `role: text`, with `(call id)` for a tool's answer and `[name{arguments}]` for the calls made. */
function transcriptLine(message: ChatMessage): string {
  const text =
    typeof message.content === 'string'
      ? message.content
      : message.content.map((part) => (part.type === 'text' ? part.text : '<image>')).join('');
  const answered = message.toolCallId === undefined ? '' : `(${message.toolCallId})`;
  const calls = message.toolCalls?.length
    ? ` [${message.toolCalls.map((call) => `${call.name}${call.arguments}`).join(', ')}]`
    : '';
  return `${message.role}${answered}: ${text}${calls}`;
}

/**
 * A reasoning model: it thinks in three pieces (the last one names how many images it was shown)
 * before it answers "It is a picture.", as the spec's parts: reasoning apart from the answer.
 */
function thinkingModel(description: ChatModel['description']): ChatModel {
  const thoughts = (request: ChatRequest) => {
    const images = request.messages.flatMap((message) =>
      typeof message.content === 'string' ? [] : message.content.filter((part) => part.type === 'image'),
    ).length;
    return ['Let me look. ', 'The question is about a picture. ', `I was shown ${images} image(s).`];
  };
  const answer = 'It is a picture.';
  const usage = { promptTokens: 1, completionTokens: 9 };
  return {
    description,
    acceptsImages: true,
    contextLength: 100_000,
    generate: async (request) => ({
      text: answer,
      reasoning: thoughts(request).join(''),
      finishReason: 'stop',
      usage,
      timings: { totalMs: 1 },
    }),
    async *stream(request) {
      for (const text of thoughts(request)) yield { type: 'reasoning-delta', text };
      yield { type: 'text-delta', text: 'It is ' };
      yield { type: 'text-delta', text: 'a picture.' };
      yield { type: 'finish', finishReason: 'stop', usage, timings: { totalMs: 1 } };
    },
  };
}
