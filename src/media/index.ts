/** File formats: NumPy arrays, WAV. */
export type { NpyArray, NpyDtype } from './npy.ts';
export { decodeNpy, encodeNpy, writeNpy } from './npy.ts';
export { encodeWav } from './wav.ts';
