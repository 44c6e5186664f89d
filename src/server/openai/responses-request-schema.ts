/**
 * The body of `POST /v1/responses` (OpenAI's Responses API), narrowed to what a chat model does:
 * messages with text and image parts, function tools and their results, a text format, sampling.
 * Hosted tools (web search, file search, computer use…), files, background runs, conversations and
 * prompt templates are refused by name rather than ignored. Unknown fields are ignored, as on the
 * chat route.
 */
import { z } from 'zod';
import { NO_CONTROL_CHARACTERS } from '../validation.ts';
import { CHAT_TEMPLATE_KWARGS, modelName, REASONING_EFFORT, SAMPLING_FIELDS } from './chat-request-schema.ts';

const text = z.string().regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters');
const toolName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');
const itemId = z.string().min(1).max(256);

const inputText = z.object({ type: z.literal('input_text'), text });
const inputImage = z.object({
  type: z.literal('input_image'),
  image_url: z.string().min(1).nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['auto', 'low', 'high']).nullish(),
});
const inputFile = z.object({ type: z.literal('input_file') });
/** What earlier answers hold, sent back as history. */
const outputText = z.object({ type: z.literal('output_text'), text });
const refusal = z.object({ type: z.literal('refusal'), refusal: text });

const contentPart = z.discriminatedUnion('type', [inputText, inputImage, inputFile, outputText, refusal], {
  error: 'content part type must be input_text, input_image, output_text or refusal',
});

const message = z.object({
  type: z.literal('message'),
  id: itemId.nullish(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([text, z.array(contentPart).max(64)]),
  status: z.string().nullish(),
});

const functionCall = z.object({
  type: z.literal('function_call'),
  id: itemId.nullish(),
  call_id: itemId,
  name: toolName,
  arguments: z.string().max(100_000),
  status: z.string().nullish(),
});

const functionCallOutput = z.object({
  type: z.literal('function_call_output'),
  id: itemId.nullish(),
  call_id: itemId,
  // A string, or parts of which the text ones are read.
  output: z.union([text, z.array(z.union([inputText, z.looseObject({ type: z.string() })])).max(64)]),
  status: z.string().nullish(),
});

const itemReference = z.object({ type: z.literal('item_reference'), id: itemId });

/** Reasoning items an SDK sends back with history: a chat model has none of its own, so they are skipped. */
const reasoning = z.looseObject({ type: z.literal('reasoning') });

/** Items told apart by `type`; a message may leave it out (the SDKs' "easy" form), so it is added. */
export const inputItem = z.preprocess(
  (value) =>
    value !== null && typeof value === 'object' && !('type' in value) ? { ...value, type: 'message' } : value,
  z.discriminatedUnion('type', [message, functionCall, functionCallOutput, itemReference, reasoning], {
    error: 'input item type must be message, function_call, function_call_output, item_reference or reasoning',
  }),
);

const functionTool = z.object({
  type: z.literal('function'),
  name: toolName,
  description: z.string().max(8_192).nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** Function tools; OpenAI's hosted tools are named in the refusal. */
const tool = z
  .looseObject({ type: z.string() })
  .superRefine((value, context) => {
    if (value.type !== 'function') {
      context.addIssue({
        code: 'custom',
        path: ['type'],
        message: `'${value.type}' is one of OpenAI's hosted tools, which mmkit does not run: declare function tools`,
      });
      return;
    }
    const parsed = functionTool.safeParse(value);
    if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ ...issue, code: 'custom' });
  })
  .transform((value) => value as unknown as z.infer<typeof functionTool>);

const textFormat = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      name: toolName,
      description: z.string().max(8_192).nullish(),
      schema: z.record(z.string(), z.unknown()),
      strict: z.boolean().nullish(),
    }),
  ],
  { error: 'text.format type must be text, json_object or json_schema' },
);

/** What the request may carry in `include`; only the log probabilities change the answer here. */
export const INCLUDABLE = [
  'message.output_text.logprobs',
  'reasoning.encrypted_content',
  'message.input_image.image_url',
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'computer_call_output.output.image_url',
  'code_interpreter_call.outputs',
] as const;

const { seed, top_k, presence_penalty, frequency_penalty, repetition_penalty, stop, temperature, top_p } =
  SAMPLING_FIELDS;

export const responsesRequestSchema = z.looseObject({
  model: modelName,
  input: z.union([text.min(1, 'must not be empty'), z.array(inputItem).min(1).max(1024)]),
  instructions: text.nullish(),
  previous_response_id: itemId.nullish(),
  max_output_tokens: z.int().min(1).nullish(),
  temperature,
  top_p,
  // vLLM's extensions, as on the chat route.
  seed,
  top_k,
  presence_penalty,
  frequency_penalty,
  repetition_penalty,
  stop,
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  // `effort` goes to the chat template as `reasoning_effort` (as on the chat route); the rest is echoed.
  reasoning: z.looseObject({ effort: REASONING_EFFORT }).nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_tool_calls: z.int().min(1).nullish(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((value) => Object.keys(value).length <= 16, 'at most 16 keys')
    .nullish(),
  user: z.string().max(256).nullish(),
  tools: z.array(tool).max(128).nullish(),
  tool_choice: z
    .union([z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function'), name: toolName })], {
      error: 'tool_choice must be auto, none, required or {type: "function", name}',
    })
    .nullish(),
  text: z.object({ format: textFormat.nullish(), verbosity: z.string().nullish() }).nullish(),
  top_logprobs: z.int().min(0).max(20).nullish(),
  include: z.array(z.enum(INCLUDABLE)).max(16).nullish(),
  chat_template_kwargs: CHAT_TEMPLATE_KWARGS,
  background: z.boolean().nullish(),
  conversation: z.unknown().optional(),
  prompt: z.unknown().optional(),
});

export type ResponsesRequestBody = z.infer<typeof responsesRequestSchema>;
export type ResponsesInputItem = z.infer<typeof inputItem>;
