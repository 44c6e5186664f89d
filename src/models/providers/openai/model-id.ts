/**
 * Model ids for this provider: `openai:MODEL@BASE_URL`, e.g. `openai:llava@http://host:8000/v1`, or
 * `openai:MODEL` for OpenAI itself. Model names may hold `:` and `/` (`llava:13b`,
 * `Qwen/Qwen2-VL-2B-Instruct`); the base URL starts at the first `@http://` or `@https://`.
 */
import { MmkitError } from '../../../errors.ts';
import { DEFAULT_OPENAI_BASE_URL } from './options.ts';

export const OPENAI_ID_PREFIX = 'openai:';

export interface OpenAiModelId {
  /** The model name the server knows. */
  model: string;
  /** Without a trailing slash. */
  baseURL: string;
}

export function parseOpenAiModelId(id: string): OpenAiModelId {
  const fail = (reason: string) =>
    new MmkitError(`invalid model id '${id}': ${reason} (expected openai:MODEL or openai:MODEL@http://HOST:PORT/v1)`, {
      code: 'model_id_invalid',
      param: id,
    });
  if (!id.startsWith(OPENAI_ID_PREFIX)) throw fail(`it does not start with '${OPENAI_ID_PREFIX}'`);
  const rest = id.slice(OPENAI_ID_PREFIX.length);
  const match = /^(.*?)@(https?:\/\/.*)$/.exec(rest);
  const model = (match ? match[1] : rest).trim();
  if (model === '') throw fail('the model name is empty');
  if (/\s/.test(model)) throw fail('the model name contains whitespace');
  if (!match) return { model, baseURL: DEFAULT_OPENAI_BASE_URL };
  return { model, baseURL: normalizeBaseURL(match[2], fail) };
}

export function formatOpenAiModelId(id: OpenAiModelId): string {
  return `${OPENAI_ID_PREFIX}${id.model}@${id.baseURL}`;
}

/** A checked http(s) URL without query, fragment or trailing slash, so paths append cleanly. */
export function normalizeBaseURL(value: string, fail: (reason: string) => Error): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail(`'${value}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`'${value}' is not an http(s) URL`);
  if (url.search || url.hash) throw fail(`the base URL '${value}' must not have a query or fragment`);
  return url.href.replace(/\/+$/, '');
}
