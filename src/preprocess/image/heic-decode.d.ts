/** The npm `heic-decode` package (libheif compiled to WebAssembly), without types of its own. */
declare module 'heic-decode' {
  interface DecodedImage {
    width: number;
    height: number;
    /** RGBA, row by row. */
    data: Uint8ClampedArray;
  }
  interface TopLevelImage {
    width: number;
    height: number;
    decode(): Promise<DecodedImage>;
  }
  interface HeicDecode {
    (input: { buffer: Uint8Array }): Promise<DecodedImage>;
    /** Every top-level image, each decoded on request; `dispose()` frees them. */
    all(input: { buffer: Uint8Array }): Promise<TopLevelImage[] & { dispose(): void }>;
  }
  const decode: HeicDecode;
  export default decode;
}
