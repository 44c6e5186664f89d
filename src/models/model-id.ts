/**
 * Model ids: `provider:model[@baseURL]`. A bare id means `onnx:` (a Hub repo id or a local folder):
 * `HuggingFaceTB/SmolVLM-256M-Instruct`, `onnx:/abs/folder`, `./folder`,
 * `openai:llava@http://host:8000/v1`. Model names may hold `:` and `/` (`llava:13b`); the base URL
 * starts at the first `@http://` or `@https://`.
 */
import { MmkitError } from '../errors.ts';

export const DEFAULT_PROVIDER = 'onnx';

export interface ModelReference {
  /** The canonical id, always with its provider prefix. */
  id: string;
  provider: string;
  /** What the provider resolves: a repo id, a folder, a served model's name. */
  model: string;
  baseURL?: string;
}

const PROVIDER_PREFIX = /^([a-z][a-z0-9-]*):(.*)$/s;

function invalid(id: string, reason: string): MmkitError {
  return new MmkitError(
    `invalid model id "${id}": ${reason} (expected e.g. onnx:ORG/NAME, onnx:/path/to/folder, openai:MODEL@http://HOST:PORT/v1)`,
    { code: 'model_id_invalid', param: 'model' },
  );
}

/** Looks like a path rather than a repo id: absolute, `./`, `../`, `~/`, or a Windows drive. */
export function looksLikePath(model: string): boolean {
  return /^(\/|\.{1,2}[\\/]|~[\\/]|[A-Za-z]:[\\/])/.test(model) || model === '.' || model === '..';
}

export function parseModelId(id: string): ModelReference {
  const trimmed = id.trim();
  if (trimmed === '') throw invalid(id, 'it is empty');
  // A Windows drive letter (`C:\models\x`) is a path, not a provider called `c`.
  const prefixed = looksLikePath(trimmed) ? null : PROVIDER_PREFIX.exec(trimmed);
  const provider = prefixed ? prefixed[1] : DEFAULT_PROVIDER;
  let rest = prefixed ? prefixed[2].trim() : trimmed;
  let baseURL: string | undefined;
  const withUrl = /^(.*?)@(https?:\/\/.+)$/s.exec(rest);
  if (withUrl) {
    rest = withUrl[1].trim();
    baseURL = withUrl[2];
    if (!URL.canParse(baseURL)) throw invalid(id, `"${baseURL}" is not a URL`);
    baseURL = baseURL.replace(/\/+$/, '');
  }
  if (rest === '') throw invalid(id, 'the model name is empty');
  if (/\s/.test(rest) && !looksLikePath(rest)) throw invalid(id, 'the model name contains whitespace');
  return {
    id: `${provider}:${rest}${baseURL ? `@${baseURL}` : ''}`,
    provider,
    model: rest,
    ...(baseURL ? { baseURL } : {}),
  };
}
