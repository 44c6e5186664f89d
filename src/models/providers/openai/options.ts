/**
 * What a config file's model entry may say about an OpenAI-compatible engine, as zod schemas with
 * defaults: the connection (base URL, API key, headers, timeout) and, per capability, what that
 * engine accepts beyond the OpenAI API (vLLM's `top_k`, LocalAI's diffusion `steps`, …).
 */
import { z } from 'zod';
import { MmkitError } from '../../../errors.ts';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Ten minutes of silence: a busy engine may take long to start answering a big request. */
export const DEFAULT_TIMEOUT_MS = 600_000;

const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^/]/.test(value) && URL.canParse(value), 'must be an http(s) URL');

export const openAiProviderSettingsSchema = z.object({
  baseURL: httpUrl.default(DEFAULT_OPENAI_BASE_URL),
  /** Sent as `Authorization: Bearer …`; local engines usually need none. */
  apiKey: z.string().min(1).optional(),
  /** Extra headers on every request (a proxy's auth, an organisation id). */
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().positive().default(DEFAULT_TIMEOUT_MS),
});
export type OpenAiProviderSettings = z.input<typeof openAiProviderSettingsSchema>;

/** What every model entry may set: the id to report (the registry's, by default the canonical one). */
const commonModelOptions = {
  id: z.string().min(1).optional(),
};

export const openAiChatOptionsSchema = z.object({
  ...commonModelOptions,
  /** Whether the served model takes `image_url` parts (a VLM such as LLaVA). */
  acceptsImages: z.boolean().default(true),
  contextLength: z.number().int().positive().default(4096),
  /** OpenAI's reasoning models want `max_completion_tokens`; most engines take `max_tokens`. */
  maxTokensField: z.enum(['max_tokens', 'max_completion_tokens']).default('max_tokens'),
  /** Sampling fields outside the OpenAI API that this engine accepts (vLLM, llama.cpp do). */
  extraSamplingFields: z.array(z.enum(['top_k', 'repetition_penalty'])).default([]),
  /** Ask for usage in streams with `stream_options.include_usage` (OpenAI, vLLM, Ollama accept it). */
  streamUsage: z.boolean().default(true),
});
export type OpenAiChatOptions = z.input<typeof openAiChatOptionsSchema>;
export type ResolvedOpenAiChatOptions = z.output<typeof openAiChatOptionsSchema>;

export const openAiTranscriptionOptionsSchema = z.object({
  ...commonModelOptions,
  /** `verbose_json` gives segments and words; `json` is for servers that only know the text. */
  responseFormat: z.enum(['verbose_json', 'json']).default('verbose_json'),
});
export type OpenAiTranscriptionOptions = z.input<typeof openAiTranscriptionOptionsSchema>;
export type ResolvedOpenAiTranscriptionOptions = z.output<typeof openAiTranscriptionOptionsSchema>;

export const OPENAI_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'nova',
  'onyx',
  'sage',
  'shimmer',
  'verse',
] as const;

export const openAiSpeechOptionsSchema = z.object({
  ...commonModelOptions,
  voices: z
    .array(z.string().min(1))
    .min(1)
    .default([...OPENAI_VOICES]),
  /** The voice when a request names none; the first of `voices` by default. */
  defaultVoice: z.string().min(1).optional(),
  /** `wav` carries its own sample rate; `pcm` is headerless 16-bit mono at `pcmSampleRate`. */
  responseFormat: z.enum(['wav', 'pcm']).default('wav'),
  pcmSampleRate: z.number().int().positive().default(24_000),
});
export type OpenAiSpeechOptions = z.input<typeof openAiSpeechOptionsSchema>;
export type ResolvedOpenAiSpeechOptions = z.output<typeof openAiSpeechOptionsSchema>;

export const IMAGE_EXTRA_FIELDS = ['negative_prompt', 'seed', 'steps', 'guidance_scale'] as const;
export type ImageExtraField = (typeof IMAGE_EXTRA_FIELDS)[number];

export const openAiImageGenerationOptionsSchema = z.object({
  ...commonModelOptions,
  /** Diffusion fields outside the OpenAI API that this server accepts; OpenAI itself takes none. */
  extraFields: z.array(z.enum(IMAGE_EXTRA_FIELDS)).default([]),
  /** Another wire name for an extra field, e.g. `{steps: 'num_inference_steps'}`. */
  extraFieldNames: z.partialRecord(z.enum(IMAGE_EXTRA_FIELDS), z.string().min(1)).default({}),
  /** The largest `n` the server takes in one request (DALL·E 3: 1). */
  maxImagesPerRequest: z.number().int().min(1).max(10).default(4),
  /** What to report as the scheduler; the server does not say. */
  scheduler: z.string().min(1).default('server default'),
});
export type OpenAiImageGenerationOptions = z.input<typeof openAiImageGenerationOptionsSchema>;
export type ResolvedOpenAiImageGenerationOptions = z.output<typeof openAiImageGenerationOptionsSchema>;

export const openAiEmbeddingOptionsSchema = z.object({
  ...commonModelOptions,
  /** The vector length; learnt from the first answer when not given. */
  dimensions: z.number().int().positive().optional(),
  /** Send `dimensions` upstream (text-embedding-3 can shorten its vectors; most engines refuse it). */
  sendDimensions: z.boolean().default(false),
  /** `base64` (little-endian float32) is a quarter of the bytes of `float`'s JSON numbers. */
  encodingFormat: z.enum(['float', 'base64']).default('float'),
  maxTextsPerRequest: z.number().int().positive().default(256),
});
export type OpenAiEmbeddingOptions = z.input<typeof openAiEmbeddingOptionsSchema>;
export type ResolvedOpenAiEmbeddingOptions = z.output<typeof openAiEmbeddingOptionsSchema>;

/** Validates options from a config file; a bad one names the field and the model entry. */
export function parseOptions<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  entry: string,
): z.output<Schema> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  throw new MmkitError(`${entry}: invalid option ${field ? `'${field}'` : ''} (${issue?.message ?? 'invalid'})`, {
    code: 'invalid_model_options',
    param: field || entry,
  });
}
