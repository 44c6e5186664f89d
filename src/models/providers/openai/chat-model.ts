/**
 * `ChatModel` over `POST {baseURL}/chat/completions`, whole answers and SSE streams, for any
 * OpenAI-compatible engine (vLLM, Ollama, LocalAI, llama.cpp, OpenAI).
 */
import { MmkitError } from '../../../errors.ts';
import type {
  ChatModel,
  ChatRequest,
  ChatResult,
  ChatStreamPart,
  FinishReason,
  ModelDescription,
  TextCompletionRequest,
  TextCompletionStreamPart,
  TokenLogprob,
  TokenUsage,
  ToolCall,
} from '../../spec/index.ts';
import { messageFromBody } from './api-error.ts';
import { toWireMessages } from './chat-messages.ts';
import { type OpenAiConnection, openPost, postJson } from './http-client.ts';
import type { ResolvedOpenAiChatOptions } from './options.ts';
import { parseServerSentEvents } from './server-sent-events.ts';
import {
  chatCompletionChunkSchema,
  chatCompletionSchema,
  completionChunkSchema,
  parseWire,
  tokenLogprobs,
  tokenUsage,
  type WireUsage,
} from './wire-schemas.ts';

export class OpenAiChatModel implements ChatModel {
  readonly description: ModelDescription;
  readonly acceptsImages: boolean;
  readonly contextLength: number;

  constructor(
    private readonly connection: OpenAiConnection,
    /** The model name the server knows, sent as `model`. */
    readonly modelName: string,
    private readonly options: ResolvedOpenAiChatOptions,
    id: string,
  ) {
    this.description = { id, provider: 'openai' };
    this.acceptsImages = options.acceptsImages;
    this.contextLength = options.contextLength;
  }

  async generate(request: ChatRequest): Promise<ChatResult> {
    const started = performance.now();
    const { value, url } = await postJson(
      this.connection,
      '/chat/completions',
      { json: this.requestBody(request, false) },
      { model: this.modelName, signal: request.signal },
    );
    const completion = parseWire(chatCompletionSchema, value, url);
    const choice = completion.choices[0];
    const toolCalls = (choice.message.tool_calls ?? []).map((call, index) => ({
      id: call.id ?? `call_${index}`,
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '{}',
    }));
    const logprobs = tokenLogprobs(choice.logprobs);
    const reasoning = choice.message.reasoning_content ?? choice.message.reasoning;
    return {
      text: choice.message.content ?? '',
      ...(reasoning ? { reasoning } : {}),
      ...(logprobs ? { logprobs } : {}),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      finishReason: mapFinishReason(choice.finish_reason),
      usage: tokenUsage(completion.usage),
      timings: { totalMs: performance.now() - started },
    };
  }

  stream(request: ChatRequest): AsyncGenerator<ChatStreamPart> {
    return this.streamFrom('/chat/completions', this.requestBody(request, true), request.signal, (value, url) => {
      const chunk = parseWire(chatCompletionChunkSchema, value, url);
      // n is always 1 here; a server may still number its only choice differently.
      const choice = chunk.choices?.[0];
      return {
        text: choice?.delta?.content ?? undefined,
        reasoning: choice?.delta?.reasoning_content ?? choice?.delta?.reasoning ?? undefined,
        logprobs: tokenLogprobs(choice?.logprobs),
        toolCallPieces: choice?.delta?.tool_calls ?? [],
        finishReason: choice?.finish_reason ?? undefined,
        usage: chunk.usage ?? undefined,
      };
    });
  }

