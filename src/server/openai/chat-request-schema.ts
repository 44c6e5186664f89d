/**
 * The body of `POST /v1/chat/completions`, as OpenAI documents it, narrowed to what mmkit's chat
 * models do: one choice, text and image parts, sampling settings. Unknown fields are ignored (SDKs
 * add new ones often); known fields with wrong values are a 400 naming the field.
 */
import { z } from 'zod';
import { NO_CONTROL_CHARACTERS } from '../validation.ts';

const text = z.string().regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters');

export const modelName = z
  .string()
  .min(1)
  .max(256)
  .regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters');

const textPart = z.object({ type: z.literal('text'), text });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const contentPart = z.discriminatedUnion('type', [textPart, imagePart]);

const message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([text, z.array(contentPart).max(64), z.null()]),
  name: z.string().max(64).optional(),
});

export const chatRequestSchema = z.looseObject({
  model: modelName,
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.int().min(1).nullish(),
  seed: z.int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  tools: z.array(z.unknown()).max(0, 'tools are not supported').nullish(),
  // JSON mode is constrained decoding; a JSON schema is not followed, so it is refused rather
  // than answered with an object the client would take for one that matches it.
  response_format: z
    .object({
      type: z.enum(['text', 'json_object'], {
        error: 'response_format type must be text or json_object (json_schema is not supported)',
      }),
    })
    .nullish(),
  logprobs: z.literal(false, { error: 'logprobs are not supported' }).nullish(),
});

export type ChatRequestBody = z.infer<typeof chatRequestSchema>;
export type ChatRequestMessage = ChatRequestBody['messages'][number];
