/** Transformers.js's weight dtypes and the file-name suffix each uses (`onnx/model_q4.onnx` is q4). */
export const DTYPE_SUFFIXES = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
  q2: '_q2',
  q2f16: '_q2f16',
  q1: '_q1',
  q1f16: '_q1f16',
} as const;

export type Dtype = keyof typeof DTYPE_SUFFIXES;