  /**
   * Raw text continued by the engine's `/completions` (vLLM, llama.cpp, Ollama and OpenAI serve it).
   * An echoed text prompt is given back here; token-id echoes and log probabilities are not read
   * from engines (a 400 says so).
   */
  async *complete(request: TextCompletionRequest): AsyncGenerator<TextCompletionStreamPart> {
    const refused: [string, boolean, string][] = [
      ['logprobs', request.logprobs !== undefined || request.promptLogprobs !== undefined, 'log probabilities'],
      ['echo', request.echo === true && typeof request.prompt !== 'string', 'echoing token-id prompts'],
      ['max_tokens', request.maxNewTokens === 0, 'an echo without generation (max_tokens 0)'],
    ];
    for (const [param, given, what] of refused) {
      if (given) {
        throw new MmkitError(
          `${this.description.id}: ${what} is not supported for an upstream engine's text completions`,
          {
            code: 'completion_option_unsupported',
            param,
            type: 'unsupported_error',
            status: 400,
          },
        );
      }
    }
    if (request.echo && typeof request.prompt === 'string') yield { type: 'prompt', text: request.prompt };
    const body: Record<string, unknown> = {
      model: this.modelName,
      prompt: request.prompt,
      max_tokens: request.maxNewTokens,
      temperature: request.temperature,
      top_p: request.topP,
      stream: true,
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(request.stop?.length ? { stop: request.stop } : {}),
      ...(request.presencePenalty ? { presence_penalty: request.presencePenalty } : {}),
      ...(request.frequencyPenalty ? { frequency_penalty: request.frequencyPenalty } : {}),
      ...(request.logitBias ? { logit_bias: request.logitBias } : {}),
      ...(this.options.streamUsage ? { stream_options: { include_usage: true } } : {}),
    };
    // `/completions` answers carry no tool calls: the parts are text and the finish.
    yield* this.streamFrom('/completions', body, request.signal, (value, url) => {
      const chunk = parseWire(completionChunkSchema, value, url);
      const choice = chunk.choices?.[0];
      return {
        text: choice?.text ?? undefined,
        logprobs: undefined,
        toolCallPieces: [],
        finishReason: choice?.finish_reason ?? undefined,
        usage: chunk.usage ?? undefined,
      };
    }) as AsyncGenerator<TextCompletionStreamPart>;
  }

  private async *streamFrom(
    path: string,
    body: Record<string, unknown>,
    signal: AbortSignal | undefined,
    read: (value: unknown, url: string) => StreamChunk,
  ): AsyncGenerator<ChatStreamPart> {
    const started = performance.now();
    const opened = await openPost(this.connection, path, { json: body }, { model: this.modelName, signal });
    const url = opened.url;
    let firstOutputMs: number | undefined;
    let finishReason: FinishReason | undefined;
    let usage: TokenUsage | undefined;
    let deltas = 0;
    let sawDone = false;
    // By the server's index: the call, and the index it streams under (the calls in order of arrival).
    const toolCalls = new Map<number, ToolCall>();
    const streamIndexes = new Map<number, number>();
    for await (const event of parseServerSentEvents(opened.chunks())) {
      if (event.data === '[DONE]') {
        sawDone = true;
        break;
      }
      const value = parseEventJson(event.data, url);
      const upstreamError = event.event === 'error' || hasErrorField(value) ? messageFromBody(value) : undefined;
      if (upstreamError !== undefined || event.event === 'error') {
        throw new MmkitError(`${url}: the server failed mid-stream: ${upstreamError ?? event.data}`, {
          code: 'provider_server_error',
          type: 'runtime_error',
          status: 502,
        });
      }
      const chunk = read(value, url);
      if (chunk.usage) {
        usage = tokenUsage(chunk.usage);
      }
      if (chunk.reasoning) yield { type: 'reasoning-delta', text: chunk.reasoning };
      if (chunk.text) {
        firstOutputMs ??= performance.now() - started;
        deltas++;
        yield { type: 'text-delta', text: chunk.text, ...(chunk.logprobs ? { logprobs: chunk.logprobs } : {}) };
      }
      for (const piece of chunk.toolCallPieces) {
        const index = piece.index ?? 0;
        const call = toolCalls.get(index) ?? { id: piece.id ?? `call_${index}`, name: '', arguments: '' };
        call.name += piece.function?.name ?? '';
        call.arguments += piece.function?.arguments ?? '';
        toolCalls.set(index, call);
        // A call streams once named (servers send the name whole, first); arguments already sent come with it.
        const streamIndex = streamIndexes.get(index);
        if (streamIndex !== undefined) {
          const argumentsDelta = piece.function?.arguments ?? '';
          if (argumentsDelta !== '') yield { type: 'tool-call-delta', index: streamIndex, argumentsDelta };
        } else if (call.name !== '') {
          const next = streamIndexes.size;
          streamIndexes.set(index, next);
          yield { type: 'tool-call-start', index: next, id: call.id, name: call.name };
          if (call.arguments !== '') yield { type: 'tool-call-delta', index: next, argumentsDelta: call.arguments };
        }
      }
      if (chunk.finishReason) finishReason = mapFinishReason(chunk.finishReason);
    }
    if (!sawDone && finishReason === undefined) {
      throw new MmkitError(`${url}: the stream ended before the answer was complete`, {
        code: 'provider_connection_lost',
        type: 'runtime_error',
        status: 502,
      });
    }
    yield {
      type: 'finish',
      finishReason: finishReason ?? 'stop',
      // Without usage from the server, each content delta is about one token.
      usage: usage ?? { promptTokens: 0, completionTokens: deltas },
      timings: { totalMs: performance.now() - started, firstOutputMs },
      ...(toolCalls.size > 0 ? { toolCalls: [...toolCalls.values()] } : {}),
    };
  }

