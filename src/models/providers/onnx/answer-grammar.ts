/**
 * What constrained decoding holds a local model's answer to: a forced tool call (`toolChoice`
 * required or named), JSON matching a schema (structured outputs), any one object (JSON mode), or
 * nothing. A forced call is one call, written as `{"name": …, "arguments": {…}}`, which the
 * tool-call reader takes whatever format the chat template teaches. (A list would let small models
 * call on and on until the token limit; several calls at once are left to `auto`.)
 */
import { MmkitError } from '../../../errors.ts';
import type { ChatRequest, ToolDefinition } from '../../spec/index.ts';
import {
  ANY,
  ANY_OBJECT,
  compileJsonSchema,
  type GrammarNode,
  jsonBytes,
  type ObjectNode,
} from './json-schema-grammar.ts';

export function answerGrammar(request: ChatRequest): GrammarNode | undefined {
  const forced = forcedCall(request);
  if (forced) return forced;
  const format = request.responseFormat;
  if (format?.type !== 'json') return undefined;
  return format.schema === undefined ? ANY_OBJECT : compileJsonSchema(format.schema, 'response_format');
}

/** Whether the answer is held to a grammar from its first token (so it holds no thinking block). */
export function isConstrained(request: ChatRequest): boolean {
  const choice = request.toolChoice;
  return request.responseFormat?.type === 'json' || (choice !== undefined && choice !== 'auto');
}

function forcedCall(request: ChatRequest): GrammarNode | undefined {
  const choice = request.toolChoice;
  if (choice === undefined || choice === 'auto') return undefined;
  const tools = request.tools ?? [];
  if (choice === 'required') {
    if (tools.length === 0) {
      throw new MmkitError('tool_choice required needs tools to call', { code: 'tools_missing', param: 'tool_choice' });
    }
    const calls = tools.map(callGrammar);
    return calls.length === 1 ? calls[0]! : { kind: 'any-of', options: calls };
  }
  const index = tools.findIndex((tool) => tool.name === choice.name);
  if (index < 0) {
    throw new MmkitError(`tool_choice names the tool '${choice.name}', which is not among the tools`, {
      code: 'unknown_tool',
      param: 'tool_choice',
    });
  }
  return callGrammar(tools[index]!, index);
}

function callGrammar(tool: ToolDefinition, index: number): ObjectNode {
  const parameters =
    tool.parameters === undefined
      ? ANY_OBJECT
      : compileJsonSchema(tool.parameters, `tools[${index}].function.parameters`);
  return {
    kind: 'object',
    properties: new Map<string, GrammarNode>([
      ['name', { kind: 'literal', texts: [jsonBytes(tool.name)] }],
      // Arguments are an object even where the schema says nothing.
      ['arguments', parameters === ANY ? ANY_OBJECT : parameters],
    ]),
    required: ['name', 'arguments'],
    additional: undefined,
  };
}
