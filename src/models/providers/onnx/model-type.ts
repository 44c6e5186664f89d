/**
 * The check a single-architecture model class makes before Transformers.js sees a folder: it has a
 * readable `config.json` whose `model_type` is the one expected, else one line that says what it is.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../../errors.ts';

/** @param what how the error names the expected model, e.g. "a Whisper speech recognition model". */
export async function requireModelType(folder: string, expected: string, what: string): Promise<void> {
  const config = await readFile(join(folder, 'config.json'), 'utf8').catch(() => undefined);
  if (config === undefined) {
    throw new MmkitError(`${folder} has no config.json: not a Hugging Face model folder`, {
      code: 'model_invalid',
      param: 'model',
    });
  }
  let modelType: unknown;
  try {
    modelType = (JSON.parse(config) as { model_type?: unknown }).model_type;
  } catch (error) {
    throw new MmkitError(`${folder}/config.json: not valid JSON (${describeError(error)})`, {
      code: 'model_invalid',
      param: 'model',
    });
  }
  if (modelType !== expected) {
    throw new MmkitError(`${folder} holds a ${String(modelType ?? 'unknown')} model, not ${what}`, {
      code: 'unsupported_architecture',
      param: 'model',
      type: 'unsupported_error',
    });
  }
}
