/** The ONNX graph writer shared by the testkit and the fine-tuning graph builder. */
export type { AttributeInput, ModelOptions } from './graph-builder.ts';
export { attribute, DEFAULT_IR_VERSION, DEFAULT_OPSET, GraphBuilder } from './graph-builder.ts';
export { encodeModel } from './model-proto.ts';
export type { ElementType, TensorValue } from './tensor.ts';
export { boolTensor, floatTensor, int32Tensor, int64Tensor, tensor } from './tensor.ts';
