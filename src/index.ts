/** mmkit's library surface, one barrel per layer. */

export * from '../testkit/index.ts';
export type { ErrorType, MmkitErrorOptions } from './errors.ts';
export { isMmkitError, MmkitError } from './errors.ts';
export * from './finetune/index.ts';
export * from './media/index.ts';
export * from './models/index.ts';
export * from './onnx/index.ts';
export * from './preprocess/index.ts';
export * from './server/index.ts';
export * from './tasks/index.ts';
export { version } from './version.ts';
