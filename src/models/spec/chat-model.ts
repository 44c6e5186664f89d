/**
 * A chat model takes messages with text and image parts and answers, whole or as a stream of text
 * deltas. Vision-language models accept image parts; text-only models reject them.
 */
import type { CallOptions, ModelDescription, Timings } from './common.ts';

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image';
  /** Encoded image bytes (JPEG, PNG, WebP, GIF); tasks resolve paths and URLs before calling. */
  data: Uint8Array;
  mediaType?: string;
}

export type ContentPart = TextPart | ImagePart;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | ContentPart[];
  /** An assistant turn's calls of the caller's tools. */
  toolCalls?: ToolCall[];
  /** A tool turn's answer is to this call. */
  toolCallId?: string;
}

/** A function the model may ask the caller to run (OpenAI's `tools[].function`). */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, as OpenAI sends them. */
  arguments: string;
}

export interface SamplingSettings {
  maxNewTokens: number;
  /** 0 means greedy decoding. */
  temperature: number;
  topP: number;
  topK?: number;
  repetitionPenalty?: number;
  /** OpenAI's penalties (−2 to 2) on tokens already in the answer: once, and per time they appeared. */
  presencePenalty?: number;
  frequencyPenalty?: number;
  /**
   * Added to a token's logit before sampling, by token id (the model's own tokenizer's): OpenAI's
   * `logit_bias`, from −100 (the token never comes) to 100 (it always does).
   */
  logitBias?: Readonly<Record<number, number>>;
  /** Seeds the sampler so the same request gives the same answer. */
  seed?: number;
  /** Generation ends when the text ends with one of these. */
  stop?: string[];
  /**
   * Log probabilities of the answer's tokens: 0 for the chosen tokens' own, k for the k most
   * likely alternatives at each position too (OpenAI's `logprobs` with `top_logprobs`).
   */
  logprobs?: number;
}

/** A token with its log probability (natural log), as OpenAI reports them. */
export interface TokenLogprob {
  /** The token's text (U+FFFD where it holds part of a character; `bytes` has them all). */
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes. */
  bytes: number[];
  /** The most likely tokens at this position, most likely first, when asked for. */
  top: { token: string; logprob: number; bytes: number[] }[];
}

export interface ChatRequest extends SamplingSettings, CallOptions {
  messages: ChatMessage[];
  /** A LoRA adapter to apply for this request, by name or folder. */
  adapter?: string;
  /** The answer's form; by default free text. */
  responseFormat?: ResponseFormat;
  /** Tools the model may call instead of (or before) answering. */
  tools?: ToolDefinition[];
  /** Whether a call is up to the model (`auto`, the default), required, or of one named tool. */
  toolChoice?: ToolChoice;
  /** More variables for the model's chat template (vLLM's `chat_template_kwargs`: Qwen3's `enable_thinking`). */
  templateVariables?: Record<string, unknown>;
}

/**
 * `json` without a schema: one JSON object (OpenAI's JSON mode). With a schema: JSON that matches
 * it (OpenAI's structured outputs). Local models are held to it by constrained decoding.
 */
export type ResponseFormat = { type: 'text' } | { type: 'json'; schema?: Record<string, unknown>; name?: string };

export type ToolChoice = 'auto' | 'required' | { name: string };

export type FinishReason = 'stop' | 'length' | 'abort' | 'tool-calls';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Of the completion's tokens, those a reasoning model spent thinking, where the provider knows. */
  reasoningTokens?: number;
}

export interface ChatResult {
  /** The answer, without the model's reasoning. */
  text: string;
  /** What a reasoning model thought before answering (its `<think>` block), when it did. */
  reasoning?: string;
  /** The answer's tokens with their log probabilities, when the request asked for them. */
  logprobs?: TokenLogprob[];
  /** Present when the model called tools (finish reason `tool-calls`). */
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  usage: TokenUsage;
  timings: Timings;
}

export type ChatStreamPart =
  /** `logprobs`: the tokens this text came from, when the request asked for them. */
  | { type: 'text-delta'; text: string; logprobs?: TokenLogprob[] }
  /** A piece of the model's reasoning, before its answer (never part of `text`). */
  | { type: 'reasoning-delta'; text: string }
  /** A tool call begins (`index` counts the answer's calls from 0); its arguments follow in pieces. */
  | { type: 'tool-call-start'; index: number; id: string; name: string }
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | {
      type: 'finish';
      finishReason: FinishReason;
      usage: TokenUsage;
      timings: Timings;
      /**
       * Every tool call the model made, whole: those streamed before keep their ids, and their
       * arguments are the pieces joined. A provider may stream none and give them here only.
       */
      toolCalls?: ToolCall[];
    };

/** Raw text continued as it is, without a chat template (OpenAI's `/v1/completions`). */
export interface TextCompletionRequest extends SamplingSettings, CallOptions {
  /** The text to continue, or its token ids (the model's own tokenizer's). */
  prompt: string | number[];
  /** Give the prompt back first, as a `prompt` part. `maxNewTokens` may then be 0: the prompt alone. */
  echo?: boolean;
  /**
   * With `echo`: the prompt tokens' log probabilities too, each given the tokens before it, with
   * this many most likely alternatives (0 to 20). What evaluation harnesses score answers by.
   */
  promptLogprobs?: number;
}

/** A prompt token with its log probability given the tokens before it (the first has none). */
export interface PromptTokenLogprob {
  token: string;
  logprob: number | null;
  bytes: number[];
  top: TokenLogprob['top'] | null;
}

/** The prompt given back (`echo`), before the answer's parts. */
export interface PromptPart {
  type: 'prompt';
  text: string;
  /** One per prompt token, when `promptLogprobs` asked for them. */
  logprobs?: PromptTokenLogprob[];
}

/** Raw text continued calls no tools: its parts are a chat stream's without tool calls, and the prompt. */
export type TextCompletionStreamPart =
  | Exclude<ChatStreamPart, { type: 'tool-call-start' | 'tool-call-delta' }>
  | PromptPart;

export interface ChatModel {
  readonly description: ModelDescription;
  /** Whether image parts are understood. */
  readonly acceptsImages: boolean;
  /** The longest prompt plus answer, in tokens. */
  readonly contextLength: number;
  generate(request: ChatRequest): Promise<ChatResult>;
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart>;
  /** Continues raw text, streamed; absent where the model or engine cannot (vision-language models). */
  complete?(request: TextCompletionRequest): AsyncIterable<TextCompletionStreamPart>;
}
