/** File-system failures in the model cache, as one line that says what to do. */
import { describeError, MmkitError } from '../../errors.ts';

export function cacheWriteFailure(error: unknown, path: string, action: 'read' | 'write' = 'write'): MmkitError {
  if (error instanceof MmkitError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const advice =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'free some disk space or point MMKIT_HOME at a larger disk'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'make it writable or point MMKIT_HOME at a folder you can write to'
        : 'check the path or point MMKIT_HOME at another folder';
  return new MmkitError(`cannot ${action} the model cache at ${path} (${code ?? describeError(error)}): ${advice}`, {
    code: 'cache_io_error',
    type: 'runtime_error',
    cause: error,
  });
}
