/**
 * An OpenAI chat completions body as mmkit's `ChatRequest`: sampling, stops, log probabilities, the
 * answer's format, tools. The Responses route builds the same body from its own fields, so both
 * routes mean the same by each setting.
 */
import type { ChatModel, ChatRequest, TokenUsage } from '../../models/spec/index.ts';
import { invalidRequest } from '../http-errors.ts';
import type { ChatRequestBody } from './chat-request-schema.ts';
import { samplingSettings } from './sampling-settings.ts';

/** Tokens generated when the client sets no limit, within the model's context. */
const DEFAULT_MAX_TOKENS = 1024;

export function chatRequest(
  body: ChatRequestBody,
  model: ChatModel,
  messages: ChatRequest['messages'],
  signal: AbortSignal,
): ChatRequest {
  refuseUnsupported(body);
  const requested = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  if (requested !== undefined && requested > model.contextLength) {
    throw invalidRequest(
      `max_tokens ${requested} is over the model's context length of ${model.contextLength} tokens`,
      body.max_completion_tokens ? 'max_completion_tokens' : 'max_tokens',
      'max_tokens_too_large',
    );
  }
  return {
    messages,
    maxNewTokens: requested ?? Math.min(DEFAULT_MAX_TOKENS, model.contextLength),
    ...samplingSettings(body),
    ...logprobs(body),
    ...responseFormat(body.response_format),
    ...toolsAndChoice(body),
    ...templateVariables(body),
    signal,
  };
}

/**
 * OpenAI fields that would change the answer but that mmkit does not do: refused by name, since
 * passing over them in silence would answer a different question than the one asked.
 */
function refuseUnsupported(body: ChatRequestBody): void {
  const fields = body as Record<string, unknown>;
  const given = (name: string) => fields[name] !== undefined && fields[name] !== null;
  const modalities = Array.isArray(fields.modalities) ? fields.modalities : [];
  const refused: [string, boolean, string][] = [
    ['functions', given('functions'), 'functions (deprecated by OpenAI) is not supported: send tools'],
    [
      'function_call',
      given('function_call'),
      'function_call (deprecated by OpenAI) is not supported: send tool_choice',
    ],
    ['audio', given('audio'), 'chat answers are text: for speech, send the answer to /v1/audio/speech'],
    [
      'modalities',
      modalities.some((modality) => modality !== 'text'),
      'chat answers are text only: modalities may be ["text"]',
    ],
    ['web_search_options', given('web_search_options'), 'web search is not available on this server'],
  ];
  for (const [param, isGiven, message] of refused) {
    if (isGiven) throw invalidRequest(message, param, 'unsupported_parameter');
  }
}

/** `chat_template_kwargs`, with `reasoning_effort` among them unless they set it themselves. */
function templateVariables(body: ChatRequestBody): Pick<ChatRequest, 'templateVariables'> {
  const effort = body.reasoning_effort ? { reasoning_effort: body.reasoning_effort } : {};
  const variables = { ...effort, ...body.chat_template_kwargs };
  return Object.keys(variables).length > 0 ? { templateVariables: variables } : {};
}

function logprobs(body: ChatRequestBody): Pick<ChatRequest, 'logprobs'> {
  if (body.top_logprobs !== undefined && body.top_logprobs !== null && body.logprobs !== true) {
    throw invalidRequest('top_logprobs needs logprobs: true', 'top_logprobs', 'logprobs_missing');
  }
  return body.logprobs ? { logprobs: body.top_logprobs ?? 0 } : {};
}

function responseFormat(format: ChatRequestBody['response_format']): Pick<ChatRequest, 'responseFormat'> {
  if (format?.type === 'json_object') return { responseFormat: { type: 'json' } };
  if (format?.type !== 'json_schema') return {};
  const { name, schema } = format.json_schema;
  return { responseFormat: { type: 'json', name, ...(schema === undefined ? {} : { schema }) } };
}

function toolsAndChoice(body: ChatRequestBody): Pick<ChatRequest, 'tools' | 'toolChoice'> {
  const choice = body.tool_choice ?? 'auto';
  const tools = body.tools ?? [];
  if (choice !== 'auto' && choice !== 'none' && tools.length === 0) {
    throw invalidRequest(
      'tool_choice asks for a tool call, but the request has no tools',
      'tool_choice',
      'tools_missing',
    );
  }
  if (typeof choice === 'object' && !tools.some((tool) => tool.function.name === choice.function.name)) {
    throw invalidRequest(
      `tool_choice names the function '${choice.function.name}', which is not among the tools`,
      'tool_choice',
      'unknown_tool',
    );
  }
  if (tools.length === 0 || choice === 'none') return {};
  return {
    tools: tools.map(({ function: tool }) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      ...(tool.parameters === undefined ? {} : { parameters: tool.parameters }),
    })),
    ...(choice === 'required' ? { toolChoice: 'required' as const } : {}),
    ...(typeof choice === 'object' ? { toolChoice: { name: choice.function.name } } : {}),
  };
}

/** The prompt counted once (every answer reads the same one), the answers' tokens summed. */
export function totalUsage(usages: readonly TokenUsage[]): TokenUsage {
  const thought = usages.filter((usage) => usage.reasoningTokens !== undefined);
  return {
    promptTokens: usages[0]?.promptTokens ?? 0,
    completionTokens: usages.reduce((sum, usage) => sum + usage.completionTokens, 0),
    ...(thought.length === 0
      ? {}
      : { reasoningTokens: thought.reduce((sum, usage) => sum + (usage.reasoningTokens ?? 0), 0) }),
  };
}