  private requestBody(request: ChatRequest, stream: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = {
      // vLLM serves each LoRA adapter under its own model name.
      model: request.adapter ?? this.modelName,
      messages: toWireMessages(request.messages, { acceptsImages: this.acceptsImages, model: this.modelName }),
      [this.options.maxTokensField]: request.maxNewTokens,
      temperature: request.temperature,
      top_p: request.topP,
    };
    if (request.seed !== undefined) body.seed = request.seed;
    if (request.presencePenalty) body.presence_penalty = request.presencePenalty;
    if (request.frequencyPenalty) body.frequency_penalty = request.frequencyPenalty;
    if (request.logitBias) body.logit_bias = request.logitBias;
    if (request.logprobs !== undefined) {
      body.logprobs = true;
      if (request.logprobs > 0) body.top_logprobs = request.logprobs;
    }
    if (request.stop && request.stop.length > 0) body.stop = request.stop;
    const format = request.responseFormat;
    if (format?.type === 'json') {
      body.response_format = format.schema
        ? { type: 'json_schema', json_schema: { name: format.name ?? 'answer', schema: format.schema, strict: true } }
        : { type: 'json_object' };
    }
    if (request.tools?.length) {
      body.tools = request.tools.map((tool) => ({ type: 'function', function: tool }));
      const choice = request.toolChoice;
      if (choice !== undefined) {
        body.tool_choice = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
      }
    }
    const extra = this.options.extraSamplingFields;
    if (extra.includes('top_k') && request.topK !== undefined) body.top_k = request.topK;
    if (request.templateVariables) body.chat_template_kwargs = request.templateVariables;
    if (extra.includes('repetition_penalty') && request.repetitionPenalty !== undefined) {
      body.repetition_penalty = request.repetitionPenalty;
    }
    if (stream) {
      body.stream = true;
      if (this.options.streamUsage) body.stream_options = { include_usage: true };
    }
    return body;
  }
}

/** What one streamed chunk carries, whichever route sent it. */
interface StreamChunk {
  text: string | undefined;
  /** A reasoning model's thinking, where the engine separates it. */
  reasoning?: string | undefined;
  logprobs: TokenLogprob[] | undefined;
  toolCallPieces: ReadonlyArray<{
    index?: number | null;
    id?: string | null;
    function?: { name?: string | null; arguments?: string | null } | null;
  }>;
  finishReason: string | undefined;
  usage: WireUsage | undefined;
}

/** OpenAI's reasons → the spec's: anything that is not a length cut is a normal stop. */
export function mapFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'length' || reason === 'max_tokens') return 'length';
  if (reason === 'abort' || reason === 'cancelled') return 'abort';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool-calls';
  return 'stop';
}

function parseEventJson(data: string, url: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new MmkitError(`${url}: malformed event in the stream (${JSON.stringify(data.slice(0, 40))})`, {
      code: 'provider_bad_response',
      type: 'runtime_error',
      status: 502,
    });
  }
}

function hasErrorField(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'error' in value && (value as { error: unknown }).error != null;
}
