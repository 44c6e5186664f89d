/** mmkit's library surface. */

export type { ErrorType, MmkitErrorOptions } from './errors.ts';
export { isMmkitError, MmkitError } from './errors.ts';
export type { NpyArray, NpyDtype } from './media/npy.ts';
export { decodeNpy, encodeNpy, writeNpy } from './media/npy.ts';
export { version } from './version.ts';
