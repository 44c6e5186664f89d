/** mmkit's library surface. */
export { MmkitError, isMmkitError } from './errors.ts';
export type { ErrorType, MmkitErrorOptions } from './errors.ts';
export { version } from './version.ts';

// Media formats.
export { encodeNpy, decodeNpy, writeNpy } from './media/npy.ts';
export type { NpyArray, NpyDtype } from './media/npy.ts';
export { encodeWav } from './media/wav.ts';

// Capability interfaces that tasks are written against.
export type * from './models/spec/index.ts';

// ONNX graph writing (tiny models, training graphs).
export { GraphBuilder, attribute, DEFAULT_IR_VERSION, DEFAULT_OPSET } from './onnx/graph-builder.ts';
export type { AttributeInput, ModelOptions } from './onnx/graph-builder.ts';
export { boolTensor, floatTensor, int32Tensor, int64Tensor, tensor } from './onnx/tensor.ts';
export type { ElementType, TensorValue } from './onnx/tensor.ts';
export { encodeModel } from './onnx/model-proto.ts';

// Tiny models with fixed, meaningful weights, for tests (yours too).
export { buildTinyModel, supportedTinyArchitectures, tinyModelFiles } from '../testkit/build.ts';
