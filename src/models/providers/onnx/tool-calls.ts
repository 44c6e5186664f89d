/**
 * Tool calls in a local model's answer. Chat templates tell the model how to call tools, and the
 * model writes the call as text: Hermes-style `<tool_call>{"name": …, "arguments": {…}}</tool_call>`
 * blocks (Qwen2.5/3, Hermes, SmolLM3 …), or the whole answer one JSON object or a list of them with
 * `name` and `arguments` or `parameters` (Llama 3.x, after an optional `<|python_tag|>`; Mistral's
 * `[TOOL_CALLS]` list). Only calls of tools the request offered count:
 * anything else stays text.
 */
import { randomBytes } from 'node:crypto';
import type { ToolCall, ToolDefinition } from '../../spec/index.ts';

const HERMES_BLOCK = /<tool_call>\s*([\s\S]*?)\s*(?:<\/tool_call>|$)/g;

export interface ParsedAnswer {
  /** The answer's text without the calls. */
  text: string;
  toolCalls: ToolCall[];
}

/** The calls in `answer`, or undefined when it makes none (or calls a tool that was not offered). */
export function parseToolCalls(answer: string, tools: readonly ToolDefinition[]): ParsedAnswer | undefined {
  const offered = new Set(tools.map((tool) => tool.name));
  const blocks = [...answer.matchAll(HERMES_BLOCK)];
  if (blocks.length > 0) {
    const calls = blocks.map((block) => callOf(parseJson(block[1] ?? ''), offered));
    if (calls.some((call) => call === undefined)) return undefined;
    return { text: answer.replace(HERMES_BLOCK, '').trim(), toolCalls: calls as ToolCall[] };
  }
  // Mistral marks its list of calls with [TOOL_CALLS]; Llama 3.1 may open with <|python_tag|>.
  const trimmed = answer.trim().replace(/^(\[TOOL_CALLS\]|<\|python_tag\|>)\s*/, '');
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  const value = parseJson(trimmed);
  const items = Array.isArray(value) ? value : [value];
  const calls = items.map((item) => callOf(item, offered));
  if (items.length === 0 || calls.some((call) => call === undefined)) return undefined;
  return { text: '', toolCalls: calls as ToolCall[] };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function callOf(value: unknown, offered: ReadonlySet<string>): ToolCall | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { name, arguments: args, parameters } = value as Record<string, unknown>;
  if (typeof name !== 'string' || !offered.has(name)) return undefined;
  const given = args ?? parameters ?? {};
  return {
    id: `call_${randomBytes(12).toString('hex')}`,
    name,
    // Some models write the arguments as a JSON string already.
    arguments: typeof given === 'string' ? given : JSON.stringify(given),
  };
}
