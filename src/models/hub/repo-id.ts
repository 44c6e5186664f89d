/** Hub repository ids (`owner/name`) and revisions, checked before they reach a URL or a path. */
import { MmkitError } from '../../errors.ts';

const segment = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** Validates `owner/name` (what the Hub calls a repo id) and returns it unchanged. */
export function checkRepoId(id: string): string {
  const parts = id.split('/');
  const valid =
    parts.length === 2 &&
    parts.every((part) => segment.test(part)) &&
    !id.includes('..') &&
    !id.includes('--') &&
    !id.endsWith('.git');
  if (!valid) {
    throw new MmkitError(
      `'${id}' is not a Hugging Face model id: expected owner/name, e.g. onnx-community/whisper-tiny (or a local folder path)`,
      { code: 'model_id_invalid', param: 'model' },
    );
  }
  return id;
}

/** Whether a string could be a repo id (as opposed to a local path). Does not check the Hub. */
export function looksLikeRepoId(value: string): boolean {
  try {
    checkRepoId(value);
    return true;
  } catch {
    return false;
  }
}

/** Branch, tag or commit. Slashes are allowed (`refs/pr/1`); path tricks are not. */
export function checkRevision(revision: string): string {
  const valid =
    revision.length > 0 &&
    revision.length <= 200 &&
    !revision.split('/').some((part) => part === '' || part === '.' || part === '..') &&
    /^[A-Za-z0-9._/-]+$/.test(revision);
  if (!valid) {
    throw new MmkitError(`'${revision}' is not a valid revision: use a branch, tag or commit id, e.g. main`, {
      code: 'revision_invalid',
      param: 'revision',
    });
  }
  return revision;
}

/** A repo path as one URL path (each segment encoded, slashes kept). */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
