/**
 * A factory module for runner tests: fake models whose behaviour the request chooses, so one
 * runner can echo, stream slowly, fail, hang until aborted or crash its process. Loaded inside
 * runner processes by `ModelRunnerPool`; `options` choose how loading goes.
 *
 * Chat commands (the last user message): `crash` exits the process, `throw` throws an uncaught
 * exception, `fail` rejects with an MmkitError, `hang` waits for the abort signal, `slow:MS` waits
 * then echoes, `pid` answers the runner's pid, `runner` its pid and thread id, `grow:MB` allocates that much and keeps it,
 * `exhaust-heap` fills the JavaScript heap until V8 gives up, `ignore-abort` hangs regardless;
 * anything else is echoed back.
 */
import { threadId } from 'node:worker_threads';
import { MmkitError } from '../../../errors.ts';
import type {
  ChatModel,
  ChatRequest,
  ChatStreamPart,
  CtcModel,
  EmbeddingModel,
  ImageGenerationModel,
  ImageGenerationRequest,
} from '../../spec/index.ts';
import type { ModelFactoryContext } from '../factory.ts';

export interface FakeModelOptions {
  /** Wait this long while loading. */
  loadDelayMs?: number;
  /** Fail to load: with an MmkitError, a plain Error, or by exiting the process. */
  failLoad?: 'mmkit' | 'error' | 'exit';
  /** Hold this many bytes (outside the JavaScript heap, like native ONNX Runtime buffers) once loaded. */
  holdBytes?: number;
  /** Delay between streamed parts. */
  partDelayMs?: number;
  /** Keep the event loop alive, as real libraries do (default true; false for in-process use). */
  holdEventLoop?: boolean;
}

const held: Buffer[] = [];

export async function createModel(options: FakeModelOptions = {}, context: ModelFactoryContext) {
  if (options.loadDelayMs) await sleep(options.loadDelayMs);
  if (options.failLoad === 'mmkit') {
    throw new MmkitError(`model folder /models/${context.key} has no onnx/ weights`, {
      code: 'model_files_missing',
      param: 'model',
      type: 'not_found_error',
    });
  }
  if (options.failLoad === 'error') throw new TypeError('weights are not a tensor');
  if (options.failLoad === 'exit') process.exit(7);
  if (options.holdBytes) held.push(Buffer.alloc(options.holdBytes, 1));
  // Like real libraries (thread pools, timers), the model keeps the event loop alive by itself, so
  // only the runner's own watch on its parent ends it when the parent disappears.
  if (options.holdEventLoop !== false) setInterval(() => {}, 60_000);
  const description = { id: `fake:${context.key}`, provider: 'fake' };
  switch (context.capability) {
    case 'chat':
      return fakeChat(description, options.partDelayMs ?? 5);
    case 'imageGeneration':
      return fakeImageGeneration(description);
    case 'embeddings':
      return fakeEmbedding(description);
    case 'ctc':
      return fakeCtc(description);
    default:
      return { description };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

function lastUserText(request: ChatRequest): string {
  const message = request.messages.filter((entry) => entry.role === 'user').at(-1);
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) => (part.type === 'text' ? part.text : `[image ${part.data.length} bytes]`))
    .join('');
}

async function answer(request: ChatRequest): Promise<string> {
  const text = lastUserText(request);
  const [command, argument] = text.split(':');
  switch (command) {
    case 'crash':
      process.exit(3);
      break;
    case 'throw':
      setImmediate(() => {
        throw new RangeError('fake model blew up');
      });
      await sleep(60_000);
      break;
    case 'fail':
      throw new MmkitError('the fake model refuses this prompt', { code: 'fake_refusal', param: 'messages' });
    case 'hang':
      await sleep(60 * 60 * 1000, request.signal);
      break;
    case 'ignore-abort':
      await sleep(60 * 60 * 1000);
      break;
    case 'slow':
      await sleep(Number(argument), request.signal);
      return `echo: ${text}`;
    case 'pid':
      return String(process.pid);
    case 'runner':
      return `${process.pid}/${threadId}`;
    case 'exhaust-heap': {
      const hoard: number[][] = [];
      while (true) hoard.push(Array.from({ length: 100_000 }, (_, index) => index));
    }
    case 'grow':
      held.push(Buffer.alloc(Number(argument) * 1024 * 1024, 1));
      return `held ${argument} MB`;
  }
  return `echo: ${text}`;
}

function fakeChat(description: ChatModel['description'], partDelayMs: number): ChatModel {
  return {
    description,
    acceptsImages: true,
    contextLength: 512,
    async generate(request) {
      const started = performance.now();
      const text = await answer(request);
      return {
        text,
        finishReason: 'stop',
        usage: { promptTokens: lastUserText(request).length, completionTokens: text.length },
        timings: { totalMs: performance.now() - started },
      };
    },
    async *stream(request): AsyncGenerator<ChatStreamPart> {
      const started = performance.now();
      const text = await answer(request);
      for (const word of text.split(/(?<= )/)) {
        await sleep(partDelayMs, request.signal);
        yield { type: 'text-delta', text: word };
      }
      yield {
        type: 'finish',
        finishReason: 'stop',
        usage: { promptTokens: 0, completionTokens: text.length },
        timings: { totalMs: performance.now() - started },
      };
    },
  };
}

function fakeImageGeneration(description: ImageGenerationModel['description']): ImageGenerationModel {
  return {
    description,
    async generate(request: ImageGenerationRequest) {
      for (let step = 1; step <= request.steps; step++) {
        await sleep(1, request.signal);
        request.onProgress?.({ step, totalSteps: request.steps });
      }
      const images = Array.from({ length: request.count }, (_, index) => ({
        width: request.width,
        height: request.height,
        pixels: new Uint8Array(request.width * request.height * 3).fill((request.seed + index) % 256),
        seed: request.seed + index,
      }));
      return { images, scheduler: 'FakeScheduler', timings: { totalMs: 0 } };
    },
  };
}

function fakeEmbedding(description: EmbeddingModel['description']): EmbeddingModel {
  return {
    description,
    dimensions: 2,
    async embedTexts(texts) {
      return { embeddings: texts.map((text) => new Float32Array([text.length, 1])), usage: { tokens: texts.length } };
    },
    async embedImages(images) {
      const sum = (bytes: Uint8Array) => bytes.reduce((total, value) => total + value, 0);
      const isBinary = images.every((image) => image instanceof Uint8Array);
      return {
        embeddings: images.map((image) => new Float32Array([sum(image), isBinary ? 1 : 0])),
        usage: { tokens: 0 },
      };
    },
  };
}

function fakeCtc(description: CtcModel['description']): CtcModel {
  return {
    description,
    vocabulary: ['<pad>', 'a', 'b', '|'],
    blankId: 0,
    async emissions(samples, sampleRate) {
      const logProbabilities = samples.map((value) => value * 2);
      const arrived = samples instanceof Float32Array ? 1 : 0;
      return { logProbabilities, frames: samples.length, classes: arrived, secondsPerFrame: 1 / sampleRate };
    },
  };
}
