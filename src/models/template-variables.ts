/**
 * Chat template variables a request or a model entry may set (vLLM's `chat_template_kwargs`, e.g.
 * Qwen3's `enable_thinking`). `apply_chat_template` would read its own options from them too, so
 * those names are refused: a request must not swap the template (a template is code) or change how
 * the prompt is tokenized.
 */
export const RESERVED_TEMPLATE_OPTIONS: ReadonlySet<string> = new Set([
  'chat_template',
  'tools',
  'documents',
  'add_generation_prompt',
  'tokenize',
  'padding',
  'truncation',
  'max_length',
  'return_tensor',
  'return_dict',
  'tokenizer_kwargs',
  'messages',
]);

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Whether `name` is one a request or config may give the template. */
export function isTemplateVariableName(name: string): boolean {
  return VARIABLE_NAME.test(name) && !RESERVED_TEMPLATE_OPTIONS.has(name);
}
