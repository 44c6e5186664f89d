/** mmkit's library surface. */

// Tiny models with fixed, meaningful weights, for tests (yours too).
export { buildTinyModel, supportedTinyArchitectures, tinyModelFiles } from '../testkit/build.ts';
export type { ErrorType, MmkitErrorOptions } from './errors.ts';
export { isMmkitError, MmkitError } from './errors.ts';
export type { NpyArray, NpyDtype } from './media/npy.ts';
// Media formats.
export { decodeNpy, encodeNpy, writeNpy } from './media/npy.ts';
export { encodeWav } from './media/wav.ts';

// Capability interfaces that tasks are written against.
export type * from './models/spec/index.ts';
export type { AttributeInput, ModelOptions } from './onnx/graph-builder.ts';
// ONNX graph writing (tiny models, training graphs).
export { attribute, DEFAULT_IR_VERSION, DEFAULT_OPSET, GraphBuilder } from './onnx/graph-builder.ts';
export { encodeModel } from './onnx/model-proto.ts';
export type { ElementType, TensorValue } from './onnx/tensor.ts';
export { boolTensor, floatTensor, int32Tensor, int64Tensor, tensor } from './onnx/tensor.ts';
export { version } from './version.ts';
