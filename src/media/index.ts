/** File formats: NumPy arrays, safetensors, WAV, PNG text chunks. */
export type { NpyArray, NpyDtype } from './npy.ts';
export { decodeNpy, encodeNpy, writeNpy } from './npy.ts';
export { addPngText, readPngText } from './png-text.ts';
export type { Float32Tensor, SafetensorsDtype, SafetensorsEntry } from './safetensors.ts';
export { encodeSafetensors, SafetensorsFile, writeSafetensors } from './safetensors.ts';
export { encodeWav } from './wav.ts';
