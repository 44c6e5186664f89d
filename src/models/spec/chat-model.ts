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
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface SamplingSettings {
  maxNewTokens: number;
  /** 0 means greedy decoding. */
  temperature: number;
  topP: number;
  topK?: number;
  repetitionPenalty?: number;
  /** Seeds the sampler so the same request gives the same answer. */
  seed?: number;
  /** Generation ends when the text ends with one of these. */
  stop?: string[];
}

export interface ChatRequest extends SamplingSettings, CallOptions {
  messages: ChatMessage[];
  /** A LoRA adapter to apply for this request, by name or folder. */
  adapter?: string;
  /** `json`: the answer is one JSON object (constrained decoding, OpenAI's JSON mode). */
  responseFormat?: 'text' | 'json';
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResult {
  text: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  timings: Timings;
}

export type ChatStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; finishReason: FinishReason; usage: TokenUsage; timings: Timings };

export interface ChatModel {
  readonly description: ModelDescription;
  /** Whether image parts are understood. */
  readonly acceptsImages: boolean;
  /** The longest prompt plus answer, in tokens. */
  readonly contextLength: number;
  generate(request: ChatRequest): Promise<ChatResult>;
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart>;
}
