/**
 * Loading a tokenizer by Hugging Face repo id, through Transformers.js's own download and cache.
 * Kept apart on purpose: mmkit's Hub cache will replace this file (then a repo id becomes a local
 * folder and `load-tokenizer.ts` does the rest). Repos whose tokenizer is only `tokenizer/vocab.json`
 * + `merges.txt` (Stable Diffusion exports) are not reachable this way; pull them to a folder first.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { describeError, MmkitError } from '../../errors.ts';

/** `owner/name` or a bare `name`, in the characters the Hub allows. */
export function looksLikeRepoId(source: string): boolean {
  return /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(source) && !source.includes('..');
}

/**
 * Transformers.js sends HF_TOKEN only to huggingface.co; like huggingface_hub we send it to whatever
 * HF_ENDPOINT names (a mirror or an enterprise Hub), and nowhere else.
 */
function withToken(host: string, token: string | undefined): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!token || !url.startsWith(host)) return fetch(input, init);
    const headers = new Headers(init?.headers);
    headers.set('Authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

export async function loadRemoteTokenizer(repo: string): Promise<PreTrainedTokenizer> {
  const endpoint = process.env.HF_ENDPOINT || 'https://huggingface.co';
  if (process.env.MMKIT_OFFLINE === '1') {
    throw new MmkitError(`tokenizer '${repo}' is not a local folder, and MMKIT_OFFLINE=1 forbids downloading it`, {
      code: 'tokenizer_not_found',
      param: 'tokenizer',
      type: 'not_found_error',
    });
  }
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  const host = endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
  env.remoteHost = host;
  env.fetch = withToken(host, process.env.HF_TOKEN);
  env.allowRemoteModels = true;
  env.allowLocalModels = false;
  env.cacheDir = join(process.env.MMKIT_HOME || join(homedir(), '.cache', 'mmkit'), 'transformers-js');
  try {
    return await AutoTokenizer.from_pretrained(repo);
  } catch (error) {
    throw new MmkitError(
      `tokenizer '${repo}' is not a local folder and could not be loaded from ${endpoint}: ${describeError(error)}`,
      { code: 'tokenizer_not_found', param: 'tokenizer', type: 'not_found_error', cause: error },
    );
  }
}
