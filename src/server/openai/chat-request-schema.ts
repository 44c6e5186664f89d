/**
 * The body of `POST /v1/chat/completions`, as OpenAI documents it, narrowed to what mmkit's chat
 * models do: one choice, text and image parts, sampling settings. Unknown fields are ignored (SDKs
 * add new ones often); known fields with wrong values are a 400 naming the field.
 */
import { z } from 'zod';
import { isTemplateVariableName } from '../../models/template-variables.ts';
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

/** OpenAI's rule for function names. */
const toolName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');

const toolCall = z.object({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.object({ name: toolName, arguments: z.string().max(100_000) }),
});

const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    // An assistant turn that only called tools may leave the content out.
    content: z.union([text, z.array(contentPart).max(64), z.null()]).optional(),
    name: z.string().max(64).optional(),
    tool_calls: z.array(toolCall).max(64).optional(),
    tool_call_id: z.string().min(1).max(256).optional(),
  })
  .superRefine((value, context) => {
    if (value.role === 'tool' && value.tool_call_id === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['tool_call_id'],
        message: 'a tool message needs the tool_call_id it answers',
      });
    }
    if (value.tool_calls !== undefined && value.role !== 'assistant') {
      context.addIssue({ code: 'custom', path: ['tool_calls'], message: 'only assistant messages hold tool_calls' });
    }
    if (value.content === undefined && !value.tool_calls?.length) {
      context.addIssue({ code: 'custom', path: ['content'], message: 'content is required' });
    }
  });

const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: toolName,
    description: z.string().max(8_192).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

/** Variables a request may give the chat template: names of letters, digits and _, plain JSON values. */
export const CHAT_TEMPLATE_KWARGS = z
  .record(
    z.string().refine(isTemplateVariableName, 'must be a template variable name the server does not set itself'),
    z.unknown(),
  )
  .refine((value) => Object.keys(value).length <= 32, 'at most 32 variables')
  .refine((value) => JSON.stringify(value).length <= 16_384, 'at most 16 KB of variables')
  .nullish();

export const REASONING_EFFORT = z.enum(['none', 'minimal', 'low', 'medium', 'high']).nullish();

/** What chat and text completions share: streaming, the answer's length, sampling, stops. */
export const SAMPLING_FIELDS = {
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.int().min(1).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  // vLLM's extension: multiplicative, over prompt and answer.
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  seed: z.int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullish(),
  // Token ids (as JSON keys) to a bias from −100 (never) to 100 (always).
  logit_bias: z
    .record(z.string().regex(/^\d{1,9}$/, 'must be a token id'), z.number().min(-100).max(100))
    .refine((value) => Object.keys(value).length <= 1024, 'at most 1024 tokens')
    .nullish(),
};

export const chatRequestSchema = z.looseObject({
  model: modelName,
  messages: z.array(message).min(1),
  ...SAMPLING_FIELDS,
  max_completion_tokens: z.int().min(1).nullish(),
  n: z.int().min(1).max(8).nullish(),
  tools: z.array(tool).max(128).nullish(),
  // auto: the model decides; none: it is not shown the tools; required or a named function: the
  // answer is one call, held to the tool's parameters by constrained decoding.
  tool_choice: z
    .union(
      [
        z.enum(['auto', 'none', 'required']),
        z.object({ type: z.literal('function'), function: z.object({ name: toolName }) }),
      ],
      { error: 'tool_choice must be auto, none, required or {type: "function", function: {name}}' },
    )
    .nullish(),
  response_format: z
    .discriminatedUnion(
      'type',
      [
        z.object({ type: z.literal('text') }),
        z.object({ type: z.literal('json_object') }),
        z.object({
          type: z.literal('json_schema'),
          json_schema: z.object({
            name: toolName,
            description: z.string().max(8_192).optional(),
            schema: z.record(z.string(), z.unknown()).optional(),
            strict: z.boolean().nullish(),
          }),
        }),
      ],
      { error: 'response_format type must be text, json_object or json_schema' },
    )
    .nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.int().min(0).max(20).nullish(),
  // vLLM's extension: more variables for the chat template (Qwen3's `enable_thinking: false`).
  chat_template_kwargs: CHAT_TEMPLATE_KWARGS,
  // OpenAI's, given to the chat template as `reasoning_effort` (gpt-oss's template reads it), as vLLM does.
  reasoning_effort: REASONING_EFFORT,
});

export type ChatRequestBody = z.infer<typeof chatRequestSchema>;
export type ChatRequestMessage = ChatRequestBody['messages'][number];
